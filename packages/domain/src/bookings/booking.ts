import type { Money } from '../events/event';
import { BookingTransitionError } from './booking.errors';

export const BOOKING_STATUSES = ['PENDING', 'CONFIRMED', 'COMPLETED', 'CANCELLED', 'EXPIRED', 'NO_SHOW'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const PAYMENT_STATUSES = [
  'NOT_REQUIRED',
  'UNPAID',
  'PROCESSING',
  'PAID',
  'FAILED',
  'REFUND_PENDING',
  'REFUNDED',
  /** The Payment Service refused the refund (4xx): an operator must look at it (alert PaymentRefundRefused). */
  'REFUND_FAILED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Booking {
  id: string;
  eventId: string;
  userId: string;
  status: BookingStatus;
  /** Fixed when the booking is made; later price changes of the event do not apply. */
  amount: Money | null;
  paymentStatus: PaymentStatus;
  paymentId: string | null;
  /** Until when a PENDING booking holds its seat without payment. */
  expiresAt: Date | null;
  /** While a refund is owed: when it may next be attempted (a lease while one runs); null = now. */
  refundDueAt: Date | null;
  /** When the organizer checked the booking in at the event (attendance); null until then. */
  checkedInAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ACTIVE_STATUSES: readonly BookingStatus[] = ['PENDING', 'CONFIRMED'];
export const isActive = (b: Booking): boolean => ACTIVE_STATUSES.includes(b.status);

const TRANSITIONS: Record<BookingStatus, readonly BookingStatus[]> = {
  PENDING: ['CONFIRMED', 'EXPIRED', 'CANCELLED'],
  CONFIRMED: ['COMPLETED', 'NO_SHOW', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
  EXPIRED: [],
  NO_SHOW: [],
};

export const canTransition = (from: BookingStatus, to: BookingStatus): boolean => TRANSITIONS[from].includes(to);

export function transitionBooking(booking: Booking, to: BookingStatus, now: Date, payment?: Partial<Pick<Booking, 'paymentStatus' | 'paymentId'>>): Booking {
  if (!canTransition(booking.status, to)) throw new BookingTransitionError(booking.id, booking.status, to);
  return {
    ...booking,
    ...payment,
    status: to,
    expiresAt: to === 'PENDING' ? booking.expiresAt : null,
    updatedAt: now,
  };
}

export function newBooking(input: { id: string; eventId: string; userId: string; price: Money | null; now: Date; ttlMs: number }): Booking {
  const free = input.price === null || input.price.amount === 0;
  return {
    id: input.id,
    eventId: input.eventId,
    userId: input.userId,
    status: free ? 'CONFIRMED' : 'PENDING',
    amount: free ? null : input.price,
    paymentStatus: free ? 'NOT_REQUIRED' : 'UNPAID',
    paymentId: null,
    expiresAt: free ? null : new Date(input.now.getTime() + input.ttlMs),
    refundDueAt: null,
    checkedInAt: null,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/** A refund is owed when money was taken for a booking that no longer stands. */
export const refundOwed = (b: Booking): boolean => b.paymentStatus === 'PAID' && (b.status === 'CANCELLED' || b.status === 'EXPIRED');

export type WaitlistStatus = 'WAITING' | 'OFFERED' | 'CLAIMED' | 'EXPIRED' | 'LEFT';

export interface WaitlistEntry {
  id: string;
  eventId: string;
  userId: string;
  status: WaitlistStatus;
  /** 1-based place in line among those still WAITING; filled on reads. */
  position: number | null;
  offerExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
