import type { Money } from '../events/event';
import type { BookingSnapshot, DomainEventCatalogue, DomainEventOf, DomainEventTypeOf } from '../shared/domain-events';
import type { IdGenerator } from '../shared/ports';
import type { TransactionScope } from '../unit-of-work';
import {
  ACTIVE_STATUSES,
  BOOKING_STATUSES,
  PAYMENT_STATUSES,
  transitionBooking,
  type Booking,
  type BookingStatus,
  type PartialRefund,
  type Participant,
  type PaymentStatus,
} from '../bookings/booking';
import { bookingEvent } from '../bookings/seat-release';

/**
 * What moves a booking's money: a charge started or answered (by the call itself, the retry
 * consumer, the reconciler or the Payment Service's webhook), a cancellation or reduction that
 * makes a refund owed, and a refund answered (by the refund job's call or the webhook).
 */
export type PaymentTrigger =
  /** The booker pays: a new charge with this payment id is in flight. */
  | { type: 'charge-started'; paymentId: string }
  /** The Payment Service took the money; `afterGiveUp` when the attempt had been given up at the retry horizon. */
  | { type: 'charge-succeeded'; paymentId: string; afterGiveUp: boolean }
  | { type: 'charge-declined'; paymentId: string; reason: string }
  /** The Payment Service stayed unavailable until the retry horizon. */
  | { type: 'charge-given-up'; paymentId: string; reason: string }
  /** The booker (or an admin) cancels; `refundable` when the event's cancellation policy still refunds. */
  | { type: 'booking-cancelled'; refundable: boolean }
  /** The organizer called the event off: every payment is refunded, whatever the policy. */
  | { type: 'event-cancelled' }
  /** Seats given up: what the booking keeps, its new amount, and the refund owed for the rest (null: none). */
  | { type: 'seats-reduced'; seats: number; participants: Participant[]; amount: Money | null; refund: PartialRefund | null }
  /** The refund job's call was answered REFUNDED; `idempotencyKey` names a partial refund, null the whole payment. */
  | { type: 'refund-succeeded'; idempotencyKey: string | null }
  | { type: 'refund-refused'; idempotencyKey: string | null; reason: string }
  /** The Payment Service's webhook reported a refund (it does not say which). */
  | { type: 'refund-reported' };

export type PaymentTriggerType = PaymentTrigger['type'];
type TriggerOf<T extends PaymentTriggerType> = Extract<PaymentTrigger, { type: T }>;
type BookingEventType = DomainEventTypeOf<'booking'>;
/** What an event of the booking aggregate carries besides the booking. */
/** An event of the booking aggregate. */
export type BookingDomainEvent = { [K in BookingEventType]: DomainEventOf<K> }[BookingEventType];
type Facts<E extends BookingEventType> = Omit<DomainEventCatalogue[E]['data'], keyof BookingSnapshot>;

/** One row of the table: from which states a trigger applies, what it makes of the booking and what it announces. */
export interface PaymentTransition<T extends PaymentTriggerType = PaymentTriggerType, E extends BookingEventType = BookingEventType> {
  trigger: T;
  /** Booking statuses the row applies from. */
  status: readonly BookingStatus[];
  /** Payment statuses the row applies from. */
  payment: readonly PaymentStatus[];
  /** A further condition, said in words in `when`. */
  guard?: (booking: Booking, trigger: TriggerOf<T>) => boolean;
  when?: string;
  /** The statuses it leads to (unchanged when left out). */
  to: { status?: BookingStatus; payment?: PaymentStatus };
  /** The domain event written with the change; null: none (the start of a charge). */
  event: E | null;
  /** Fields besides the statuses (refund lease, partial refund, the reduced seats). */
  change?: (booking: Booking, trigger: TriggerOf<T>) => Partial<Booking>;
  /** What the event carries besides the booking. */
  facts?: (before: Booking, trigger: TriggerOf<T>) => Facts<E>;
}

