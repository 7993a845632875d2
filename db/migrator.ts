import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationResultSet } from 'kysely/migration';
import { CONTRACT_MIGRATIONS, migrations } from './migrations/index';

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

/**
 * Applies every pending migration except pending contract migrations (they need the release
 * step), or all of them with `contract`. An expand migration never waits for a contract step:
 * it must not depend on one (one that does is a contract migration itself).
 */
export async function migrateToLatest(db: Kysely<any>, options: { contract?: boolean } = {}): Promise<string[]> {
  const migrator = createMigrator(db);
  if (options.contract) return unwrap(await migrator.migrateToLatest());
  const deferred = new Set((await migrator.getMigrations()).filter((m) => m.executedAt === undefined && CONTRACT_MIGRATIONS.has(m.name)).map((m) => m.name));
  if (deferred.size === 0) return unwrap(await migrator.migrateToLatest());
  const expand = Object.fromEntries(Object.entries(migrations).filter(([name]) => !deferred.has(name)));
  return unwrap(await migratorOf(db, expand).migrateToLatest());
}
export const migrateDown = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateDown());
export const migrateToZero = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS));

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null; contract: boolean }[]> {
  const all = await createMigrator(db).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null, contract: CONTRACT_MIGRATIONS.has(m.name) }));
}

/** Migrations the ordinary `migrate` would apply (readiness waits for them): pending contract migrations are not among them. */
export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null && !m.contract).length;
}
