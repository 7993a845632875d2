import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { freshDatabase } from '../testing/database';
import { createMigrator, migrateDown, migrateToLatest, migrateToZero, migrationStatus, pendingMigrations } from './migrator';
import { CONTRACT_MIGRATIONS, migrations } from './migrations/index';

let db: Kysely<any>;

beforeAll(async () => {
  db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: await freshDatabase('migrations'), max: 2 }) }) });
});
afterAll(() => db.destroy());

const tables = async () =>
  (
    await sql<{ tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'kysely_%' ORDER BY 1`.execute(db)
  ).rows.map((r) => r.tablename);

/** Undoes the newest migrations, one at a time, until `name` is undone; returns that step's result. */
async function downThrough(name: string): Promise<string[]> {
  for (;;) {
    const step = await migrateDown(db);
    if (step.length === 0) throw new Error(`${name} was not applied`);
    if (step.some((line) => line.includes(name))) return step;
  }
}

describe('migrations on real PostgreSQL', () => {
  it('go up, all the way down and up again', async () => {
    await migrateToLatest(db);
    expect(await pendingMigrations(db)).toBe(0);
    expect(await tables()).toEqual([
      'booking_lines',
      'bookings',
      'event_categories',
      'events',
      'events_old',
      'idempotency_keys',
      'locations',
      'outbox',
      'payment_attempts',
      'processed_messages',
      'promo_code_uses',
      'promo_codes',
      'waitlist',
    ]);
    await migrateToZero(db);
    expect(await tables()).toEqual([]);
    expect(await pendingMigrations(db)).toBe(Object.keys(migrations).length - CONTRACT_MIGRATIONS.size);
    await migrateToLatest(db);
    expect((await migrationStatus(db)).filter((m) => m.executedAt === null).map((m) => m.name)).toEqual([...CONTRACT_MIGRATIONS]);
    await migrateToLatest(db, { contract: true });
    expect((await migrationStatus(db)).every((m) => m.executedAt !== null)).toBe(true);
    await migrateToZero(db);
    await migrateToLatest(db, { contract: true });
    expect(await tables()).toEqual([
      'booking_lines',
      'bookings',
      'event_categories',
      'events',
      'idempotency_keys',
      'locations',
      'outbox',
      'payment_attempts',
      'processed_messages',
      'promo_code_uses',
      'promo_codes',
      'waitlist',
    ]);
    await migrateToZero(db);
    await migrateToLatest(db);
  });

  it('moves free-text locations into the locations table without losing event data', async () => {
    await migrateToZero(db);
    await createMigrator(db).migrateTo('0001-create-events');
    const rows = [
      ['11111111-1111-4111-8111-111111111111', 'Rafting', 'Katun river', 12],
      ['22222222-2222-4222-8222-222222222222', 'Hike', 'Katun river', 8],
      ['33333333-3333-4333-8333-333333333333', 'Kayak', 'Lake Teletskoye', 4],
      ['44444444-4444-4444-8444-444444444444', 'Mystery', null, 5],
    ] as const;
    for (const [id, title, location, capacity] of rows)
      await sql`INSERT INTO events (id, title, description, start_date, end_date, location, capacity, status)
                VALUES (${id}, ${title}, 'desc', '2030-06-01T08:00:00Z', '2030-06-01T18:00:00Z', ${location}, ${capacity}, 'PUBLISHED')`.execute(db);

    await migrateToLatest(db);

    const locations = (await sql<{ name: string }>`SELECT name FROM locations ORDER BY name`.execute(db)).rows.map((r) => r.name);
    expect(locations).toEqual(['Katun river', 'Lake Teletskoye']);
    const events = (
      await sql<{ id: string; title: string; location_text: string | null; l_name: string | null; capacity: number; available: number }>`
        SELECT e.id, e.title, e.location_text, l.name AS l_name, e.capacity, e.available
        FROM events e LEFT JOIN locations l ON l.id = e.location_id ORDER BY e.id`.execute(db)
    ).rows;
    expect(events).toEqual(
      rows.map(([id, title, location, capacity]) => ({ id, title, location_text: location, l_name: location, capacity, available: capacity })),
    );

    // And back: the text column is rebuilt from the locations, nothing lost.
    await createMigrator(db).migrateTo('0001-create-events');
    const back = (await sql<{ id: string; location: string | null }>`SELECT id, location FROM events ORDER BY id`.execute(db)).rows;
    expect(back).toEqual(rows.map(([id, , location]) => ({ id, location })));
    await migrateToLatest(db);
  });

  it('steps every migration down and up again one at a time, with data in every table', async () => {
    // In name order up to the contract step, the data, then the rest: every migration then runs in
    // name order, so stepping back by name undoes exactly the newest one.
    await migrateToZero(db);
    await createMigrator(db).migrateTo('0009-idempotency-key-expiry');
    await sql`INSERT INTO locations (id, name, address) VALUES ('66666666-6666-4666-8666-666666666666', 'Chemal', 'Altai')`.execute(db);
    await sql`INSERT INTO events (id, title, start_date, end_date, location_id, location_text, capacity, available, status, organizer_id)
              VALUES ('77777777-7777-4777-8777-777777777777', 'Kept', now(), now() + interval '1 day', '66666666-6666-4666-8666-666666666666', 'Chemal', 5, 4, 'PUBLISHED', '88888888-8888-4888-8888-888888888888')`.execute(
      db,
    );
    await sql`INSERT INTO bookings (id, event_id, user_id, status, payment_status, created_at, updated_at)
              VALUES ('99999999-9999-4999-8999-999999999999', '77777777-7777-4777-8777-777777777777', '88888888-8888-4888-8888-888888888888', 'CONFIRMED', 'NOT_REQUIRED', now(), now())`.execute(
      db,
    );
    await sql`INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at) VALUES (gen_random_uuid(), 'event', 'x', 'event.created', '{}', now())`.execute(
      db,
    );
    await migrateToLatest(db, { contract: true });
    const names = Object.keys(migrations);
    for (let i = names.length - 1; i >= 1; i--) {
      const migrator = createMigrator(db);
      const down = await migrator.migrateTo(names[i - 1]!);
      expect(down.error, `down ${names[i]}`).toBeUndefined();
      const up = await migrator.migrateTo(names[i]!);
      expect(up.error, `up ${names[i]} again`).toBeUndefined();
      const kept = await sql<{ title: string }>`SELECT title FROM events WHERE id = '77777777-7777-4777-8777-777777777777'`.execute(db);
      expect(kept.rows, `event kept across ${names[i]}`).toEqual([{ title: 'Kept' }]);
      await migrator.migrateTo(names[i - 1]!);
    }
    await migrateToZero(db);
    await migrateToLatest(db);
  });

  it('gives payments an earlier version left PROCESSING an intent due at once, and drops the table going down', async () => {
    await migrateToZero(db);
    await createMigrator(db).migrateTo('0006-outbox-trace-context');
    await sql`INSERT INTO events (id, title, start_date, end_date, capacity, available, status)
              VALUES ('12121212-1212-4121-8121-121212121212', 'Paid', now(), now() + interval '1 day', 5, 3, 'PUBLISHED')`.execute(db);
    await sql`INSERT INTO bookings (id, event_id, user_id, status, amount, currency, payment_status, payment_id, created_at, updated_at) VALUES
              ('13131313-1313-4131-8131-131313131313', '12121212-1212-4121-8121-121212121212', '88888888-8888-4888-8888-888888888888', 'PENDING', 5000, 'EUR', 'PROCESSING', '14141414-1414-4141-8141-141414141414', now(), now()),
              ('15151515-1515-4151-8151-151515151515', '12121212-1212-4121-8121-121212121212', '16161616-1616-4161-8161-161616161616', 'CONFIRMED', 5000, 'EUR', 'PAID', '17171717-1717-4171-8171-171717171717', now(), now())`.execute(
      db,
    );

    await migrateToLatest(db);

    const attempts = await sql<{ payment_id: string; booking_id: string; status: string; due: boolean }>`
      SELECT payment_id, booking_id, status, next_attempt_at <= now() AS due FROM payment_attempts`.execute(db);
    expect(attempts.rows).toEqual([
      { payment_id: '14141414-1414-4141-8141-141414141414', booking_id: '13131313-1313-4131-8131-131313131313', status: 'PENDING', due: true },
    ]);
    await createMigrator(db).migrateTo('0006-outbox-trace-context');
    expect(await tables()).not.toContain('payment_attempts');
    await migrateToLatest(db);
  });

  it('0011 group bookings: one seat for existing rows; down keeps every seat counted and refuses while a partial refund is owed', async () => {
    await migrateToZero(db);
    await createMigrator(db).migrateTo('0010-contract-locations');
    const event = '21212121-2121-4121-8121-212121212121';
    const user = '88888888-8888-4888-8888-888888888888';
    await sql`INSERT INTO events (id, title, start_date, end_date, capacity, available, status)
              VALUES (${event}, 'Rafting', now() + interval '2 days', now() + interval '3 days', 10, 9, 'PUBLISHED')`.execute(db);
    await sql`INSERT INTO bookings (id, event_id, user_id, status, amount, currency, payment_status, payment_id, created_at, updated_at) VALUES
              ('22222222-2121-4121-8121-212121212121', ${event}, ${user}, 'CONFIRMED', 5000, 'EUR', 'PAID', '23232323-2121-4121-8121-212121212121', now(), now())`.execute(
      db,
    );
    await sql`INSERT INTO waitlist (id, event_id, user_id, status, created_at, updated_at)
              VALUES ('24242424-2121-4121-8121-212121212121', ${event}, '25252525-2121-4121-8121-212121212121', 'WAITING', now(), now())`.execute(db);

    expect(await migrateToLatest(db)).toContain('Up 0011-group-bookings: Success');
    const read = async () => ({
      event: (await sql`SELECT available, waitlist_held, max_seats_per_booking, waitlist_allows_passing FROM events WHERE id = ${event}`.execute(db)).rows[0],
      booking: (await sql`SELECT seats, participants, partial_refund_amount FROM bookings WHERE event_id = ${event}`.execute(db)).rows[0],
      entry: (await sql`SELECT seats FROM waitlist WHERE event_id = ${event}`.execute(db)).rows[0],
    });
    expect(await read()).toEqual({
      event: { available: 9, waitlist_held: 0, max_seats_per_booking: 10, waitlist_allows_passing: false },
      booking: { seats: 1, participants: [], partial_refund_amount: null },
      entry: { seats: 1 },
    });

    // A group of three took its seats; two more are held for a waiting group of two; a refund is owed.
    await sql`UPDATE bookings SET seats = 3, participants = '[{"name":"Anna"}]', partial_refund_amount = 5000, partial_refund_key = 'k' WHERE event_id = ${event}`.execute(
      db,
    );
    await sql`UPDATE events SET available = 5, waitlist_held = 2 WHERE id = ${event}`.execute(db);
    await sql`UPDATE waitlist SET seats = 3 WHERE event_id = ${event}`.execute(db);
    await expect(sql`UPDATE events SET available = 9 WHERE id = ${event}`.execute(db)).rejects.toMatchObject({ code: '23514' });
    await expect(sql`UPDATE bookings SET seats = 0 WHERE event_id = ${event}`.execute(db)).rejects.toMatchObject({ code: '23514' });

    await expect(downThrough('0011-group-bookings')).rejects.toThrow(/partial refund/);
    await sql`UPDATE bookings SET partial_refund_amount = NULL, partial_refund_key = NULL WHERE event_id = ${event}`.execute(db);
    expect(await downThrough('0011-group-bookings')).toEqual(['Down 0011-group-bookings: Success']);
    // The older release sees the held seats as available and the group's seats as taken: never oversold.
    expect((await sql`SELECT capacity, available FROM events WHERE id = ${event}`.execute(db)).rows).toEqual([{ capacity: 10, available: 7 }]);
    expect(await migrateToLatest(db)).toContain('Up 0011-group-bookings: Success');
    expect(await read()).toEqual({
      event: { available: 7, waitlist_held: 0, max_seats_per_booking: 10, waitlist_allows_passing: false },
      booking: { seats: 1, participants: [], partial_refund_amount: null },
      entry: { seats: 1 },
    });
  });

  it('0013 adds when a booking was checked in; down and up again keep every booking', async () => {
    await migrateToLatest(db);
    const event = '21212121-2121-4212-8212-212121212121';
    await sql`INSERT INTO events (id, title, start_date, end_date, capacity, available, status)
              VALUES (${event}, 'Checked', now(), now() + interval '1 day', 5, 3, 'PUBLISHED')`.execute(db);
    await sql`INSERT INTO bookings (id, event_id, user_id, status, payment_status, checked_in_at, created_at, updated_at) VALUES
              ('22222222-2121-4212-8212-212121212121', ${event}, '88888888-8888-4888-8888-888888888888', 'CONFIRMED', 'NOT_REQUIRED', '2030-06-01T08:00:00Z', now(), now()),
              ('23232323-2121-4212-8212-212121212121', ${event}, '16161616-1616-4161-8161-161616161616', 'CONFIRMED', 'NOT_REQUIRED', NULL, now(), now())`.execute(
      db,
    );
    const bookings = () => sql<Record<string, unknown>>`SELECT * FROM bookings WHERE event_id = ${event} ORDER BY id`.execute(db).then((r) => r.rows);
    expect((await bookings()).map((b) => b.checked_in_at)).toEqual([new Date('2030-06-01T08:00:00Z'), null]);

    expect(await downThrough('0013-booking-check-in')).toEqual(['Down 0013-booking-check-in: Success']);
    const down = await bookings();
    expect(down.map((b) => [b.id, b.status, 'checked_in_at' in b])).toEqual([
      ['22222222-2121-4212-8212-212121212121', 'CONFIRMED', false],
      ['23232323-2121-4212-8212-212121212121', 'CONFIRMED', false],
    ]);
    await migrateToLatest(db);
    // The older version kept no attendance: it comes back empty, the bookings themselves intact.
    expect((await bookings()).map((b) => [b.id, b.status, b.checked_in_at])).toEqual([
      ['22222222-2121-4212-8212-212121212121', 'CONFIRMED', null],
      ['23232323-2121-4212-8212-212121212121', 'CONFIRMED', null],
    ]);
  });

  it('refuses overselling at the database level', async () => {
    await migrateToLatest(db);
    await sql`INSERT INTO events (id, title, start_date, end_date, capacity, available, status)
              VALUES ('55555555-5555-4555-8555-555555555555', 'Full', now(), now(), 1, 0, 'PUBLISHED')`.execute(db);
    await expect(sql`UPDATE events SET available = available - 1 WHERE id = '55555555-5555-4555-8555-555555555555'`.execute(db)).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('contract step: plain migrate stops before it; --contract keeps every v1 text as a location and drops the old structures; down restores them', async () => {
    await migrateToZero(db);
    expect(await migrateToLatest(db)).not.toContain('Up 0010-contract-locations: Success');
    expect(await pendingMigrations(db)).toBe(0);
    expect(await migrateToLatest(db)).toEqual([]);
    const columns = async () =>
      (
        await sql<{
          column_name: string;
        }>`SELECT column_name FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'location_text'`.execute(db)
      ).rows.length;
    expect(await columns()).toBe(1);
    expect(await tables()).toContain('events_old');

    // Rows as the release before the contract step left them.
    const chemal = '66666666-6666-4666-8666-000000000001';
    await sql`INSERT INTO locations (id, name, address, created_at) VALUES (${chemal}, 'Chemal', 'Altai, Chemal', now() - interval '1 day')`.execute(db);
    const ev = (n: number) => `77777777-7777-4777-8777-00000000000${n}`;
    const rows: [string, string | null, string | null][] = [
      [ev(1), chemal, 'Chemal'], // consistent
      [ev(2), null, 'Katun'], // a v1 create: text only
      [ev(3), chemal, 'Akkem'], // a v1 rename of the text, the v2 location left behind
      [ev(4), null, '  Chemal '], // text of an existing location, with spaces
      [ev(5), null, null], // no location at all
      [ev(6), null, 'Katun'], // the same new text twice: one location
    ];
    for (const [id, locationId, text] of rows)
      await sql`INSERT INTO events (id, title, start_date, end_date, location_id, location_text, capacity, available, status)
                VALUES (${id}, 'Trip', now(), now() + interval '1 day', ${locationId}, ${text}, 5, 5, 'PUBLISHED')`.execute(db);

    expect(await migrateToLatest(db, { contract: true })).toEqual(['Up 0010-contract-locations: Success']);
    expect(await columns()).toBe(0);
    expect(await tables()).not.toContain('events_old');
    const after = await sql<{ id: string; name: string | null; address: string | null }>`
      SELECT e.id, l.name, l.address FROM events e LEFT JOIN locations l ON l.id = e.location_id ORDER BY e.id`.execute(db);
    expect(after.rows).toEqual([
      { id: ev(1), name: 'Chemal', address: 'Altai, Chemal' },
      { id: ev(2), name: 'Katun', address: 'Katun' },
      { id: ev(3), name: 'Akkem', address: 'Akkem' },
      { id: ev(4), name: 'Chemal', address: 'Altai, Chemal' },
      { id: ev(5), name: null, address: null },
      { id: ev(6), name: 'Katun', address: 'Katun' },
    ]);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM locations`.execute(db)).rows[0]!.n).toBe(3);

    // Down: the column is back, filled from the locations, and events_old exists for 0002's down.
    expect(await migrateDown(db)).toEqual(['Down 0010-contract-locations: Success']);
    expect(await columns()).toBe(1);
    const texts = await sql<{ id: string; location_text: string | null }>`SELECT id, location_text FROM events ORDER BY id`.execute(db);
    expect(texts.rows.map((r) => r.location_text)).toEqual(['Chemal', 'Katun', 'Akkem', 'Chemal', null, 'Katun']);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM events_old`.execute(db)).rows[0]!.n).toBe(6);
    expect(await pendingMigrations(db)).toBe(0);
    await migrateToZero(db);
    expect(await tables()).toEqual([]);
    await migrateToLatest(db);
  });

  it('applies an expand migration added after a pending contract step, and rolls back newest first', async () => {
    await migrateToZero(db);
    const applied = await migrateToLatest(db);
    expect(applied).toContain('Up 0011-group-bookings: Success');
    expect(applied).toContain('Up 0012-event-version-time-zone: Success');
    const pending = async () => (await migrationStatus(db)).filter((m) => m.executedAt === null).map((m) => m.name);
    expect(await pending()).toEqual(['0010-contract-locations']);
    expect(await pendingMigrations(db)).toBe(0);
    expect(await migrateToLatest(db, { contract: true })).toEqual(['Up 0010-contract-locations: Success']);
    // The contract step ran last, so it is the first to be undone.
    expect(await migrateDown(db)).toEqual(['Down 0010-contract-locations: Success']);
    expect(await pending()).toEqual(['0010-contract-locations']);
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('0012: every update of an event bumps its version (a compare-and-set on it is atomic); time zones default to UTC; down and up keep the events', async () => {
    await migrateToZero(db);
    await createMigrator(db).migrateTo('0010-contract-locations');
    const id = '20202020-2020-4202-8202-202020202020';
    await sql`INSERT INTO events (id, title, start_date, end_date, capacity, available, status)
              VALUES (${id}, 'Versioned', now(), now() + interval '1 day', 5, 5, 'PUBLISHED')`.execute(db);
    await createMigrator(db).migrateTo('0012-event-version-time-zone');
    const row = async () =>
      (
        await sql<{
          title: string;
          available: number;
          version: string;
          time_zone: string;
        }>`SELECT title, available, version, time_zone FROM events WHERE id = ${id}`.execute(db)
      ).rows[0];
    expect(await row()).toEqual({ title: 'Versioned', available: 5, version: '1', time_zone: 'UTC' });

    // Any statement that changes the row: a seat taken, an edit, a status change.
    await sql`UPDATE events SET available = available - 1 WHERE id = ${id}`.execute(db);
    await sql`UPDATE events SET title = 'Renamed', time_zone = 'Europe/Moscow' WHERE id = ${id}`.execute(db);
    expect(await row()).toEqual({ title: 'Renamed', available: 4, version: '3', time_zone: 'Europe/Moscow' });
    // A version given by the statement itself is overridden: the counter only moves forward.
    await sql`UPDATE events SET version = 1 WHERE id = ${id}`.execute(db);
    expect((await row())!.version).toBe('4');

    // Compare-and-set: two writers that read version 4; the second finds no row to change.
    const cas = (title: string) => sql`UPDATE events SET title = ${title} WHERE id = ${id} AND version = 4`.execute(db);
    const [first, second] = await Promise.all([cas('First'), cas('Second')]);
    expect([Number(first.numAffectedRows), Number(second.numAffectedRows)].sort()).toEqual([0, 1]);
    expect((await row())!.version).toBe('5');

    expect(await migrateDown(db)).toEqual(['Down 0012-event-version-time-zone: Success']);
    const columns = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'events' AND column_name IN ('version', 'time_zone')`.execute(db);
    expect(columns.rows).toEqual([]);
    await sql`UPDATE events SET available = available + 1 WHERE id = ${id}`.execute(db); // no trigger left behind
    expect((await sql<{ available: number }>`SELECT available FROM events WHERE id = ${id}`.execute(db)).rows).toEqual([{ available: 5 }]);

    await createMigrator(db).migrateTo('0012-event-version-time-zone');
    expect(await row()).toMatchObject({ available: 5, version: '1', time_zone: 'UTC' });
    await migrateToLatest(db);
  });
});
