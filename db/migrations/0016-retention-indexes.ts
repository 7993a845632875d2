import { sql, type Kysely } from 'kysely';

// The retention job deletes shipped outbox rows and processed-message ids by age, oldest first, in
// small batches; these indexes let each batch find its rows without reading the whole table.
// Built CONCURRENTLY (writes go on during the build), which cannot run inside a transaction:
// `transactional = false` has the migrator (db/migrator.ts) run this migration alone, outside one.
// Run inside a transaction anyway (an older migrator, a test stepping through every migration in
// one), the indexes are built the ordinary way, which blocks writes to the table while it builds.
export const transactional = false;

const INDEXES = [
  {
    name: 'idx_outbox_published_at',
    concurrently: sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_outbox_published_at ON outbox(published_at) WHERE published_at IS NOT NULL`,
    blocking: sql`CREATE INDEX IF NOT EXISTS idx_outbox_published_at ON outbox(published_at) WHERE published_at IS NOT NULL`,
  },
  {
    name: 'idx_processed_messages_processed_at',
    concurrently: sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_processed_messages_processed_at ON processed_messages(processed_at)`,
    blocking: sql`CREATE INDEX IF NOT EXISTS idx_processed_messages_processed_at ON processed_messages(processed_at)`,
  },
];

/**
 * True inside a transaction block: PostgreSQL gives the first statement of a transaction the
 * transaction's own start time, so a later statement of a block has a later one.
 */
async function inTransaction(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ block: boolean }>`SELECT statement_timestamp() <> transaction_timestamp() AS block`.execute(db);
  return rows[0]!.block;
}

/**
 * Runs `work` with a short lock_timeout unless the runner set one: for the transaction, or outside
 * one for the session, reset after (the setting would otherwise stay on the pooled connection).
 */
async function withLockTimeout(db: Kysely<unknown>, block: boolean, work: () => Promise<void>): Promise<void> {
  // A build waits for no writer, but its first lock queues behind a long transaction on the table,
  // and writers would queue behind it: give up after 5 s and let the migration Job try again.
  const { rows } = await sql<{ timeout: string }>`SELECT current_setting('lock_timeout') AS timeout`.execute(db);
  if (rows[0]?.timeout !== '0') return work();
  if (block) {
    await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
    return work();
  }
  await sql`SET lock_timeout = '5s'`.execute(db);
  try {
    await work();
  } finally {
    await sql`RESET lock_timeout`.execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const block = await inTransaction(db);
  await withLockTimeout(db, block, async () => {
    for (const index of INDEXES) {
      // A concurrent build that failed (lock timeout, a crash) leaves an INVALID index behind, which
      // IF NOT EXISTS would keep: drop it first, so a retry builds a usable one.
      const { rows } = await sql<{ valid: boolean }>`
        SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname = ${index.name} AND c.relnamespace = current_schema()::regnamespace`.execute(db);
      if (rows[0] && !rows[0].valid)
        await (block ? sql`DROP INDEX IF EXISTS ${sql.id(index.name)}` : sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(index.name)}`).execute(db);
      await (block ? index.blocking : index.concurrently).execute(db);
    }
  });
}

// Only the two indexes go: the retention job still works without them (each batch then scans).
export async function down(db: Kysely<unknown>): Promise<void> {
  const block = await inTransaction(db);
  await withLockTimeout(db, block, async () => {
    for (const index of INDEXES)
      await (block ? sql`DROP INDEX IF EXISTS ${sql.id(index.name)}` : sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(index.name)}`).execute(db);
  });
}
