import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../shared/domain-error';
import type { Money } from '../events/event';
import type { PaymentGateway } from './ports';
import {
  BOOKING_TTL_MS,
  EVENT_END,
  PRICE,
  WAITLIST_HOLD_MS,
  organizer,
  user,
  buildWorld,
  type World,
  type WorldOptions,
  freshInfrastructure,
} from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

/** Charges succeed unless `down`; refunds are recorded, fail while `down` and are refused while `refuse`. */
function fakePayments() {
  const refunds: { paymentId: string; amount: Money; idempotencyKey: string }[] = [];
  const gateway: PaymentGateway & { down: boolean; refuse: boolean; refunds: typeof refunds } = {
    down: false,
    refuse: false,
    refunds,
    async charge() {
      if (gateway.down) throw new DependencyUnavailableError('payment-service');
      return { status: 'SUCCEEDED' };
    },
    async findCharge() {
      return null;
    },
    async refund(request) {
      refunds.push(structuredClone(request));
      if (gateway.down) throw new DependencyUnavailableError('payment-service');
      if (gateway.refuse) return { status: 'REFUSED', reason: 'already refunded elsewhere' };
      return { status: 'REFUNDED' };
    },
  };
  return gateway;
}

describe('expireBookings', () => {
  async function pendingBooking() {
    const payments = fakePayments();
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ capacity: 1, price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    return { world, payments, event, booking };
  }

  it('leaves a PENDING booking alone before its hold runs out', async () => {
    const { world, event, booking } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS - 1);
    expect(await world.expireBookings()).toBe(0);
    expect((await world.storedBooking(booking.id)).status).toBe('PENDING');
    expect((await world.storedEvent(event.id)).available).toBe(0);
  });

  it('expires a PENDING booking once its hold has run out and writes booking.expired', async () => {
    const { world, booking } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS);
    expect(await world.expireBookings()).toBe(1);
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'EXPIRED', expiresAt: null, updatedAt: world.clock.now() });
    expect(world.outboxOf('booking.expired')).toEqual([expect.objectContaining({ aggregateId: booking.id })]);
  });

  it('gives the seat of an expired booking back to the event', async () => {
    const { world, event } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS);
    await world.expireBookings();
    expect((await world.storedEvent(event.id)).available).toBe(1);
  });

  it('offers the seat of an expired booking to the first in line instead', async () => {
    const { world, event } = await pendingBooking();
    await world.joinWaitlist(user('w1'), event.id);
    world.clock.advance(BOOKING_TTL_MS);
    await world.expireBookings();
    expect((await world.getMyWaitlistEntry(user('w1'), event.id)).status).toBe('OFFERED');
    expect((await world.storedEvent(event.id)).available).toBe(0);
  });

  it('expires each booking once', async () => {
    const { world } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS);
    await world.expireBookings();
    expect(await world.expireBookings()).toBe(0);
    expect(world.outboxOf('booking.expired')).toHaveLength(1);
  });

  it('skips a booking whose payment is PROCESSING: it keeps its seat', async () => {
    const { world, payments, event, booking } = await pendingBooking();
    payments.down = true;
    await world.payBooking(user('u1'), booking.id);
    world.clock.advance(BOOKING_TTL_MS * 2);

    expect(await world.expireBookings()).toBe(0);

    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'PROCESSING' });
    expect((await world.storedEvent(event.id)).available).toBe(0);
  });

  it('leaves CONFIRMED bookings alone', async () => {
    const { world, booking } = await pendingBooking();
    await world.payBooking(user('u1'), booking.id);
    world.clock.advance(BOOKING_TTL_MS);
    expect(await world.expireBookings()).toBe(0);
    expect((await world.storedBooking(booking.id)).status).toBe('CONFIRMED');
  });

  it('expires at most `limit` bookings per run', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    for (const id of ['u1', 'u2', 'u3']) await world.bookSeat(user(id), { eventId: event.id });
    world.clock.advance(BOOKING_TTL_MS);
    expect(await world.expireBookings(2)).toBe(2);
    expect(await world.expireBookings(2)).toBe(1);
    expect((await world.storedEvent(event.id)).available).toBe(10);
  });
});

