import type { Actor } from '../shared/actor';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { EventNotFoundError } from '../events/event.errors';
import { MAX_SEATS_PER_BOOKING_LIMIT } from '../events/event';
import { ValidationError } from '../shared/domain-error';
import { validateGroup } from './booking';
import type { WaitlistEntry } from './booking';
import { WaitlistConflictError, WaitlistEntryNotFoundError, EventNotBookableError } from './booking.errors';
import type { WaitlistRepository } from './ports';
import { requireUser } from './book-seat';
import { releaseSeats, type SeatReleaseDeps } from './seat-release';

export interface WaitlistDeps extends SeatReleaseDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
}

const OPEN: readonly WaitlistEntry['status'][] = ['WAITING', 'OFFERED'];

/**
 * Joins the FIFO line of an event with fewer free seats than `seats` (default 1). The entry is
 * offered once that many seats are free for it (see releaseSeats); free seats too few for it are
 * held for the line from now on. Errors: AUTH.*, VALIDATION.FAILED, EVENT.NOT_FOUND,
 * BOOKING.EVENT_NOT_BOOKABLE, WAITLIST.CONFLICT (enough seats left, already booked or already in line).
 */
export const makeJoinWaitlist =
  (deps: WaitlistDeps) =>
  async (actor: Actor | null, eventId: string, options: { seats?: number } = {}): Promise<WaitlistEntry> => {
    const { uow, clock, ids } = deps;
    const user = requireUser(actor);
    const seats = options.seats ?? 1;
    const shape = validateGroup(seats, [], MAX_SEATS_PER_BOOKING_LIMIT);
    if (shape.length) throw new ValidationError(shape);
    return uow.run(async (tx) => {
      const now = clock.now();
      const event = await tx.events.findById(eventId);
      if (!event || event.status === 'DRAFT') throw new EventNotFoundError(eventId);
      if (event.status !== 'PUBLISHED' || event.startDate <= now) throw new EventNotBookableError(eventId, 'it is not open for booking');
      const errors = validateGroup(seats, [], event.maxSeatsPerBooking);
      if (errors.length) throw new ValidationError(errors);
      if (event.available >= seats) throw new WaitlistConflictError(eventId, `${event.available} seat(s) are still available: book instead`);
      if (await tx.bookings.findActive(eventId, user.userId)) throw new WaitlistConflictError(eventId, 'you already hold a booking');
      const existing = await tx.waitlist.findEntry(eventId, user.userId);
      if (existing && OPEN.includes(existing.status)) throw new WaitlistConflictError(eventId, 'you are already in line');
      const entry: WaitlistEntry = {
        id: ids.next(),
        eventId,
        userId: user.userId,
        status: 'WAITING',
        seats,
        position: null,
        offerExpiresAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await tx.waitlist.insert(entry);
      await tx.outbox.add([
        {
          id: ids.next(),
          type: 'waitlist.joined',
          aggregateType: 'waitlist',
          aggregateId: entry.id,
          occurredAt: now,
          data: { eventId, userId: user.userId, seats },
        },
      ]);
      // The free seats, too few for this entry, are the line's from now on (or its own, with passing allowed).
      await releaseSeats(tx, deps, eventId, 0, now);
      return (await tx.waitlist.findEntry(eventId, user.userId)) ?? entry;
    });
  };

/** Leaves the line; a seat held for the caller passes to the next person. Errors: AUTH.*, WAITLIST.NOT_FOUND. */
export const makeLeaveWaitlist =
  (deps: WaitlistDeps) =>
  async (actor: Actor | null, eventId: string): Promise<void> => {
    const user = requireUser(actor);
    return deps.uow.run(async (tx) => {
      const entry = await tx.waitlist.findEntry(eventId, user.userId);
      if (!entry || !OPEN.includes(entry.status)) throw new WaitlistEntryNotFoundError(eventId);
      const now = deps.clock.now();
      await tx.waitlist.update({ ...entry, status: 'LEFT', offerExpiresAt: null, updatedAt: now });
      await tx.outbox.add([
        {
          id: deps.ids.next(),
          type: 'waitlist.left',
          aggregateType: 'waitlist',
          aggregateId: entry.id,
          occurredAt: now,
          data: { eventId, userId: user.userId },
        },
      ]);
      // A group at the head that leaves may unblock the seats held for the line.
      await releaseSeats(tx, deps, eventId, entry.status === 'OFFERED' ? entry.seats : 0, now);
    });
  };

/** The caller's place in line, or the offer held for them. Errors: AUTH.*, WAITLIST.NOT_FOUND. */
export const makeGetMyWaitlistEntry =
  ({ waitlist }: { waitlist: WaitlistRepository }) =>
  async (actor: Actor | null, eventId: string): Promise<WaitlistEntry> => {
    const user = requireUser(actor);
    const entry = await waitlist.findEntry(eventId, user.userId);
    if (!entry) throw new WaitlistEntryNotFoundError(eventId);
    return entry;
  };