const ANY: readonly BookingStatus[] = BOOKING_STATUSES;
const NOT_PENDING: readonly BookingStatus[] = BOOKING_STATUSES.filter((s) => s !== 'PENDING');
/** Statuses a charge may start from: nothing taken, or taken and given back. */
const CHARGEABLE: readonly PaymentStatus[] = ['UNPAID', 'FAILED', 'REFUNDED', 'REFUND_FAILED'];
/** Statuses of a booking whose payment is neither in flight nor (being) given back: reducible. */
const SETTLED_UNPAID: readonly PaymentStatus[] = ['NOT_REQUIRED', 'UNPAID', 'FAILED'];
/** Statuses the webhook's refund applies to: some money was (or is being) taken. */
const REFUNDABLE_BY_WEBHOOK: readonly PaymentStatus[] = ['PROCESSING', 'PAID', 'FAILED', 'REFUND_PENDING', 'REFUND_FAILED'];

const isCurrent = (booking: Booking, trigger: { paymentId: string }) => booking.paymentId === trigger.paymentId;
const partialKeyIs = (booking: Booking, key: string | null) => key !== null && booking.partialRefund?.idempotencyKey === key;
const partialFacts = (before: Booking) => ({ partial: true as const, refundAmount: before.partialRefund!.amount });
const settledRefund = { refundDueAt: null };

// Typed row by row (the trigger's fields, the event's facts), kept in one list.
const row = <T extends PaymentTriggerType, E extends BookingEventType>(r: PaymentTransition<T, E>): PaymentTransition => r as unknown as PaymentTransition;

/**
 * Every payment status change, and the event each announces. A trigger no row accepts changes
 * nothing: a repeated or late answer (a webhook after the refund job, an answer about an earlier
 * payment), or a command its use case refuses before asking.
 */
