import { sql, type Kysely } from 'kysely';

// The W3C trace context of the request that wrote the row, so a message relayed later still
// belongs to that request's trace (HTTP -> database -> Kafka -> consumer).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE outbox ADD COLUMN trace_context JSONB`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE outbox DROP COLUMN trace_context`.execute(db);
}
