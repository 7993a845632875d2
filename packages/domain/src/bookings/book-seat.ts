import { hasRole, type Actor } from '../shared/actor';
import { ForbiddenError, UnauthenticatedError } from '../shared/domain-error';
import type { DomainEvent } from '../shared/domain-events';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { EventNotFoundError } from '../events/event.errors';
import { whyNotBookable } from '../events/event';
import { newBooking, type Booking } from './booking';
import { BookingConflictError, EventFullError, EventNotBookableError } from './booking.errors';
import type { EventRepository } from '../events/ports';
import type { BookingRepository } from './ports';
import { bookingEvent } from './seat-release';

export interface BookSeatDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  bookingTtlMs: number;
  /** Read side (may be cached), for refusing a full event without opening a transaction. */
  reads: { events: Pick<EventRepository, 'findById'>; bookings: Pick<BookingRepository, 'standing'> };
}

/**
 * Most requests of a booking rush find the event full: refuse them from a read (the cached event)
 * without a transaction. Only a definite "full" refuses here; everything else is decided inside
 * the transaction, so a stale read can never oversell, at worst refuse during a release.
 */
async function refuseWhenFull(reads: BookSeatDeps['reads'], eventId: string, userId: string, now: Date): Promise<void> {
  const event = await reads.events.findById(eventId);
  if (!event || whyNotBookable(event, now) !== 'SOLD_OUT') return;
  // One read for both exceptions: an offer may claim its held seat; a booking is a conflict.
  const standing = await reads.bookings.standing(eventId, userId);
  if (standing.offered) return;
  if (standing.activeBookingId) throw new BookingConflictError(eventId, standing.activeBookingId);
  throw new EventFullError(eventId);
}

export function requireUser(actor: Actor | null): Actor {
  if (!actor) throw new UnauthenticatedError();
  if (!hasRole(actor, 'USER')) throw new ForbiddenError('Only users can book seats');
  return actor;
}

/**
 * Books one seat of a published event that has not started. A seat held for the caller by a
 * waitlist offer is claimed; otherwise a free seat is taken atomically, so the event is never
 * oversold however many replicas book at once. Free events are CONFIRMED at once.
 * Errors: AUTH.*, EVENT.NOT_FOUND, BOOKING.EVENT_NOT_BOOKABLE, BOOKING.CONFLICT, BOOKING.EVENT_FULL.
 */
export const makeBookSeat =
  ({ uow, clock, ids, bookingTtlMs, reads }: BookSeatDeps) =>
  async (actor: Actor | null, input: { eventId: string }): Promise<Booking> => {
    const user = requireUser(actor);
    const refuse = () => refuseWhenFull(reads, input.eventId, user.userId, clock.now());
    await refuse();
    // Again when its turn comes: in a rush the event may have filled up while this request waited.
    return uow.run(
      async (tx) => {
        const now = clock.now();
        const event = await tx.events.findById(input.eventId);
        const reason = event && whyNotBookable(event, now);
        if (!event || reason === 'NOT_PUBLISHED') throw new EventNotFoundError(input.eventId);
        if (reason === 'CANCELLED' || reason === 'COMPLETED') throw new EventNotBookableError(event.id, `it is ${event.status}`);
        if (reason === 'ALREADY_STARTED') throw new EventNotBookableError(event.id, 'it has already started');

        const existing = await tx.bookings.findActive(event.id, user.userId);
        if (existing) throw new BookingConflictError(event.id, existing.id);

        const entry = await tx.waitlist.findEntry(event.id, user.userId);
        const holdsOffer = entry?.status === 'OFFERED' && entry.offerExpiresAt !== null && entry.offerExpiresAt > now;
        if (holdsOffer) {
          await tx.waitlist.update({ ...entry, status: 'CLAIMED', offerExpiresAt: null, updatedAt: now });
        } else if (!(await tx.events.takeSeat(event.id, now))) {
          throw new EventFullError(event.id);
        }

        const booking = newBooking({ id: ids.next(), eventId: event.id, userId: user.userId, price: event.price, now, ttlMs: bookingTtlMs });
        await tx.bookings.insert(booking);
        const events: DomainEvent[] = [bookingEvent('booking.created', booking, ids.next(), now, { fromWaitlist: holdsOffer })];
        if (booking.status === 'CONFIRMED') events.push(bookingEvent('booking.confirmed', booking, ids.next(), now));
        await tx.outbox.add(events);
        return booking;
      },
      { precheck: refuse },
    );
  };
