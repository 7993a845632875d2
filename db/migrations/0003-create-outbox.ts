import { sql, type Kysely } from 'kysely';

// Domain events are written here in the same transaction as the change; a relay ships them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE outbox (
      seq BIGSERIAL PRIMARY KEY,
      id UUID NOT NULL UNIQUE,
      aggregate_type VARCHAR(50) NOT NULL,
      aggregate_id VARCHAR(100) NOT NULL,
      type VARCHAR(100) NOT NULL,
      payload JSONB NOT NULL,
      occurred_at TIMESTAMPTZ NOT NULL,
      published_at TIMESTAMPTZ,
      attempts INT NOT NULL DEFAULT 0,
      last_error TEXT
    )`.execute(db);
  // The relay only ever scans unpublished rows in order.
  await sql`CREATE INDEX idx_outbox_unpublished ON outbox(seq) WHERE published_at IS NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE outbox`.execute(db);
}
