import { get, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, user, organizer, admin, publishedEvent as publish, type TestApp, type TestUser } from '../../../../../testing/app';
import { freshDatabase } from '../../../../../testing/database';
import { startTcpProxy } from '../../../../../testing/services/tcp-proxy';
import { expectProblem, type InjectResponse, type Json } from '../../../../../testing/problems';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const EUR = (amount: number) => ({ amount, currency: 'EUR' });
const publishedEvent = (owner: TestUser, over: Record<string, unknown> = {}): Promise<Json> => publish(t.app, owner, over);
async function booked(who: TestUser, eventId: string): Promise<Json> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
/** Moves the event so that it runs now: started an hour ago, ends in two hours (today's check-in is open). */
const runningNow = (eventId: string) =>
  t.deps.database.db
    .updateTable('events')
    .set({ start_date: new Date(Date.now() - 3_600_000), end_date: new Date(Date.now() + 2 * 3_600_000) })
    .where('id', '=', eventId)
    .execute();
const checkIn = (bookingId: string, who: TestUser | null): Promise<InjectResponse> =>
  t.app.inject({ method: 'POST', url: `/api/v2/bookings/${bookingId}/check-in`, headers: who?.auth ?? {} });
const attendees = (eventId: string, who: TestUser | null, headers: Record<string, string> = {}, query: Record<string, string> = {}): Promise<InjectResponse> =>
  t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}/attendees`, query, headers: { ...(who?.auth ?? {}), ...headers } });
const summary = (eventId: string, who: TestUser | null): Promise<InjectResponse> =>
  t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}/summary`, headers: who?.auth ?? {} });
const outboxOf = async (type: string, aggregateId: string) =>
  (await t.deps.database.db.selectFrom('outbox').select(['type', 'payload']).where('type', '=', type).where('aggregate_id', '=', aggregateId).execute()).map(
    (r) => r.payload as Json,
  );
const setParticipants = (bookingId: string, seats: number, participants: unknown[]) =>
  sql`UPDATE bookings SET seats = ${seats}, participants = ${JSON.stringify(participants)}::jsonb WHERE id = ${bookingId}`.execute(t.deps.database.db);

