import { sql, type Kysely } from 'kysely';

// Idempotency keys expire (IDEMPOTENCY_TTL); the cleanup job finds the old ones by age.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX idx_idempotency_keys_created_at ON idempotency_keys(created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX idx_idempotency_keys_created_at`.execute(db);
}
