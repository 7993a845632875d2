import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';

// Limits of the container the process runs in, for the alert rules' ratios. cgroup v2 has one
// unified hierarchy; v1 (still the default of older nodes and Docker setups) has one per
// controller, mounted as cpu/ (or cpu,cpuacct/) and memory/.
const read = (root: string, file: string): string | undefined => {
  const path = join(root, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
};

/** The cgroup's memory limit (bytes), or the machine's memory when unlimited. */
export function memoryLimit(root = '/sys/fs/cgroup', machine = totalmem()): number {
  for (const file of ['memory.max', 'memory/memory.limit_in_bytes']) {
    const value = read(root, file);
    if (value === undefined) continue;
    const n = Number(value);
    // v1 reports "unlimited" as a huge number (PAGE_COUNTER_MAX pages), v2 as "max".
    if (value !== 'max' && Number.isFinite(n) && n > 0 && n < machine) return n;
  }
  return machine;
}

/** The cgroup's CPU quota in cores (v2 cpu.max, v1 cfs quota/period), or the CPU count when unlimited. */
export function cpuLimit(root = '/sys/fs/cgroup', cpus = availableParallelism()): number {
  const v2 = read(root, 'cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota && quota !== 'max' && Number(quota) > 0 && Number(period) > 0) return Math.min(cpus, Number(quota) / Number(period));
    return cpus;
  }
  for (const dir of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
    const quota = Number(read(root, `${dir}/cpu.cfs_quota_us`));
    const period = Number(read(root, `${dir}/cpu.cfs_period_us`));
    // -1 is v1's "no quota".
    if (Number.isFinite(quota) && Number.isFinite(period) && period > 0) return quota > 0 ? Math.min(cpus, quota / period) : cpus;
  }
  return cpus;
}
