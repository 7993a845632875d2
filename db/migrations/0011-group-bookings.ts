import { sql, type Kysely } from 'kysely';

/**
 * Group bookings (expand; older code keeps working: every default means "one seat").
 * - events: how many seats one booking may take, whether smaller waitlist entries may pass a group
 *   that does not fit yet, and the seats freed for the waitlist but not yet offered (held for the
 *   group at the head of the line, out of `available` so nobody outside the line takes them).
 * - bookings: seats and participants; a refund of seats given up (reduce) owed while the booking
 *   stays active, with the idempotency key it is sent under.
 * - waitlist: how many seats an entry waits for.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE events
      ADD COLUMN max_seats_per_booking INT NOT NULL DEFAULT 10 CHECK (max_seats_per_booking BETWEEN 1 AND 1000),
      ADD COLUMN waitlist_allows_passing BOOLEAN NOT NULL DEFAULT false,
      ADD COLUMN waitlist_held INT NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE events ADD CONSTRAINT chk_events_waitlist_held CHECK (waitlist_held >= 0 AND available + waitlist_held <= capacity)`.execute(db);
  await sql`
    ALTER TABLE bookings
      ADD COLUMN seats INT NOT NULL DEFAULT 1 CHECK (seats >= 1),
      ADD COLUMN participants JSONB NOT NULL DEFAULT '[]',
      ADD COLUMN partial_refund_amount BIGINT CHECK (partial_refund_amount > 0),
      ADD COLUMN partial_refund_key VARCHAR(100)`.execute(db);
  await sql`CREATE INDEX idx_bookings_partial_refunds ON bookings(refund_due_at NULLS FIRST, updated_at) WHERE partial_refund_amount IS NOT NULL`.execute(db);
  await sql`ALTER TABLE waitlist ADD COLUMN seats INT NOT NULL DEFAULT 1 CHECK (seats >= 1)`.execute(db);
}

/**
 * Back to one seat per booking. Nothing is oversold: a group's seats stay taken until its event
 * ends (the older release returns one seat when it is cancelled), and seats held for the waitlist
 * become available. Participant lists and group sizes are lost. A partial refund still owed would
 * be forgotten, so the step refuses while one is (let the refund job pay it first).
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  const owed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE partial_refund_amount IS NOT NULL`.execute(db);
  if (owed.rows[0]!.n > 0) throw new Error(`0011 down: ${owed.rows[0]!.n} partial refund(s) are still owed; run the refund job until none is, then roll back`);
  await sql`ALTER TABLE waitlist DROP COLUMN seats`.execute(db);
  await sql`DROP INDEX idx_bookings_partial_refunds`.execute(db);
  await sql`ALTER TABLE bookings DROP COLUMN partial_refund_key, DROP COLUMN partial_refund_amount, DROP COLUMN participants, DROP COLUMN seats`.execute(db);
  await sql`UPDATE events SET available = available + waitlist_held WHERE waitlist_held > 0`.execute(db);
  await sql`ALTER TABLE events DROP CONSTRAINT chk_events_waitlist_held`.execute(db);
  await sql`ALTER TABLE events DROP COLUMN waitlist_held, DROP COLUMN waitlist_allows_passing, DROP COLUMN max_seats_per_booking`.execute(db);
}
