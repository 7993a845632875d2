import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuLimit, memoryLimit } from './cgroup';

// Fake /sys/fs/cgroup trees laid out as the kernel does for each cgroup version.
const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  roots.push(root);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), `${content}\n`);
  }
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const GiB = 1024 ** 3;

describe('cpuLimit', () => {
  it('cgroup v2: quota / period from cpu.max, capped by the CPU count', () => {
    expect(cpuLimit(tree({ 'cpu.max': '150000 100000' }), 8)).toBe(1.5);
    expect(cpuLimit(tree({ 'cpu.max': '800000 100000' }), 4)).toBe(4);
    expect(cpuLimit(tree({ 'cpu.max': 'max 100000' }), 8)).toBe(8);
  });

  it('cgroup v1: cfs_quota_us / cfs_period_us, under cpu/ or cpu,cpuacct/; -1 is no quota', () => {
    expect(cpuLimit(tree({ 'cpu/cpu.cfs_quota_us': '150000', 'cpu/cpu.cfs_period_us': '100000' }), 8)).toBe(1.5);
    expect(cpuLimit(tree({ 'cpu,cpuacct/cpu.cfs_quota_us': '50000', 'cpu,cpuacct/cpu.cfs_period_us': '100000' }), 8)).toBe(0.5);
    expect(cpuLimit(tree({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }), 8)).toBe(8);
  });

  it('no cgroup files (not Linux, or not in a container): the CPU count', () => {
    expect(cpuLimit(tree({}), 6)).toBe(6);
  });
});

describe('memoryLimit', () => {
  it('cgroup v2 memory.max, "max" meaning unlimited', () => {
    expect(memoryLimit(tree({ 'memory.max': String(2 * GiB) }), 16 * GiB)).toBe(2 * GiB);
    expect(memoryLimit(tree({ 'memory.max': 'max' }), 16 * GiB)).toBe(16 * GiB);
  });

  it('cgroup v1 memory.limit_in_bytes, its huge "unlimited" value meaning the machine', () => {
    expect(memoryLimit(tree({ 'memory/memory.limit_in_bytes': String(GiB) }), 16 * GiB)).toBe(GiB);
    expect(memoryLimit(tree({ 'memory/memory.limit_in_bytes': '9223372036854771712' }), 16 * GiB)).toBe(16 * GiB);
  });
});
