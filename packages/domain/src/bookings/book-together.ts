import type { DomainError } from '../shared/domain-error';
import { ValidationError } from '../shared/domain-error';
import type { DomainEvent } from '../shared/domain-events';
import type { Event } from '../events/event';
import { whyNotBookable } from '../events/event';
import { EventNotFoundError } from '../events/event.errors';
import type { TicketCategory } from '../pricing/category';
import { categoriesOf } from '../pricing/category';
import { amountOfLines, quote, type BookingLine } from '../pricing/pricing';
import { newBooking, normalizeParticipants, validateGroup, type Booking, type Participant } from './booking';
import { BookingConflictError, EventFullError, EventNotBookableError } from './booking.errors';
import type { SeatStanding } from './ports';
import { bookingEvent } from './seat-release';

/** A booking of the event's default category without a promo code: the request a rush is made of. */
export interface PlainBookingRequest {
  userId: string;
  /** Unset: one seat. */
  seats?: number;
  participants: readonly Participant[];
}

/**
 * What one request of a batch came to: a booking, a refusal, or `ALONE` when it needs the
 * one-at-a-time path (a waitlist offer to claim, a quota on the default category).
 */
export type BatchOutcome = { kind: 'BOOKED'; booking: Booking } | { kind: 'REFUSED'; error: DomainError } | { kind: 'ALONE' };

export interface SeatAllocation {
  outcomes: BatchOutcome[];
  /** The bookings to write, with their lines. */
  booked: { booking: Booking; lines: BookingLine[] }[];
  /** The outbox events of the bookings. */
  events: DomainEvent[];
  /** Seats the bookings take from the event, in all. */
  seats: number;
}

export interface AllocateInput {
  eventId: string;
  /** The event as locked for the batch (null: no such event). */
  event: Event | null;
  /** The event's stored categories. */
  categories: readonly TicketCategory[];
  /** In arrival order: seats go first come, first served. */
  requests: readonly PlainBookingRequest[];
  /** The bookers' standings on the event (a booker without one has neither a booking nor an offer). */
  standings: ReadonlyMap<string, SeatStanding>;
  now: Date;
  nextId: () => string;
  bookingTtlMs: number;
}

const everyone = (requests: readonly unknown[], outcome: BatchOutcome): SeatAllocation => ({
  outcomes: requests.map(() => outcome),
  booked: [],
  events: [],
  seats: 0,
});

/**
 * Decides a batch of plain bookings of one event the way each would be decided alone, in arrival
 * order, against the event's seats as they stand under the batch's lock: the same refusals
 * (EVENT.NOT_FOUND, BOOKING.EVENT_NOT_BOOKABLE, BOOKING.CONFLICT — also for a second request of
 * one booker in the batch —, VALIDATION.FAILED, BOOKING.EVENT_FULL with the seats left), the same
 * bookings, prices and events. Pure: the caller reads, locks and writes.
 */
export function allocateSeats(input: AllocateInput): SeatAllocation {
  const { event, eventId, requests, now } = input;
  const reason = event && whyNotBookable(event, now);
  if (!event || reason === 'NOT_PUBLISHED') return everyone(requests, { kind: 'REFUSED', error: new EventNotFoundError(eventId) });
  if (reason === 'CANCELLED' || reason === 'COMPLETED')
    return everyone(requests, { kind: 'REFUSED', error: new EventNotBookableError(event.id, `it is ${event.status}`) });
  if (reason === 'ALREADY_STARTED') return everyone(requests, { kind: 'REFUSED', error: new EventNotBookableError(event.id, 'it has already started') });
  const category = categoriesOf(event, input.categories)[0]!;
  // A quota is counted under its category's lock, which the one-at-a-time path takes.
  if (category.quota !== null && !category.implicit) return everyone(requests, { kind: 'ALONE' });

  let left = event.available;
  const bookedHere = new Map<string, string>();
  const result: SeatAllocation = { outcomes: [], booked: [], events: [], seats: 0 };
  for (const request of requests) {
    const standing = input.standings.get(request.userId);
    const conflict = standing?.activeBookingId ?? bookedHere.get(request.userId);
    if (conflict) {
      result.outcomes.push({ kind: 'REFUSED', error: new BookingConflictError(event.id, conflict) });
      continue;
    }
    if (standing?.offered) {
      result.outcomes.push({ kind: 'ALONE' });
      continue;
    }
    const seats = request.seats ?? 1;
    // Too few seats first, as alone: its request is refused from the (cached) event before its transaction.
    if (seats > left) {
      result.outcomes.push({ kind: 'REFUSED', error: new EventFullError(event.id, left, seats) });
      continue;
    }
    const errors = validateGroup(seats, [...request.participants], event.maxSeatsPerBooking, 'seats');
    if (errors.length) {
      result.outcomes.push({ kind: 'REFUSED', error: new ValidationError(errors) });
      continue;
    }
    const participants = normalizeParticipants([...request.participants]);
    const { lines } = quote([{ category, seats, participants }]);
    const booking = newBooking({
      id: input.nextId(),
      eventId: event.id,
      userId: request.userId,
      price: event.price,
      amount: amountOfLines(lines),
      now,
      ttlMs: input.bookingTtlMs,
      seats,
      participants,
    });
    left -= seats;
    bookedHere.set(request.userId, booking.id);
    result.seats += seats;
    result.booked.push({ booking, lines });
    result.events.push(bookingEvent('booking.created', booking, input.nextId(), now, { fromWaitlist: false }));
    if (booking.status === 'CONFIRMED') result.events.push(bookingEvent('booking.confirmed', booking, input.nextId(), now));
    result.outcomes.push({ kind: 'BOOKED', booking });
  }
  return result;
}
