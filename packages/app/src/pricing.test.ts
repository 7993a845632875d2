import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startFakePaymentService, type FakePaymentService } from '../../../testing/fake-payment-service';
import { inDays, organizer, publishedEvent, startReplicas, user, type TestApp, type TestUser } from '../../../testing/app';
import { expectProblem } from '../../../testing/problems';

// Ticket categories, promo codes and pricing against real PostgreSQL, Redis and the Payment Service
// fake; two replicas on one database share the rushes.
let payments: FakePaymentService;
let t: TestApp;
let t2: TestApp;
let owner: TestUser;

beforeAll(async () => {
  payments = await startFakePaymentService();
  [t, t2] = (await startReplicas(2, 'pricing', { PAYMENT_SERVICE_URL: payments.url })) as [TestApp, TestApp];
  owner = await organizer();
});

afterAll(async () => {
  await Promise.all([t?.close(), t2?.close()]);
  await payments?.close();
});

const inject = (method: 'GET' | 'POST', url: string, who?: TestUser, payload?: unknown) =>
  t.app.inject({ method, url, headers: who?.auth, payload: payload as object });
const RUB = (amount: number) => ({ amount, currency: 'RUB' });

async function category(eventId: string, body: Record<string, unknown>): Promise<string> {
  const res = await inject('POST', `/api/v2/events/${eventId}/categories`, owner, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function promoCode(eventId: string, body: Record<string, unknown>) {
  const res = await inject('POST', `/api/v2/events/${eventId}/promo-codes`, owner, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A rafting trip: adults 5,000 RUB, children under 12 3,000 RUB (at most `childQuota` places). */
async function raftingTrip(capacity = 20, childQuota = 4) {
  const event = await publishedEvent(t.app, owner, { capacity, price: RUB(5000) });
  const adult = await category(event.id, { name: 'Adult', price: RUB(5000) });
  const child = await category(event.id, { name: 'Child under 12', price: RUB(3000), quota: childQuota });
  return { event, adult, child };
}

const book = (who: TestUser, payload: Record<string, unknown>, replica: TestApp = t) =>
  replica.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload });

const linesOf = async (bookingId: string) =>
  (
    await sql<{ category_id: string | null; seats: number; unit_price: string; discount: string }>`
      SELECT category_id, seats, unit_price, discount FROM booking_lines WHERE booking_id = ${bookingId} ORDER BY line_no`.execute(t.deps.database.db)
  ).rows.map((r) => ({ categoryId: r.category_id, seats: r.seats, unitPrice: Number(r.unit_price), discount: Number(r.discount) }));

const available = async (eventId: string) =>
  (await sql<{ available: number }>`SELECT available FROM events WHERE id = ${eventId}`.execute(t.deps.database.db)).rows[0]!.available;

/** A booking paid through the fake Payment Service. */
async function paid(who: TestUser, payload: Record<string, unknown>) {
  const booked = await book(who, payload);
  expect(booked.statusCode, booked.body).toBe(201);
  const res = await inject('POST', `/api/v2/bookings/${booked.json().id}/pay`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().booking as { id: string; paymentId: string; amount: { amount: number; currency: string }; seats: number };
}

describe('ticket categories', () => {
  it('books seats per category at their prices; the booking keeps amount and seats as release 0.1.0 reads them', async () => {
    const { event, adult, child } = await raftingTrip();
    const list = await inject('GET', `/api/v2/events/${event.id}/categories`);
    expect(list.json().items).toMatchObject([
      { id: adult, name: 'Adult', price: RUB(5000), quota: null, available: null, implicit: false },
      { id: child, name: 'Child under 12', price: RUB(3000), quota: 4, available: 4, implicit: false },
    ]);
    const family = await user();
    const res = await book(family, {
      eventId: event.id,
      lines: [
        { categoryId: adult, seats: 2, participants: [{ name: 'Anna' }, { name: 'Boris' }] },
        { categoryId: child, seats: 1, participants: [{ name: 'Vera' }] },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      seats: 3,
      amount: RUB(13000),
      status: 'PENDING',
      participants: [{ name: 'Anna' }, { name: 'Boris' }, { name: 'Vera' }],
    });
    const row = await sql<{ amount: string; seats: number }>`SELECT amount::text, seats FROM bookings WHERE id = ${res.json().id}`.execute(t.deps.database.db);
    expect(row.rows[0]).toEqual({ amount: '13000', seats: 3 });
    expect(await linesOf(res.json().id)).toEqual([
      { categoryId: adult, seats: 2, unitPrice: 5000, discount: 0 },
      { categoryId: child, seats: 1, unitPrice: 3000, discount: 0 },
    ]);
    expect(await available(event.id)).toBe(17);
    expect((await inject('GET', `/api/v2/events/${event.id}/categories`)).json().items[1]).toMatchObject({ available: 3 });
  });

  it("books today's body (seats, no lines) in the event's first category", async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 10, price: RUB(5000) });
    const adult = await category(event.id, { name: 'Adult', price: RUB(4500) });
    await category(event.id, { name: 'Child', price: RUB(3000) });
    const res = await book(await user(), { eventId: event.id, seats: 2 });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ seats: 2, amount: RUB(9000) });
    expect(await linesOf(res.json().id)).toEqual([{ categoryId: adult, seats: 2, unitPrice: 4500, discount: 0 }]);
  });

  it('gives an event without categories one implicit category: its price and capacity, named by the event id', async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 5, price: RUB(2000) });
    const list = await inject('GET', `/api/v2/events/${event.id}/categories`);
    expect(list.json().items).toEqual([
      { id: event.id, eventId: event.id, name: 'Standard', price: RUB(2000), quota: null, available: null, position: 0, implicit: true },
    ]);
    const plain = await book(await user(), { eventId: event.id });
    expect(plain.json()).toMatchObject({ seats: 1, amount: RUB(2000) });
    expect(await linesOf(plain.json().id)).toEqual([{ categoryId: null, seats: 1, unitPrice: 2000, discount: 0 }]);
    const lined = await book(await user(), { eventId: event.id, lines: [{ categoryId: event.id, seats: 2 }] });
    expect(lined.json()).toMatchObject({ seats: 2, amount: RUB(4000) });
    // A free event stays free: CONFIRMED at once, no amount.
    const free = await publishedEvent(t.app, owner, { capacity: 5 });
    expect((await book(await user(), { eventId: free.id, seats: 2 })).json()).toMatchObject({
      status: 'CONFIRMED',
      amount: null,
      paymentStatus: 'NOT_REQUIRED',
    });
  });

  it('answers bad input with a 400 naming the fields, and changes nothing', async () => {
    const { event, adult } = await raftingTrip(10);
    const booker = await user();
    const both = expectProblem(await book(booker, { eventId: event.id, seats: 1, lines: [{ categoryId: adult, seats: 1 }] }), 400, 'validation-error');
    expect(both.errors).toEqual([{ field: 'seats', message: expect.any(String) }]);
    const unknown = expectProblem(await book(booker, { eventId: event.id, lines: [{ categoryId: owner.id, seats: 1 }] }), 400, 'validation-error');
    expect(unknown.errors).toEqual([{ field: 'lines[0].categoryId', message: 'is not a category of this event' }]);
    const twice = expectProblem(
      await book(booker, {
        eventId: event.id,
        lines: [
          { categoryId: adult, seats: 1 },
          { categoryId: adult, seats: 1 },
        ],
      }),
      400,
    );
    expect(twice.errors).toEqual([{ field: 'lines[1].categoryId', message: expect.any(String) }]);
    const crowd = expectProblem(
      await book(booker, { eventId: event.id, lines: [{ categoryId: adult, seats: 1, participants: [{ name: 'A' }, { name: 'B' }] }] }),
      400,
    );
    expect(crowd.errors).toEqual([{ field: 'lines[0].participants', message: expect.any(String) }]);
    expectProblem(await inject('POST', `/api/v2/events/${event.id}/categories`, owner, { name: 'Euro', price: { amount: 100, currency: 'EUR' } }), 400);
    expectProblem(await inject('POST', `/api/v2/events/${event.id}/categories`, owner, { name: 'Huge', quota: 11 }), 400);
    expectProblem(await inject('POST', `/api/v2/events/${event.id}/categories`, owner, { name: 'adult' }), 409, 'category-conflict');
    expectProblem(await inject('POST', `/api/v2/events/${event.id}/categories`, await user(['ORGANIZER']), { name: 'Mine' }), 403);
    expect(await available(event.id)).toBe(10);
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE event_id = ${event.id}`.execute(t.deps.database.db);
    expect(count.rows[0]!.n).toBe(0);
  });

  it('allows ten categories per event, not eleven', async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 10 });
    for (let i = 1; i <= 10; i++) await category(event.id, { name: `Kind ${i}` });
    expectProblem(await inject('POST', `/api/v2/events/${event.id}/categories`, owner, { name: 'Kind 11' }), 409, 'category-limit');
    expect((await inject('GET', `/api/v2/events/${event.id}/categories`)).json().items).toHaveLength(10);
  });

  it('sells exactly a quota of 20 to 500 bookers arriving at once on two replicas; the event keeps the rest', async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 600, price: RUB(5000) });
    const child = await category(event.id, { name: 'Child', price: RUB(3000), quota: 20 });
    const people = await Promise.all(Array.from({ length: 500 }, () => user()));
    const answers = await Promise.all(people.map((p, i) => book(p, { eventId: event.id, lines: [{ categoryId: child, seats: 1 }] }, i % 2 ? t2 : t)));
    const codes = answers.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(20);
    // The others are told the category is sold out (or, on a machine too busy to serve them in time,
    // refused before anything was done: 503 overloaded).
    const refused = answers.filter((r) => r.statusCode === 409);
    expect(answers.filter((r) => r.statusCode !== 201 && r.statusCode !== 409 && !(r.statusCode === 503 && r.json().type.endsWith('/overloaded')))).toEqual([]);
    expect(refused.length).toBeGreaterThan(300);
    expect(refused.every((r) => r.json().type.endsWith('/category-sold-out'))).toBe(true);
    expect(refused[0]!.json()).toMatchObject({ categoryId: child, available: 0 });
    const sold = await sql<{ seats: number }>`
      SELECT coalesce(sum(l.seats), 0)::int AS seats FROM booking_lines l JOIN bookings b ON b.id = l.booking_id
      WHERE l.category_id = ${child} AND b.status IN ('PENDING', 'CONFIRMED')`.execute(t.deps.database.db);
    expect(sold.rows[0]!.seats).toBe(20);
    expect(await available(event.id)).toBe(580);
  });

  it('keeps the quota and the capacity together: a booking the event cannot seat takes nothing from the quota, and a cancelled booking gives its seats back', async () => {
    const { event, adult, child } = await raftingTrip(3, 2);
    const first = await book(await user(), { eventId: event.id, lines: [{ categoryId: child, seats: 2 }] });
    expect(first.statusCode).toBe(201);
    expectProblem(await book(await user(), { eventId: event.id, lines: [{ categoryId: child, seats: 1 }] }), 409, 'category-sold-out');
    expectProblem(await book(await user(), { eventId: event.id, lines: [{ categoryId: adult, seats: 2 }] }), 409, 'event-full');
    expect((await inject('POST', `/api/v2/bookings/${first.json().id}/cancel`, await userOf(first.json().userId))).statusCode).toBe(200);
    expect((await book(await user(), { eventId: event.id, lines: [{ categoryId: child, seats: 2 }] })).statusCode).toBe(201);
  });
});

/** The booker's identity back from a booking's userId (tokens are signed for any subject). */
const userOf = (id: string) => user(['USER'], id as `${string}-${string}-${string}-${string}-${string}`);

describe('promo codes', () => {
  it('takes a percent off per line, rounded half-up in minor units; the booking stores each line with its discount', async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 10, price: RUB(3333) });
    const a = await category(event.id, { name: 'A', price: RUB(3333) });
    const b = await category(event.id, { name: 'B', price: RUB(1005) });
    await promoCode(event.id, { code: 'summer-10', percentOff: 10 });
    // 3 × 3333 = 9999, 10 % = 999.9 -> 1000; 1 × 1005 = 1005, 10 % = 100.5 -> 101.
    const res = await book(await user(), {
      eventId: event.id,
      promoCode: 'SUMMER-10',
      lines: [
        { categoryId: a, seats: 3 },
        { categoryId: b, seats: 1 },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().amount).toEqual(RUB(9999 - 1000 + 1005 - 101));
    expect(await linesOf(res.json().id)).toEqual([
      { categoryId: a, seats: 3, unitPrice: 3333, discount: 1000 },
      { categoryId: b, seats: 1, unitPrice: 1005, discount: 101 },
    ]);
    const price = await inject('GET', `/api/v2/bookings/${res.json().id}/price`, await userOf(res.json().userId));
    expect(price.json()).toEqual({
      bookingId: res.json().id,
      lines: [
        { categoryId: a, name: 'A', seats: 3, unitPrice: RUB(3333), discount: RUB(1000), amount: RUB(8999), participants: [] },
        { categoryId: b, name: 'B', seats: 1, unitPrice: RUB(1005), discount: RUB(101), amount: RUB(904), participants: [] },
      ],
      promoCode: 'SUMMER-10',
      legacy: false,
    });
    expectProblem(await inject('GET', `/api/v2/bookings/${res.json().id}/price`, await user()), 404, 'booking-not-found');
    const codes = await inject('GET', `/api/v2/events/${event.id}/promo-codes`, owner);
    expect(codes.json().items).toMatchObject([{ code: 'SUMMER-10', percentOff: 10, amountOff: null, uses: 1 }]);
  });

  it('refuses an unknown, expired or inapplicable code with 422 and a duplicate with 409, changing nothing', async () => {
    const { event, adult, child } = await raftingTrip(10);
    await promoCode(event.id, { code: 'OLD', percentOff: 50, validUntil: inDays(-1) });
    await promoCode(event.id, { code: 'KIDS', percentOff: 50, categoryIds: [child] });
    const booker = await user();
    expectProblem(await book(booker, { eventId: event.id, promoCode: 'NOPE' }), 422, 'promo-code-invalid');
    expectProblem(await book(booker, { eventId: event.id, promoCode: 'old' }), 422, 'promo-code-invalid');
    // Postgres refuses NUL in text: such a code is simply no code of the event (Schemathesis found a 500).
    expectProblem(await book(booker, { eventId: event.id, promoCode: 'OL\u0000D' }), 422, 'promo-code-invalid');
    expectProblem(await book(booker, { eventId: event.id, promoCode: 'OLD\u0000', lines: [{ categoryId: adult, seats: 1 }] }), 422, 'promo-code-invalid');
    expectProblem(await book(booker, { eventId: event.id, promoCode: 'KIDS', lines: [{ categoryId: adult, seats: 1 }] }), 422, 'promo-code-invalid');
    expectProblem(await inject('POST', `/api/v2/events/${event.id}/promo-codes`, owner, { code: 'kids', percentOff: 5 }), 409, 'promo-code-conflict');
    const both = expectProblem(
      await inject('POST', `/api/v2/events/${event.id}/promo-codes`, owner, { code: 'BOTH', percentOff: 5, amountOff: RUB(100) }),
      400,
    );
    expect(both.errors).toEqual([{ field: 'percentOff', message: expect.any(String) }]);
    expectProblem(await inject('GET', `/api/v2/events/${event.id}/promo-codes`, booker), 403);
    expect(await available(event.id)).toBe(10);
    // The code for children discounts only the child's line.
    const res = await book(booker, {
      eventId: event.id,
      promoCode: 'kids',
      lines: [
        { categoryId: adult, seats: 1 },
        { categoryId: child, seats: 1 },
      ],
    });
    expect(res.json().amount).toEqual(RUB(5000 + 1500));
  });

  it('never counts past its maximum when 1000 people on two replicas use the last five at once; a cancelled booking gives its use back', async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 1100, price: RUB(1000) });
    await promoCode(event.id, { code: 'LAST5', amountOff: RUB(300), maxUses: 5 });
    const people = await Promise.all(Array.from({ length: 1000 }, () => user()));
    const answers = await Promise.all(people.map((p, i) => book(p, { eventId: event.id, promoCode: 'LAST5' }, i % 2 ? t2 : t)));
    const won = answers.filter((r) => r.statusCode === 201);
    expect(won).toHaveLength(5);
    expect(won.every((r) => r.json().amount.amount === 700)).toBe(true);
    // Everyone else is told the code is used up; on a machine too busy to serve them all in time a
    // request may instead be refused before anything was done (503 overloaded, see booking-rush).
    const others = answers.filter((r) => r.statusCode !== 201).map((r) => `${r.statusCode} ${r.json().type}`);
    expect(others.filter((o) => !/^409 .*\/promo-code-exhausted$/.test(o) && !/^503 .*\/overloaded$/.test(o))).toEqual([]);
    expect(others.filter((o) => o.startsWith('409')).length).toBeGreaterThan(500);
    const uses = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM promo_code_uses u JOIN promo_codes p ON p.id = u.promo_code_id WHERE p.event_id = ${event.id}`.execute(
      t.deps.database.db,
    );
    expect(uses.rows[0]!.n).toBe(5);
    expect(await available(event.id)).toBe(1095);

    const first = won[0]!.json();
    expect((await inject('POST', `/api/v2/bookings/${first.id}/cancel`, await userOf(first.userId))).statusCode).toBe(200);
    expect((await inject('GET', `/api/v2/events/${event.id}/promo-codes`, owner)).json().items[0]).toMatchObject({ uses: 4 });
    expect((await book(people[999]!, { eventId: event.id, promoCode: 'last5' })).statusCode).toBe(201);
    expectProblem(await book(people[998]!, { eventId: event.id, promoCode: 'LAST5' }), 409, 'promo-code-exhausted');
  });
});

