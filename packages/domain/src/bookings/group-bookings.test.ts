import { describe, expect, it } from 'vitest';
import type { Money } from '../events/event';
import { DependencyUnavailableError } from '../shared/domain-error';
import type { PaymentGateway } from './ports';
import { makeBookSeat } from './book-seat';
import {
  BOOKING_TTL_MS,
  EVENT_START,
  PRICE,
  WAITLIST_HOLD_MS,
  admin,
  organizer,
  user,
  START,
  buildWorld,
  eventInput,
  type World,
  freshInfrastructure,
} from '../testing/builders';
import { createMemoryStore, fixedClock, sequentialIds } from '../testing';

/** Charges succeed; refunds are recorded and succeed. */
function fakePayments() {
  const refunds: { paymentId: string; amount: Money; idempotencyKey: string }[] = [];
  const gateway: PaymentGateway & { refunds: typeof refunds } = {
    refunds,
    charge: async () => ({ status: 'SUCCEEDED' }),
    findCharge: async () => null,
    async refund(request) {
      refunds.push(structuredClone(request));
      return { status: 'REFUNDED' };
    },
  };
  return gateway;
}

const createWorld = (payments = fakePayments()) => buildWorld(freshInfrastructure(), { payments });

const seatsOf = async (world: World, eventId: string) => {
  const e = await world.storedEvent(eventId);
  return { available: e.available, held: e.waitlistHeld };
};
const statusOf = async (world: World, userId: string, eventId: string) => (await world.getMyWaitlistEntry(user(userId), eventId)).status;

describe('bookSeat: groups', () => {
  it('takes all the seats of a group at seats × price, with its participants', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 10, price: PRICE });
    const booking = await world.bookSeat(user('u1'), {
      eventId: event.id,
      seats: 3,
      participants: [{ name: '  Anna ' }, { name: 'Boris', email: 'boris@example.org', phone: '+7 900 000-00-00' }],
    });
    expect(booking).toMatchObject({ seats: 3, amount: { amount: 3 * PRICE.amount, currency: 'EUR' }, status: 'PENDING' });
    expect(booking.participants).toEqual([{ name: 'Anna' }, { name: 'Boris', email: 'boris@example.org', phone: '+7 900 000-00-00' }]);
    expect(await world.storedBooking(booking.id)).toEqual(booking);
    expect(await seatsOf(world, event.id)).toEqual({ available: 7, held: 0 });
    expect(world.outboxOf('booking.created')[0]!.data).toMatchObject({ seats: 3 });
  });

  it('books one seat when seats is not given', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    expect(await world.bookSeat(user('u1'), { eventId: event.id })).toMatchObject({ seats: 1, participants: [], amount: null });
    expect(await seatsOf(world, event.id)).toEqual({ available: 9, held: 0 });
  });

  it.each([
    ['more seats than the event allows per booking', { seats: 5 }, 'seats'],
    ['zero seats', { seats: 0 }, 'seats'],
    ['a fractional seat', { seats: 1.5 }, 'seats'],
    ['more participants than seats', { seats: 1, participants: [{ name: 'A' }, { name: 'B' }] }, 'participants'],
    ['a participant without a name', { seats: 2, participants: [{ name: ' ' }] }, 'participants[0].name'],
    ['a bad email', { seats: 2, participants: [{ name: 'A', email: 'not-an-email' }] }, 'participants[0].email'],
  ])('refuses %s with VALIDATION.FAILED and takes nothing', async (_, input, field) => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 10, maxSeatsPerBooking: 4 });
    await expect(world.bookSeat(user('u1'), { eventId: event.id, ...input })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field })] },
    });
    expect(await seatsOf(world, event.id)).toEqual({ available: 10, held: 0 });
    expect(world.outboxOf('booking.created')).toEqual([]);
  });

  it('refuses a group larger than the free seats with BOOKING.EVENT_FULL and the seats available, taking none', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 5 });
    await world.bookSeat(user('u1'), { eventId: event.id, seats: 3 });
    await expect(world.bookSeat(user('u2'), { eventId: event.id, seats: 3 })).rejects.toMatchObject({
      code: 'BOOKING.EVENT_FULL',
      details: { eventId: event.id, available: 2 },
    });
    expect(await seatsOf(world, event.id)).toEqual({ available: 2, held: 0 });
    await expect(world.bookSeat(user('u2'), { eventId: event.id, seats: 2 })).resolves.toMatchObject({ seats: 2 });
  });

  it('refuses inside the transaction too when a stale read let the group through', async () => {
    const store = createMemoryStore();
    const world = buildWorld({ store, clock: fixedClock(START), ids: sequentialIds() });
    const event = await world.publishedEvent({ capacity: 4 });
    await world.bookSeat(user('u1'), { eventId: event.id, seats: 3 });
    const stale = { ...event, available: 4 };
    const book = makeBookSeat({
      uow: store,
      clock: world.clock,
      ids: world.ids,
      bookingTtlMs: BOOKING_TTL_MS,
      waitlistHoldMs: WAITLIST_HOLD_MS,
      reads: { events: { findById: async () => stale }, bookings: { standing: async () => ({ activeBookingId: null, offered: false }) } },
    });
    await expect(book(user('u2'), { eventId: event.id, seats: 2 })).rejects.toMatchObject({ code: 'BOOKING.EVENT_FULL', details: { available: 1 } });
    expect(await seatsOf(world, event.id)).toEqual({ available: 1, held: 0 });
  });

  it('returns every seat of a cancelled group', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 6 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 4 });
    await world.cancelBooking(user('u1'), booking.id);
    expect(await seatsOf(world, event.id)).toEqual({ available: 6, held: 0 });
  });
});

