import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { organizer, publishedEvent, startReplicas, user, type TestApp, type TestUser } from '../../../testing/app';

// Group bookings on two replicas sharing one real PostgreSQL and one Redis, every setting at its default.
let a: TestApp;
let b: TestApp;
let owner: TestUser;

beforeAll(async () => {
  [a, b] = (await startReplicas(2, 'group_rush')) as [TestApp, TestApp];
  owner = await organizer();
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const book = (t: TestApp, who: TestUser, eventId: string, seats: number) =>
  t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId, seats } });

/** Every seat of the event, counted from the rows: active bookings, offers held, free and held for the line. */
async function seatBook(eventId: string) {
  const db = a.deps.database.db;
  const event = (
    await sql<{ capacity: number; available: number; held: number }>`
    SELECT capacity, available, waitlist_held AS held FROM events WHERE id = ${eventId}`.execute(db)
  ).rows[0]!;
  const booked = (
    await sql<{ n: number }>`
    SELECT coalesce(sum(seats), 0)::int AS n FROM bookings WHERE event_id = ${eventId} AND status IN ('PENDING', 'CONFIRMED')`.execute(db)
  ).rows[0]!.n;
  const offered = (
    await sql<{ n: number }>`
    SELECT coalesce(sum(seats), 0)::int AS n FROM waitlist WHERE event_id = ${eventId} AND status = 'OFFERED'`.execute(db)
  ).rows[0]!.n;
  return { ...event, booked, offered };
}

describe('group bookings in a rush', () => {
  it('never oversells: concurrent groups on two replicas get all their seats or none, and the seats add up', async () => {
    const capacity = 23;
    const event = await publishedEvent(a.app, owner, { capacity, maxSeatsPerBooking: 5 });
    const groups = await Promise.all(Array.from({ length: 60 }, () => user()));
    const sizes = groups.map((_, i) => 1 + (i % 5));
    const answers = await Promise.all(groups.map((g, i) => book(i % 2 ? a : b, g, event.id, sizes[i]!)));

    const won = answers.flatMap((r, i) => (r.statusCode === 201 ? [sizes[i]!] : []));
    const refused = answers.flatMap((r, i) => (r.statusCode === 201 ? [] : [{ status: r.statusCode, body: r.json(), seats: sizes[i]! }]));
    expect(refused.filter((r) => r.status !== 409 || !String(r.body.type).endsWith('/event-full'))).toEqual([]);
    // A refused group was told how many seats were left, fewer than it asked for.
    for (const r of refused) expect(r.body.available).toBeLessThan(r.seats);
    for (const r of answers.filter((x) => x.statusCode === 201)) expect(r.json().seats).toBeGreaterThanOrEqual(1);

    const seats = await seatBook(event.id);
    expect(seats.booked).toBe(won.reduce((s, n) => s + n, 0));
    expect(seats.booked).toBeLessThanOrEqual(capacity);
    expect(seats.booked + seats.available + seats.held + seats.offered).toBe(capacity);
    // Nothing left that the smallest group could have taken.
    expect(seats.available).toBe(0);
  });

  it('refuses a group larger than the free seats from the cache, with no PostgreSQL round trip, on either replica', async () => {
    const event = await publishedEvent(a.app, owner, { capacity: 6 });
    expect((await book(a, await user(), event.id, 4)).statusCode).toBe(201);
    const people = await Promise.all(Array.from({ length: 50 }, () => user()));
    for (const t of [a, b]) expect((await book(t, people[0]!, event.id, 3)).json()).toMatchObject({ available: 2 });

    const before = b.deps.database.poolStats().acquired;
    const answers = await Promise.all(people.map((p) => book(b, p, event.id, 3)));
    expect(answers.every((r) => r.statusCode === 409 && r.json().available === 2)).toBe(true);
    expect(b.deps.database.poolStats().acquired - before).toBe(0);
    // Two seats still fit.
    expect((await book(b, people[1]!, event.id, 2)).statusCode).toBe(201);
    expect(await seatBook(event.id)).toMatchObject({ booked: 6, available: 0, held: 0 });
  });

  it('keeps the seats counted while groups book, reduce, cancel and wait in line at once', async () => {
    const capacity = 12;
    const event = await publishedEvent(a.app, owner, { capacity, maxSeatsPerBooking: 4 });
    const holders = await Promise.all(Array.from({ length: 4 }, () => user()));
    const held: { id: string; who: TestUser }[] = [];
    for (const h of holders) {
      const res = await book(a, h, event.id, 3);
      expect(res.statusCode).toBe(201);
      held.push({ id: res.json().id, who: h });
    }
    const waiters = await Promise.all(Array.from({ length: 4 }, () => user()));
    for (const [i, w] of waiters.entries()) {
      const joined = await b.app.inject({ method: 'POST', url: `/api/v2/events/${event.id}/waitlist`, headers: w.auth, query: { seats: String(1 + (i % 3)) } });
      expect(joined.statusCode, joined.body).toBe(201);
    }
    const rushers = await Promise.all(Array.from({ length: 30 }, () => user()));

    const actions = await Promise.all([
      a.app.inject({ method: 'POST', url: `/api/v2/bookings/${held[0]!.id}/reduce`, headers: held[0]!.who.auth, payload: { seats: 1 } }),
      b.app.inject({ method: 'POST', url: `/api/v2/bookings/${held[1]!.id}/cancel`, headers: held[1]!.who.auth }),
      a.app.inject({ method: 'POST', url: `/api/v2/bookings/${held[2]!.id}/reduce`, headers: held[2]!.who.auth, payload: { seats: 2 } }),
      ...rushers.map((r, i) => book(i % 2 ? a : b, r, event.id, 1 + (i % 3))),
    ]);
    expect(actions.slice(0, 3).map((r) => r.statusCode)).toEqual([200, 200, 200]);
    // Seats freed while people wait go to the line: nobody who was not waiting books them.
    expect(actions.slice(3).filter((r) => r.statusCode !== 409)).toEqual([]);

    const seats = await seatBook(event.id);
    expect(seats.booked + seats.offered + seats.available + seats.held).toBe(capacity);
    expect(seats.booked).toBe(1 + 2 + 3);
    // Six seats were freed (2 + 3 + 1), in whatever order: the first three in line (1, 2 and 3 seats)
    // hold offers for all of them, the fourth still waits.
    expect(seats).toMatchObject({ offered: 6, held: 0, available: 0 });
    const lineStatus = await Promise.all(
      waiters.map(async (w) => (await a.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}/waitlist/me`, headers: w.auth })).json().status),
    );
    expect(lineStatus).toEqual(['OFFERED', 'OFFERED', 'OFFERED', 'WAITING']);
  });
});
