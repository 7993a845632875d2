import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { freshDatabase } from '../testing/database';
import { migrateDown, migrateToLatest, migrationStatus } from './migrator';

// 0016 builds the retention indexes CONCURRENTLY, outside a transaction: writes to the outbox go on
// while it waits for an open transaction and builds, and the indexes end up valid.

let url: string;
let db: Kysely<any>;
let other: pg.Pool;

beforeAll(async () => {
  url = await freshDatabase('retention_idx');
  db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  other = new pg.Pool({ connectionString: url, max: 3 });
});
afterAll(async () => {
  await db?.destroy();
  await other?.end();
});

const indexes = async () =>
  (
    await sql<{ name: string; valid: boolean }>`
      SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname IN ('idx_outbox_published_at', 'idx_processed_messages_processed_at') ORDER BY 1`.execute(db)
  ).rows;

const insertOutbox = (client: pg.PoolClient | pg.Pool) =>
  client.query(
    `INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at) VALUES (gen_random_uuid(), 'event', 'x', 'event.created', '{}', now())`,
  );

describe('0016-retention-indexes', () => {
  it('builds both indexes concurrently: writes go on while it waits for an open transaction', async () => {
    await migrateToLatest(db);
    expect(await indexes()).toEqual([
      { name: 'idx_outbox_published_at', valid: true },
      { name: 'idx_processed_messages_processed_at', valid: true },
    ]);
    expect((await migrateDown(db)).join()).toMatch(/0016-retention-indexes: Success/);
    expect(await indexes()).toEqual([]);

    // A writer's transaction stays open: a concurrent build waits for it, and blocks nobody meanwhile.
    const writer = await other.connect();
    try {
      await writer.query('BEGIN');
      await insertOutbox(writer);
      const migrating = migrateToLatest(db);
      const building = async () =>
        (await other.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND datname = current_database()`))
          .rows[0].n as number;
      for (let i = 0; i < 50 && (await building()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await building()).toBe(1);
      const started = Date.now();
      await insertOutbox(other); // another writer, while the build waits
      expect(Date.now() - started).toBeLessThan(1_000);
      await writer.query('COMMIT');
      expect((await migrating).join()).toMatch(/0016-retention-indexes: Success/);
    } finally {
      writer.release();
    }
    expect(await indexes()).toEqual([
      { name: 'idx_outbox_published_at', valid: true },
      { name: 'idx_processed_messages_processed_at', valid: true },
    ]);
    expect((await migrationStatus(db)).find((m) => m.name === '0016-retention-indexes')?.executedAt).toBeInstanceOf(Date);
    // The retention job's statement can use the index (the planner prefers a scan on this tiny table).
    const client = await other.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = await client.query(
        `EXPLAIN SELECT ctid FROM outbox WHERE published_at < now() - interval '7 days' ORDER BY published_at LIMIT 1000 FOR UPDATE SKIP LOCKED`,
      );
      expect(plan.rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n')).toMatch(/idx_outbox_published_at/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });
});