export const PAYMENT_TRANSITIONS: readonly PaymentTransition[] = [
  row({
    trigger: 'charge-started',
    status: ['PENDING'],
    payment: CHARGEABLE,
    to: { payment: 'PROCESSING' },
    event: null,
    change: (_, t) => ({ paymentId: t.paymentId }),
  }),
  row({
    trigger: 'charge-succeeded',
    status: ['PENDING'],
    payment: ['PROCESSING'],
    guard: isCurrent,
    when: 'the booking’s current payment',
    to: { status: 'CONFIRMED', payment: 'PAID' },
    event: 'booking.confirmed',
  }),
  // The booking was cancelled or expired while the charge was in flight: the money is owed back.
  row({
    trigger: 'charge-succeeded',
    status: NOT_PENDING,
    payment: ['PROCESSING'],
    guard: isCurrent,
    when: 'the booking’s current payment',
    to: { payment: 'REFUND_PENDING' },
    event: 'payment.refund_requested',
  }),
  // Money arrived for a payment given up at the retry horizon (a late webhook): it is owed back.
  // A charge the service itself declined stays declined.
  row({
    trigger: 'charge-succeeded',
    status: ANY,
    payment: ['FAILED'],
    guard: (b, t) => isCurrent(b, t) && t.afterGiveUp,
    when: 'the current payment, given up at the retry horizon',
    to: { payment: 'REFUND_PENDING' },
    event: 'payment.refund_requested',
  }),
  // Declined: the booking stays PENDING, so the booker may pay again while the hold lasts.
  row({
    trigger: 'charge-declined',
    status: ANY,
    payment: ['PROCESSING'],
    guard: isCurrent,
    when: 'the booking’s current payment',
    to: { payment: 'FAILED' },
    event: 'payment.failed',
    facts: (_, t) => ({ reason: t.reason }),
  }),
  row({
    trigger: 'charge-given-up',
    status: ANY,
    payment: ['PROCESSING'],
    guard: isCurrent,
    when: 'the booking’s current payment',
    to: { payment: 'FAILED' },
    event: 'payment.failed',
    facts: (_, t) => ({ reason: t.reason }),
  }),
  row({
    trigger: 'booking-cancelled',
    status: ACTIVE_STATUSES,
    payment: ['PAID'],
    guard: (_, t) => t.refundable,
    when: 'before the refund deadline',
    to: { status: 'CANCELLED', payment: 'REFUND_PENDING' },
    event: 'booking.cancelled',
    change: () => settledRefund,
    facts: () => ({ refund: 'full' as const }),
  }),
  row({
    trigger: 'booking-cancelled',
    status: ACTIVE_STATUSES,
    payment: ['PAID'],
    guard: (_, t) => !t.refundable,
    when: 'after the refund deadline',
    to: { status: 'CANCELLED' },
    event: 'booking.cancelled',
    facts: () => ({ refund: 'none' as const }),
  }),
  row({
    trigger: 'booking-cancelled',
    status: ACTIVE_STATUSES,
    payment: ['NOT_REQUIRED', 'UNPAID', 'PROCESSING', 'FAILED', 'REFUND_PENDING', 'REFUNDED', 'REFUND_FAILED'],
    to: { status: 'CANCELLED' },
    event: 'booking.cancelled',
  }),
  row({
    trigger: 'event-cancelled',
    status: ACTIVE_STATUSES,
    payment: ['PAID'],
    to: { status: 'CANCELLED', payment: 'REFUND_PENDING' },
    event: 'booking.cancelled',
    change: () => settledRefund,
    facts: () => ({ reason: 'event-cancelled' as const }),
  }),
  row({
    trigger: 'event-cancelled',
    status: ACTIVE_STATUSES,
    payment: ['NOT_REQUIRED', 'UNPAID', 'PROCESSING', 'FAILED', 'REFUND_PENDING', 'REFUNDED', 'REFUND_FAILED'],
    to: { status: 'CANCELLED' },
    event: 'booking.cancelled',
    facts: () => ({ reason: 'event-cancelled' as const }),
  }),
  row({
    trigger: 'seats-reduced',
    status: ACTIVE_STATUSES,
    payment: ['PAID'],
    guard: (b, t) => !b.partialRefund && t.refund !== null,
    when: 'before the refund deadline: a partial refund is owed',
    to: {},
    event: 'booking.seats_reduced',
    change: (_, t) => ({ seats: t.seats, participants: t.participants, amount: t.amount, partialRefund: t.refund, refundDueAt: null }),
    facts: (b, t) => ({ previousSeats: b.seats, seatsReleased: b.seats - t.seats, refund: 'partial' as const, refundAmount: t.refund!.amount }),
  }),
  row({
    trigger: 'seats-reduced',
    status: ACTIVE_STATUSES,
    payment: ['PAID'],
    guard: (b, t) => !b.partialRefund && t.refund === null,
    when: 'after the refund deadline',
    to: {},
    event: 'booking.seats_reduced',
    change: (_, t) => ({ seats: t.seats, participants: t.participants, amount: t.amount }),
    facts: (b, t) => ({ previousSeats: b.seats, seatsReleased: b.seats - t.seats, refund: 'none' as const, refundAmount: null }),
  }),
  row({
    trigger: 'seats-reduced',
    status: ACTIVE_STATUSES,
    payment: SETTLED_UNPAID,
    guard: (b, t) => !b.partialRefund && t.refund === null,
    when: 'nothing was paid',
    to: {},
    event: 'booking.seats_reduced',
    change: (_, t) => ({ seats: t.seats, participants: t.participants, amount: t.amount }),
    facts: (b, t) => ({ previousSeats: b.seats, seatsReleased: b.seats - t.seats, refund: 'not-paid' as const, refundAmount: null }),
  }),
  // Refused or not, a partial refund is settled: the booking keeps its remaining seats and payment.
  row({
    trigger: 'refund-succeeded',
    status: ANY,
    payment: PAYMENT_STATUSES,
    guard: (b, t) => partialKeyIs(b, t.idempotencyKey),
    when: 'the partial refund the call was for',
    to: {},
    event: 'payment.refunded',
    change: () => ({ partialRefund: null, ...settledRefund }),
    facts: partialFacts,
  }),
  row({
    trigger: 'refund-refused',
    status: ANY,
    payment: PAYMENT_STATUSES,
    guard: (b, t) => partialKeyIs(b, t.idempotencyKey),
    when: 'the partial refund the call was for',
    to: {},
    event: 'payment.refund_failed',
    change: () => ({ partialRefund: null, ...settledRefund }),
    facts: (b, t) => ({ ...partialFacts(b), reason: t.reason }),
  }),
  row({
    trigger: 'refund-succeeded',
    status: ANY,
    payment: ['REFUND_PENDING'],
    guard: (_, t) => t.idempotencyKey === null,
    when: 'the whole payment',
    to: { payment: 'REFUNDED' },
    event: 'payment.refunded',
    change: () => settledRefund,
  }),
  row({
    trigger: 'refund-refused',
    status: ANY,
    payment: ['REFUND_PENDING'],
    guard: (_, t) => t.idempotencyKey === null,
    when: 'the whole payment',
    to: { payment: 'REFUND_FAILED' },
    event: 'payment.refund_failed',
    change: () => settledRefund,
    facts: (_, t) => ({ reason: t.reason }),
  }),
  // The webhook names no refund: on a booking that stands, paid, with a partial refund owed, it is that one.
  row({
    trigger: 'refund-reported',
    status: ACTIVE_STATUSES,
    payment: ['PAID'],
    guard: (b) => b.partialRefund !== null,
    when: 'a partial refund is owed',
    to: {},
    event: 'payment.refunded',
    change: () => ({ partialRefund: null, ...settledRefund }),
    facts: partialFacts,
  }),
  row({
    trigger: 'refund-reported',
    status: ANY,
    payment: REFUNDABLE_BY_WEBHOOK,
    guard: (b) => !(b.partialRefund !== null && b.paymentStatus === 'PAID' && ACTIVE_STATUSES.includes(b.status)),
    when: 'no partial refund of a standing booking is owed',
    to: { payment: 'REFUNDED' },
    event: 'payment.refunded',
    change: () => settledRefund,
  }),
];

