import { sql, type Kysely } from 'kysely';

/**
 * The contract step of 0002's expand/contract: the seed's migration ends by dropping the old
 * structures once nothing uses them. Since the release that stores v1's free text as a location,
 * the service neither reads nor writes `events.location_text` nor `events_old`; the release before
 * it does. So this migration is a CONTRACT migration (index.ts): the ordinary `migrate` (the Helm
 * hook, start-up) stops before it, and `migrate --contract` applies it as a separate release step
 * once no replica of that older release runs and no rollback to it is planned (docs/operations.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Texts the older release wrote (v1 creates without a location, v1 renames of a location's
  // text) become the location of that name, created when missing, as 0002 did.
  await sql`
    INSERT INTO locations (id, name, address)
    SELECT gen_random_uuid(), t.name, t.name
    FROM (
      SELECT DISTINCT btrim(e.location_text) AS name
      FROM events e LEFT JOIN locations l ON l.id = e.location_id
      WHERE btrim(e.location_text) <> '' AND (l.id IS NULL OR l.name <> btrim(e.location_text))
    ) AS t
    WHERE NOT EXISTS (SELECT 1 FROM locations x WHERE x.name = t.name)`.execute(db);
  await sql`
    UPDATE events e
    SET location_id = (SELECT x.id FROM locations x WHERE x.name = btrim(e.location_text) ORDER BY x.created_at, x.id LIMIT 1)
    WHERE btrim(e.location_text) <> ''
      AND NOT EXISTS (SELECT 1 FROM locations l WHERE l.id = e.location_id AND l.name = btrim(e.location_text))`.execute(db);
  await sql`DROP TABLE events_old`.execute(db);
  await sql`ALTER TABLE events DROP COLUMN location_text`.execute(db);
}

/**
 * Back to the expanded schema the older release needs: the text column filled from the locations,
 * and `events_old` in the seed's shape. Its rows were a snapshot taken by 0002 and are gone; it is
 * refilled with the current events, which is what 0002's down reads them back from anyway.
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE events ADD COLUMN location_text VARCHAR(255)`.execute(db);
  await sql`UPDATE events e SET location_text = l.name FROM locations l WHERE l.id = e.location_id`.execute(db);
  await sql`
    CREATE TABLE events_old (
      id UUID PRIMARY KEY,
      title VARCHAR(255) NOT NULL,
      description TEXT,
      start_date TIMESTAMPTZ NOT NULL,
      end_date TIMESTAMPTZ,
      location VARCHAR(255),
      capacity INT,
      status VARCHAR(50) NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )`.execute(db);
  await sql`
    INSERT INTO events_old (id, title, description, start_date, end_date, location, capacity, status, created_at, updated_at)
    SELECT id, title, description, start_date, end_date, location_text, capacity, status, created_at, updated_at FROM events`.execute(db);
}
