import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, user, organizer, admin, inDays, publishedEvent as publish, type TestApp, type TestUser } from '../../../../../testing/app';
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
const eventOf = async (eventId: string): Promise<Json> => (await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` })).json();
const book = (who: TestUser | null, payload: Record<string, unknown>): Promise<InjectResponse> =>
  t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who?.auth ?? {}, payload });
async function booked(who: TestUser, payload: Record<string, unknown>): Promise<Json> {
  const res = await book(who, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const reduce = (id: string, who: TestUser | null, payload: unknown): Promise<InjectResponse> =>
  t.app.inject({ method: 'POST', url: `/api/v2/bookings/${id}/reduce`, headers: who?.auth ?? {}, payload: payload as Record<string, unknown> });
const join = (eventId: string, who: TestUser, seats?: number | string): Promise<InjectResponse> =>
  t.app.inject({ method: 'POST', url: `/api/v2/events/${eventId}/waitlist`, headers: who.auth, query: seats === undefined ? {} : { seats: String(seats) } });
const myEntry = async (eventId: string, who: TestUser): Promise<Json> =>
  (await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}/waitlist/me`, headers: who.auth })).json();
const outbox = async (type: string, aggregateId: string) =>
  t.deps.database.db.selectFrom('outbox').select(['type', 'payload']).where('type', '=', type).where('aggregate_id', '=', aggregateId).execute();

describe('POST /api/v2/bookings with seats and participants', () => {
  it('books a group all at once: seats × price, its participants, the seats taken', async () => {
    const e = await publishedEvent(await organizer(), { capacity: 8, price: EUR(2500) });
    const participants = [{ name: 'Anna' }, { name: 'Boris', email: 'boris@example.org', phone: '+7 900 123-45-67' }];
    const b = await booked(await user(), { eventId: e.id, seats: 3, participants });
    expect(b).toMatchObject({ seats: 3, participants, amount: EUR(7500), status: 'PENDING', partialRefundAmount: null });
    expect((await eventOf(e.id)).available).toBe(5);
    const [created] = await outbox('booking.created', b.id);
    expect(created!.payload).toMatchObject({ seats: 3 });
  });

  it('409 event-full with the seats available when the group does not fit; nothing is taken', async () => {
    const e = await publishedEvent(await organizer(), { capacity: 4 });
    await booked(await user(), { eventId: e.id, seats: 3 });
    const problem = expectProblem(await book(await user(), { eventId: e.id, seats: 2 }), 409, 'event-full');
    expect(problem).toMatchObject({ code: 'BOOKING.EVENT_FULL', eventId: e.id, available: 1 });
    expect((await eventOf(e.id)).available).toBe(1);
  });

  it('400 for more seats than the event allows, more participants than seats, bad participants; nothing is taken', async () => {
    const e = await publishedEvent(await organizer(), { capacity: 10, maxSeatsPerBooking: 2 });
    const booker = await user();
    const bad: [Record<string, unknown>, string][] = [
      [{ seats: 3 }, 'seats'],
      [{ seats: 0 }, 'seats'],
      [{ seats: 1, participants: [{ name: 'A' }, { name: 'B' }] }, 'participants'],
      [{ seats: 2, participants: [{ name: '' }] }, 'participants.0.name'],
      [{ seats: 2, participants: [{ name: 'A', email: 'nope' }] }, 'participants.0.email'],
      [{ seats: 2, participants: [{ name: 'A', age: 3 }] }, 'participants.0'],
    ];
    for (const [body, field] of bad) {
      const problem = expectProblem(await book(booker, { eventId: e.id, ...body }), 400);
      expect(JSON.stringify(problem.errors), JSON.stringify(body)).toContain(field.split('.')[0]);
    }
    expect((await eventOf(e.id)).available).toBe(10);
    await expect(booked(booker, { eventId: e.id, seats: 2 })).resolves.toMatchObject({ seats: 2 });
  });
});

