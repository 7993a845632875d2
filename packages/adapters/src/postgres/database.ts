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
  /** Connections lost since start (reset, server gone, backend terminated); each is dropped from the pool. */
  errors: number;
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
  /** Shown in pg_stat_activity (default backend-event). */
  applicationName?: string;
  /** Told about every connection lost (to log it); the pool has already dropped or will drop it. */
  onConnectionError?: (error: Error) => void;
}

export function connectPostgres(options: PostgresOptions): DatabaseHandle {
  const max = options.poolMax ?? 10;
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'backend-event',
    // A server that vanished without closing its connections (a node lost, a partition) is found
    // out by TCP keepalive probes after 10 s of silence instead of never.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  let acquired = 0;
  let errors = 0;
  const lost = (error: Error) => {
    errors++;
    options.onConnectionError?.(error);
  };
  // A connection that loses its server (reset, failover, pg_terminate_backend) emits 'error' on its
  // Client. pg-pool listens only while the client is idle in the pool (its idle listener, reported
  // here as the pool's 'error'); while kysely holds it (a statement or a transaction in flight) the
  // client has no listener of pg-pool's, and an unhandled 'error' event would exit the process. So
  // every client gets its own listener for its whole life. The failed statement rejects on its own
  // (the guard turns that into 503 read-only), pg marks the client not queryable, and pg-pool
  // destroys it on release instead of reusing it.
  pool.on('connect', (client) => client.on('error', lost));
  pool.on('error', () => undefined); // the same error, already counted by the client's listener
  pool.on('acquire', () => acquired++);
  // Query spans come from @opentelemetry/instrumentation-pg when tracing is on (app/observability).
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    poolStats: () => ({ active: pool.totalCount - pool.idleCount, idle: pool.idleCount, pending: pool.waitingCount, max, acquired, errors }),
    close: () => db.destroy(),
  };
}
