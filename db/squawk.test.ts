import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createIndexConcurrently } from './migration-helpers';
import { migrations } from './migrations/index';
import type { MigrationModule } from './migrator';
import { SQUAWK_EXCEPTIONS } from './squawk-exceptions';
import { writeMigrationSql } from './tools/migration-sql';

// The CI step (scripts/squawk.sh) on planted migrations: it must fail on the changes that hurt a
// live database, and pass the project's own migrations with their recorded exceptions.
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function lint(extra: Record<string, MigrationModule>): Promise<{ files: string[]; findings: string[] }> {
  const out = mkdtempSync(join(tmpdir(), 'squawk-'));
  dirs.push(out);
  const { files, findings: own } = await writeMigrationSql({ serverUrl: inject('postgresUrl'), out, migrations: { ...migrations, ...extra } });
  const run = spawnSync('node_modules/.bin/squawk', ['--config', '.squawk.toml', '--reporter', 'gcc', ...files], { encoding: 'utf8' });
  const findings = run.stdout
    .split('\n')
    .map((line) => /\/([^/]+)\.sql:\d+:\d+: warning: (\S+)/.exec(line))
    .filter((m) => m !== null)
    .map((m) => `${m[1]}: ${m[2]}`);
  expect(run.status).toBe(findings.length ? 1 : 0);
  return { files, findings: [...findings, ...own.map((finding) => finding.split(':').slice(0, 2).join(':'))] };
}

const planted = (statement: string): MigrationModule => ({
  up: async (db) => void (await sql.raw(statement).execute(db)),
});

describe('squawk on the SQL every migration runs', () => {
  it('finds what would hurt a live database in planted migrations, and nothing in the project', async () => {
    const { files, findings } = await lint({
      '9101-index-in-place': planted('CREATE INDEX idx_planted ON bookings (user_id, created_at)'),
      '9102-drop-read-column': planted('ALTER TABLE events DROP COLUMN description'),
      '9103-validated-constraint': planted('ALTER TABLE bookings ADD CONSTRAINT chk_planted CHECK (seats < 1000)'),
      '9104-concurrent-index': { transactional: false, up: (db) => createIndexConcurrently(db, 'idx_planted_ok', sql`ON bookings (event_id, status)`) },
      '9106-two-tables': {
        up: async (db) => {
          await sql`ALTER TABLE events ADD COLUMN planted_a TEXT`.execute(db);
          await sql`ALTER TABLE bookings ADD COLUMN planted_b TEXT`.execute(db);
        },
      },
      '9107-new-table-and-one-busy-one': {
        up: async (db) => {
          await sql`CREATE TABLE planted_c (id UUID PRIMARY KEY, event_id UUID NOT NULL)`.execute(db);
          await sql`CREATE INDEX idx_planted_c ON planted_c (event_id)`.execute(db);
          await sql`ALTER TABLE events ADD COLUMN planted_c TEXT`.execute(db);
        },
      },
    });
    expect(findings.sort()).toEqual([
      '9101-index-in-place: require-concurrent-index-creation',
      '9102-drop-read-column: ban-drop-column',
      '9103-validated-constraint: constraint-missing-not-valid',
      '9106-two-tables: one-table-per-transaction',
    ]);
    // The runner's lock_timeout is part of what Squawk reads; the concurrent build runs outside a transaction.
    expect(
      readFileSync(
        files.find((f) => f.includes('9101'))!,
        'utf8',
      ),
    ).toMatch(/^BEGIN;\nSET LOCAL lock_timeout = '2000ms';\nCREATE INDEX idx_planted/m);
    expect(
      readFileSync(
        files.find((f) => f.includes('9104'))!,
        'utf8',
      ),
    ).not.toMatch(/BEGIN/);
  });

  it('accepts an exception written in the migration with its reason', async () => {
    const { findings } = await lint({
      '9105-contract-drop': planted(`-- exception: a contract step, run by migrate --contract once no release reads the column
-- squawk-ignore ban-drop-column
ALTER TABLE events DROP COLUMN description`),
    });
    expect(findings).toEqual([]);
  });

  it('refuses an exception that matches no statement (a stale one would hide the next finding)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'squawk-'));
    dirs.push(out);
    const exceptions = {
      ...SQUAWK_EXCEPTIONS,
      '0009-idempotency-key-expiry': [{ rules: ['ban-drop-table'], statement: 'DROP TABLE nowhere', reason: 'none' }],
    };
    await expect(writeMigrationSql({ serverUrl: inject('postgresUrl'), out, exceptions })).rejects.toThrow(
      'squawk exceptions that match no statement (remove them): 0009-idempotency-key-expiry: DROP TABLE nowhere',
    );
  });
});