describe('event settings for groups (v2)', () => {
  it('defaults to 10 seats per booking and strict order; the organizer sets and changes both; v1 answers as before', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner);
    expect(e).toMatchObject({ maxSeatsPerBooking: 10, waitlistAllowsPassing: false });
    const body = { title: 'Rafting on the Katun', startDate: inDays(10), endDate: inDays(11), capacity: 10 };
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/v2/events/${e.id}`,
      headers: owner.auth,
      payload: { ...body, maxSeatsPerBooking: 4, waitlistAllowsPassing: true },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ maxSeatsPerBooking: 4, waitlistAllowsPassing: true });
    // Left out on a replace: unchanged.
    expect((await t.app.inject({ method: 'PUT', url: `/api/v2/events/${e.id}`, headers: owner.auth, payload: body })).json()).toMatchObject({
      maxSeatsPerBooking: 4,
      waitlistAllowsPassing: true,
    });
    expectProblem(await t.app.inject({ method: 'PUT', url: `/api/v2/events/${e.id}`, headers: owner.auth, payload: { ...body, maxSeatsPerBooking: 0 } }), 400);
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth, payload: { ...body, maxSeatsPerBooking: 1001 } }), 400);
    const v1 = (await t.app.inject({ method: 'GET', url: `/api/v1/events/${e.id}` })).json();
    expect(Object.keys(v1).sort()).toEqual(['description', 'id', 'location', 'start_date', 'title']);
  });
});

describe('POST /api/v2/bookings/:id/reduce', () => {
  it('gives seats back to the event and records booking.seats_reduced', async () => {
    const e = await publishedEvent(await organizer(), { capacity: 6 });
    const booker = await user();
    const b = await booked(booker, { eventId: e.id, seats: 4, participants: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] });
    const res = await reduce(b.id, booker, { seats: 2, participants: [{ name: 'C' }] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ seats: 2, participants: [{ name: 'C' }], status: 'CONFIRMED' });
    expect((await eventOf(e.id)).available).toBe(4);
    const [event] = await outbox('booking.seats_reduced', b.id);
    expect(event!.payload).toMatchObject({ bookingId: b.id, seats: 2, previousSeats: 4, seatsReleased: 2 });
  });

  it('a paid group is owed the difference before the refund deadline, shown as partialRefundAmount', async () => {
    const e = await publishedEvent(await organizer(), { capacity: 6, price: EUR(2000) });
    const booker = await user();
    const b = await booked(booker, { eventId: e.id, seats: 3 });
    expect((await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${b.id}/pay`, headers: booker.auth })).statusCode).toBe(200);
    const res = await reduce(b.id, booker, { seats: 1 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ seats: 1, amount: EUR(2000), paymentStatus: 'PAID', partialRefundAmount: EUR(4000) });
    expectProblem(await reduce(b.id, booker, { seats: 1 }), 409, 'booking-not-reducible');
  });

  it('409 when not fewer seats; 404 for another user; 403 for the organizer; 401 anonymous; 400 bad body; nothing changes', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { capacity: 6 });
    const booker = await user();
    const b = await booked(booker, { eventId: e.id, seats: 2 });
    expectProblem(await reduce(b.id, booker, { seats: 2 }), 409, 'booking-not-reducible');
    expectProblem(await reduce(b.id, await user(), { seats: 1 }), 404, 'booking-not-found');
    expectProblem(await reduce(b.id, owner, { seats: 1 }), 403, 'forbidden');
    expectProblem(await reduce(b.id, null, { seats: 1 }), 401, 'unauthenticated');
    for (const body of [{}, { seats: 0 }, { seats: 'one' }, { seats: 1, extra: true }, null]) expectProblem(await reduce(b.id, booker, body), 400);
    expectProblem(await reduce(randomUUID(), booker, { seats: 1 }), 404, 'booking-not-found');
    expect((await eventOf(e.id)).available).toBe(4);
    // An admin may reduce.
    expect((await reduce(b.id, await admin(), { seats: 1 })).json()).toMatchObject({ seats: 1 });
  });
});

describe('the waitlist of groups and new seats', () => {
  it('a group joins for N seats, a raised capacity offers it the new seats before anyone else; v1 raises the same way', async () => {
    const owner = await organizer();
    const e = await publishedEvent(owner, { capacity: 2 });
    await booked(await user(), { eventId: e.id, seats: 2 });
    const group = await user();
    const single = await user();
    const joined = await join(e.id, group, 3);
    expect(joined.statusCode, joined.body).toBe(201);
    expect(joined.json()).toMatchObject({ seats: 3, status: 'WAITING', position: 1 });
    expect((await join(e.id, single)).json()).toMatchObject({ seats: 1, position: 2 });

    const body = { title: 'Rafting on the Katun', startDate: inDays(10), endDate: inDays(11) };
    // Two new seats: too few for the group at the head, held for it (strict order); the single waits.
    expect((await t.app.inject({ method: 'PUT', url: `/api/v2/events/${e.id}`, headers: owner.auth, payload: { ...body, capacity: 4 } })).json()).toMatchObject(
      { capacity: 4, available: 0 },
    );
    expect(await myEntry(e.id, single)).toMatchObject({ status: 'WAITING' });
    expectProblem(await book(await user(), { eventId: e.id }), 409, 'event-full');

    // The v1 replace adds the third: the group is offered its three seats, then claims them.
    const v1 = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/events/${e.id}`,
      headers: owner.auth,
      payload: { title: 'Rafting on the Katun', start_date: body.startDate, end_date: body.endDate, capacity: 5 },
    });
    expect(v1.statusCode, v1.body).toBe(200);
    expect(Object.keys(v1.json()).sort()).toEqual(['description', 'id', 'location', 'start_date', 'title']);
    expect(await myEntry(e.id, group)).toMatchObject({ status: 'OFFERED', seats: 3 });
    expect(await booked(group, { eventId: e.id })).toMatchObject({ seats: 3 });
    expect((await eventOf(e.id)).available).toBe(0);
  });

  it('400 for seats out of range; 409 while enough seats are free', async () => {
    const e = await publishedEvent(await organizer(), { capacity: 3, maxSeatsPerBooking: 2 });
    await booked(await user(), { eventId: e.id, seats: 2 });
    const waiter = await user();
    expectProblem(await join(e.id, waiter, 0), 400);
    expectProblem(await join(e.id, waiter, 'x'), 400);
    expectProblem(await join(e.id, waiter, 3), 400);
    expectProblem(await join(e.id, waiter, 1), 409, 'waitlist-conflict');
    expect((await join(e.id, waiter, 2)).statusCode).toBe(201);
  });
});
