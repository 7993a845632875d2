import { isAdmin, type Actor } from '../shared/actor';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../shared/domain-error';
import { pageRequest, type Page } from '../shared/paging';
import type { Clock, IdGenerator } from '../shared/ports';
import type { TransactionScope, UnitOfWork } from '../unit-of-work';
import { EventAlreadyStartedError, EventNotFoundError } from '../events/event.errors';
import { refundableAt, type Event } from '../events/event';
import type { EventRepository } from '../events/ports';
import { requireOwner } from '../events/access';
import {
  canTransition,
  isActive,
  normalizeParticipants,
  transitionBooking,
  validateGroup,
  type Booking,
  type BookingStatus,
  type PartialRefund,
  type Participant,
} from './booking';
import { BookingCheckedInError, BookingNotFoundError, BookingNotReducibleError, BookingTransitionError, NoShowTooEarlyError } from './booking.errors';
import { recordPaymentCommand } from '../payments/payment-state-machine';
import type { BookingRepository } from './ports';
import { reduceLinesTo, reducedBooking, seatsKept, type KeptLine } from '../pricing/pricing';
import { bookingEvent, releaseSeats, type SeatReleaseDeps } from './seat-release';

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

/** The booking, locked, when the caller may see it (see canSee); BOOKING.NOT_FOUND otherwise. */
export async function lockVisible(tx: TransactionScope, actor: Actor | null, id: string): Promise<Booking> {
  if (!actor) throw new UnauthenticatedError();
  const booking = await tx.bookings.findByIdForUpdate(id);
  if (!booking || !(await canSee(actor, booking, tx.events))) throw new BookingNotFoundError(id);
  return booking;
}

/** Locks a booking for what only its event's organizer (or an admin) may do to it; returns it with its event. */
export async function lockForOrganizer(tx: TransactionScope, actor: Actor | null, id: string): Promise<{ booking: Booking; event: Event }> {
  const booking = await lockVisible(tx, actor, id);
  const event = await tx.events.findById(booking.eventId);
  if (!event) throw new EventNotFoundError(booking.eventId);
  requireOwner(actor, event);
  return { booking, event };
}

/**
 * Cancels a PENDING or CONFIRMED booking (by the booker or an admin); the seat goes to the
 * waitlist or back to the event. A paid booking is refunded in full when cancelled before the
 * event's refund deadline (cancellation policy, default 24 h before the start) and not at all
 * after it. A booker cannot cancel once the event has started, nor once checked in (the check-in
 * window opens at the start of the event's first day, before the start); an admin still can.
 * Errors: AUTH.*, BOOKING.NOT_FOUND, BOOKING.ILLEGAL_TRANSITION, EVENT.ALREADY_STARTED, BOOKING.CHECKED_IN.
 */
export const makeCancelBooking =
  (deps: ManageBookingsDeps) =>
  (actor: Actor | null, id: string): Promise<Booking> =>
    deps.uow.run(async (tx) => {
      const booking = await lockVisible(tx, actor, id);
      if (booking.userId !== actor!.userId && !isAdmin(actor)) throw new ForbiddenError('Only the booker or an admin may cancel a booking');
      const now = deps.clock.now();
      if (!canTransition(booking.status, 'CANCELLED')) throw new BookingTransitionError(booking.id, booking.status, 'CANCELLED');
      const event = await tx.events.findById(booking.eventId);
      if (event && event.startDate <= now && !isAdmin(actor)) throw new EventAlreadyStartedError(event.id);
      if (booking.checkedInAt && !isAdmin(actor)) throw new BookingCheckedInError(booking.id, booking.checkedInAt);
      const refundable = !event || refundableAt(event, now);
      const { booking: cancelled } = await recordPaymentCommand(tx, booking, { type: 'booking-cancelled', refundable }, { now, ids: deps.ids });
      await releaseSeats(tx, deps, booking.eventId, booking.seats, now);
      return cancelled;
    });

/**
 * Gives up some of a PENDING or CONFIRMED booking's seats (by the booker or an admin): `seats` is
 * how many remain (at least 1; cancel to give up all), or `lines` the seats each category keeps. The seats given up go to the waitlist or back
 * to the event; `participants`, when given, replaces the list (otherwise its first `seats` people
 * stay). Seats leave from the booking's last line first; the amount becomes what the seats kept cost
 * (pricing's reduceLines: each seat given up takes back its price less its share of the discount).
 * For a paid booking the difference is refunded
 * under the event's cancellation policy (in full before its refund deadline, not at all after it),
 * as a partial refund the refund job pays. Not while a payment or an earlier partial refund is in
 * flight. A booker cannot reduce once the event has started; an admin still can.
 * Errors: AUTH.*, VALIDATION.FAILED, BOOKING.NOT_FOUND, BOOKING.NOT_REDUCIBLE, EVENT.ALREADY_STARTED.
 */
