import { sql, type Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationInfo, type MigrationResultSet } from 'kysely/migration';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { CONTRACT_MIGRATIONS, migrations } from './migrations/index';

/**
 * A migration module: kysely's `up`/`down`, and `transactional = false` for one that cannot run in
 * a transaction (`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`). Such a migration holds
 * only that statement, written to be run again (`IF NOT EXISTS`, createIndexConcurrently).
 */
export type MigrationModule = Migration & { transactional?: boolean };

/** How the runner treats a migration's locks; defaults: 2 s lock_timeout, 5 retries. */
export interface MigrationOptions {
  /** Also the contract migrations (the release step `migrate --contract`). */
  contract?: boolean;
  /** lock_timeout of every statement of a migration: past it the migration gives up its place in the lock queue. */
  lockTimeoutMs?: number;
  /** Tries after the first when a migration could not take a lock (55P03), with exponential backoff. */
  lockRetries?: number;
  /** First pause between tries (doubling, jittered, at most 30 s). */
  retryDelayMs?: number;
  /** Told of each migration that could not take its lock and will be tried again. */
  onLockRetry?: (info: { migration: string; attempt: number; blockers: Blocker[] }) => void;
  /** Migrations to run instead of the project's (tests). */
  migrations?: Record<string, MigrationModule>;
  /** Told when a migration's own statements start and end (the SQL dump for Squawk). */
  observe?: { start(name: string, direction: 'Up' | 'Down', transactional: boolean): void; end(name: string): void };
}

export const DEFAULT_LOCK_TIMEOUT_MS = 2_000;
export const DEFAULT_LOCK_RETRIES = 5;

/** A session that held a lock the migration waited for, as pg_stat_activity showed it. */
export interface Blocker {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  since: string | null;
  query: string | null;
}

/** A migration that could not take its lock after every try; it changed nothing. */
export class MigrationLockError extends Error {
  readonly code = 'MIGRATION.LOCK_NOT_AVAILABLE';
  constructor(
    readonly migration: string,
    readonly tries: number,
    readonly lockTimeoutMs: number,
    readonly blockers: Blocker[],
    readonly transactional: boolean,
  ) {
    const held = blockers.length
      ? blockers
          .map((b) => `pid ${b.pid} (user ${b.user}, application "${b.application ?? ''}", ${b.state}${b.since ? ` since ${b.since}` : ''}): ${b.query}`)
          .join('; ')
      : 'no blocking session was seen (it ended just before the timeout)';
    super(
      `migration ${migration} could not take its lock within ${lockTimeoutMs} ms in ${tries} tries; blocked by ${held}. ` +
        (transactional
          ? 'Its transaction was rolled back: nothing of it was applied.'
          : 'It runs outside a transaction and was stopped at its statement; running it again finishes it.'),
    );
    this.name = 'MigrationLockError';
  }
}

const isLockNotAvailable = (error: unknown) => (error as { code?: unknown } | null)?.code === '55P03';

/** Statements of the runner itself start with this comment (the SQL dump leaves them out). */
export const RUNNER_SQL = '/* migrator */';

/**
 * Wraps a migration so that every statement it runs waits at most `lockTimeoutMs` for a lock
 * (SET LOCAL inside its transaction; SET and RESET around one that has none), and records its
 * backend's pid so that a watcher can tell who blocks it.
 */
