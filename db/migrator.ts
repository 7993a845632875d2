import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationResultSet } from 'kysely/migration';
import { CONTRACT_MIGRATIONS, migrations, NON_TRANSACTIONAL_MIGRATIONS } from './migrations/index';

/**
 * Migrations run in name order; an expand migration added after a contract one that is still
 * pending runs before it (out of name order, which the migrator allows), and the contract one
 * later, at its release step. Rollbacks undo them in the order they ran, newest first.
 */
function migratorOf(db: Kysely<any>, provided: Record<string, Migration>): Migrator {
  return new Migrator({ db, allowUnorderedMigrations: true, provider: { getMigrations: async () => provided } });
}

export function createMigrator(db: Kysely<any>): Migrator {
  return migratorOf(db, migrations);
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);
}

const only = (keep: (name: string) => boolean) => Object.fromEntries(Object.entries(migrations).filter(([name]) => keep(name)));

/**
 * Applies every pending migration except pending contract migrations (they need the release
 * step), or all of them with `contract`. An expand migration never waits for a contract step:
 * it must not depend on one (one that does is a contract migration itself). The pending ones run
 * in one transaction; then each non-transactional one (CREATE INDEX CONCURRENTLY) alone, outside
 * any transaction, so nothing may depend on one applied in the same run.
 */
export async function migrateToLatest(db: Kysely<any>, options: { contract?: boolean } = {}): Promise<string[]> {
  const pending = (await createMigrator(db).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
  const deferred = new Set(options.contract ? [] : pending.filter((name) => CONTRACT_MIGRATIONS.has(name)));
  const alone = pending.filter((name) => NON_TRANSACTIONAL_MIGRATIONS.has(name) && !deferred.has(name));
  const together = (name: string) => !deferred.has(name) && !alone.includes(name);
  const results = unwrap(await migratorOf(db, only(together)).migrateToLatest());
  for (let i = 0; i < alone.length; i++) {
    const upTo = new Set(alone.slice(0, i + 1));
    results.push(
      ...unwrap(
        await migratorOf(
          db,
          only((n) => together(n) || upTo.has(n)),
        ).migrateToLatest({ disableTransactions: true }),
      ),
    );
  }
  return results;
}

/** Undoes the latest migration applied (outside a transaction when it is a non-transactional one). */
export async function migrateDown(db: Kysely<any>): Promise<string[]> {
  const migrator = createMigrator(db);
  const applied = (await migrator.getMigrations())
    .filter((m) => m.executedAt !== undefined)
    .sort((a, b) => a.executedAt!.getTime() - b.executedAt!.getTime() || a.name.localeCompare(b.name));
  const latest = applied.at(-1)?.name;
  return unwrap(await migrator.migrateDown({ disableTransactions: latest !== undefined && NON_TRANSACTIONAL_MIGRATIONS.has(latest) }));
}
export const migrateToZero = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS));

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null; contract: boolean }[]> {
  const all = await createMigrator(db).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null, contract: CONTRACT_MIGRATIONS.has(m.name) }));
}

/** Migrations the ordinary `migrate` would apply (readiness waits for them): pending contract migrations are not among them. */
export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null && !m.contract).length;
}
