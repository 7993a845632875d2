import { describe, expect, it } from 'vitest';
import { BOOKING_STATUSES, canTransition, newBooking, refundOwed, transitionBooking, type Booking, type BookingStatus } from './booking';

const now = new Date('2030-01-01T00:00:00Z');
const later = new Date('2030-01-01T00:05:00Z');
const TTL = 15 * 60_000;

const paid = (): Booking => newBooking({ id: 'b1', eventId: 'e1', userId: 'u1', price: { amount: 1500, currency: 'EUR' }, now, ttlMs: TTL });
const inState = (status: BookingStatus): Booking => ({ ...paid(), status });

/** The machine as specified: anything not listed here is refused. */
const ALLOWED: Record<BookingStatus, readonly BookingStatus[]> = {
  PENDING: ['CONFIRMED', 'EXPIRED', 'CANCELLED'],
  CONFIRMED: ['COMPLETED', 'NO_SHOW', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
  EXPIRED: [],
  NO_SHOW: [],
};
const pairs = BOOKING_STATUSES.flatMap((from) => BOOKING_STATUSES.map((to) => [from, to] as const));
const allowed = pairs.filter(([from, to]) => ALLOWED[from].includes(to));
const refused = pairs.filter(([from, to]) => !ALLOWED[from].includes(to));

describe('booking status machine', () => {
  it('covers all six statuses: 6 allowed moves and 30 refused ones', () => {
    expect([...BOOKING_STATUSES].sort()).toEqual(['CANCELLED', 'COMPLETED', 'CONFIRMED', 'EXPIRED', 'NO_SHOW', 'PENDING']);
    expect(allowed).toHaveLength(6);
    expect(refused).toHaveLength(30);
  });

  it.each(allowed)('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    const moved = transitionBooking(inState(from), to, later);
    expect(moved.status).toBe(to);
    expect(moved.updatedAt).toEqual(later);
  });

  it.each(refused)('refuses %s -> %s with BOOKING.ILLEGAL_TRANSITION', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => transitionBooking(inState(from), to, later)).toThrow(
      expect.objectContaining({ code: 'BOOKING.ILLEGAL_TRANSITION', details: { bookingId: 'b1', from, to } }),
    );
  });

  it.each(['COMPLETED', 'CANCELLED', 'EXPIRED', 'NO_SHOW'] as const)('treats %s as terminal', (status) => {
    for (const to of BOOKING_STATUSES) expect(canTransition(status, to)).toBe(false);
  });
});

describe('transitionBooking', () => {
  it('drops the hold deadline once the booking leaves PENDING', () => {
    const booking = paid();
    expect(booking.expiresAt).not.toBeNull();
    expect(transitionBooking(booking, 'CONFIRMED', later).expiresAt).toBeNull();
  });

  it('applies the payment fields given with the move', () => {
    const confirmed = transitionBooking(paid(), 'CONFIRMED', later, { paymentStatus: 'PAID', paymentId: 'p1' });
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID', paymentId: 'p1' });
  });

  it('leaves the original booking untouched', () => {
    const booking = paid();
    const copy = structuredClone(booking);
    transitionBooking(booking, 'CANCELLED', later);
    expect(booking).toEqual(copy);
  });
});

describe('newBooking', () => {
  it('confirms a free booking at once with no payment and no hold', () => {
    const booking = newBooking({ id: 'b1', eventId: 'e1', userId: 'u1', price: null, now, ttlMs: TTL });
    expect(booking).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'NOT_REQUIRED', amount: null, expiresAt: null, paymentId: null });
  });

  it('treats a zero price as free', () => {
    const booking = newBooking({ id: 'b1', eventId: 'e1', userId: 'u1', price: { amount: 0, currency: 'EUR' }, now, ttlMs: TTL });
    expect(booking).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'NOT_REQUIRED', amount: null });
  });

  it('holds a paid booking PENDING and UNPAID until now + ttl with the price fixed', () => {
    expect(paid()).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'UNPAID',
      amount: { amount: 1500, currency: 'EUR' },
      expiresAt: new Date(now.getTime() + TTL),
    });
  });
});

describe('refundOwed', () => {
  it.each([
    ['CANCELLED', 'PAID', true],
    ['EXPIRED', 'PAID', true],
    ['CONFIRMED', 'PAID', false],
    ['CANCELLED', 'UNPAID', false],
    ['CANCELLED', 'REFUND_PENDING', false],
    ['CANCELLED', 'NOT_REQUIRED', false],
  ] as const)('%s with payment %s owes a refund: %s', (status, paymentStatus, owed) => {
    expect(refundOwed({ ...paid(), status, paymentStatus })).toBe(owed);
  });
});