describe('reduceBooking', () => {
  it('gives seats back, keeps the first participants and emits booking.seats_reduced', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 6 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 4, participants: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] });
    const reduced = await world.reduceBooking(user('u1'), booking.id, { seats: 2 });
    expect(reduced).toMatchObject({ seats: 2, participants: [{ name: 'A' }, { name: 'B' }], status: 'CONFIRMED', partialRefund: null });
    expect(await seatsOf(world, event.id)).toEqual({ available: 4, held: 0 });
    expect(world.outboxOf('booking.seats_reduced').map((e) => e.data)).toEqual([
      expect.objectContaining({ bookingId: booking.id, seats: 2, previousSeats: 4, seatsReleased: 2, refund: 'not-paid' }),
    ]);
  });

  it('lowers the amount of an unpaid booking with nothing to refund', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 3 });
    expect(await world.reduceBooking(user('u1'), booking.id, { seats: 1 })).toMatchObject({ amount: PRICE, partialRefund: null, paymentStatus: 'UNPAID' });
  });

  it('refunds the difference of a paid booking before the refund deadline, once, under its own key', async () => {
    const payments = fakePayments();
    const world = createWorld(payments);
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 3 });
    const { booking: paid } = await world.payBooking(user('u1'), booking.id);
    const reduced = await world.reduceBooking(user('u1'), booking.id, { seats: 1 });
    expect(reduced).toMatchObject({ seats: 1, amount: PRICE, paymentStatus: 'PAID', partialRefund: { amount: { amount: 2 * PRICE.amount, currency: 'EUR' } } });
    await expect(world.reduceBooking(user('u1'), booking.id, { seats: 1 })).rejects.toMatchObject({ code: 'BOOKING.NOT_REDUCIBLE' });

    expect(await world.processRefunds()).toEqual({ refunded: 1, refused: 0, deferred: 0 });
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    expect(payments.refunds).toEqual([
      { paymentId: paid.paymentId, amount: { amount: 2 * PRICE.amount, currency: 'EUR' }, idempotencyKey: reduced.partialRefund!.idempotencyKey },
    ]);
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID', partialRefund: null, seats: 1 });
    expect(world.outboxOf('payment.refunded').map((e) => e.data)).toEqual([
      expect.objectContaining({ partial: true, refundAmount: { amount: 3000, currency: 'EUR' } }),
    ]);

    // Cancelling later refunds what remains, under the booking's own refund key.
    await world.cancelBooking(user('u1'), booking.id);
    await world.processRefunds();
    expect(payments.refunds.at(-1)).toEqual({ paymentId: paid.paymentId, amount: PRICE, idempotencyKey: `refund-${paid.paymentId}` });
  });

  it('a refused partial refund is settled as refused: the booking keeps its payment, the event carries the reason', async () => {
    const payments = fakePayments();
    payments.refund = async () => ({ status: 'REFUSED', reason: 'not refundable' });
    const world = createWorld(payments);
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    await world.payBooking(user('u1'), booking.id);
    await world.reduceBooking(user('u1'), booking.id, { seats: 1 });
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 1, deferred: 0 });
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID', partialRefund: null });
    expect(world.outboxOf('payment.refund_failed').map((e) => e.data)).toEqual([expect.objectContaining({ partial: true, reason: 'not refundable' })]);
  });

  it('a partial refund waits while the Payment Service is unavailable, and a REFUNDED notification settles only it', async () => {
    const payments = fakePayments();
    payments.refund = async () => {
      throw new DependencyUnavailableError('payment-service');
    };
    const world = createWorld(payments);
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    const { booking: paid } = await world.payBooking(user('u1'), booking.id);
    await world.reduceBooking(user('u1'), booking.id, { seats: 1 });
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 1 });
    expect((await world.storedBooking(booking.id)).partialRefund).not.toBeNull();
    await world.applyPaymentNotification({ paymentId: paid.paymentId!, status: 'REFUNDED' });
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID', partialRefund: null });
  });

  it('refunds nothing after the refund deadline', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE, cancellationPolicy: { refundUntilHoursBeforeStart: 24 } });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    await world.payBooking(user('u1'), booking.id);
    world.clock.set(new Date(EVENT_START.getTime() - 3_600_000));
    expect(await world.reduceBooking(user('u1'), booking.id, { seats: 1 })).toMatchObject({ amount: PRICE, partialRefund: null });
    expect(world.outboxOf('booking.seats_reduced')[0]!.data).toMatchObject({ refund: 'none', refundAmount: null });
  });

  it('refuses to reduce to as many seats or more, to zero, a cancelled booking, or someone else’s booking', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const booking = await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    await expect(world.reduceBooking(user('u1'), booking.id, { seats: 2 })).rejects.toMatchObject({ code: 'BOOKING.NOT_REDUCIBLE' });
    await expect(world.reduceBooking(user('u1'), booking.id, { seats: 0 })).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(world.reduceBooking(user('u1'), booking.id, { seats: 1, participants: [{ name: 'A' }, { name: 'B' }] })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(world.reduceBooking(user('u2'), booking.id, { seats: 1 })).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    await expect(world.reduceBooking(organizer(), booking.id, { seats: 1 })).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await world.cancelBooking(user('u1'), booking.id);
    await expect(world.reduceBooking(admin(), booking.id, { seats: 1 })).rejects.toMatchObject({ code: 'BOOKING.NOT_REDUCIBLE' });
    expect(await seatsOf(world, event.id)).toEqual({ available: 10, held: 0 });
  });
});

