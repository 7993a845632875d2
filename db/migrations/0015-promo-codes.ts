import { sql, type Kysely } from 'kysely';

/**
 * Promo codes (expand: two new tables, and 0014's booking lines get their key to `bookings`).
 * - promo_codes: an event's discount codes, percent or fixed amount off (exactly one), an optional
 *   maximum of uses, a validity window and optionally the categories they apply to (null: all).
 * - promo_code_uses: which booking used which code, for whom. A use counts while its booking is
 *   not CANCELLED or EXPIRED, so a booking that ends gives its use back whichever release ended it
 *   (0.1.0 knows nothing of codes). Uses are counted under the code's row lock (see the adapter).
 * The one busy table this transaction locks is `bookings` (the keys of promo_code_uses and
 * booking_lines, added NOT VALID: PostgreSQL checks every row written after them, and no row was
 * written before). promo_codes has no key to `events`, which would be a second busy table: the
 * event is checked when a code is created, and events are never deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE promo_codes (
      id UUID PRIMARY KEY,
      event_id UUID NOT NULL,
      code TEXT NOT NULL CHECK (char_length(code) BETWEEN 3 AND 40),
      percent_off BIGINT CHECK (percent_off BETWEEN 1 AND 100),
      amount_off BIGINT CHECK (amount_off > 0),
      currency TEXT CHECK (currency ~ '^[A-Z]{3}$'),
      max_uses BIGINT CHECK (max_uses >= 1),
      valid_from TIMESTAMPTZ,
      valid_until TIMESTAMPTZ,
      category_ids UUID[],
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL,
      CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
      CHECK ((amount_off IS NULL) = (currency IS NULL)),
      CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from)
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX uq_promo_codes_code ON promo_codes(event_id, upper(code))`.execute(db);
  await sql`
    CREATE TABLE promo_code_uses (
      booking_id UUID PRIMARY KEY,
      promo_code_id UUID NOT NULL REFERENCES promo_codes(id),
      user_id UUID NOT NULL,
      created_at TIMESTAMPTZ NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX idx_promo_code_uses_code ON promo_code_uses(promo_code_id, user_id)`.execute(db);
  await sql`ALTER TABLE promo_code_uses ADD CONSTRAINT fk_promo_code_uses_booking FOREIGN KEY (booking_id) REFERENCES bookings(id) NOT VALID`.execute(db);
  await sql`ALTER TABLE booking_lines ADD CONSTRAINT fk_booking_lines_booking FOREIGN KEY (booking_id) REFERENCES bookings(id) NOT VALID`.execute(db);
}

/** Forgets the codes and their uses; bookings keep the discounted amount they were made at (and their lines' discounts). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE booking_lines DROP CONSTRAINT fk_booking_lines_booking`.execute(db);
  await sql`DROP TABLE promo_code_uses`.execute(db);
  await sql`DROP TABLE promo_codes`.execute(db);
}
