import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '@aquastream/db';

export interface PoolStats {
  active: number;
  idle: number;
  pending: number;
  max: number;
  /** Connections handed out since start: one per statement outside a transaction, one per transaction. */
  acquired: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  ping(): Promise<void>;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

// int8 (counts, money in minor units) as numbers: our values stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function connectPostgres(options: PostgresOptions): DatabaseHandle {
  const max = options.poolMax ?? 10;
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    application_name: 'backend-event',
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  let acquired = 0;
  pool.on('acquire', () => acquired++);
  // Query spans come from @opentelemetry/instrumentation-pg when tracing is on (app/observability).
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    poolStats: () => ({ active: pool.totalCount - pool.idleCount, idle: pool.idleCount, pending: pool.waitingCount, max, acquired }),
    close: () => db.destroy(),
  };
}