describe('the waitlist with groups', () => {
  /** A full event of 4 seats held by `big` (4 seats); the line: g3 waits for 3 seats, s1 for 1. */
  async function fullEvent(waitlistAllowsPassing = false) {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 4, waitlistAllowsPassing });
    const big = await world.bookSeat(user('big'), { eventId: event.id, seats: 4 });
    await world.joinWaitlist(user('g3'), event.id, { seats: 3 });
    await world.joinWaitlist(user('s1'), event.id, { seats: 1 });
    return { world, event, big };
  }

  it('strict order: a freed seat too few for the group at the head is held for it; those behind wait; nobody else takes it', async () => {
    const { world, event, big } = await fullEvent();
    await world.reduceBooking(user('big'), big.id, { seats: 3 });
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 1 });
    expect(await statusOf(world, 's1', event.id)).toBe('WAITING');
    await expect(world.bookSeat(user('outsider'), { eventId: event.id })).rejects.toMatchObject({ code: 'BOOKING.EVENT_FULL' });

    await world.reduceBooking(user('big'), big.id, { seats: 1 });
    expect(await statusOf(world, 'g3', event.id)).toBe('OFFERED');
    expect(await statusOf(world, 's1', event.id)).toBe('WAITING');
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
    expect(world.outboxOf('waitlist.offered').map((e) => e.data)).toEqual([expect.objectContaining({ userId: 'g3', seats: 3 })]);

    // The offer's holder claims its three seats.
    expect(await world.bookSeat(user('g3'), { eventId: event.id })).toMatchObject({ seats: 3 });
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
  });

  it('with passing allowed, a smaller entry takes a freed seat ahead of a group that does not fit', async () => {
    const { world, event, big } = await fullEvent(true);
    await world.reduceBooking(user('big'), big.id, { seats: 3 });
    expect(await statusOf(world, 's1', event.id)).toBe('OFFERED');
    expect(await statusOf(world, 'g3', event.id)).toBe('WAITING');
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
  });

  it('an organizer allowing passing lets smaller entries take the seats held for a group', async () => {
    const { world, event, big } = await fullEvent();
    await world.reduceBooking(user('big'), big.id, { seats: 3 });
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 1 });
    await world.updateEvent(organizer(), event.id, eventInput({ capacity: 4, waitlistAllowsPassing: true }));
    expect(await statusOf(world, 's1', event.id)).toBe('OFFERED');
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
  });

  it('a lapsed group offer moves its seats on down the line', async () => {
    const { world, event, big } = await fullEvent();
    await world.reduceBooking(user('big'), big.id, { seats: 1 });
    expect(await statusOf(world, 'g3', event.id)).toBe('OFFERED');
    world.clock.advance(WAITLIST_HOLD_MS + 1);
    await world.expireWaitlistOffers();
    expect(await statusOf(world, 's1', event.id)).toBe('OFFERED');
    expect(await seatsOf(world, event.id)).toEqual({ available: 2, held: 0 });
  });

  it('an offer holder booking fewer seats passes the rest on', async () => {
    const { world, event, big } = await fullEvent();
    await world.reduceBooking(user('big'), big.id, { seats: 1 });
    expect(await world.bookSeat(user('g3'), { eventId: event.id, seats: 2 })).toMatchObject({ seats: 2 });
    expect(await statusOf(world, 's1', event.id)).toBe('OFFERED');
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
  });

  it('a group joining when too few seats are free has them held for it; refused when enough are free', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 4 });
    await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    await expect(world.joinWaitlist(user('g2'), event.id, { seats: 2 })).rejects.toMatchObject({ code: 'WAITLIST.CONFLICT' });
    expect(await world.joinWaitlist(user('g3'), event.id, { seats: 3 })).toMatchObject({ seats: 3, status: 'WAITING', position: 1 });
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 2 });
    await expect(world.joinWaitlist(user('g9'), event.id, { seats: 11 })).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    // Leaving, the group hands the held seats back to everyone.
    await world.leaveWaitlist(user('g3'), event.id);
    expect(await seatsOf(world, event.id)).toEqual({ available: 2, held: 0 });
  });
});