describe('refunds and reductions give back what was paid for the seats, discount included', () => {
  it('refunds a reduced line at its price less its share of the discount, through the refund job, once', async () => {
    const { event, adult, child } = await raftingTrip(10);
    await promoCode(event.id, { code: 'TEN', percentOff: 10 });
    const booker = await user();
    // 2 × 5000 − 1000 + 1 × 3000 − 300 = 11700.
    const booking = await paid(booker, {
      eventId: event.id,
      promoCode: 'TEN',
      lines: [
        { categoryId: adult, seats: 2 },
        { categoryId: child, seats: 1 },
      ],
    });
    expect(booking.amount).toEqual(RUB(11700));
    const reduced = await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 2 });
    expect(reduced.json()).toMatchObject({ seats: 2, amount: RUB(9000), partialRefundAmount: RUB(2700) });
    expect(await t.deps.useCases.processRefunds()).toMatchObject({ refunded: 1 });
    const again = await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 1 });
    expect(again.json()).toMatchObject({ seats: 1, amount: RUB(4500), partialRefundAmount: RUB(4500) });
    expect(await t.deps.useCases.processRefunds()).toMatchObject({ refunded: 1 });
    expect(payments.refundCalls.filter((c) => c.paymentId === booking.paymentId).map((c) => c.amount)).toEqual([2700, 4500]);
    expect(await linesOf(booking.id)).toEqual([
      { categoryId: adult, seats: 1, unitPrice: 5000, discount: 500 },
      { categoryId: child, seats: 0, unitPrice: 3000, discount: 0 },
    ]);
    // Cancelling refunds the rest: what is still paid, not a price.
    await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker);
    await t.deps.useCases.processRefunds();
    expect(payments.refundCalls.filter((c) => c.paymentId === booking.paymentId).map((c) => c.amount)).toEqual([2700, 4500, 4500]);
  });

  it('gives up the seats of the categories the booker names, refunding those seats', async () => {
    const { event, adult, child } = await raftingTrip(10);
    await promoCode(event.id, { code: 'TWENTY', percentOff: 20 });
    const booker = await user();
    // 2 × 5000 − 2000 + 2 × 3000 − 1200 = 12800.
    const booking = await paid(booker, {
      eventId: event.id,
      promoCode: 'TWENTY',
      lines: [
        { categoryId: adult, seats: 2, participants: [{ name: 'Anna' }, { name: 'Boris' }] },
        { categoryId: child, seats: 2, participants: [{ name: 'Vera' }, { name: 'Gleb' }] },
      ],
    });
    expect(booking.amount).toEqual(RUB(12800));
    const reduced = await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { lines: [{ categoryId: adult, seats: 1 }] });
    expect(reduced.json()).toMatchObject({
      seats: 3,
      amount: RUB(8800),
      partialRefundAmount: RUB(4000),
      participants: [{ name: 'Anna' }, { name: 'Vera' }, { name: 'Gleb' }],
    });
    expect(await linesOf(booking.id)).toEqual([
      { categoryId: adult, seats: 1, unitPrice: 5000, discount: 1000 },
      { categoryId: child, seats: 2, unitPrice: 3000, discount: 1200 },
    ]);
    // Bad lines are field errors, and change nothing.
    const bad = expectProblem(
      await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 1, lines: [{ categoryId: child, seats: 3 }] }),
      400,
      'validation-error',
    );
    expect(bad.errors).toEqual([{ field: 'lines[0].seats', message: expect.any(String) }]);
    const mismatch = expectProblem(
      await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 1, lines: [{ categoryId: child, seats: 1 }] }),
      400,
    );
    expect(mismatch.errors).toEqual([{ field: 'seats', message: 'must be 2, the seats the lines keep, or be left out' }]);
    expectProblem(await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, {}), 400);
    expect(await linesOf(booking.id)).toEqual([
      { categoryId: adult, seats: 1, unitPrice: 5000, discount: 1000 },
      { categoryId: child, seats: 2, unitPrice: 3000, discount: 1200 },
    ]);
  });

  it('splits a fixed amount off over the seats in whole minor units, the seats given up carrying the smaller shares', async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 10, price: RUB(1000) });
    await promoCode(event.id, { code: 'FIVE-HUNDRED', amountOff: RUB(500) });
    const booker = await user();
    const booking = await paid(booker, { eventId: event.id, seats: 3, promoCode: 'five-hundred' });
    expect(booking.amount).toEqual(RUB(2500));
    // 500 over 3 seats: 167 + 167 + 166; giving up two returns 2 × 1000 − (166 + 167) = 1667.
    const reduced = await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 1 });
    expect(reduced.json()).toMatchObject({ amount: RUB(833), partialRefundAmount: RUB(1667) });
  });

  it("falls back to amount / seats for a booking release 0.1.0 made (it has no lines), and for one whose lines 0.1.0's reduction left behind", async () => {
    const event = await publishedEvent(t.app, owner, { capacity: 10, price: RUB(3000) });
    const booker = await user();
    const booking = await paid(booker, { eventId: event.id, seats: 3 });
    await sql`DELETE FROM booking_lines WHERE booking_id = ${booking.id}`.execute(t.deps.database.db);
    const reduced = await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 2 });
    expect(reduced.json()).toMatchObject({ amount: RUB(6000), partialRefundAmount: RUB(3000) });
    expect((await inject('GET', `/api/v2/bookings/${booking.id}/price`, booker)).json()).toMatchObject({ lines: [], promoCode: null, legacy: true });

    const other = await user();
    const lined = await paid(other, { eventId: event.id, seats: 4 });
    // What 0.1.0's reduce writes: amount / seats × seats kept, lines untouched.
    await sql`UPDATE bookings SET seats = 2, amount = 6000 WHERE id = ${lined.id}`.execute(t.deps.database.db);
    const after = await inject('POST', `/api/v2/bookings/${lined.id}/reduce`, other, { seats: 1 });
    expect(after.json()).toMatchObject({ amount: RUB(3000), partialRefundAmount: RUB(3000) });
  });
});

