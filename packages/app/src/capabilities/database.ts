import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  connectPostgres,
  createAdmission,
  openPglite,
  type Admission,
  type DatabaseHandle,
  type DependencyPolicy,
  type ReadRouting,
} from '@aquastream/adapters';
import { migrateToLatest, pendingMigrations, type MigrationOptions } from '@aquastream/db';
import { databaseUrl, type Config } from '../config';
import type { StatusSources } from '../metrics';
import { timed, type HealthChecks } from './health';

export interface Database {
  database: DatabaseHandle;
  /** The read replica at DATABASE_READ_URL, with a pool of its own (DB_POOL_MAX connections). */
  replica?: DatabaseHandle;
  /** PostgreSQL at DATABASE_URL (real), or PGlite in DATA_DIR (embedded, a single process). */
  mode: 'embedded' | 'real';
}

/** The runner's lock settings (MIGRATION_LOCK_*), and a warning for each migration that must try again. */
export function migrationOptions(config: Config, warn?: (fields: object, message: string) => void): MigrationOptions {
  return {
    lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT,
    lockRetries: config.MIGRATION_LOCK_RETRIES,
    onLockRetry: ({ migration, attempt, blockers }) =>
      warn?.({ migration, attempt, blockers }, `migration ${migration} could not take its lock (try ${attempt}); trying again`),
  };
}

/** Opens PostgreSQL (or PGlite without a URL) and applies pending migrations when RUN_MIGRATIONS. */
export async function openDatabase(config: Config, logger?: Logger): Promise<Database> {
  const url = databaseUrl(config);
  const connect = (server: 'primary' | 'replica', serverUrl: string) =>
    connectPostgres({
      url: serverUrl,
      poolMax: config.DB_POOL_MAX,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT,
      applicationName: server === 'primary' ? 'backend-event' : 'backend-event-read',
      onConnectionError: (error) => logger?.warn({ err: error, server }, 'database connection lost; the pool drops it'),
    });
  const database = url ? connect('primary', url) : await openPglite(join(config.DATA_DIR, 'pglite'));
  const replicaUrl = databaseUrl(config, 'replica');
  const replica = replicaUrl ? connect('replica', replicaUrl) : undefined;
  try {
    if (config.RUN_MIGRATIONS) {
      const applied = await migrateToLatest(
        database.db,
        migrationOptions(config, (fields, message) => logger?.warn(fields, message)),
      );
      if (applied.length) logger?.info({ migrations: applied }, 'database migrated');
    }
  } catch (error) {
    await database.close();
    await replica?.close();
    throw error;
  }
  return { database, replica, mode: url ? 'real' : 'embedded' };
}

type Admitted = { lane: Admission; connections: Admission };

export interface DatabaseAccess {
  /** Options of guardMethods for repositories read outside a transaction. */
  reads: { admission: Admitted };
  /** The same for the read replica's repositories (its own lane; its pool is its own). */
  replicaReads: { admission: { lane: Admission } };
  /** Admission of the unit of work (createPgUnitOfWork's guard) and of other writes. */
  writes: Admitted;
  /** Database work admitted per replica, by lane: past a full queue or a long wait, 503 overloaded. */
  admission: { read: Admission; write: Admission };
  /** True while the postgres breaker is not closed: writes are refused, reads come from the cache. */
  readOnly(): boolean;
  /** The lanes' and the pool's admission counts, for the metrics. */
  admissionStats: StatusSources['admission'];
  health: HealthChecks;
}

/**
 * How database work is let in. It waits here, outside the postgres breaker, never inside it for a
 * pooled connection: the lanes together run at most as many calls as the pool has connections.
 * Writes may hold all of them but two, so reads (cache misses) never queue behind a booking rush.
 */
export function createDatabaseAccess(config: Config, database: DatabaseHandle, postgres: DependencyPolicy): DatabaseAccess {
  const admissionConfig = { queue: config.DB_ADMISSION_QUEUE, maxWaitMs: config.DB_ADMISSION_TIMEOUT };
  const connections = createAdmission('pool', {
    concurrency: config.DB_POOL_MAX,
    queue: 2 * config.DB_ADMISSION_QUEUE + config.DB_POOL_MAX,
    maxWaitMs: config.DB_ADMISSION_TIMEOUT,
  });
  const admission = {
    read: createAdmission('read', { ...admissionConfig, concurrency: config.DB_POOL_MAX }),
    write: createAdmission('write', { ...admissionConfig, concurrency: Math.max(1, config.DB_POOL_MAX - 2) }),
  };
  const replicaLane = createAdmission('replica', { ...admissionConfig, concurrency: config.DB_POOL_MAX });
  const readOnly = () => postgres.state() !== 'closed';
  return {
    reads: { admission: { lane: admission.read, connections } },
    replicaReads: { admission: { lane: replicaLane } },
    writes: { lane: admission.write, connections },
    admission,
    readOnly,
    admissionStats: () => [admission.read.stats(), admission.write.stats(), connections.stats(), ...(config.DATABASE_READ_URL ? [replicaLane.stats()] : [])],
    health: {
      db: {
        // In read-only mode the service still serves reads from the cache: it stays ready.
        get critical() {
          return postgres.state() === 'closed';
        },
        check: () =>
          timed(async () => {
            // Through the breaker: probes are the trial calls that close it again after an outage,
            // even when every read is served from the cache.
            await postgres.execute(() => database.ping());
            const pending = await pendingMigrations(database.db);
            if (pending > 0) throw new Error(`${pending} migration(s) pending`);
            return {
              database: database.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL',
              pool: database.poolStats(),
              admission: { read: admission.read.stats(), write: admission.write.stats(), connections: connections.stats() },
            };
          }),
      },
    },
  };
}

/** The read replica in /actuator/health: never critical (reads fall back to the primary), DOWN while its breaker is open, DEGRADED while it lags past DATABASE_READ_MAX_LAG. */
export function replicaHealth(config: Config, routing: ReadRouting, policy: DependencyPolicy, replica: DatabaseHandle): HealthChecks {
  return {
    dbReplica: {
      critical: false,
      check: async () => {
        const lagSeconds = routing.lagSeconds();
        const details = {
          state: policy.state(),
          lagSeconds: lagSeconds ?? null,
          maxLagSeconds: config.DATABASE_READ_MAX_LAG / 1000,
          pool: replica.poolStats(),
          reads: routing.reads(),
        };
        if (policy.state() === 'open' || lagSeconds === undefined) return { status: 'DOWN', details };
        return { status: lagSeconds * 1000 > config.DATABASE_READ_MAX_LAG ? 'DEGRADED' : 'UP', details };
      },
    },
  };
}
