import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationResultSet } from 'kysely/migration';
import { CONTRACT_MIGRATIONS, migrations } from './migrations/index';

/**
 * Unordered: an expand migration written after a contract migration may run while the contract
 * step is still pending (see migrateToLatest); each migration is undone in the reverse order it ran.
 */
export function createMigrator(db: Kysely<any>, only: Record<string, Migration> = migrations): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => only }, allowUnorderedMigrations: true });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);
}

/**
 * Applies every pending migration but the pending contract migrations (which need the release
 * step), or all of them with `contract`. Expand migrations written after a pending contract
 * migration still run: they never depend on what a contract step drops, and a new release must
 * not wait for an operator's step to get its own columns.
 */
export async function migrateToLatest(db: Kysely<any>, options: { contract?: boolean } = {}): Promise<string[]> {
  if (options.contract) return unwrap(await createMigrator(db).migrateToLatest());
  const all = await createMigrator(db).getMigrations();
  const held = new Set(all.filter((m) => m.executedAt === undefined && CONTRACT_MIGRATIONS.has(m.name)).map((m) => m.name));
  return unwrap(await createMigrator(db, Object.fromEntries(Object.entries(migrations).filter(([name]) => !held.has(name)))).migrateToLatest());
}
export const migrateDown = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateDown());
export const migrateToZero = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS));

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null; contract: boolean }[]> {
  const all = await createMigrator(db).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null, contract: CONTRACT_MIGRATIONS.has(m.name) }));
}

/** Migrations the ordinary `migrate` would apply (readiness waits for them); a pending contract migration is not one of them. */
export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null && !m.contract).length;
}