describe('expireWaitlistOffers', () => {
  it('lapses an offer once its hold has run out', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);
    await world.cancelBooking(user('u1'), booking.id);
    world.clock.advance(WAITLIST_HOLD_MS);
    expect(await world.expireWaitlistOffers()).toBe(1);
    expect(await world.getMyWaitlistEntry(user('w1'), event.id)).toMatchObject({ status: 'EXPIRED', offerExpiresAt: null });
  });
});

describe('completeEvents', () => {
  async function eventWithBookings() {
    const world = createWorld({ payments: fakePayments() });
    const event = await world.publishedEvent({ price: PRICE });
    const confirmed = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.payBooking(user('u1'), confirmed.id);
    const pending = await world.bookSeat(user('u2'), { eventId: event.id });
    return { world, event, confirmed, pending };
  }

  it('leaves a published event alone until its end', async () => {
    const { world, event } = await eventWithBookings();
    world.clock.set(new Date(EVENT_END.getTime() - 1));
    expect(await world.completeEvents()).toBe(0);
    expect((await world.storedEvent(event.id)).status).toBe('PUBLISHED');
  });

  it('completes a published event past its end and writes event.completed', async () => {
    const { world, event } = await eventWithBookings();
    world.clock.set(EVENT_END);
    expect(await world.completeEvents()).toBe(1);
    expect((await world.storedEvent(event.id)).status).toBe('COMPLETED');
    expect(world.outboxOf('event.completed')).toEqual([expect.objectContaining({ aggregateId: event.id })]);
  });

  it('completes the CONFIRMED bookings of the event', async () => {
    const { world, confirmed } = await eventWithBookings();
    world.clock.set(EVENT_END);
    await world.completeEvents();
    expect((await world.storedBooking(confirmed.id)).status).toBe('COMPLETED');
    expect(world.outboxOf('booking.completed')).toEqual([expect.objectContaining({ aggregateId: confirmed.id })]);
  });

  it('expires the PENDING bookings of the event', async () => {
    const { world, pending } = await eventWithBookings();
    world.clock.set(EVENT_END);
    await world.completeEvents();
    expect((await world.storedBooking(pending.id)).status).toBe('EXPIRED');
    expect(world.outboxOf('booking.expired')).toEqual([expect.objectContaining({ aggregateId: pending.id })]);
  });

  it('leaves cancelled bookings as they are', async () => {
    const { world, event } = await eventWithBookings();
    const gone = await world.bookSeat(user('u3'), { eventId: event.id });
    await world.cancelBooking(user('u3'), gone.id);
    world.clock.set(EVENT_END);
    await world.completeEvents();
    expect((await world.storedBooking(gone.id)).status).toBe('CANCELLED');
  });

  it('does not complete drafts or cancelled events', async () => {
    const world = createWorld();
    const draft = await world.draftEvent();
    const cancelled = await world.publishedEvent({ title: 'Called off' });
    await world.cancelEvent(organizer(), cancelled.id);
    world.clock.set(EVENT_END);
    expect(await world.completeEvents()).toBe(0);
    expect((await world.storedEvent(draft.id)).status).toBe('DRAFT');
    expect((await world.storedEvent(cancelled.id)).status).toBe('CANCELLED');
  });

  it('closes the waitlist of a completed event', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    await world.bookSeat(user('u1'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);
    world.clock.set(EVENT_END);
    await world.completeEvents();
    expect((await world.getMyWaitlistEntry(user('w1'), event.id)).status).toBe('EXPIRED');
  });

  it('completes an event only once', async () => {
    const { world } = await eventWithBookings();
    world.clock.set(EVENT_END);
    await world.completeEvents();
    expect(await world.completeEvents()).toBe(0);
    expect(world.outboxOf('event.completed')).toHaveLength(1);
  });
});

