import { sql, type Kysely } from 'kysely';

// Additive (expand) change. `version` is the event's entity tag (ETag): a trigger bumps it on
// every UPDATE of the row, whichever statement does it (an edit, a status change, a seat taken or
// released), so no write path can forget it, and an `UPDATE ... WHERE version = $expected` is an
// atomic compare-and-set. `time_zone` is the IANA zone the organizer gives the event; older
// releases do not know either column and keep working (their updates bump the version too).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE events ADD COLUMN version BIGINT NOT NULL DEFAULT 1, ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC'`.execute(db);
  await sql`
    CREATE FUNCTION events_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.version := OLD.version + 1;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER trg_events_version BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_bump_version()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER trg_events_version ON events`.execute(db);
  await sql`DROP FUNCTION events_bump_version()`.execute(db);
  await sql`ALTER TABLE events DROP COLUMN version, DROP COLUMN time_zone`.execute(db);
}
