import { sql, type Kysely } from 'kysely';

/**
 * Ticket categories (expand: two new tables, nothing an older release reads changes).
 * - event_categories: an event's categories ("Adult", "Child under 12"): a price (null = free) and
 *   an optional seat quota. An event without rows here has one implicit category, its own price
 *   and capacity, so every event created before (or by 0.1.0 during the canary) stays bookable.
 * - booking_lines: what a booking bought per category, with the unit price and the discount fixed
 *   when it was made; refunds of seats come from here, never from amount / seats. A booking made by
 *   0.1.0 has no lines (see legacyReducedAmount). `category_id` null: the implicit category.
 * The one busy table this transaction locks is `events` (its foreign key, added NOT VALID: the
 * new table has no row to check, and PostgreSQL checks every row written after). The key from
 * booking_lines to `bookings` is 0015's, so no transaction locks both busy tables.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE event_categories (
      id UUID PRIMARY KEY,
      event_id UUID NOT NULL,
      name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
      price_amount BIGINT CHECK (price_amount >= 0),
      price_currency TEXT CHECK (price_currency ~ '^[A-Z]{3}$'),
      quota BIGINT CHECK (quota >= 1),
      position BIGINT NOT NULL CHECK (position >= 0),
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL,
      CHECK ((price_amount IS NULL) = (price_currency IS NULL))
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX uq_event_categories_name ON event_categories(event_id, lower(name))`.execute(db);
  await sql`CREATE UNIQUE INDEX uq_event_categories_position ON event_categories(event_id, position)`.execute(db);
  await sql`ALTER TABLE event_categories ADD CONSTRAINT fk_event_categories_event FOREIGN KEY (event_id) REFERENCES events(id) NOT VALID`.execute(db);
  await sql`
    CREATE TABLE booking_lines (
      booking_id UUID NOT NULL,
      line_no BIGINT NOT NULL CHECK (line_no >= 0),
      category_id UUID REFERENCES event_categories(id),
      seats BIGINT NOT NULL CHECK (seats >= 0),
      unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
      discount BIGINT NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= unit_price * seats),
      currency TEXT CHECK (currency ~ '^[A-Z]{3}$'),
      participants JSONB NOT NULL DEFAULT '[]',
      PRIMARY KEY (booking_id, line_no)
    )`.execute(db);
  // Quota checks sum the seats of a category's lines.
  await sql`CREATE INDEX idx_booking_lines_category ON booking_lines(category_id) WHERE category_id IS NOT NULL`.execute(db);
}

/**
 * Back to one price per event. Bookings keep their amount and seats (which the older release
 * reads), so charges and refunds stay right; what is lost is the split per category, so a later
 * reduction falls back to amount / seats (0.1.0's rule).
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE booking_lines`.execute(db);
  await sql`DROP TABLE event_categories`.execute(db);
}
