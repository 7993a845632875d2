import { sql, type Kysely } from 'kysely';

// When the organizer checked a booking in at the event (attendance); null until then. The index
// serves the attendee list and its CSV export, which page through an event's attendee bookings
// (active, completed, no-show) in booking order (keyset on created_at, id).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE bookings ADD COLUMN checked_in_at TIMESTAMPTZ`.execute(db);
  await sql`CREATE INDEX idx_bookings_attendees ON bookings(event_id, created_at, id) WHERE status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW')`.execute(
    db,
  );
}

// Going down forgets who was checked in: the older version has no notion of attendance.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX idx_bookings_attendees`.execute(db);
  await sql`ALTER TABLE bookings DROP COLUMN checked_in_at`.execute(db);
}
