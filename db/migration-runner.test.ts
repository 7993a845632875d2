import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { openPglite } from '@aquastream/adapters';
import { freshDatabase } from '../testing/database';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  migrateDown,
  migrateToLatest,
  MigrationLockError,
  migrationStatus,
  pendingMigrations,
  type Blocker,
  type MigrationModule,
} from './migrator';
import { createIndexConcurrently, dropIndexConcurrently } from './migration-helpers';
import { migrations } from './migrations/index';

// The runner against live traffic on real PostgreSQL: another session holds a lock on `events`
// (a long read transaction, as a report or a slow request would), and a migration wants the
// ACCESS EXCLUSIVE lock that ALTER TABLE takes.
let url: string;
let db: Kysely<any>;
let other: pg.Client;

beforeAll(async () => {
  url = await freshDatabase('runner');
  db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 3 }) }) });
  await migrateToLatest(db);
  other = new pg.Client({ connectionString: url, application_name: 'nightly-report' });
  await other.connect();
});
afterAll(async () => {
  await other?.end();
  await db?.destroy();
});

/** A migration that first creates a table, then alters `events`: both or neither must remain. */
const probe: MigrationModule = {
  async up(db) {
    await sql`CREATE TABLE probe_audit (id BIGINT PRIMARY KEY)`.execute(db);
    await sql`ALTER TABLE events ADD COLUMN probe_note TEXT`.execute(db);
  },
  async down(db) {
    await sql`ALTER TABLE events DROP COLUMN probe_note`.execute(db);
    await sql`DROP TABLE probe_audit`.execute(db);
  },
};
const withProbe = { ...migrations, '9001-probe': probe };

const READER = 'SELECT count(*) AS reporting FROM events';
/** The other session reads `events` in an open transaction: it holds ACCESS SHARE until it ends. */
async function holdEvents(): Promise<void> {
  await other.query('BEGIN');
  await other.query(READER);
}

const schema = async () => ({
  column: (await sql`SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'probe_note'`.execute(db)).rows.length === 1,
  table: (await sql`SELECT 1 FROM pg_tables WHERE tablename = 'probe_audit'`.execute(db)).rows.length === 1,
  recorded: (await sql`SELECT 1 FROM kysely_migration WHERE name = '9001-probe'`.execute(db)).rows.length === 1,
});