describe('POST /api/v2/bookings/{id}/check-in', () => {
  it("checks a CONFIRMED booking in on the event's day: 200 with checkedInAt, one booking.checked_in, the same answer again", async () => {
    const owner = await organizer();
    const booker = await user();
    const e = await publishedEvent(owner);
    const b = await booked(booker, e.id);
    await runningNow(e.id);

    const first = await checkIn(b.id, owner);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ id: b.id, status: 'CONFIRMED', checkedInAt: expect.any(String) });
    const checkedInAt = first.json().checkedInAt;
    expect(Math.abs(Date.parse(checkedInAt) - Date.now())).toBeLessThan(60_000);

    const again = await checkIn(b.id, await admin());
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect((await t.app.inject({ method: 'GET', url: `/api/v2/bookings/${b.id}`, headers: booker.auth })).json().checkedInAt).toBe(checkedInAt);
    const events = await outboxOf('booking.checked_in', b.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ bookingId: b.id, eventId: e.id, userId: booker.id, status: 'CONFIRMED', checkedInAt });
  });

  it("refuses outside the event's days with 409 check-in-closed, naming the window, and changes nothing", async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner);
    const b = await booked(await user(), e.id);
    const problem = expectProblem(await checkIn(b.id, owner), 409, 'check-in-closed');
    expect(problem).toMatchObject({ code: 'BOOKING.CHECK_IN_CLOSED', bookingId: b.id, timeZone: 'UTC' });
    const start = new Date(e.startDate);
    expect(problem.opensAt).toBe(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())).toISOString());
    expect(await outboxOf('booking.checked_in', b.id)).toEqual([]);
  });

  it('refuses a PENDING booking with 409 check-in-not-allowed', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { price: EUR(2500) });
    const b = await booked(await user(), e.id);
    await runningNow(e.id);
    expect(expectProblem(await checkIn(b.id, owner), 409, 'check-in-not-allowed')).toMatchObject({
      status: 409,
      code: 'BOOKING.CHECK_IN_NOT_ALLOWED',
      bookingStatus: 'PENDING',
    });
  });

  it("follows the event's time zone: the window is the event's local calendar days", async () => {
    const owner = await organizer();
    // Vladivostok is UTC+10 all year: the local day of the start begins 10 hours before UTC's midnight of that local date.
    const e = await publishedEvent(owner, { timeZone: 'Asia/Vladivostok' });
    const b = await booked(await user(), e.id);
    const local = new Date(Date.parse(e.startDate) + 10 * 3_600_000);
    const opensAt = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - 10 * 3_600_000);
    expect(expectProblem(await checkIn(b.id, owner), 409, 'check-in-closed')).toMatchObject({ timeZone: 'Asia/Vladivostok', opensAt: opensAt.toISOString() });
  });

  it('is for the organizer of the event and admins: 403 for the booker, 404 for strangers and unknown ids, 401 without a token', async () => {
    const owner = await organizer();
    const booker = await user();
    const e = await publishedEvent(owner);
    const b = await booked(booker, e.id);
    await runningNow(e.id);
    expectProblem(await checkIn(b.id, booker), 403, 'forbidden');
    expectProblem(await checkIn(b.id, await user()), 404, 'booking-not-found');
    expectProblem(await checkIn(b.id, await organizer()), 404, 'booking-not-found');
    expectProblem(await checkIn(b.id, null), 401, 'unauthenticated');
    expectProblem(await checkIn(randomUUID(), owner), 404, 'booking-not-found');
    expectProblem(await checkIn('not-a-uuid', owner), 400, 'validation-error');
    expect((await t.app.inject({ method: 'GET', url: `/api/v2/bookings/${b.id}`, headers: booker.auth })).json().checkedInAt).toBeNull();
  });

  it('keeps a checked-in booking from becoming a no-show: 409 booking-checked-in', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner);
    const b = await booked(await user(), e.id);
    await runningNow(e.id);
    expect((await checkIn(b.id, owner)).statusCode).toBe(200);
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${b.id}/no-show`, headers: owner.auth }), 409, 'booking-checked-in');
  });
});

describe('GET /api/v2/events/{id}/attendees', () => {
  it('lists the active bookings with their participants, oldest first, paged', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { capacity: 10 });
    const [anna, boris, vera] = [await user(), await user(), await user()];
    const first = await booked(anna, e.id);
    const cancelled = await booked(boris, e.id);
    await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${cancelled.id}/cancel`, headers: boris.auth });
    const third = await booked(vera, e.id);
    await setParticipants(first.id, 2, [{ name: 'Anna Petrova', email: 'anna@example.org' }, { name: 'Ivan' }]);

    const page = await attendees(e.id, owner, {}, { size: '1' });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.headers['content-type']).toMatch(/^application\/json/);
    expect(page.json()).toMatchObject({ total: 2, page: 1, size: 1, totalPages: 2 });
    expect(page.json().items).toEqual([
      {
        bookingId: first.id,
        userId: anna.id,
        status: 'CONFIRMED',
        seats: 2,
        participants: [{ name: 'Anna Petrova', email: 'anna@example.org' }, { name: 'Ivan' }],
        paymentStatus: 'NOT_REQUIRED',
        amount: null,
        checkedInAt: null,
        bookedAt: first.createdAt,
      },
    ]);
    const second = await attendees(e.id, await admin(), { accept: 'application/json' }, { page: '2', size: '1' });
    expect(second.json().items.map((a: Json) => [a.bookingId, a.seats, a.participants])).toEqual([[third.id, 1, []]]);
  });

  it('is for the organizer of the event and admins: 403 for others, 401 without a token, 404 for an unknown event, 400 for a bad page', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner);
    for (const accept of ['application/json', 'text/csv']) {
      expectProblem(await attendees(e.id, await user(), { accept }), 403, 'forbidden');
      expectProblem(await attendees(e.id, await organizer(), { accept }), 403, 'forbidden');
      expectProblem(await attendees(e.id, null, { accept }), 401, 'unauthenticated');
      expectProblem(await attendees(randomUUID(), owner, { accept }), 404, 'event-not-found');
    }
    expectProblem(await attendees(e.id, owner, {}, { size: '101' }), 400, 'validation-error');
  });

  it('answers CSV for Accept: text/csv: a header, one record per participant, RFC 4180 quoting, formulas neutralised', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { price: EUR(1500) });
    const [anna, boris] = [await user(), await user()];
    const group = await booked(anna, e.id);
    const single = await booked(boris, e.id);
    await setParticipants(group.id, 3, [
      { name: 'Petrova, Anna', email: 'anna@example.org', phone: '+79001234567' },
      { name: '=HYPERLINK("http://evil.example","Click")' },
    ]);

    const res = await attendees(e.id, owner, { accept: 'text/csv' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="attendees-${e.id}.csv"`);
    expect(res.body.split('\r\n')).toEqual([
      'bookingId,userId,status,seats,participantName,participantEmail,participantPhone,paymentStatus,amount,currency,checkedInAt,bookedAt',
      `${group.id},${anna.id},PENDING,3,"Petrova, Anna",anna@example.org,'+79001234567,UNPAID,1500,EUR,,${group.createdAt}`,
      `${group.id},${anna.id},PENDING,3,"'=HYPERLINK(""http://evil.example"",""Click"")",,,UNPAID,1500,EUR,,${group.createdAt}`,
      `${single.id},${boris.id},PENDING,1,,,,UNPAID,1500,EUR,,${single.createdAt}`,
      '',
    ]);
  });

  it('prefers JSON unless CSV is asked for over it', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner);
    const type = async (accept: string) => (await attendees(e.id, owner, { accept })).headers['content-type'];
    expect(await type('*/*')).toMatch(/^application\/json/);
    expect(await type('application/json, text/csv;q=0.5')).toMatch(/^application\/json/);
    expect(await type('text/csv, application/json;q=0.9')).toMatch(/^text\/csv/);
    expect(await type('text/*')).toMatch(/^text\/csv/);
  });
});

