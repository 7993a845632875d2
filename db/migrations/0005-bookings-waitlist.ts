import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE bookings (
      id UUID PRIMARY KEY,
      event_id UUID NOT NULL REFERENCES events(id),
      user_id UUID NOT NULL,
      status VARCHAR(20) NOT NULL,
      amount BIGINT,
      currency CHAR(3),
      payment_status VARCHAR(20) NOT NULL,
      payment_id UUID UNIQUE,
      expires_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL
    )`.execute(db);
  // One active booking per user and event, enforced even against concurrent requests.
  await sql`CREATE UNIQUE INDEX uq_bookings_active ON bookings(event_id, user_id) WHERE status IN ('PENDING', 'CONFIRMED')`.execute(db);
  await sql`CREATE INDEX idx_bookings_user ON bookings(user_id, created_at DESC)`.execute(db);
  await sql`CREATE INDEX idx_bookings_event ON bookings(event_id, created_at DESC)`.execute(db);
  await sql`CREATE INDEX idx_bookings_expiry ON bookings(expires_at) WHERE status = 'PENDING'`.execute(db);
  await sql`CREATE INDEX idx_bookings_refunds ON bookings(created_at) WHERE payment_status = 'REFUND_PENDING'`.execute(db);
  await sql`
    CREATE TABLE waitlist (
      id UUID PRIMARY KEY,
      seq BIGSERIAL NOT NULL,
      event_id UUID NOT NULL REFERENCES events(id),
      user_id UUID NOT NULL,
      status VARCHAR(20) NOT NULL,
      offer_expires_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX uq_waitlist_open ON waitlist(event_id, user_id) WHERE status IN ('WAITING', 'OFFERED')`.execute(db);
  await sql`CREATE INDEX idx_waitlist_line ON waitlist(event_id, seq) WHERE status = 'WAITING'`.execute(db);
  await sql`CREATE INDEX idx_waitlist_offers ON waitlist(offer_expires_at) WHERE status = 'OFFERED'`.execute(db);
  await sql`
    CREATE TABLE idempotency_keys (
      scope VARCHAR(200) NOT NULL,
      key VARCHAR(200) NOT NULL,
      request_hash VARCHAR(64) NOT NULL,
      status VARCHAR(20) NOT NULL,
      response_status INT,
      response_body JSONB,
      created_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (scope, key)
    )`.execute(db);
  await sql`
    CREATE TABLE processed_messages (
      consumer VARCHAR(100) NOT NULL,
      message_id VARCHAR(100) NOT NULL,
      processed_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (consumer, message_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE processed_messages`.execute(db);
  await sql`DROP TABLE idempotency_keys`.execute(db);
  await sql`DROP TABLE waitlist`.execute(db);
  await sql`DROP TABLE bookings`.execute(db);
}
