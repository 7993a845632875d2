import { describe, expect, it } from 'vitest';
import { PRICE, anEvent, organizer, user, buildWorld, freshInfrastructure, type World } from '../testing/builders';
import { allocateSeats } from './book-together';

const batched = (): World => buildWorld(freshInfrastructure(), { bookingBatching: { max: 50 } });
const alone = (): World => buildWorld(freshInfrastructure(), { bookingBatching: { max: 0 } });

/** What a booking call came to, without ids and times: comparable between two worlds. */
const settle = (calls: Promise<{ userId: string; seats: number; status: string; amount: unknown }>[]) =>
  Promise.all(
    calls.map((c) =>
      c.then(
        (b) => ({ booked: { userId: b.userId, seats: b.seats, status: b.status, amount: b.amount } }),
        (e: { code?: string; details?: unknown }) => ({ refused: e.code, details: e.details }),
      ),
    ),
  );

describe('bookings decided together (BOOKING_BATCH_MAX)', () => {
  it('come to what each booking alone would, in arrival order: the same bookings, refusals, seats and events', async () => {
    // 3 fits, 4 is over the limit per booking, 3 fits, the next 3 does not (2 left), the 2 after it
    // does, and the rest find the event full: first come, first served.
    const asks = [3, 4, 3, 3, 2, 1, 4, 1];
    const outcome = async (world: World, concurrently: boolean) => {
      const event = await world.publishedEvent({ capacity: 8, price: PRICE, maxSeatsPerBooking: 3 });
      const book = (seats: number, i: number) => world.bookSeat(user(`u${i}`), { eventId: event.id, seats });
      const results = concurrently
        ? await settle(asks.map(book))
        : await settle([]).then(async () => {
            const out = [];
            for (const [i, seats] of asks.entries()) out.push(...(await settle([book(seats, i)])));
            return out;
          });
      return {
        results,
        available: (await world.storedEvent(event.id)).available,
        created: world.outboxOf('booking.created').map((e) => [e.data.userId, e.data.seats]),
      };
    };
    const together = await outcome(batched(), true);
    const oneByOne = await outcome(alone(), false);
    expect(together).toEqual(oneByOne);
    expect(together.results.map((r) => ('booked' in r ? 'booked' : r.refused))).toEqual([
      'booked',
      'VALIDATION.FAILED',
      'booked',
      'BOOKING.EVENT_FULL',
      'booked',
      'BOOKING.EVENT_FULL',
      'BOOKING.EVENT_FULL',
      'BOOKING.EVENT_FULL',
    ]);
    expect(together.available).toBe(0);
  });

  it('refuses a booker who already holds a booking, and a second request of one booker in the same batch, with BOOKING.CONFLICT', async () => {
    const world = batched();
    const event = await world.publishedEvent({ capacity: 10 });
    const first = await world.bookSeat(user('holder'), { eventId: event.id });
    const answers = await settle([
      world.bookSeat(user('a'), { eventId: event.id }),
      world.bookSeat(user('holder'), { eventId: event.id }),
      world.bookSeat(user('twice'), { eventId: event.id }),
      world.bookSeat(user('twice'), { eventId: event.id }),
    ]);
    expect(answers.map((r) => ('booked' in r ? r.booked.userId : r.refused))).toEqual(['a', 'BOOKING.CONFLICT', 'twice', 'BOOKING.CONFLICT']);
    expect(answers[1]).toMatchObject({ details: { eventId: event.id, existingBookingId: first.id } });
    expect((await world.storedEvent(event.id)).available).toBe(7);
  });

  it('lets a booker holding a waitlist offer claim it inside a rush (the one-at-a-time path)', async () => {
    const world = batched();
    const event = await world.publishedEvent({ capacity: 1 });
    const holding = await world.bookSeat(user('holder'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);
    await world.cancelBooking(user('holder'), holding.id);
    const answers = await settle(['x', 'w1', 'y'].map((u) => world.bookSeat(user(u), { eventId: event.id })));
    expect(answers.map((r) => ('booked' in r ? r.booked.userId : r.refused))).toEqual(['BOOKING.EVENT_FULL', 'w1', 'BOOKING.EVENT_FULL']);
    expect(world.outboxOf('booking.created').at(-1)).toMatchObject({ data: { userId: 'w1', fromWaitlist: true } });
  });

  it("keeps a quota on the event's default category: such bookings go one at a time", async () => {
    const world = batched();
    const event = await world.publishedEvent({ capacity: 10, price: PRICE });
    await world.createCategory(organizer(), event.id, { name: 'Adult', price: PRICE, quota: 3 });
    const answers = await settle(Array.from({ length: 6 }, (_, i) => world.bookSeat(user(`u${i}`), { eventId: event.id })));
    expect(answers.filter((r) => 'booked' in r)).toHaveLength(3);
    expect(answers.filter((r) => !('booked' in r)).map((r) => (r as { refused: string }).refused)).toEqual(Array(3).fill('CATEGORY.SOLD_OUT'));
  });

  it('runs each request alone when the batch loses a race it could not see (a booking of its booker written meanwhile)', async () => {
    const world = batched();
    const event = await world.publishedEvent({ capacity: 10 });
    await world.bookSeat(user('raced'), { eventId: event.id });
    // The batch reads standings that miss the booking (as if it committed on another replica after the read).
    const standingsOf = world.store.bookings.standingsOf;
    world.store.bookings.standingsOf = async () => new Map();
    const answers = await settle(['a', 'raced', 'b'].map((u) => world.bookSeat(user(u), { eventId: event.id })));
    world.store.bookings.standingsOf = standingsOf;
    expect(answers.map((r) => ('booked' in r ? r.booked.userId : r.refused))).toEqual(['a', 'BOOKING.CONFLICT', 'b']);
    expect((await world.storedEvent(event.id)).available).toBe(7);
    expect(world.outboxOf('booking.created').map((e) => e.data.userId)).toEqual(['raced', 'a', 'b']);
  });

  it('refuses for too few seats on its unlocked read, and locks the row only when the seats it counted were taken meanwhile', async () => {
    const world = batched();
    const event = await world.publishedEvent({ capacity: 2 });
    const { events } = world.store;
    const findById = events.findByIdForUpdate.bind(events);
    const takeSeats = events.takeSeats.bind(events);
    let locked = 0;
    events.findByIdForUpdate = (id) => ((locked += 1), findById(id));
    const rush = (users: string[]) =>
      Promise.all(
        users.map((u) =>
          world.bookSeat(user(u), { eventId: event.id }).then(
            (b) => b,
            (e: { code: string }) => e.code,
          ),
        ),
      );

    // The last seats sell and the rest are refused in one transaction each, without the row's lock.
    const [a, ...rest] = await rush(['a', 'b', 'c', 'd']);
    expect([typeof a === 'string' ? a : a!.userId, ...rest.map((r) => (typeof r === 'string' ? r : r.userId))]).toEqual([
      'a',
      'b',
      'BOOKING.EVENT_FULL',
      'BOOKING.EVENT_FULL',
    ]);
    expect(locked).toBe(0);

    // Another replica's batch takes the seats between this batch's read and its UPDATE: the batch runs again under the lock.
    await world.cancelBooking(user('a'), (a as { id: string }).id);
    let raced = false;
    locked = 0;
    events.takeSeats = (id, seats, now) => (raced ? takeSeats(id, seats, now) : ((raced = true), Promise.resolve(false)));
    expect((await rush(['e', 'f'])).map((r) => (typeof r === 'string' ? r : r.userId))).toEqual(['e', 'BOOKING.EVENT_FULL']);
    expect(locked).toBe(1);
    expect((await world.storedEvent(event.id)).available).toBe(0);
  });

  it('confirms free bookings at once, with their booking.confirmed events', async () => {
    const world = batched();
    const event = await world.publishedEvent({ capacity: 5, price: null });
    const answers = await settle(['a', 'b'].map((u) => world.bookSeat(user(u), { eventId: event.id, seats: 2 })));
    expect(answers.map((r) => ('booked' in r ? r.booked.status : r.refused))).toEqual(['CONFIRMED', 'CONFIRMED']);
    expect(world.outboxOf('booking.confirmed').map((e) => e.data.userId)).toEqual(['a', 'b']);
  });
});

describe('allocateSeats', () => {
  const base = { eventId: 'e1', categories: [], standings: new Map(), now: new Date('2030-01-01T00:00:00Z'), bookingTtlMs: 60_000 };
  const ids = () => {
    let n = 0;
    return () => `id-${++n}`;
  };

  it('refuses every request of an event that is not bookable with its reason', () => {
    const requests = [
      { userId: 'a', participants: [] },
      { userId: 'b', participants: [] },
    ];
    const cases = [
      [null, 'EVENT.NOT_FOUND'],
      [anEvent({ id: 'e1', status: 'DRAFT' }), 'EVENT.NOT_FOUND'],
      [anEvent({ id: 'e1', status: 'CANCELLED' }), 'BOOKING.EVENT_NOT_BOOKABLE'],
      [anEvent({ id: 'e1', startDate: new Date('2029-12-31T00:00:00Z') }), 'BOOKING.EVENT_NOT_BOOKABLE'],
    ] as const;
    for (const [event, code] of cases) {
      const a = allocateSeats({ ...base, event, requests, nextId: ids() });
      expect(a.outcomes.map((o) => o.kind === 'REFUSED' && o.error.code)).toEqual([code, code]);
      expect(a.booked).toEqual([]);
      expect(a.seats).toBe(0);
    }
  });

  it('takes the seats it books, in all, and prices each booking as pricing does (seats × the price)', () => {
    const event = anEvent({
      id: 'e1',
      status: 'PUBLISHED',
      available: 4,
      capacity: 4,
      price: { amount: 1500, currency: 'EUR' },
      startDate: new Date('2030-02-01T00:00:00Z'),
    });
    const a = allocateSeats({
      ...base,
      event,
      requests: [
        { userId: 'a', seats: 2, participants: [] },
        { userId: 'b', seats: 3, participants: [] },
        { userId: 'c', participants: [] },
      ],
      nextId: ids(),
    });
    expect(a.outcomes.map((o) => o.kind)).toEqual(['BOOKED', 'REFUSED', 'BOOKED']);
    expect(a.seats).toBe(3);
    expect(a.booked.map((b) => [b.booking.userId, b.booking.amount, b.lines.map((l) => [l.categoryId, l.seats, l.unitPrice])])).toEqual([
      ['a', { amount: 3000, currency: 'EUR' }, [['e1', 2, 1500]]],
      ['c', { amount: 1500, currency: 'EUR' }, [['e1', 1, 1500]]],
    ]);
    expect(a.events.map((e) => [e.type, (e.data as { userId: string }).userId])).toEqual([
      ['booking.created', 'a'],
      ['booking.created', 'c'],
    ]);
  });
});
