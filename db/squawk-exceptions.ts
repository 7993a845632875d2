/**
 * Squawk findings accepted in migrations that cannot change any more, each with its reason. An
 * exception names its migration, the rules, and a piece of the statement's text; the SQL dump
 * (db/tools/migration-sql.ts) writes `-- squawk-ignore <rules>` with the reason just above that
 * statement, and fails when an exception matches no statement. New migrations keep the rules;
 * one that cannot writes the same comment inside its own SQL, reason included.
 */
export interface SquawkException {
  rules: readonly string[];
  /** A piece of the statement's text that identifies it within the migration. */
  statement: string;
  reason: string;
}

export const SQUAWK_EXCEPTIONS: Readonly<Record<string, readonly SquawkException[]>> = {
  '0001-create-events': [
    {
      rules: ['prefer-text-field', 'prefer-bigint-over-int'],
      statement: 'CREATE TABLE events',
      reason: "a new, empty table; its column types are the seed's (VARCHAR lengths are the API's limits). Released before the rule (0.1.0): cannot change.",
    },
  ],
  '0002-extract-locations': [
    {
      rules: ['prefer-text-field'],
      statement: 'CREATE TABLE locations',
      reason: "a new, empty table (the seed's locations). Released before the rule: cannot change.",
    },
    {
      rules: ['prefer-text-field', 'prefer-bigint-over-int'],
      statement: 'CREATE TABLE events_new',
      reason: "the seed's pattern: a new table beside the old one, same column types as 0001. Released before the rule: cannot change.",
    },
    {
      rules: ['renaming-table'],
      statement: 'ALTER TABLE events RENAME TO events_old',
      reason:
        "the seed's switch to the new table; the old one is kept for the previous release until the contract step 0010. Released before the rule: cannot change.",
    },
    {
      rules: ['renaming-table'],
      statement: 'ALTER TABLE events_new RENAME TO events',
      reason: "the seed's switch to the new table (see the rename above). Released before the rule: cannot change.",
    },
    {
      rules: ['require-concurrent-index-creation'],
      statement: 'CREATE INDEX idx_events_',
      reason: 'the table was created by this very transaction: no other session sees it, so nothing waits on the build.',
    },
    {
      rules: ['adding-foreign-key-constraint', 'constraint-missing-not-valid'],
      statement: 'ADD CONSTRAINT fk_events_location',
      reason: 'both tables were created by this very transaction: no other session sees them, so nothing waits on the check.',
    },
  ],
  '0003-create-outbox': [
    {
      rules: ['prefer-identity', 'prefer-text-field', 'prefer-bigint-over-int'],
      statement: 'CREATE TABLE outbox',
      reason: 'a new, empty table. Released before the rule (0.1.0): cannot change.',
    },
  ],
  '0004-event-ownership-seats-price': [
    {
      rules: ['prefer-bigint-over-int', 'ban-char-field'],
      statement: 'ADD COLUMN price_currency CHAR(3)',
      reason: 'nullable columns without default (no rewrite); ISO 4217 codes are exactly three letters. Released before the rule: cannot change.',
    },
    {
      rules: ['constraint-missing-not-valid'],
      statement: 'ADD CONSTRAINT chk_events_available',
      reason: 'released before the rule (0.1.0), on the seed-size events table; a new constraint is added NOT VALID and validated by a later migration.',
    },
    {
      rules: ['require-concurrent-index-creation'],
      statement: 'CREATE INDEX idx_events_organizer',
      reason: 'released before the rule (0.1.0); a new index is built CONCURRENTLY in a migration of its own.',
    },
  ],
  '0005-bookings-waitlist': [
    {
      rules: ['prefer-text-field', 'ban-char-field'],
      statement: 'CREATE TABLE bookings',
      reason: 'a new, empty table; ISO 4217 currency codes are three letters. Released before the rule: cannot change.',
    },
    {
      rules: ['prefer-identity', 'prefer-text-field'],
      statement: 'CREATE TABLE waitlist',
      reason: 'a new, empty table. Released before the rule: cannot change.',
    },
    {
      rules: ['prefer-text-field', 'prefer-bigint-over-int'],
      statement: 'CREATE TABLE idempotency_keys',
      reason: 'a new, empty table; an HTTP status fits an INT. Released before the rule: cannot change.',
    },
    {
      rules: ['prefer-text-field'],
      statement: 'CREATE TABLE processed_messages',
      reason: 'a new, empty table. Released before the rule: cannot change.',
    },
  ],
  '0007-payment-attempts': [
    {
      rules: ['ban-char-field', 'prefer-text-field', 'prefer-bigint-over-int'],
      statement: 'CREATE TABLE payment_attempts',
      reason: 'a new, empty table; ISO 4217 currency codes are three letters. Released before the rule: cannot change.',
    },
  ],
  '0008-refund-rules': [
    {
      rules: ['prefer-bigint-over-int'],
      statement: 'ADD COLUMN refund_until_hours INT',
      reason: 'hours bounded by its CHECK (0..8760); a constant default adds the column without a rewrite. Released before the rule: cannot change.',
    },
    {
      rules: ['require-concurrent-index-deletion'],
      statement: 'DROP INDEX idx_bookings_refunds',
      reason:
        'released in 0.1.0, before the rule; it is why the rule exists (issue #22: it blocked bookings and deadlocked under traffic). Now: DROP INDEX CONCURRENTLY in a transactional = false migration.',
    },
    {
      rules: ['require-concurrent-index-creation'],
      statement: 'CREATE INDEX idx_bookings_refunds',
      reason: 'released in 0.1.0, before the rule (see the DROP above). Now: createIndexConcurrently in a transactional = false migration.',
    },
    {
      rules: ['one-table-per-transaction'],
      statement: 'ALTER TABLE bookings ADD COLUMN refund_due_at',
      reason:
        'released in 0.1.0, before the rule: events then bookings in one transaction is the deadlock issue #22 measured against live bookings (which lock them in the other order). Now: one migration per table.',
    },
  ],
  '0009-idempotency-key-expiry': [
    {
      rules: ['require-concurrent-index-creation'],
      statement: 'CREATE INDEX idx_idempotency_keys_created_at',
      reason: 'released before the rule (0.1.0); a new index is built CONCURRENTLY in a migration of its own.',
    },
  ],
  '0010-contract-locations': [
    {
      rules: ['ban-drop-table'],
      statement: 'DROP TABLE events_old',
      reason: 'a contract migration (CONTRACT_MIGRATIONS): applied only by the release step migrate --contract, once no release that reads events_old runs.',
    },
    {
      rules: ['ban-drop-column'],
      statement: 'DROP COLUMN location_text',
      reason: 'a contract migration (CONTRACT_MIGRATIONS): applied only by the release step migrate --contract, once no release that reads location_text runs.',
    },
  ],
  '0011-group-bookings': [
    {
      rules: ['prefer-bigint-over-int'],
      statement: 'ADD COLUMN max_seats_per_booking INT',
      reason: 'seat counts bounded by CHECK constraints; constant defaults add the columns without a rewrite. Released before the rule: cannot change.',
    },
    {
      rules: ['constraint-missing-not-valid'],
      statement: 'ADD CONSTRAINT chk_events_waitlist_held',
      reason: 'released before the rule (0.1.0); a new constraint is added NOT VALID and validated by a later migration.',
    },
    {
      rules: ['prefer-bigint-over-int', 'prefer-text-field'],
      statement: 'ADD COLUMN seats INT NOT NULL DEFAULT 1 CHECK (seats >= 1),',
      reason: 'seat counts bounded by CHECK constraints, no rewrite (constant default). Released before the rule: cannot change.',
    },
    {
      rules: ['require-concurrent-index-creation'],
      statement: 'CREATE INDEX idx_bookings_partial_refunds',
      reason: 'released before the rule (0.1.0); a new index is built CONCURRENTLY in a migration of its own.',
    },
    {
      rules: ['prefer-bigint-over-int'],
      statement: 'ALTER TABLE waitlist ADD COLUMN seats INT',
      reason: 'seat counts bounded by a CHECK constraint, no rewrite (constant default). Released before the rule: cannot change.',
    },
    {
      rules: ['one-table-per-transaction'],
      statement: 'ALTER TABLE waitlist ADD COLUMN seats INT',
      reason:
        'released before the rule (0.1.0): columns with constant defaults on events, bookings and waitlist in one transaction. Now: one migration per table.',
    },
  ],
  '0013-booking-check-in': [
    {
      rules: ['require-concurrent-index-creation'],
      statement: 'CREATE INDEX idx_bookings_attendees',
      reason: 'released before the rule (0.1.0); a new index is built CONCURRENTLY in a migration of its own.',
    },
  ],
};
