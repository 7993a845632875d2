import { sql, type Kysely } from 'kysely';

// The durable intent of every charge, written with the booking's PROCESSING mark, so a crash at any
// point leaves a row the reconciler settles (see PaymentAttempt in the domain).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payment_attempts (
      payment_id UUID PRIMARY KEY,
      booking_id UUID NOT NULL REFERENCES bookings(id),
      amount BIGINT NOT NULL,
      currency CHAR(3) NOT NULL,
      status VARCHAR(20) NOT NULL,
      failures INT NOT NULL DEFAULT 0,
      next_attempt_at TIMESTAMPTZ NOT NULL,
      give_up_at TIMESTAMPTZ NOT NULL,
      last_error TEXT,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX idx_payment_attempts_due ON payment_attempts(next_attempt_at) WHERE status = 'PENDING'`.execute(db);
  await sql`CREATE INDEX idx_payment_attempts_booking ON payment_attempts(booking_id)`.execute(db);
  // Payments an earlier version left PROCESSING (a crash before the outcome) get an intent due at
  // once, so the reconciler settles them instead of holding their seats for good.
  await sql`
    INSERT INTO payment_attempts (payment_id, booking_id, amount, currency, status, next_attempt_at, give_up_at, created_at, updated_at)
    SELECT payment_id, id, amount, currency, 'PENDING', now(), now() + interval '24 hours', now(), now()
    FROM bookings
    WHERE payment_status = 'PROCESSING' AND payment_id IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE payment_attempts`.execute(db);
}
