import { mkdirSync } from 'node:fs';
import { Kysely, PGliteDialect, sql } from 'kysely';
import type { Database } from '@aquastream/db';
import type { DatabaseHandle } from '../postgres/database';
import { traceQuery } from '../tracing/spans';

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in-process, on a local folder (or in
 * memory when `dataDir` is omitted). Same SQL, same repositories as the real server.
 * PGlite has one connection; kysely serializes queries on it.
 */
export async function openPglite(dataDir?: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir ?? 'memory://', {
    parsers: { 20: (v: string) => Number(v) },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }), log: traceQuery });
  return {
    db,
    kind: 'pglite',
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    poolStats: () => ({ active: 0, idle: 1, pending: 0, max: 1, acquired: 0, errors: 0 }),
    close: () => db.destroy(),
  };
}
