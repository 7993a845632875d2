import type { Money } from '../events/event';
import type { FieldError } from '../shared/domain-error';
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

/** A person a group booking is for; the booker names them (all optional but the name). */
export interface Participant {
  name: string;
  email?: string;
  phone?: string;
}

/** Money owed back for seats given up (reduce) while the booking stays active; sent under its own idempotency key. */
export interface PartialRefund {
  amount: Money;
  idempotencyKey: string;
}

export interface Booking {
  id: string;
  eventId: string;
  userId: string;
  status: BookingStatus;
  /** How many seats the booking holds (1 unless a group). */
  seats: number;
  /** Who the seats are for, at most `seats` of them; may be empty. */
  participants: Participant[];
  /**
   * Fixed when the booking is made: the total of its lines after discount (pricing/), seats × the
   * event's price for a booking release 0.1.0 made; later price changes do not apply.
   */
  amount: Money | null;
  paymentStatus: PaymentStatus;
  paymentId: string | null;
  /** Until when a PENDING booking holds its seat without payment. */
  expiresAt: Date | null;
  /** While a refund is owed: when it may next be attempted (a lease while one runs); null = now. */
  refundDueAt: Date | null;
  /** A refund owed for seats given up while the booking stays active; null when none is. */
  partialRefund: PartialRefund | null;
  /** When the organizer checked the booking in at the event (attendance); null until then. */
  checkedInAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ACTIVE_STATUSES: readonly BookingStatus[] = ['PENDING', 'CONFIRMED'];
export const isActive = (b: Booking): boolean => ACTIVE_STATUSES.includes(b.status);
/**
 * The bookings an event's attendee list shows: the active ones, and after the event those its end
 * completed or the organizer marked no-show (the list stays whole for check-in and the records).
 */
export const ATTENDEE_STATUSES: readonly BookingStatus[] = ['PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW'];

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

/** The price of `seats` seats. */
export const priceOf = (price: Money, seats: number): Money => ({ amount: price.amount * seats, currency: price.currency });

export function newBooking(input: {
  id: string;
  eventId: string;
  userId: string;
  price: Money | null;
  now: Date;
  ttlMs: number;
  seats?: number;
  participants?: Participant[];
  /** What pricing charged (total of the lines after discount); left out: seats × `price`. */
  amount?: Money | null;
}): Booking {
  const seats = input.seats ?? 1;
  const free = input.amount !== undefined ? input.amount === null || input.amount.amount === 0 : input.price === null || input.price.amount === 0;
  return {
    id: input.id,
    eventId: input.eventId,
    userId: input.userId,
    status: free ? 'CONFIRMED' : 'PENDING',
    seats,
    participants: input.participants ?? [],
    amount: free ? null : (input.amount ?? priceOf(input.price!, seats)),
    paymentStatus: free ? 'NOT_REQUIRED' : 'UNPAID',
    paymentId: null,
    expiresAt: free ? null : new Date(input.now.getTime() + input.ttlMs),
    refundDueAt: null,
    partialRefund: null,
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
  /** How many seats the entry waits for (and an offer holds). */
  seats: number;
  /** 1-based place in line among those still WAITING; filled on reads. */
  position: number | null;
  offerExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()\-.]{3,40}$/;

/** Field errors of a group's size and participants (checked at the edge too; the domain does not trust it). */
export function validateGroup(seats: number, participants: readonly Participant[], maxSeats: number, field = 'seats'): FieldError[] {
  const errors: FieldError[] = [];
  if (!Number.isInteger(seats) || seats < 1) errors.push({ field, message: 'must be a positive integer' });
  else if (seats > maxSeats) errors.push({ field, message: `must be at most ${maxSeats}, the event's limit per booking` });
  if (participants.length > seats) errors.push({ field: 'participants', message: `must list at most ${seats} people, one per seat` });
  participants.forEach((p, i) => {
    const name = p.name?.trim() ?? '';
    if (name.length < 1 || name.length > 200) errors.push({ field: `participants[${i}].name`, message: 'must be 1..200 characters' });
    if (p.email !== undefined && (p.email.length > 254 || !EMAIL.test(p.email)))
      errors.push({ field: `participants[${i}].email`, message: 'must be an email address' });
    if (p.phone !== undefined && !PHONE.test(p.phone)) errors.push({ field: `participants[${i}].phone`, message: 'must be a phone number' });
  });
  return errors;
}

/** Participants as stored: names trimmed, unset contact fields left out. */
export const normalizeParticipants = (participants: readonly Participant[]): Participant[] =>
  participants.map((p) => ({ name: p.name.trim(), ...(p.email !== undefined && { email: p.email }), ...(p.phone !== undefined && { phone: p.phone }) }));
