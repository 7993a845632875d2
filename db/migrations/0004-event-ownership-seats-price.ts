import { sql, type Kysely } from 'kysely';

// Additive (expand) change: older code that does not know these columns keeps working.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE events
      ADD COLUMN organizer_id UUID,
      ADD COLUMN available INT,
      ADD COLUMN price_amount BIGINT,
      ADD COLUMN price_currency CHAR(3)`.execute(db);
  await sql`UPDATE events SET available = COALESCE(capacity, 0)`.execute(db);
  // The database itself refuses overselling, whatever the code does.
  await sql`ALTER TABLE events ADD CONSTRAINT chk_events_available CHECK (available >= 0 AND available <= capacity)`.execute(db);
  await sql`CREATE INDEX idx_events_organizer ON events(organizer_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE events DROP CONSTRAINT chk_events_available`.execute(db);
  await sql`DROP INDEX idx_events_organizer`.execute(db);
  await sql`
    ALTER TABLE events
      DROP COLUMN organizer_id, DROP COLUMN available, DROP COLUMN price_amount, DROP COLUMN price_currency`.execute(db);
}