describe('the migration runner under a held lock', () => {
  it('gives up after its retries with the migration and the blocking query named, and changes nothing; readers never wait longer than lock_timeout', async () => {
    await holdEvents();
    const retries: { attempt: number; blockers: Blocker[] }[] = [];
    // Traffic meanwhile: reads of `events` queue behind the waiting ALTER, for at most its lock_timeout.
    let migrating = true;
    let slowestRead = 0;
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    const traffic = (async () => {
      while (migrating) {
        const started = performance.now();
        await reader.query('SELECT id FROM events LIMIT 1');
        slowestRead = Math.max(slowestRead, performance.now() - started);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let failure: unknown;
    try {
      failure = await migrateToLatest(db, { migrations: withProbe, lockRetries: 2, onLockRetry: (r) => retries.push(r) }).then(
        () => null,
        (error: unknown) => error,
      );
    } finally {
      migrating = false;
      await traffic;
      await reader.end();
      await other.query('ROLLBACK');
    }

    expect(failure).toBeInstanceOf(MigrationLockError);
    const error = failure as MigrationLockError;
    expect(error.migration).toBe('9001-probe');
    expect(error.tries).toBe(3);
    expect(error.message).toContain('migration 9001-probe could not take its lock within 2000 ms in 3 tries');
    expect(error.message).toContain(READER);
    expect(error.message).toContain('nightly-report');
    expect(error.message).toContain('nothing of it was applied');
    expect(error.blockers).toEqual([expect.objectContaining({ application: 'nightly-report', state: 'idle in transaction', query: READER })]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries.every((r) => r.blockers.some((b) => b.query === READER))).toBe(true);
    expect(await schema()).toEqual({ column: false, table: false, recorded: false });
    expect(slowestRead).toBeLessThan(DEFAULT_LOCK_TIMEOUT_MS + 1_500);
  }, 60_000);

  it('passes when the lock is released during its retries', async () => {
    await holdEvents();
    const retries: number[] = [];
    // Released after the first try gave up, while the runner waits to try again.
    const migrating = migrateToLatest(db, {
      migrations: withProbe,
      lockRetries: 5,
      onLockRetry: ({ attempt }) => {
        retries.push(attempt);
        if (attempt === 1) void other.query('ROLLBACK');
      },
    });
    expect(await migrating).toEqual(['Up 9001-probe: Success']);
    // Given up at least once while the lock was held (the release reaches the server during the backoff).
    expect(retries[0]).toBe(1);
    expect(await schema()).toEqual({ column: true, table: true, recorded: true });
    expect(await migrateDown(db, { migrations: withProbe })).toEqual(['Down 9001-probe: Success']);
    expect(await schema()).toEqual({ column: false, table: false, recorded: false });
  }, 60_000);
});

/** An index built and dropped CONCURRENTLY: PostgreSQL refuses both inside a transaction block. */
const concurrentIndex: MigrationModule = {
  transactional: false,
  up: (db) => createIndexConcurrently(db, 'idx_probe_events_title', sql`ON events (title)`),
  down: (db) => dropIndexConcurrently(db, 'idx_probe_events_title'),
};
const withIndex = { ...migrations, '9002-probe-index': concurrentIndex };
const index = async (k: Kysely<any>) =>
  (
    await sql<{
      valid: boolean;
    }>`SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx_probe_events_title'`.execute(k)
  ).rows;

describe('a non-transactional migration', () => {
  it('builds and drops an index CONCURRENTLY on PostgreSQL', async () => {
    expect(await migrateToLatest(db, { migrations: withIndex })).toEqual(['Up 9002-probe-index: Success']);
    expect(await index(db)).toEqual([{ valid: true }]);
    expect(await migrateDown(db, { migrations: withIndex })).toEqual(['Down 9002-probe-index: Success']);
    expect(await index(db)).toEqual([]);
  });

  it('replaces an INVALID index a failed concurrent build left behind', async () => {
    // A concurrent build that failed half way (here: a unique index over duplicate titles) leaves
    // its index INVALID; `IF NOT EXISTS` alone would keep it.
    await sql`INSERT INTO events (id, organizer_id, title, description, start_date, end_date, capacity, available, status)
              SELECT gen_random_uuid(), gen_random_uuid(), 'same', 'd', now(), now() + interval '1 hour', 1, 1, 'DRAFT' FROM generate_series(1, 2)`.execute(db);
    await expect(sql`CREATE UNIQUE INDEX CONCURRENTLY idx_probe_events_title ON events (title)`.execute(db)).rejects.toThrow(/could not create unique index/);
    expect(await index(db)).toEqual([{ valid: false }]);
    expect(await migrateToLatest(db, { migrations: withIndex })).toEqual(['Up 9002-probe-index: Success']);
    expect(await index(db)).toEqual([{ valid: true }]);
    await migrateDown(db, { migrations: withIndex });
  });

  it('runs on PGlite (embedded mode) too', async () => {
    const embedded = await openPglite();
    try {
      await migrateToLatest(embedded.db);
      expect(await migrateToLatest(embedded.db, { migrations: withIndex })).toEqual(['Up 9002-probe-index: Success']);
      expect(await index(embedded.db)).toEqual([{ valid: true }]);
      expect(await migrateDown(embedded.db, { migrations: withIndex })).toEqual(['Down 9002-probe-index: Success']);
    } finally {
      await embedded.close();
    }
  });
});

describe('after a rollback to this release', () => {
  it("starts on a newer release's schema: migrate has nothing to do, status lists the newer migration, and undoing it refuses", async () => {
    // A newer release applied 9201 (an added column); this release does not know it.
    const newer: MigrationModule = {
      up: async (db) => void (await sql`ALTER TABLE bookings ADD COLUMN newer_note TEXT`.execute(db)),
      down: async (db) => void (await sql`ALTER TABLE bookings DROP COLUMN newer_note`.execute(db)),
    };
    expect(await migrateToLatest(db, { migrations: { ...migrations, '9201-newer': newer } })).toEqual(['Up 9201-newer: Success']);
    try {
      expect(await migrateToLatest(db)).toEqual([]);
      expect(await pendingMigrations(db)).toBe(0);
      expect((await migrationStatus(db)).find((m) => m.name === '9201-newer')?.executedAt).toBeInstanceOf(Date);
      await expect(migrateDown(db)).rejects.toThrow("migration 9201-newer was applied by a newer release: undo it with that release's CLI (rollback) first");
      expect((await sql`SELECT 1 FROM information_schema.columns WHERE table_name = 'bookings' AND column_name = 'newer_note'`.execute(db)).rows).toHaveLength(
        1,
      );
    } finally {
      // The newer release's CLI undoes it.
      expect(await migrateDown(db, { migrations: { ...migrations, '9201-newer': newer } })).toEqual(['Down 9201-newer: Success']);
    }
  });
});
