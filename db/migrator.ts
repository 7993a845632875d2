import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type MigrationResultSet } from 'kysely/migration';
import { CONTRACT_MIGRATIONS, migrations } from './migrations/index';

/**
 * Migrations run in name order, except that a contract migration may run after migrations numbered
 * above it (see migrateToLatest), hence unordered migrations are allowed; going down undoes them
 * in the order they ran. `skip` leaves the named (pending) migrations out of this run.
 */
export function createMigrator(db: Kysely<any>, options: { skip?: ReadonlySet<string> } = {}): Migrator {
  const { skip } = options;
  const provided = skip?.size ? Object.fromEntries(Object.entries(migrations).filter(([name]) => !skip.has(name))) : migrations;
  return new Migrator({ db, allowUnorderedMigrations: true, provider: { getMigrations: async () => provided } });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);
}

/**
 * Applies every pending migration except pending contract migrations (which need the release
 * step), or all of them with `contract`. Migrations numbered after a pending contract migration
 * still apply: they only add (expand) and must not depend on what a contract migration drops, so
 * a release does not wait on the previous release's contract step (and a fresh database, in
 * tests or the embedded mode, gets every expansion).
 */
export async function migrateToLatest(db: Kysely<any>, options: { contract?: boolean } = {}): Promise<string[]> {
  const migrator = createMigrator(db);
  if (options.contract) return unwrap(await migrator.migrateToLatest());
  const deferred = (await migrator.getMigrations()).filter((m) => m.executedAt === undefined && CONTRACT_MIGRATIONS.has(m.name)).map((m) => m.name);
  return unwrap(await createMigrator(db, { skip: new Set(deferred) }).migrateToLatest());
}
export const migrateDown = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateDown());
export const migrateToZero = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS));

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null; contract: boolean }[]> {
  const all = await createMigrator(db).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null, contract: CONTRACT_MIGRATIONS.has(m.name) }));
}

/**
 * Migrations the ordinary `migrate` would apply (readiness waits for them). A pending contract
 * migration is not one of them.
 */
export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null && !m.contract).length;
}
