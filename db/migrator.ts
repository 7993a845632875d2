import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type MigrationResultSet } from 'kysely/migration';
import { CONTRACT_MIGRATIONS, migrations } from './migrations/index';

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);
}

/**
 * Applies pending migrations up to the first pending contract migration (which needs the release
 * step), or all of them with `contract`.
 */
export async function migrateToLatest(db: Kysely<any>, options: { contract?: boolean } = {}): Promise<string[]> {
  const migrator = createMigrator(db);
  if (options.contract) return unwrap(await migrator.migrateToLatest());
  const all = await migrator.getMigrations();
  const gate = all.findIndex((m) => m.executedAt === undefined && CONTRACT_MIGRATIONS.has(m.name));
  if (gate === -1) return unwrap(await migrator.migrateToLatest());
  if (all.slice(0, gate).every((m) => m.executedAt !== undefined)) return [];
  return unwrap(await migrator.migrateTo(all[gate - 1]!.name));
}
export const migrateDown = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateDown());
export const migrateToZero = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS));

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null; contract: boolean }[]> {
  const all = await createMigrator(db).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null, contract: CONTRACT_MIGRATIONS.has(m.name) }));
}

/**
 * Migrations the ordinary `migrate` would apply (readiness waits for them). A pending contract
 * migration is not one of them; a migration after it is, so the contract step cannot be skipped.
 */
export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null && !m.contract).length;
}
