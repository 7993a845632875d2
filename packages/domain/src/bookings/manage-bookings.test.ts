import { describe, expect, it } from 'vitest';
import type { PaymentGateway } from './ports';
import { PRICE, admin, organizer, user, EVENT_START, buildWorld, type World, type WorldOptions, freshInfrastructure } from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

const approvingPayments: PaymentGateway = {
  charge: async () => ({ status: 'SUCCEEDED' }),
  findCharge: async () => null,
  refund: async () => ({ status: 'REFUNDED' }),
};

/** A published free event of org-1 with one CONFIRMED booking of u1. */
async function bookedWorld() {
  const world = createWorld({ payments: approvingPayments });
  const event = await world.publishedEvent({ capacity: 5 });
  const booking = await world.bookSeat(user('u1'), { eventId: event.id });
  return { world, event, booking };
}

describe('getBooking', () => {
  it('shows a booking to its booker', async () => {
    const { world, booking } = await bookedWorld();
    expect(await world.getBooking(user('u1'), booking.id)).toEqual(booking);
  });

  it("shows a booking to the event's organizer", async () => {
    const { world, booking } = await bookedWorld();
    expect(await world.getBooking(organizer('org-1'), booking.id)).toEqual(booking);
  });

  it('shows a booking to an admin', async () => {
    const { world, booking } = await bookedWorld();
    expect(await world.getBooking(admin(), booking.id)).toEqual(booking);
  });

  it('hides a booking from another user with BOOKING.NOT_FOUND', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.getBooking(user('u2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND', details: { bookingId: booking.id } });
  });

  it('hides a booking from an organizer of another event with BOOKING.NOT_FOUND', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.getBooking(organizer('org-2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
  });

  it('refuses an anonymous caller with AUTH.UNAUTHENTICATED', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.getBooking(null, booking.id)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
  });

  it('answers BOOKING.NOT_FOUND for an unknown id', async () => {
    const { world } = await bookedWorld();
    await expect(world.getBooking(admin(), 'missing')).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
  });
});

describe('cancelBooking', () => {
  it('lets the booker cancel, releasing the seat and writing booking.cancelled', async () => {
    const { world, event, booking } = await bookedWorld();
    expect((await world.storedEvent(event.id)).available).toBe(4);
    world.clock.advance(1000);

    const cancelled = await world.cancelBooking(user('u1'), booking.id);

    expect(cancelled).toMatchObject({ status: 'CANCELLED', updatedAt: world.clock.now() });
    expect(await world.storedBooking(booking.id)).toEqual(cancelled);
    expect((await world.storedEvent(event.id)).available).toBe(5);
    expect(world.outboxOf('booking.cancelled')).toEqual([
      expect.objectContaining({ aggregateId: booking.id, data: expect.objectContaining({ status: 'CANCELLED' }) }),
    ]);
  });

  it('lets an admin cancel any booking', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.cancelBooking(admin(), booking.id)).resolves.toMatchObject({ status: 'CANCELLED' });
  });

  it("refuses the event's organizer with AUTH.FORBIDDEN and keeps the booking", async () => {
    const { world, event, booking } = await bookedWorld();
    await expect(world.cancelBooking(organizer('org-1'), booking.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await world.storedBooking(booking.id)).status).toBe('CONFIRMED');
    expect((await world.storedEvent(event.id)).available).toBe(4);
  });

  it('hides the booking from another user with BOOKING.NOT_FOUND', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.cancelBooking(user('u2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    expect((await world.storedBooking(booking.id)).status).toBe('CONFIRMED');
  });

  it('marks a PAID booking REFUND_PENDING', async () => {
    const world = createWorld({ payments: approvingPayments });
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.payBooking(user('u1'), booking.id);

    const cancelled = await world.cancelBooking(user('u1'), booking.id);

    expect(cancelled).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_PENDING' });
    expect(world.outboxOf('booking.cancelled')).toEqual([expect.objectContaining({ data: expect.objectContaining({ paymentStatus: 'REFUND_PENDING' }) })]);
  });

  it('owes no refund for an unpaid booking', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    const cancelled = await world.cancelBooking(user('u1'), booking.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', paymentStatus: 'UNPAID', expiresAt: null });
  });

  it('refuses to cancel twice with BOOKING.ILLEGAL_TRANSITION and releases the seat only once', async () => {
    const { world, event, booking } = await bookedWorld();
    await world.cancelBooking(user('u1'), booking.id);
    await expect(world.cancelBooking(user('u1'), booking.id)).rejects.toMatchObject({
      code: 'BOOKING.ILLEGAL_TRANSITION',
      details: { from: 'CANCELLED', to: 'CANCELLED' },
    });
    expect((await world.storedEvent(event.id)).available).toBe(5);
    expect(world.outboxOf('booking.cancelled')).toHaveLength(1);
  });
});

