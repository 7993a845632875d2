import { isAdmin, type Actor } from '../shared/actor';
import { ForbiddenError, UnauthenticatedError } from '../shared/domain-error';
import { pageRequest, type Page } from '../shared/paging';
import type { Clock, IdGenerator } from '../shared/ports';
import type { TransactionScope, UnitOfWork } from '../unit-of-work';
import { EventAlreadyStartedError, EventNotFoundError } from '../events/event.errors';
import { refundableAt } from '../events/event';
import type { EventRepository } from '../events/ports';
import { requireOwner } from '../events/access';
import { refundOwed, transitionBooking, type Booking, type BookingStatus } from './booking';
import { BookingNotFoundError, NoShowTooEarlyError } from './booking.errors';
import type { BookingRepository } from './ports';
import { bookingEvent, releaseSeat, type SeatReleaseDeps } from './seat-release';

export interface ManageBookingsDeps extends SeatReleaseDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
}

/** The booker, the event's organizer and admins may see a booking; others get BOOKING.NOT_FOUND. */
async function canSee(actor: Actor, booking: Booking, events: EventRepository): Promise<boolean> {
  if (booking.userId === actor.userId || isAdmin(actor)) return true;
  const event = await events.findById(booking.eventId);
  return event?.organizerId === actor.userId;
}

/** Errors: AUTH.UNAUTHENTICATED, BOOKING.NOT_FOUND. */
export const makeGetBooking =
  ({ bookings, events }: { bookings: BookingRepository; events: EventRepository }) =>
  async (actor: Actor | null, id: string): Promise<Booking> => {
    if (!actor) throw new UnauthenticatedError();
    const booking = await bookings.findById(id);
    if (!booking || !(await canSee(actor, booking, events))) throw new BookingNotFoundError(id);
    return booking;
  };

/** The caller's own bookings. Errors: AUTH.UNAUTHENTICATED, VALIDATION.FAILED. */
export const makeListMyBookings =
  ({ bookings }: { bookings: BookingRepository }) =>
  async (actor: Actor | null, query: { status?: BookingStatus; page?: number; size?: number }): Promise<Page<Booking>> => {
    if (!actor) throw new UnauthenticatedError();
    return bookings.list({ userId: actor.userId, status: query.status }, pageRequest(query.page, query.size));
  };

/** An event's bookings for its organizer or an admin. Errors: AUTH.*, EVENT.NOT_FOUND, VALIDATION.FAILED. */
export const makeListEventBookings =
  ({ bookings, events }: { bookings: BookingRepository; events: EventRepository }) =>
  async (actor: Actor | null, eventId: string, query: { status?: BookingStatus; page?: number; size?: number }): Promise<Page<Booking>> => {
    const page = pageRequest(query.page, query.size);
    const event = await events.findById(eventId);
    if (!event) throw new EventNotFoundError(eventId);
    requireOwner(actor, event);
    return bookings.list({ eventId, status: query.status }, page);
  };

async function lockVisible(tx: TransactionScope, actor: Actor | null, id: string): Promise<Booking> {
  if (!actor) throw new UnauthenticatedError();
  const booking = await tx.bookings.findByIdForUpdate(id);
  if (!booking || !(await canSee(actor, booking, tx.events))) throw new BookingNotFoundError(id);
  return booking;
}

/**
 * Cancels a PENDING or CONFIRMED booking (by the booker or an admin); the seat goes to the
 * waitlist or back to the event. A paid booking is refunded in full when cancelled before the
 * event's refund deadline (cancellation policy, default 24 h before the start) and not at all
 * after it. A booker cannot cancel once the event has started; an admin still can.
 * Errors: AUTH.*, BOOKING.NOT_FOUND, BOOKING.ILLEGAL_TRANSITION, EVENT.ALREADY_STARTED.
 */
export const makeCancelBooking =
  (deps: ManageBookingsDeps) =>
  (actor: Actor | null, id: string): Promise<Booking> =>
    deps.uow.run(async (tx) => {
      const booking = await lockVisible(tx, actor, id);
      if (booking.userId !== actor!.userId && !isAdmin(actor)) throw new ForbiddenError('Only the booker or an admin may cancel a booking');
      const now = deps.clock.now();
      let cancelled = transitionBooking(booking, 'CANCELLED', now);
      const event = await tx.events.findById(booking.eventId);
      if (event && event.startDate <= now && !isAdmin(actor)) throw new EventAlreadyStartedError(event.id);
      let refund: { refund?: 'full' | 'none' } = {};
      if (refundOwed(cancelled)) {
        const full = !event || refundableAt(event, now);
        if (full) cancelled = { ...cancelled, paymentStatus: 'REFUND_PENDING', refundDueAt: null };
        refund = { refund: full ? 'full' : 'none' };
      }
      await tx.bookings.update(cancelled);
      await tx.outbox.add([bookingEvent('booking.cancelled', cancelled, deps.ids.next(), now, refund)]);
      await releaseSeat(tx, deps, booking.eventId, now);
      return cancelled;
    });

/**
 * The organizer records that a CONFIRMED booker did not come, once the event has started. The seat
 * is not released. Errors: AUTH.*, BOOKING.NOT_FOUND, BOOKING.ILLEGAL_TRANSITION, BOOKING.NO_SHOW_TOO_EARLY.
 */
export const makeMarkNoShow =
  (deps: ManageBookingsDeps) =>
  (actor: Actor | null, id: string): Promise<Booking> =>
    deps.uow.run(async (tx) => {
      const booking = await lockVisible(tx, actor, id);
      const event = await tx.events.findById(booking.eventId);
      if (!event) throw new EventNotFoundError(booking.eventId);
      requireOwner(actor, event);
      const now = deps.clock.now();
      const noShow = transitionBooking(booking, 'NO_SHOW', now);
      // Before the start nobody can have missed the event; the booker may still come or cancel.
      if (event.startDate > now) throw new NoShowTooEarlyError(booking.id);
      await tx.bookings.update(noShow);
      await tx.outbox.add([bookingEvent('booking.no_show', noShow, deps.ids.next(), now)]);
      return noShow;
    });

/** Cancels every active booking of a cancelled event; paid ones are marked for refund. */
export async function cancelBookingsOfEvent(tx: TransactionScope, deps: { ids: IdGenerator }, eventId: string, now: Date): Promise<void> {
  for (const booking of await tx.bookings.lockActiveOfEvent(eventId)) {
    let cancelled = transitionBooking(booking, 'CANCELLED', now);
    // The organizer called the event off: every payment is refunded, whatever the policy.
    if (refundOwed(cancelled)) cancelled = { ...cancelled, paymentStatus: 'REFUND_PENDING', refundDueAt: null };
    await tx.bookings.update(cancelled);
    await tx.outbox.add([bookingEvent('booking.cancelled', cancelled, deps.ids.next(), now, { reason: 'event-cancelled' })]);
  }
  await tx.waitlist.closeAll(eventId, now);
}