describe('the CSV export streams from PostgreSQL', () => {
  it('sends the first rows before it has read the last ones: a booking made while the client waits appears at the end', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { capacity: 100_000 });
    // 12,000 bookings of four named people each: ~9 MB of CSV, twice what the loopback socket's
    // buffers take in (the sender's grows to net.ipv4.tcp_wmem's 4 MB maximum). Several per
    // millisecond: the export's keyset must not lose or repeat rows sharing one.
    const BOOKINGS = 12_000;
    await manyBookings(t.deps.database.db, e.id, BOOKINGS);

    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const response = await download(address, e.id, owner);
    expect(response.statusCode).toBe(200);
    // The client reads nothing for a while: the server fills the socket's buffers and must stop.
    await sleep(1_500);
    const late = await booked(await user(), e.id);

    let bytes = 0;
    let text = '';
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      text += chunk.toString('utf8');
    }
    const records = text.split('\r\n').slice(1, -1);
    expect(bytes).toBeGreaterThan(8_000_000);
    expect(records).toHaveLength(BOOKINGS * 4 + 1);
    const ids = records.map((r) => r.slice(0, 36));
    expect(new Set(ids).size).toBe(BOOKINGS + 1);
    // Booked after the response had begun, read in the last page: the list was not built up front.
    expect(ids.at(-1)).toBe(late.id);
  });
});

/** `n` CONFIRMED bookings of four named participants each, several per millisecond, straight into the database. */
async function manyBookings(db: TestApp['deps']['database']['db'], eventId: string, n: number) {
  await sql`
    INSERT INTO bookings (id, event_id, user_id, status, seats, participants, payment_status, created_at, updated_at)
    SELECT gen_random_uuid(), ${eventId}, gen_random_uuid(), 'CONFIRMED', 4,
           jsonb_build_array(
             jsonb_build_object('name', 'Participant number one of booking ' || i, 'email', 'first.participant.' || i || '@example.org'),
             jsonb_build_object('name', 'Participant number two of booking ' || i, 'email', 'second.participant.' || i || '@example.org'),
             jsonb_build_object('name', 'Participant number three of booking ' || i, 'phone', '+7 900 000 ' || i),
             jsonb_build_object('name', 'Participant number four of booking ' || i)),
           'NOT_REQUIRED', now() - interval '1 hour' + i * interval '250 microseconds', now()
    FROM generate_series(1, ${n}) AS i`.execute(db);
  await sql`UPDATE events SET available = capacity - ${n * 4} WHERE id = ${eventId}`.execute(db);
}

const download = (address: string, eventId: string, who: TestUser) =>
  new Promise<IncomingMessage>((resolve, reject) =>
    get(`${address}/api/v2/events/${eventId}/attendees`, { headers: { ...who.auth, accept: 'text/csv' } }, resolve).on('error', reject),
  );

describe('the CSV export when the database goes away mid-download', () => {
  it('breaks the download off, so the client cannot take a cut list for a whole one; the next export is whole again', async () => {
    // This app reaches PostgreSQL through a proxy of its own, so the cut touches nobody else.
    const databaseUrl = await freshDatabase('export');
    const proxy = await startTcpProxy({ host: new URL(databaseUrl).hostname, port: Number(new URL(databaseUrl).port) });
    const app = await startTestApp({ DATABASE_URL: proxy.url(databaseUrl) });
    try {
      const owner = await organizer();
      const e = await publish(app.app, owner, { capacity: 100_000 });
      await manyBookings(app.deps.database.db, e.id, 12_000);
      const address = await app.app.listen({ port: 0, host: '127.0.0.1' });

      const response = await download(address, e.id, owner);
      expect(response.statusCode).toBe(200);
      await sleep(1_000); // the server stalls on the full socket, pages still to read
      proxy.cut();
      let bytes = 0;
      const read = (async () => {
        for await (const chunk of response as AsyncIterable<Buffer>) bytes += chunk.length;
      })();
      await expect(read).rejects.toThrow(/aborted/);
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(8_000_000);

      proxy.restore();
      const again = await download(address, e.id, owner);
      expect(again.statusCode).toBe(200);
      let text = '';
      for await (const chunk of again as AsyncIterable<Buffer>) text += chunk.toString('utf8');
      expect(text.split('\r\n').slice(1, -1)).toHaveLength(48_000);
    } finally {
      await app.close();
      await proxy.close();
    }
  });
});

