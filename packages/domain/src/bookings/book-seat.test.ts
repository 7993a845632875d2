import { describe, expect, it } from 'vitest';
import type { Actor } from '../shared/actor';
import {
  BOOKING_TTL_MS,
  EVENT_START,
  PRICE,
  admin,
  eventInput,
  organizer,
  user,
  buildWorld,
  type World,
  type WorldOptions,
  freshInfrastructure,
} from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

describe('bookSeat: who may book', () => {
  it('refuses an ORGANIZER-only token with AUTH.FORBIDDEN', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await expect(world.bookSeat(organizer('org-2'), { eventId: event.id })).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await world.storedEvent(event.id)).available).toBe(10);
  });

  it('refuses an anonymous caller with AUTH.UNAUTHENTICATED', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await expect(world.bookSeat(null, { eventId: event.id })).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
  });

  it('accepts a token that carries USER among other roles', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const both: Actor = { userId: 'u-both', roles: ['ORGANIZER', 'USER'] };
    await expect(world.bookSeat(both, { eventId: event.id })).resolves.toMatchObject({ userId: 'u-both' });
  });

  it('accepts an admin', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await expect(world.bookSeat(admin(), { eventId: event.id })).resolves.toMatchObject({ userId: 'admin-1' });
  });
});

describe('bookSeat: which events are bookable', () => {
  it('answers EVENT.NOT_FOUND for an unknown event', async () => {
    const world = createWorld();
    await expect(world.bookSeat(user(), { eventId: 'missing' })).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });

  it('answers EVENT.NOT_FOUND for a draft, not revealing it exists', async () => {
    const world = createWorld();
    const draft = await world.draftEvent();
    await expect(world.bookSeat(user(), { eventId: draft.id })).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
    expect((await world.storedEvent(draft.id)).available).toBe(10);
  });

  it('refuses a cancelled event with BOOKING.EVENT_NOT_BOOKABLE', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await world.cancelEvent(organizer(), event.id);
    await expect(world.bookSeat(user(), { eventId: event.id })).rejects.toMatchObject({
      code: 'BOOKING.EVENT_NOT_BOOKABLE',
      details: { eventId: event.id },
    });
  });

  it('refuses an event that has started with BOOKING.EVENT_NOT_BOOKABLE and takes no seat', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    world.clock.set(EVENT_START);
    await expect(world.bookSeat(user(), { eventId: event.id })).rejects.toMatchObject({ code: 'BOOKING.EVENT_NOT_BOOKABLE' });
    expect((await world.storedEvent(event.id)).available).toBe(10);
    expect(world.outboxOf('booking.created')).toHaveLength(0);
  });

  it('still books one millisecond before the start', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    world.clock.set(new Date(EVENT_START.getTime() - 1));
    await expect(world.bookSeat(user(), { eventId: event.id })).resolves.toMatchObject({ eventId: event.id });
  });
});

describe('bookSeat: free events', () => {
  it('confirms at once with no payment required and takes a seat', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 3 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    expect(booking).toMatchObject({
      eventId: event.id,
      userId: 'u1',
      status: 'CONFIRMED',
      paymentStatus: 'NOT_REQUIRED',
      amount: null,
      expiresAt: null,
    });
    expect(await world.storedBooking(booking.id)).toEqual(booking);
    expect((await world.storedEvent(event.id)).available).toBe(2);
  });

  it('writes booking.created and booking.confirmed for the booking', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const outboxBefore = world.outbox().length;
    const booking = await world.bookSeat(user(), { eventId: event.id });
    expect(world.outbox().slice(outboxBefore)).toEqual([
      expect.objectContaining({
        type: 'booking.created',
        aggregateType: 'booking',
        aggregateId: booking.id,
        data: expect.objectContaining({ fromWaitlist: false }),
      }),
      expect.objectContaining({ type: 'booking.confirmed', aggregateType: 'booking', aggregateId: booking.id }),
    ]);
  });
});

describe('bookSeat: paid events', () => {
  it('holds the seat PENDING and UNPAID until now + ttl', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    world.clock.advance(42_000);
    const booking = await world.bookSeat(user(), { eventId: event.id });
    expect(booking).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'UNPAID',
      amount: PRICE,
      expiresAt: new Date(world.clock.now().getTime() + BOOKING_TTL_MS),
    });
    expect((await world.storedEvent(event.id)).available).toBe(9);
  });

  it('writes booking.created but no booking.confirmed', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user(), { eventId: event.id });
    expect(world.outboxOf('booking.created')).toEqual([expect.objectContaining({ aggregateId: booking.id })]);
    expect(world.outboxOf('booking.confirmed')).toHaveLength(0);
  });

  it('fixes the amount at booking time: a later price change does not alter it', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    const early = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.updateEvent(organizer(), event.id, eventInput({ price: { amount: 4000, currency: 'EUR' } }));
    const late = await world.bookSeat(user('u2'), { eventId: event.id });
    expect((await world.storedBooking(early.id)).amount).toEqual(PRICE);
    expect(late.amount).toEqual({ amount: 4000, currency: 'EUR' });
  });
});

describe('bookSeat: one active booking per user and event', () => {
  it('refuses a second active booking with BOOKING.CONFLICT naming the existing booking', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const first = await world.bookSeat(user(), { eventId: event.id });
    await expect(world.bookSeat(user(), { eventId: event.id })).rejects.toMatchObject({
      code: 'BOOKING.CONFLICT',
      details: { eventId: event.id, existingBookingId: first.id },
    });
    expect((await world.storedEvent(event.id)).available).toBe(9);
    expect(world.outboxOf('booking.created')).toHaveLength(1);
  });

  it('lets the same user book again after cancelling', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const first = await world.bookSeat(user(), { eventId: event.id });
    await world.cancelBooking(user(), first.id);
    const second = await world.bookSeat(user(), { eventId: event.id });
    expect(second.id).not.toBe(first.id);
    expect((await world.storedEvent(event.id)).available).toBe(9);
  });

  it('lets the same user book different events', async () => {
    const world = createWorld();
    const a = await world.publishedEvent();
    const b = await world.publishedEvent({ title: 'Another trip' });
    await world.bookSeat(user(), { eventId: a.id });
    await expect(world.bookSeat(user(), { eventId: b.id })).resolves.toMatchObject({ eventId: b.id });
  });
});

describe('bookSeat: capacity', () => {
  it('refuses a booking when no seat is left with BOOKING.EVENT_FULL', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    await world.bookSeat(user('u1'), { eventId: event.id });
    await expect(world.bookSeat(user('u2'), { eventId: event.id })).rejects.toMatchObject({
      code: 'BOOKING.EVENT_FULL',
      details: { eventId: event.id },
    });
    expect((await world.storedEvent(event.id)).available).toBe(0);
  });

  it('never oversells: 50 concurrent bookers for 5 seats give exactly 5 bookings', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 5 });

    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => world.bookSeat(user(`u${i + 1}`), { eventId: event.id })));

    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(5);
    expect(rejected).toHaveLength(45);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'BOOKING.EVENT_FULL' });
    expect((await world.storedEvent(event.id)).available).toBe(0);
    const stored = await world.store.bookings.list({ eventId: event.id }, { page: 1, size: 100 });
    expect(stored.total).toBe(5);
    expect(world.outboxOf('booking.created')).toHaveLength(5);
  });
});