export const makeReduceBooking =
  (deps: ManageBookingsDeps) =>
  (actor: Actor | null, id: string, input: { seats?: number; lines?: KeptLine[]; participants?: Participant[] }): Promise<Booking> =>
    deps.uow.run(async (tx) => {
      const booking = await lockVisible(tx, actor, id);
      if (booking.userId !== actor!.userId && !isAdmin(actor)) throw new ForbiddenError('Only the booker or an admin may reduce a booking');
      const lines = await tx.bookingLines.ofBooking(booking);
      const seats = input.lines ? seatsKept(booking, lines, input.lines, input.seats) : (input.seats ?? 0);
      // What the seats kept cost, from the booking's lines (their prices and discounts); a booking
      // release 0.1.0 made has none, and falls back to its rule (legacyReducedAmount).
      const reduction = input.lines ? { ...reduceLinesTo(lines, input.lines), legacy: false } : reducedBooking(booking, lines, seats);
      const participants = input.participants ?? (input.lines ? reduction.lines.flatMap((l) => l.participants) : booking.participants.slice(0, seats));
      const errors = validateGroup(seats, participants, booking.seats);
      if (errors.length) throw new ValidationError(errors);
      if (!isActive(booking)) throw new BookingNotReducibleError(id, `it is ${booking.status}`);
      if (seats >= booking.seats) throw new BookingNotReducibleError(id, `it holds ${booking.seats} seat(s); ask for fewer, or cancel it`);
      if (booking.paymentStatus === 'PROCESSING') throw new BookingNotReducibleError(id, 'a payment is in progress');
      // A refund of the whole payment is owed or done: a lower amount would shrink what goes back.
      if (['REFUND_PENDING', 'REFUND_FAILED', 'REFUNDED'].includes(booking.paymentStatus))
        throw new BookingNotReducibleError(id, 'its payment is being refunded');
      if (booking.partialRefund) throw new BookingNotReducibleError(id, 'the refund of an earlier reduction is still being paid');
      const now = deps.clock.now();
      const event = await tx.events.findById(booking.eventId);
      if (event && event.startDate <= now && !isAdmin(actor)) throw new EventAlreadyStartedError(event.id);
      const given = booking.seats - seats;
      const amount = reduction.amount;
      let refund: PartialRefund | null = null;
      const owed = booking.amount ? booking.amount.amount - (amount?.amount ?? 0) : 0;
      if (booking.amount && owed > 0 && booking.paymentStatus === 'PAID' && (!event || refundableAt(event, now))) {
        refund = { amount: { amount: owed, currency: booking.amount.currency }, idempotencyKey: `reduce-${booking.id}-${deps.ids.next()}` };
      }
      const trigger = { type: 'seats-reduced', seats, participants: normalizeParticipants(participants), amount, refund } as const;
      const { booking: reduced } = await recordPaymentCommand(tx, booking, trigger, { now, ids: deps.ids });
      if (!reduction.legacy) await tx.bookingLines.update(booking, reduction.lines);
      await releaseSeats(tx, deps, booking.eventId, given, now);
      return reduced;
    });

/**
 * The organizer records that a CONFIRMED booker did not come, once the event has started. The seat
 * is not released; a booking checked in cannot be a no-show.
 * Errors: AUTH.*, BOOKING.NOT_FOUND, BOOKING.ILLEGAL_TRANSITION, BOOKING.NO_SHOW_TOO_EARLY, BOOKING.CHECKED_IN.
 */
export const makeMarkNoShow =
  (deps: ManageBookingsDeps) =>
  (actor: Actor | null, id: string): Promise<Booking> =>
    deps.uow.run(async (tx) => {
      const { booking, event } = await lockForOrganizer(tx, actor, id);
      const now = deps.clock.now();
      const noShow = transitionBooking(booking, 'NO_SHOW', now);
      // Before the start nobody can have missed the event; the booker may still come or cancel.
      if (event.startDate > now) throw new NoShowTooEarlyError(booking.id);
      // Checked in means they came: recording the opposite would make the attendance list lie.
      if (booking.checkedInAt) throw new BookingCheckedInError(booking.id, booking.checkedInAt);
      await tx.bookings.update(noShow);
      await tx.outbox.add([bookingEvent('booking.no_show', noShow, deps.ids.next(), now)]);
      return noShow;
    });

/** Cancels every active booking of a cancelled event; paid ones are marked for refund. */
export async function cancelBookingsOfEvent(tx: TransactionScope, deps: { ids: IdGenerator }, eventId: string, now: Date): Promise<void> {
  for (const booking of await tx.bookings.lockActiveOfEvent(eventId)) {
    // The organizer called the event off: every payment is refunded, whatever the policy.
    await recordPaymentCommand(tx, booking, { type: 'event-cancelled' }, { now, ids: deps.ids });
  }
  await tx.waitlist.closeAll(eventId, now);
}
