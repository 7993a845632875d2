import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type MigrationResultSet } from 'kysely/migration';
import { migrations } from './migrations/index';

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);
}

export const migrateToLatest = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateToLatest());
export const migrateDown = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateDown());
export const migrateToZero = async (db: Kysely<any>) => unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS));

export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | null }[]> {
  const all = await createMigrator(db).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}

export async function pendingMigrations(db: Kysely<any>): Promise<number> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null).length;
}