describe('GET /api/v2/events/{id}/summary', () => {
  it('counts the seats of group bookings made through the API, and lists their participants', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { capacity: 10, price: EUR(1000) });
    const [anna, boris] = [await user(), await user()];
    const group = await t.app.inject({
      method: 'POST',
      url: '/api/v2/bookings',
      headers: anna.auth,
      payload: { eventId: e.id, seats: 3, participants: [{ name: 'Anna' }, { name: '@Boris', email: 'boris@example.org' }] },
    });
    expect(group.statusCode, group.body).toBe(201);
    await booked(boris, e.id);

    expect((await summary(e.id, owner)).json()).toMatchObject({
      capacity: 10,
      available: 6,
      booked: 4,
      bookings: { active: 2, checkedIn: 0 },
      revenue: [{ paymentStatus: 'UNPAID', currency: 'EUR', amount: 4000, bookings: 2 }],
    });
    const list = (await attendees(e.id, owner)).json();
    expect(list.items.map((a: Json) => [a.seats, a.participants])).toEqual([
      [3, [{ name: 'Anna' }, { name: '@Boris', email: 'boris@example.org' }]],
      [1, []],
    ]);
    const csv = (await attendees(e.id, owner, { accept: 'text/csv' })).body.split('\r\n');
    expect(csv.filter((line) => line.startsWith(group.json().id)).map((line) => line.split(',').slice(3, 6))).toEqual([
      ['3', 'Anna', ''],
      ['3', "'@Boris", 'boris@example.org'],
    ]);
  });

  it('sums seats booked and checked in, the waitlist and the money by payment status', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { capacity: 4, price: EUR(2000) });
    const [anna, boris, vera, gleb] = [await user(), await user(), await user(), await user()];
    const group = await booked(anna, e.id);
    await setParticipants(group.id, 2, []);
    await sql`UPDATE bookings SET amount = 4000 WHERE id = ${group.id}`.execute(t.deps.database.db);
    await sql`UPDATE events SET available = available - 1 WHERE id = ${e.id}`.execute(t.deps.database.db);
    const paid = await booked(boris, e.id);
    expect((await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${paid.id}/pay`, headers: boris.auth })).statusCode).toBe(200);
    await booked(vera, e.id);
    expect((await t.app.inject({ method: 'POST', url: `/api/v2/events/${e.id}/waitlist`, headers: gleb.auth })).statusCode).toBe(201);
    await runningNow(e.id);
    expect((await checkIn(paid.id, owner)).statusCode).toBe(200);

    const res = await summary(e.id, owner);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      eventId: e.id,
      capacity: 4,
      available: 0,
      heldForWaitlist: 0,
      booked: 4,
      checkedIn: 1,
      seatsByStatus: { PENDING: 3, CONFIRMED: 1, COMPLETED: 0, CANCELLED: 0, EXPIRED: 0, NO_SHOW: 0 },
      bookings: { active: 3, checkedIn: 1 },
      waitlist: { waiting: 1, offered: 0, waitingSeats: 1, offeredSeats: 0 },
      revenue: [
        { paymentStatus: 'PAID', currency: 'EUR', amount: 2000, bookings: 1 },
        { paymentStatus: 'UNPAID', currency: 'EUR', amount: 6000, bookings: 2 },
      ],
      // The event has no categories: everything counts in its implicit one (the group, whose seats
      // and amount were changed behind its lines' back above, at its own amount).
      revenueByCategory: [
        { categoryId: e.id, name: 'Standard', paymentStatus: 'PAID', currency: 'EUR', bookings: 1, seats: 1, gross: 2000, discount: 0, amount: 2000 },
        { categoryId: e.id, name: 'Standard', paymentStatus: 'UNPAID', currency: 'EUR', bookings: 2, seats: 3, gross: 6000, discount: 0, amount: 6000 },
      ],
      discounts: [],
    });
    expect((await summary(e.id, await admin())).statusCode).toBe(200);
  });

  it('is for the organizer of the event and admins', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner);
    expectProblem(await summary(e.id, await user()), 403, 'forbidden');
    expectProblem(await summary(e.id, await organizer()), 403, 'forbidden');
    expectProblem(await summary(e.id, null), 401, 'unauthenticated');
    expectProblem(await summary(randomUUID(), owner), 404, 'event-not-found');
  });
});
