import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { createPgUnitOfWork, startOutboxRelay, systemClock, uuidGenerator } from '@aquastream/adapters';
import { makeCancelBooking } from '@aquastream/domain';
import { organizer, publishedEvent, startReplicas, user, type TestApp, type TestUser } from '../../../testing/app';

// Two replicas on one PostgreSQL and one Redis, every setting at its default.
let a: TestApp;
let b: TestApp;
let owner: TestUser;

beforeAll(async () => {
  [a, b] = (await startReplicas(2, 'rush')) as [TestApp, TestApp];
  owner = await organizer();
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const book = (t: TestApp, who: TestUser, eventId: string) => t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });
const active = async (eventId: string) =>
  (
    await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE event_id = ${eventId} AND status IN ('PENDING', 'CONFIRMED')`.execute(
      a.deps.database.db,
    )
  ).rows[0]!.n;

/** A published event with every seat booked; returns the bookers and their booking ids. */
async function fullEvent(capacity: number) {
  const event = await publishedEvent(a.app, owner, { capacity, price: { amount: 3000, currency: 'EUR' } });
  const holders = await Promise.all(Array.from({ length: capacity }, () => user()));
  const ids: string[] = [];
  for (const h of holders) {
    const res = await book(a, h, event.id);
    expect(res.statusCode).toBe(201);
    ids.push(res.json().id);
  }
  return { event, holders, ids };
}

describe('a full event refuses at memory speed', () => {
  it('costs no PostgreSQL round trip to refuse a booker, or to tell a holder which booking they hold', async () => {
    const { event, holders, ids } = await fullEvent(3);
    const people = await Promise.all(Array.from({ length: 200 }, () => user()));
    // Both replicas learn that the event is full (one read of the event and its standings each).
    for (const t of [a, b]) expect((await book(t, people[0]!, event.id)).statusCode).toBe(409);

    const before = b.deps.database.poolStats().acquired;
    const answers = await Promise.all(people.map((p) => book(b, p, event.id)));
    expect(answers.every((r) => r.statusCode === 409 && r.json().type.endsWith('/event-full'))).toBe(true);
    const conflict = await book(b, holders[1]!, event.id);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ type: expect.stringMatching(/booking-conflict$/), existingBookingId: ids[1] });
    expect(b.deps.database.poolStats().acquired - before).toBe(0);
    expect(await active(event.id)).toBe(3);
  });

  it('lets the person offered a released seat claim it while everyone else is refused', async () => {
    const { event, holders, ids } = await fullEvent(2);
    const waiter = await user();
    const joined = await b.app.inject({ method: 'POST', url: `/api/v2/events/${event.id}/waitlist`, headers: waiter.auth });
    expect(joined.statusCode).toBe(201);
    const someone = await user();
    expect((await book(b, someone, event.id)).statusCode).toBe(409);

    // A holder cancels on replica A: the seat is offered to the waiter, not to whoever asks first.
    const cancelled = await a.app.inject({ method: 'POST', url: `/api/v2/bookings/${ids[0]}/cancel`, headers: holders[0]!.auth });
    expect(cancelled.statusCode).toBe(200);
    expect((await book(b, someone, event.id)).json().type).toMatch(/event-full$/);
    const claimed = await book(b, waiter, event.id);
    expect(claimed.statusCode).toBe(201);
    expect(await active(event.id)).toBe(2);
  });

  it('gives a seat released during the rush to exactly one booker: the seat is never left empty while others are refused', async () => {
    const { event, holders, ids } = await fullEvent(5);
    const rushers = await Promise.all(Array.from({ length: 400 }, () => user()));
    const wave = (people: TestUser[]) => Promise.all(people.map((p, i) => book(i % 2 ? a : b, p, event.id).then((r) => r.statusCode)));
    // The release lands while the first wave is in flight; the second wave comes after it.
    const [first, cancelled] = await Promise.all([
      wave(rushers.slice(0, 200)),
      a.app.inject({ method: 'POST', url: `/api/v2/bookings/${ids[0]}/cancel`, headers: holders[0]!.auth }),
    ]);
    expect(cancelled.statusCode).toBe(200);
    const second = await wave(rushers.slice(200));
    const all = [...first, ...second];
    expect(all.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    expect(all.filter((s) => s === 201)).toHaveLength(1);
    expect(await active(event.id)).toBe(5);

    // Released again with nobody rushing: the very next booker, on the other replica, gets it.
    const again = await b.app.inject({ method: 'POST', url: `/api/v2/bookings/${ids[1]}/cancel`, headers: holders[1]!.auth });
    expect(again.statusCode).toBe(200);
    expect((await book(a, await user(), event.id)).statusCode).toBe(201);
  });
});

describe('a replica that dies between its commit and its announcement', () => {
  it('leaves the release to the outbox relay: the other replicas forget their full copy and the seat is booked', async () => {
    const { event, holders, ids } = await fullEvent(2);
    const someone = await user();
    expect((await book(b, someone, event.id)).json().type).toMatch(/event-full$/);

    // Replica A commits a cancellation and dies before announcing it: the same use case on a unit
    // of work that announces nothing.
    const silent = makeCancelBooking({
      uow: createPgUnitOfWork(a.deps.database.db),
      clock: systemClock,
      ids: uuidGenerator,
      waitlistHoldMs: a.deps.config.WAITLIST_HOLD,
    });
    await silent({ userId: holders[0]!.id, roles: ['USER'] }, ids[0]!);
    expect((await book(b, someone, event.id)).json().type).toMatch(/event-full$/); // B still holds its copy

    // The outbox relay (any replica's) ships the committed rows and forgets what they changed.
    const relay = startOutboxRelay({
      outbox: a.deps.outbox,
      publisher: a.deps.messaging.publisher,
      logger: pino({ level: 'silent' }),
      autoStart: false,
      onRelayed: a.deps.forgetCached,
    });
    await relay.flush();
    const deadline = Date.now() + 2_000;
    let status = 0;
    while (status !== 201 && Date.now() < deadline) {
      status = (await book(b, someone, event.id)).statusCode;
      if (status !== 201) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(201);
    expect(await active(event.id)).toBe(2);
  });
});

/** booking_batch_size so far: how many batches, and how many bookings they decided. */
const batchSizes = async () => {
  const { values } = await a.deps.metrics.bookingBatchSize.get();
  const of = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
  return { count: of('booking_batch_size_count'), sum: of('booking_batch_size_sum') };
};

/** A booking that names its category (here the implicit one, whose id is the event's): it has a transaction of its own. */
const bookByLine = (t: TestApp, who: TestUser, eventId: string) =>
  t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId, lines: [{ categoryId: eventId, seats: 1 }] } });

describe('overload is not an outage', () => {
  it('refuses what does not fit in the admission queue with 503 overloaded, does nothing for it, and stays ready and closed', async () => {
    const { DB_ADMISSION_QUEUE, DB_POOL_MAX } = a.deps.config;
    const burst = DB_ADMISSION_QUEUE + DB_POOL_MAX + 500;
    const event = await publishedEvent(a.app, owner, { capacity: burst + 10, price: { amount: 1000, currency: 'EUR' } });
    const people = await Promise.all(Array.from({ length: burst }, () => user()));
    const reader = await user();

    // Bookings with lines each take a transaction, so the burst needs more than the queue holds.
    const rush = Promise.all(people.map((p) => bookByLine(a, p, event.id)));
    // While the writes queue: reads of the (cached) event and readiness answer.
    const reads = await Promise.all(Array.from({ length: 20 }, () => a.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}`, headers: reader.auth })));
    const ready = await a.app.inject({ method: 'GET', url: '/actuator/health/readiness' });
    const answers = await rush;

    expect(reads.map((r) => r.statusCode)).toEqual(reads.map(() => 200));
    expect(ready.statusCode).toBe(200);
    const refused = answers.filter((r) => r.statusCode === 503);
    expect(answers.filter((r) => r.statusCode !== 201 && r.statusCode !== 503).map((r) => r.body)).toEqual([]);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json()).toMatchObject({ type: expect.stringMatching(/\/overloaded$/), status: 503 });
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Nothing half-done: exactly the 201s are bookings, and the seats add up.
    const created = answers.filter((r) => r.statusCode === 201).length;
    expect(await active(event.id)).toBe(created);
    const seats = await sql<{ available: number }>`SELECT available FROM events WHERE id = ${event.id}`.execute(a.deps.database.db);
    expect(seats.rows[0]!.available).toBe(burst + 10 - created);
    expect(a.deps.policies.get('postgres').state()).toBe('closed');
    expect(a.deps.readOnly()).toBe(false);
    // Refused requests may come back: the next one books.
    expect((await book(a, people[answers.indexOf(refused[0]!)]!, event.id)).statusCode).toBe(201);
  });

  it('takes the same burst of plain bookings of one event in batches: every one booked, none refused, the seats add up', async () => {
    const { DB_ADMISSION_QUEUE, DB_POOL_MAX } = a.deps.config;
    const burst = DB_ADMISSION_QUEUE + DB_POOL_MAX + 500;
    const event = await publishedEvent(a.app, owner, { capacity: burst + 10, price: { amount: 1000, currency: 'EUR' } });
    const people = await Promise.all(Array.from({ length: burst }, () => user()));

    const before = await batchSizes();
    const answers = await Promise.all(people.map((p) => book(a, p, event.id)));

    expect(answers.filter((r) => r.statusCode !== 201).map((r) => r.body)).toEqual([]);
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(burst);
    expect(await active(event.id)).toBe(burst);
    const seats = await sql<{ available: number }>`SELECT available FROM events WHERE id = ${event.id}`.execute(a.deps.database.db);
    expect(seats.rows[0]!.available).toBe(10);
    const outbox = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE type = 'booking.created' AND payload->>'eventId' = ${event.id}`.execute(
      a.deps.database.db,
    );
    expect(outbox.rows[0]!.n).toBe(burst);
    // They were decided together: far fewer transactions than bookings.
    const after = await batchSizes();
    expect(after.sum - before.sum).toBe(burst);
    expect(after.count - before.count).toBeLessThan(burst / 4);
  });
});