/** The new booking and the event announcing it (null for a change nobody is told of). */
export interface PaymentStep {
  booking: Booking;
  event: BookingDomainEvent | null;
  rule: PaymentTransition;
}

/** The row of the table `trigger` takes from `booking`'s state, or null when none does (the trigger changes nothing). */
export function findPaymentTransition(booking: Booking, trigger: PaymentTrigger): PaymentTransition | null {
  return (
    PAYMENT_TRANSITIONS.find(
      (r) =>
        r.trigger === trigger.type &&
        r.status.includes(booking.status) &&
        r.payment.includes(booking.paymentStatus) &&
        (!r.guard || (r.guard as (b: Booking, t: PaymentTrigger) => boolean)(booking, trigger)),
    ) ?? null
  );
}

/**
 * The one place a payment status changes: the booking `trigger` makes of `booking`, and its domain
 * event (its id drawn from `ids` only when there is one). Null when the trigger changes nothing.
 * A booking status change goes through `transitionBooking` (BOOKING.ILLEGAL_TRANSITION).
 */
export function transitionPayment(booking: Booking, trigger: PaymentTrigger, at: { now: Date; ids: IdGenerator }): PaymentStep | null {
  const rule = findPaymentTransition(booking, trigger);
  if (!rule) return null;
  const { now } = at;
  const moved = rule.to.status && rule.to.status !== booking.status ? transitionBooking(booking, rule.to.status, now) : { ...booking, updatedAt: now };
  const change = (rule.change as ((b: Booking, t: PaymentTrigger) => Partial<Booking>) | undefined)?.(booking, trigger) ?? {};
  const next: Booking = { ...moved, ...change, paymentStatus: rule.to.payment ?? booking.paymentStatus, updatedAt: now };
  if (!rule.event) return { booking: next, event: null, rule };
  const facts = (rule.facts as ((b: Booking, t: PaymentTrigger) => object) | undefined)?.(booking, trigger) ?? {};
  // The row's facts are typed by its event only loosely here; the table's test checks each payload.
  const event = bookingEvent(rule.event as 'booking.confirmed', next, at.ids.next(), now, facts) as BookingDomainEvent;
  return { booking: next, event, rule };
}

/** Applies `trigger` in `tx`: stores the new booking and writes its event to the outbox. Returns the step, or null when nothing changed. */
export async function recordPayment(
  tx: TransactionScope,
  booking: Booking,
  trigger: PaymentTrigger,
  at: { now: Date; ids: IdGenerator },
): Promise<PaymentStep | null> {
  const step = transitionPayment(booking, trigger, at);
  if (!step) return null;
  await tx.bookings.update(step.booking);
  if (step.event) await tx.outbox.add([step.event]);
  return step;
}

/** `recordPayment` for a command its use case has checked: a trigger no row accepts is a bug, not a repeat. */
export async function recordPaymentCommand(
  tx: TransactionScope,
  booking: Booking,
  trigger: PaymentTrigger,
  at: { now: Date; ids: IdGenerator },
): Promise<PaymentStep> {
  const step = await recordPayment(tx, booking, trigger, at);
  if (!step) throw new Error(`No payment transition for ${trigger.type} from ${booking.status}/${booking.paymentStatus} (booking ${booking.id})`);
  return step;
}