describe("cancelBooking: the event's cancellation policy", () => {
  const HOUR = 3_600_000;
  /** u1 holds a PAID booking of a paid event (starting at EVENT_START) with the given policy. */
  async function paidBooking(refundUntilHoursBeforeStart?: number) {
    const world = createWorld({ payments: approvingPayments });
    const policy = refundUntilHoursBeforeStart === undefined ? {} : { cancellationPolicy: { refundUntilHoursBeforeStart } };
    const event = await world.publishedEvent({ capacity: 5, price: PRICE, ...policy });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.payBooking(user('u1'), booking.id);
    return { world, event, booking };
  }
  const at = (world: World, ms: number) => world.clock.set(new Date(EVENT_START.getTime() + ms));

  it('defaults to a full refund until 24 hours before the start', async () => {
    const { event } = await paidBooking();
    expect(event.cancellationPolicy).toEqual({ refundUntilHoursBeforeStart: 24 });
  });

  it('refunds in full up to the deadline itself', async () => {
    const { world, booking } = await paidBooking();
    at(world, -24 * HOUR);
    expect(await world.cancelBooking(user('u1'), booking.id)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_PENDING' });
    expect(world.outboxOf('booking.cancelled')).toEqual([expect.objectContaining({ data: expect.objectContaining({ refund: 'full' }) })]);
  });

  it('refunds nothing after the deadline: the payment stays PAID, the seat is released', async () => {
    const { world, event, booking } = await paidBooking();
    at(world, -24 * HOUR + 1);
    expect(await world.cancelBooking(user('u1'), booking.id)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'PAID' });
    expect(world.outboxOf('booking.cancelled')).toEqual([expect.objectContaining({ data: expect.objectContaining({ refund: 'none' }) })]);
    expect((await world.storedEvent(event.id)).available).toBe(5);
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
  });

  it("follows the organizer's own deadline (2 hours)", async () => {
    const { world, booking } = await paidBooking(2);
    at(world, -3 * HOUR);
    expect((await world.cancelBooking(user('u1'), booking.id)).paymentStatus).toBe('REFUND_PENDING');
  });

  it('refuses a booker cancelling once the event has started with EVENT.ALREADY_STARTED, changing nothing', async () => {
    const { world, event, booking } = await paidBooking(0);
    at(world, 0);
    const before = await world.storedBooking(booking.id);
    await expect(world.cancelBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'EVENT.ALREADY_STARTED', kind: 'conflict' });
    expect(await world.storedBooking(booking.id)).toEqual(before);
    expect((await world.storedEvent(event.id)).available).toBe(4);
    expect(world.outboxOf('booking.cancelled')).toHaveLength(0);
  });

  it('lets an admin cancel after the start, without a refund past the deadline', async () => {
    const { world, booking } = await paidBooking();
    at(world, HOUR);
    expect(await world.cancelBooking(admin(), booking.id)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'PAID' });
  });

  it('refunds everyone when the organizer cancels the event, even past the deadline', async () => {
    const { world, event, booking } = await paidBooking();
    at(world, -HOUR);
    await world.cancelEvent(organizer(), event.id);
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('REFUND_PENDING');
  });

  it('rejects a negative or fractional deadline with VALIDATION.FAILED', async () => {
    const world = createWorld();
    for (const refundUntilHoursBeforeStart of [-1, 1.5, 8761])
      await expect(world.publishedEvent({ cancellationPolicy: { refundUntilHoursBeforeStart } })).rejects.toMatchObject({
        code: 'VALIDATION.FAILED',
        details: { errors: [{ field: 'cancellationPolicy.refundUntilHoursBeforeStart', message: expect.any(String) }] },
      });
  });
});

