import { sql, type Kysely } from 'kysely';

/**
 * The seed's expand/contract migration: locations move to their own table; the free-text
 * column stays as `location_text` so v1 clients (and the previous release) keep working.
 * Unlike the seed's SQL, locations are de-duplicated by name before ids are generated:
 * `SELECT DISTINCT gen_random_uuid(), location` is distinct per row and would duplicate events.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE locations (
      id UUID PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      address VARCHAR(500) NOT NULL,
      latitude DOUBLE PRECISION,
      longitude DOUBLE PRECISION,
      created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )`.execute(db);
  await sql`
    CREATE TABLE events_new (
      id UUID PRIMARY KEY,
      title VARCHAR(255) NOT NULL,
      description TEXT,
      start_date TIMESTAMPTZ NOT NULL,
      end_date TIMESTAMPTZ,
      location_id UUID,
      location_text VARCHAR(255),
      capacity INT,
      status VARCHAR(50) NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )`.execute(db);
  await sql`
    INSERT INTO locations (id, name, address)
    SELECT gen_random_uuid(), location, location
    FROM (SELECT DISTINCT location FROM events WHERE location IS NOT NULL) AS distinct_locations`.execute(db);
  await sql`
    INSERT INTO events_new (id, title, description, start_date, end_date, location_text, location_id,
                            capacity, status, created_at, updated_at)
    SELECT e.id, e.title, e.description, e.start_date, e.end_date, e.location, l.id,
           e.capacity, e.status, e.created_at, e.updated_at
    FROM events e LEFT JOIN locations l ON e.location = l.name`.execute(db);
  await sql`ALTER TABLE events RENAME TO events_old`.execute(db);
  await sql`ALTER TABLE events_new RENAME TO events`.execute(db);
  await sql`ALTER INDEX events_new_pkey RENAME TO events_pkey_v2`.execute(db);
  await sql`CREATE INDEX idx_events_location_id ON events(location_id)`.execute(db);
  await sql`CREATE INDEX idx_events_start_date ON events(start_date)`.execute(db);
  await sql`CREATE INDEX idx_events_status ON events(status)`.execute(db);
  await sql`ALTER TABLE events ADD CONSTRAINT fk_events_location FOREIGN KEY (location_id) REFERENCES locations(id)`.execute(db);
}

/** Back to one table with the text column; rows written since the migration are kept. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE events_old`.execute(db);
  await sql`
    CREATE TABLE events_v1 (
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
    INSERT INTO events_v1 (id, title, description, start_date, end_date, location, capacity, status, created_at, updated_at)
    SELECT e.id, e.title, e.description, e.start_date, e.end_date, COALESCE(e.location_text, l.name),
           e.capacity, e.status, e.created_at, e.updated_at
    FROM events e LEFT JOIN locations l ON l.id = e.location_id`.execute(db);
  await sql`DROP TABLE events`.execute(db);
  await sql`DROP TABLE locations`.execute(db);
  await sql`ALTER TABLE events_v1 RENAME TO events`.execute(db);
  await sql`ALTER INDEX events_v1_pkey RENAME TO events_pkey`.execute(db);
}