function guarded(name: string, m: MigrationModule, lockTimeoutMs: number, session: { pid?: number }, observe?: MigrationOptions['observe']): MigrationModule {
  const transactional = m.transactional !== false;
  const wrap =
    (step: (db: Kysely<any>) => Promise<void>, direction: 'Up' | 'Down') =>
    async (db: Kysely<any>): Promise<void> => {
      session.pid = (await sql<{ pid: number }>`${sql.raw(RUNNER_SQL)} SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]?.pid;
      observe?.start(name, direction, transactional);
      const timeout = sql.lit(`${lockTimeoutMs}ms`);
      try {
        await sql`SET ${sql.raw(transactional ? 'LOCAL ' : '')}lock_timeout = ${timeout}`.execute(db);
        await step(db);
      } finally {
        observe?.end(name);
        if (!transactional) await sql`${sql.raw(RUNNER_SQL)} RESET lock_timeout`.execute(db);
      }
    };
  return { up: wrap(m.up, 'Up'), down: m.down ? wrap(m.down, 'Down') : undefined, transactional };
}

/**
 * Who blocks the migration's backend while it waits, polled from another pooled connection (a
 * pool of one only answers after the migration: it then sees no blocker). The last sighting is
 * what the failure names.
 */
function watchBlockers(db: Kysely<any>, session: { pid?: number }, everyMs: number) {
  let seen: Blocker[] = [];
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();
  // PGlite has one session: nothing can block it, and a poll would run inside the migration.
  if ((db.getExecutor().adapter as { supportsMultipleConnections?: boolean }).supportsMultipleConnections === false) return { stop: async () => seen };
  const poll = async () => {
    if (stopped || session.pid === undefined) return;
    const { rows } = await sql<Blocker>`${sql.raw(RUNNER_SQL)}
      SELECT pid, usename AS "user", application_name AS application, state,
             to_char(coalesce(xact_start, query_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since, left(query, 500) AS query
      FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(${session.pid})) ORDER BY pid`.execute(db);
    if (rows.length) seen = rows;
  };
  const timer = setInterval(() => {
    polling = polling.then(poll).catch(() => undefined);
  }, everyMs);
  return {
    async stop(): Promise<Blocker[]> {
      clearInterval(timer);
      stopped = true;
      await polling;
      return seen;
    },
  };
}

interface Step {
  name: string;
  transactional: boolean;
}

/**
 * The runner: one migration per transaction (kysely's Migrator would run them all in one), each
 * with a short lock_timeout; a migration that could not take its lock is rolled back and tried
 * again with backoff, and after the last try fails with MigrationLockError naming the migration
 * and the blocking query. Migrations declared `transactional = false` run without a transaction.
 */
async function runSteps(
  db: Kysely<any>,
  provided: Record<string, MigrationModule>,
  direction: 'Up' | 'Down',
  next: (all: readonly MigrationInfo[]) => string | undefined,
  options: MigrationOptions,
  maxSteps = Infinity,
): Promise<string[]> {
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const lockRetries = options.lockRetries ?? DEFAULT_LOCK_RETRIES;
  const session: { pid?: number } = {};
  const wrapped = Object.fromEntries(Object.entries(provided).map(([name, m]) => [name, guarded(name, m, lockTimeoutMs, session, options.observe)]));
  const migrator = migratorOf(db, wrapped);
  const policy = retry(handleWhen(isLockNotAvailable), {
    maxAttempts: lockRetries,
    backoff: new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 500, maxDelay: 30_000 }),
  });
  const lines: string[] = [];
  for (let done = 0; done < maxSteps; done++) {
    const name = next(await migrator.getMigrations());
    if (name === undefined) break;
    const step: Step = { name, transactional: wrapped[name]!.transactional !== false };
    let attempt = 0;
    let blockers: Blocker[] = [];
    try {
      const result = await policy.execute(async () => {
        attempt++;
        session.pid = undefined;
        // Polls start once the migration has run a while: most never wait for a lock at all.
        const watcher = watchBlockers(db, session, Math.max(50, Math.min(500, lockTimeoutMs / 4)));
        try {
          const outcome = await (direction === 'Up' ? migrator.migrateUp : migrator.migrateDown).call(migrator, {
            disableTransactions: !step.transactional,
          });
          if (outcome.error) throw outcome.error;
          return outcome;
        } catch (error) {
          blockers = await watcher.stop();
          if (isLockNotAvailable(error) && attempt <= lockRetries) options.onLockRetry?.({ migration: step.name, attempt, blockers });
          throw error;
        } finally {
          await watcher.stop();
        }
      });
      lines.push(...resultLines(result));
    } catch (error) {
      if (isLockNotAvailable(error)) throw new MigrationLockError(step.name, attempt, lockTimeoutMs, blockers, step.transactional);
      throw error instanceof Error ? error : new Error(String(error));
    }
  }
  return lines;
}

const resultLines = (result: MigrationResultSet) => (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);

/**
 * Migrations run in name order; an expand migration added after a contract one that is still
 * pending runs before it (out of name order, which the migrator allows), and the contract one
 * later, at its release step. Rollbacks undo them in the order they ran, newest first.
 */
function migratorOf(db: Kysely<any>, provided: Record<string, Migration>): Migrator {
  return new Migrator({ db, allowUnorderedMigrations: true, provider: { getMigrations: async () => provided } });
}

/**
 * kysely's Migrator over the project's migrations as they are, for tests stepping to a given
 * migration: no lock_timeout, and no transaction around a call, since a step may cross a
 * `transactional = false` migration (CREATE INDEX CONCURRENTLY refuses to run inside one).
 */
export function createMigrator(db: Kysely<any>): Migrator {
  const migrator = migratorOf(db, migrations);
  const outside = { disableTransactions: true } as const;
  return Object.assign(migrator, {
    migrateToLatest: () => Migrator.prototype.migrateToLatest.call(migrator, outside),
    migrateTo: (target: Parameters<Migrator['migrateTo']>[0]) => Migrator.prototype.migrateTo.call(migrator, target, outside),
    migrateUp: () => Migrator.prototype.migrateUp.call(migrator, outside),
    migrateDown: () => Migrator.prototype.migrateDown.call(migrator, outside),
  });
}

const firstPending = (all: readonly MigrationInfo[]) => all.find((m) => m.executedAt === undefined)?.name;
/** The migration kysely undoes next: the last one applied (by time, then name). */
const lastApplied = (all: readonly MigrationInfo[]) =>
  all
    .filter((m) => m.executedAt !== undefined)
    .sort((a, b) => a.executedAt!.getTime() - b.executedAt!.getTime() || a.name.localeCompare(b.name))
    .at(-1)?.name;

/** Names in the migration table, in the order they ran (none before the first migration). */
async function appliedNames(db: Kysely<any>): Promise<string[]> {
  const exists = await sql<{ table: string | null }>`${sql.raw(RUNNER_SQL)} SELECT to_regclass('kysely_migration')::text AS "table"`.execute(db);
  if (!exists.rows[0]?.table) return [];
  return (await sql<{ name: string }>`${sql.raw(RUNNER_SQL)} SELECT name FROM kysely_migration ORDER BY timestamp, name`.execute(db)).rows.map((r) => r.name);
}

/**
 * The migrations this code knows, plus a stand-in for each one a newer release applied (kysely
 * refuses a history with names it does not know): so that after a rollback this release starts,
 * migrates and reports status on the newer schema, which the rule guarantees it can use. Undoing a
 * stand-in refuses: only the release that wrote the migration knows its down.
 */
async function withNewer(db: Kysely<any>, known: Record<string, MigrationModule>): Promise<Record<string, MigrationModule>> {
  const newer = (await appliedNames(db)).filter((name) => !(name in known));
  const refuse = (name: string) => async () => {
    throw new Error(`migration ${name} was applied by a newer release: undo it with that release's CLI (rollback) first`);
  };
  return { ...known, ...Object.fromEntries(newer.map((name) => [name, { up: refuse(name), down: refuse(name) }])) };
}

/**
 * Applies every pending migration except pending contract migrations (they need the release
 * step), or all of them with `contract`. An expand migration never waits for a contract step:
 * it must not depend on one (one that does is a contract migration itself).
 */
export async function migrateToLatest(db: Kysely<any>, options: MigrationOptions = {}): Promise<string[]> {
  const all = await withNewer(db, options.migrations ?? migrations);
  const names = new Set(Object.keys(all).filter((name) => options.contract || !CONTRACT_MIGRATIONS.has(name)));
  const applied = new Set((await migratorOf(db, all).getMigrations()).filter((m) => m.executedAt).map((m) => m.name));
  // Contract migrations already applied stay known (kysely refuses a history with missing names).
  const provided = Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name) || applied.has(name)));
  return runSteps(db, provided, 'Up', firstPending, options);
}
/** Undoes the latest migration (one step). */
export const migrateDown = async (db: Kysely<any>, options: MigrationOptions = {}) =>
  runSteps(db, await withNewer(db, options.migrations ?? migrations), 'Down', lastApplied, options, 1);
/** Undoes every migration, newest first. */
export const migrateToZero = async (db: Kysely<any>, options: MigrationOptions = {}) =>
  runSteps(db, await withNewer(db, options.migrations ?? migrations), 'Down', lastApplied, options);

export { NO_MIGRATIONS };

/** Every migration this code knows and every one a newer release applied, with when it ran. */
export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null; contract: boolean }[]> {
  const all = await migratorOf(db, await withNewer(db, migrations)).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null, contract: CONTRACT_MIGRATIONS.has(m.name) }));
}

/** Migrations the ordinary `migrate` would apply (readiness waits for them): pending contract migrations are not among them. */
export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null && !m.contract).length;
}