describe('markNoShow', () => {
  it('lets the organizer mark a CONFIRMED booking NO_SHOW without releasing its seat', async () => {
    const { world, event, booking } = await bookedWorld();
    world.clock.set(EVENT_START);
    const noShow = await world.markNoShow(organizer('org-1'), booking.id);
    expect(noShow.status).toBe('NO_SHOW');
    expect((await world.storedBooking(booking.id)).status).toBe('NO_SHOW');
    expect((await world.storedEvent(event.id)).available).toBe(4);
    expect(world.outboxOf('booking.no_show')).toEqual([expect.objectContaining({ aggregateId: booking.id })]);
  });

  it('lets an admin mark a no-show', async () => {
    const { world, booking } = await bookedWorld();
    world.clock.set(EVENT_START);
    await expect(world.markNoShow(admin(), booking.id)).resolves.toMatchObject({ status: 'NO_SHOW' });
  });

  it('refuses a PENDING booking with BOOKING.ILLEGAL_TRANSITION', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await expect(world.markNoShow(organizer('org-1'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.ILLEGAL_TRANSITION' });
    expect((await world.storedBooking(booking.id)).status).toBe('PENDING');
  });

  it('refuses a cancelled booking with BOOKING.ILLEGAL_TRANSITION', async () => {
    const { world, booking } = await bookedWorld();
    await world.cancelBooking(user('u1'), booking.id);
    await expect(world.markNoShow(organizer('org-1'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.ILLEGAL_TRANSITION' });
  });

  it('refuses the booker with AUTH.FORBIDDEN', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.markNoShow(user('u1'), booking.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await world.storedBooking(booking.id)).status).toBe('CONFIRMED');
  });

  it('hides the booking from an organizer of another event with BOOKING.NOT_FOUND', async () => {
    const { world, booking } = await bookedWorld();
    await expect(world.markNoShow(organizer('org-2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
  });
});

describe('listMyBookings', () => {
  it("returns only the caller's own bookings, newest first", async () => {
    const world = createWorld();
    const a = await world.publishedEvent({ title: 'Trip A' });
    const b = await world.publishedEvent({ title: 'Trip B' });
    const first = await world.bookSeat(user('u1'), { eventId: a.id });
    world.clock.advance(1000);
    await world.bookSeat(user('u2'), { eventId: a.id });
    world.clock.advance(1000);
    const second = await world.bookSeat(user('u1'), { eventId: b.id });

    const page = await world.listMyBookings(user('u1'), {});

    expect(page.items.map((x) => x.id)).toEqual([second.id, first.id]);
    expect(page.total).toBe(2);
    expect(page.items.every((x) => x.userId === 'u1')).toBe(true);
  });

  it('filters by status', async () => {
    const world = createWorld();
    const a = await world.publishedEvent({ title: 'Trip A' });
    const b = await world.publishedEvent({ title: 'Trip B' });
    const kept = await world.bookSeat(user('u1'), { eventId: a.id });
    const dropped = await world.bookSeat(user('u1'), { eventId: b.id });
    await world.cancelBooking(user('u1'), dropped.id);

    expect((await world.listMyBookings(user('u1'), { status: 'CONFIRMED' })).items.map((x) => x.id)).toEqual([kept.id]);
    expect((await world.listMyBookings(user('u1'), { status: 'CANCELLED' })).items.map((x) => x.id)).toEqual([dropped.id]);
  });

  it('returns an empty page to a user without bookings', async () => {
    const { world } = await bookedWorld();
    expect(await world.listMyBookings(user('u2'), {})).toMatchObject({ items: [], total: 0, totalPages: 0 });
  });

  it('refuses an anonymous caller with AUTH.UNAUTHENTICATED', async () => {
    const { world } = await bookedWorld();
    await expect(world.listMyBookings(null, {})).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
  });
});

describe('listEventBookings', () => {
  it("gives the event's organizer every booking of the event", async () => {
    const { world, event, booking } = await bookedWorld();
    const other = await world.bookSeat(user('u2'), { eventId: event.id });
    const page = await world.listEventBookings(organizer('org-1'), event.id, {});
    expect(page.items.map((x) => x.id).sort()).toEqual([booking.id, other.id].sort());
  });

  it('refuses another organizer with AUTH.FORBIDDEN', async () => {
    const { world, event } = await bookedWorld();
    await expect(world.listEventBookings(organizer('org-2'), event.id, {})).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  });

  it('answers EVENT.NOT_FOUND for an unknown event', async () => {
    const { world } = await bookedWorld();
    await expect(world.listEventBookings(admin(), 'missing', {})).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });
});