describe('the event summary', () => {
  it('shows revenue by category and the discount given', async () => {
    const { event, adult, child } = await raftingTrip(10);
    await promoCode(event.id, { code: 'KIDS', percentOff: 50, categoryIds: [child] });
    await paid(await user(), {
      eventId: event.id,
      promoCode: 'KIDS',
      lines: [
        { categoryId: adult, seats: 1 },
        { categoryId: child, seats: 2 },
      ],
    });
    await paid(await user(), { eventId: event.id, seats: 1 });
    await book(await user(), { eventId: event.id, lines: [{ categoryId: child, seats: 1 }] });
    const summary = (await inject('GET', `/api/v2/events/${event.id}/summary`, owner)).json();
    expect(summary.revenueByCategory).toEqual([
      { categoryId: adult, name: 'Adult', paymentStatus: 'PAID', currency: 'RUB', bookings: 2, seats: 2, gross: 10000, discount: 0, amount: 10000 },
      { categoryId: child, name: 'Child under 12', paymentStatus: 'PAID', currency: 'RUB', bookings: 1, seats: 2, gross: 6000, discount: 3000, amount: 3000 },
      { categoryId: child, name: 'Child under 12', paymentStatus: 'UNPAID', currency: 'RUB', bookings: 1, seats: 1, gross: 3000, discount: 0, amount: 3000 },
    ]);
    expect(summary.discounts).toEqual([{ paymentStatus: 'PAID', currency: 'RUB', amount: 3000, bookings: 1 }]);
    expect(summary.revenue).toEqual([
      { paymentStatus: 'PAID', currency: 'RUB', amount: 13000, bookings: 2 },
      { paymentStatus: 'UNPAID', currency: 'RUB', amount: 3000, bookings: 1 },
    ]);
  });
});
