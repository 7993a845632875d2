import { sql, type Kysely } from 'kysely';

// Each event's cancellation policy (full refund until N hours before the start, none after), and
// when a refund owed may next be attempted: refunds are called outside transactions, so a claimed
// one is leased through this column instead of a held row lock.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE events ADD COLUMN refund_until_hours INT NOT NULL DEFAULT 24 CHECK (refund_until_hours BETWEEN 0 AND 8760)`.execute(db);
  await sql`ALTER TABLE bookings ADD COLUMN refund_due_at TIMESTAMPTZ`.execute(db);
  await sql`DROP INDEX idx_bookings_refunds`.execute(db);
  await sql`CREATE INDEX idx_bookings_refunds ON bookings(refund_due_at NULLS FIRST, updated_at) WHERE payment_status = 'REFUND_PENDING'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX idx_bookings_refunds`.execute(db);
  await sql`CREATE INDEX idx_bookings_refunds ON bookings(created_at) WHERE payment_status = 'REFUND_PENDING'`.execute(db);
  // A refund that ended REFUND_FAILED is owed again by the older version, which knows no such state.
  await sql`UPDATE bookings SET payment_status = 'REFUND_PENDING' WHERE payment_status = 'REFUND_FAILED'`.execute(db);
  await sql`ALTER TABLE bookings DROP COLUMN refund_due_at`.execute(db);
  await sql`ALTER TABLE events DROP COLUMN refund_until_hours`.execute(db);
}
