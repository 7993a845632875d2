import { sql, type Kysely, type RawBuilder } from 'kysely';

/*
 * Statements for migrations declared `transactional = false`. Such a migration may be stopped at
 * its lock_timeout and run again by the runner, or fail half way: each helper can be run again.
 */

/**
 * `CREATE INDEX CONCURRENTLY IF NOT EXISTS name <definition>` (writes go on while it builds). A
 * concurrent build that failed leaves its index INVALID, which `IF NOT EXISTS` would keep: such a
 * leftover is dropped (concurrently) first.
 */
export async function createIndexConcurrently(
  db: Kysely<any>,
  name: string,
  definition: RawBuilder<unknown>,
  options: { unique?: boolean } = {},
): Promise<void> {
  const leftover = await sql`SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                             WHERE c.relname = ${name} AND c.relnamespace = current_schema()::regnamespace AND NOT i.indisvalid`.execute(db);
  if (leftover.rows.length) await dropIndexConcurrently(db, name);
  await sql`CREATE ${sql.raw(options.unique ? 'UNIQUE ' : '')}INDEX CONCURRENTLY IF NOT EXISTS ${sql.id(name)} ${definition}`.execute(db);
}

/** `DROP INDEX CONCURRENTLY IF EXISTS name`: waits for no reader or writer of the table. */
export async function dropIndexConcurrently(db: Kysely<any>, name: string): Promise<void> {
  await sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(name)}`.execute(db);
}