describe('processRefunds', () => {
  /** u1 paid for a seat, then cancelled: the booking is REFUND_PENDING. */
  async function refundDue() {
    const payments = fakePayments();
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    const paid = await world.payBooking(user('u1'), booking.id);
    await world.cancelBooking(user('u1'), booking.id);
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('REFUND_PENDING');
    return { world, payments, booking: paid.booking };
  }

  it('refunds the paid amount through the gateway and marks the booking REFUNDED', async () => {
    const { world, payments, booking } = await refundDue();

    expect(await world.processRefunds()).toEqual({ refunded: 1, refused: 0, deferred: 0 });

    expect(payments.refunds).toEqual([{ paymentId: booking.paymentId, amount: PRICE, idempotencyKey: `refund-${booking.paymentId}` }]);
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUNDED' });
    expect(world.outboxOf('payment.refunded')).toEqual([expect.objectContaining({ aggregateId: booking.id })]);
  });

  it('refunds each booking once', async () => {
    const { world, payments } = await refundDue();
    await world.processRefunds();
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    expect(payments.refunds).toHaveLength(1);
  });

  it('does nothing when no refund is due', async () => {
    const payments = fakePayments();
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.payBooking(user('u1'), booking.id);
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    expect(payments.refunds).toHaveLength(0);
  });

  it('leaves a booking REFUND_PENDING when the refund fails', async () => {
    const { world, payments, booking } = await refundDue();
    payments.down = true;

    await world.processRefunds().catch(() => undefined);

    expect(payments.refunds).toHaveLength(1);
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('REFUND_PENDING');
    expect(world.outboxOf('payment.refunded')).toHaveLength(0);
  });

  it('does not let one failing refund block the others: it moves to the back of the queue', async () => {
    const payments = fakePayments();
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ price: PRICE });
    const first = await world.bookSeat(user('u1'), { eventId: event.id });
    const second = await world.bookSeat(user('u2'), { eventId: event.id });
    for (const [who, b] of [
      ['u1', first],
      ['u2', second],
    ] as const) {
      await world.payBooking(user(who), b.id);
      await world.cancelBooking(user(who), b.id);
    }
    const refundOf = payments.refund.bind(payments);
    const stuck = (await world.storedBooking(first.id)).paymentId;
    payments.refund = async (request) => {
      if (request.paymentId === stuck) throw new DependencyUnavailableError('payment-service');
      return refundOf(request);
    };

    world.clock.advance(1_000);
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 1 });
    expect(await world.processRefunds()).toEqual({ refunded: 1, refused: 0, deferred: 0 });

    expect((await world.storedBooking(first.id)).paymentStatus).toBe('REFUND_PENDING');
    expect((await world.storedBooking(second.id)).paymentStatus).toBe('REFUNDED');
  });

  it('ends REFUND_FAILED when the Payment Service refuses the refund, and never tries it again', async () => {
    const { world, payments, booking } = await refundDue();
    payments.refuse = true;

    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 1, deferred: 0 });
    world.clock.advance(24 * 3_600_000);
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });

    expect(payments.refunds).toHaveLength(1);
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_FAILED' });
    expect(world.outboxOf('payment.refund_failed')).toEqual([
      expect.objectContaining({
        aggregateId: booking.id,
        data: expect.objectContaining({ paymentStatus: 'REFUND_FAILED', reason: 'already refunded elsewhere' }),
      }),
    ]);
  });

  it('calls the Payment Service outside any transaction, with the refund leased so another replica leaves it alone', async () => {
    const { world, payments, booking } = await refundDue();
    const refundOf = payments.refund.bind(payments);
    let seenByOtherReplica: unknown;
    payments.refund = async (request) => {
      // The in-memory store runs one transaction at a time: this would wait forever inside one.
      seenByOtherReplica = await Promise.race([world.processRefunds(), new Promise((r) => setTimeout(() => r('deadlock'), 500))]);
      return refundOf(request);
    };

    expect(await world.processRefunds()).toEqual({ refunded: 1, refused: 0, deferred: 0 });

    expect(seenByOtherReplica).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('REFUNDED');
  });

  it('refunds a failed refund on a later run', async () => {
    const { world, payments, booking } = await refundDue();
    payments.down = true;
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 1 });
    payments.down = false;
    // Not before PAYMENT_RETRY_MAX_DELAY (60 s in the domain tests).
    world.clock.advance(59_999);
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    world.clock.advance(1);

    expect(await world.processRefunds()).toEqual({ refunded: 1, refused: 0, deferred: 0 });

    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('REFUNDED');
    expect(payments.refunds.map((r) => r.idempotencyKey)).toEqual([`refund-${booking.paymentId}`, `refund-${booking.paymentId}`]);
  });
});