describe('raising the capacity', () => {
  it('offers the new seats to the waitlist first, in order; what nobody waits for becomes available', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 2 });
    await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    await world.joinWaitlist(user('w1'), event.id);
    await world.joinWaitlist(user('w2'), event.id, { seats: 2 });

    await world.updateEvent(organizer(), event.id, eventInput({ capacity: 3 }));
    expect(await statusOf(world, 'w1', event.id)).toBe('OFFERED');
    expect(await statusOf(world, 'w2', event.id)).toBe('WAITING');
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
    await expect(world.bookSeat(user('outsider'), { eventId: event.id })).rejects.toMatchObject({ code: 'BOOKING.EVENT_FULL' });

    const updated = await world.updateEvent(organizer(), event.id, eventInput({ capacity: 6 }));
    expect(await statusOf(world, 'w2', event.id)).toBe('OFFERED');
    expect(updated).toMatchObject({ capacity: 6, available: 1, waitlistHeld: 0 });
    expect(world.outboxOf('event.updated').at(-1)!.data).toMatchObject({ capacity: 6 });
  });

  it('the v1 replace offers them the same way', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    await world.bookSeat(user('u1'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);
    await world.replaceLegacyEvent(organizer(), event.id, {
      title: event.title,
      description: null,
      locationText: null,
      startDate: event.startDate,
      capacity: 2,
    });
    expect(await statusOf(world, 'w1', event.id)).toBe('OFFERED');
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 0 });
  });

  it('lowering it keeps the seats held for the line as long as they fit', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 5 });
    await world.bookSeat(user('u1'), { eventId: event.id, seats: 2 });
    await world.joinWaitlist(user('g4'), event.id, { seats: 4 });
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 3 });
    await world.updateEvent(organizer(), event.id, eventInput({ capacity: 3 }));
    expect(await seatsOf(world, event.id)).toEqual({ available: 0, held: 1 });
    await expect(world.updateEvent(organizer(), event.id, eventInput({ capacity: 1 }))).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });
});
