import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { VERSION } from './version';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Release {
  version: string;
  commit: string;
  date: string;
}
const releases = JSON.parse(read('releases.json')) as Release[];
const semver = (v: string) => v.split('.').map(Number) as [number, number, number];
const compare = (a: string, b: string) => {
  const [x, y] = [semver(a), semver(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

describe('release identity', () => {
  it('is one version in the code, package.json, the chart and the image label', () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect((JSON.parse(read('packages/app/package.json')) as { version: string }).version).toBe(VERSION);
    expect(read('deploy/helm/backend-event/Chart.yaml')).toMatch(new RegExp(`^appVersion: "${VERSION.replaceAll('.', '\\.')}"$`, 'm'));
    expect(read('Dockerfile')).toMatch(new RegExp(`^ARG VERSION=${VERSION.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('records every release with its full commit and date, newest last, and the code is not older than the last', () => {
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) {
      expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(r.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (let i = 1; i < releases.length; i++) expect(compare(releases[i]!.version, releases[i - 1]!.version)).toBeGreaterThan(0);
    expect(releases[0]).toEqual({ version: '0.1.0', commit: '075a8f078f294b2c34ed24179d5a24434a33094a', date: '2026-11-30' });
    expect(compare(VERSION, releases.at(-1)!.version)).toBeGreaterThanOrEqual(0);
  });

  it('has a changelog section per release, newest first, under "Unreleased"', () => {
    const headings = [...read('CHANGELOG.md').matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings[0]).toBe('Unreleased');
    expect(headings.slice(1)).toEqual(releases.toReversed().map((r) => `${r.version} — commit ${r.commit.slice(0, 7)} — ${r.date}`));
  });

  it('writes the version on every log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info('one');
    logger.child({ component: 'jobs' }).warn('two');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect((JSON.parse(line) as Record<string, unknown>)['service.version']).toBe(VERSION);
  });
});
