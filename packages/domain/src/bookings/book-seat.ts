import { hasRole, type Actor } from '../shared/actor';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../shared/domain-error';
import type { DomainEvent } from '../shared/domain-events';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { EventNotFoundError } from '../events/event.errors';
import { MAX_SEATS_PER_BOOKING_LIMIT, whyNotBookable } from '../events/event';
import { newBooking, normalizeParticipants, validateGroup, type Booking, type Participant } from './booking';
import { BookingConflictError, EventFullError, EventNotBookableError } from './booking.errors';
import type { EventRepository } from '../events/ports';
import type { BookingRepository } from './ports';
import { bookingEvent, releaseSeats, type SeatReleaseDeps } from './seat-release';
import { priceBooking, recordPricing, refuseWhenUsedUp, seatsOfLines, validateLines, type LineInput, type PricingReads } from '../pricing/price-booking';
import { createKeyedBatcher } from '../shared/batching';
import { DomainError, ReadOnlyModeError } from '../shared/domain-error';
import { allocateSeats, type BatchOutcome, type PlainBookingRequest } from './book-together';

export interface BookSeatDeps extends SeatReleaseDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  bookingTtlMs: number;
  /** Read side (may be cached), for refusing a full event without opening a transaction. */
  reads: { events: Pick<EventRepository, 'findById'>; bookings: Pick<BookingRepository, 'standing'> };
  /** Reads for refusing a used-up code or a sold-out category without a transaction; without them, only the transaction refuses. */
  pricingReads?: PricingReads;
  batching?: BookingBatching;
}

/**
 * Plain bookings (the default category, no code) of one event decided in one transaction (see
 * makeBookTogether): at most `max` per transaction (0 or unset: every booking has its own), and at
 * most `inFlight` such transactions per event at once (default 1); a booking that finds one of them
 * free starts once `gather` calls back (at once without it).
 */
export interface BookingBatching {
  max: number;
  inFlight?: number;
  onBatch?: (size: number) => void;
  gather?: (start: () => void) => void;
}

/**
 * Most requests of a booking rush find the event full: refuse them from a read (the cached event)
 * without a transaction. Only a definite "too few seats" refuses here; everything else is decided
 * inside the transaction, so a stale read can never oversell, at worst refuse during a release.
 */
async function refuseWhenFull(reads: BookSeatDeps['reads'], eventId: string, userId: string, seats: number, now: Date): Promise<void> {
  const event = await reads.events.findById(eventId);
  if (!event || whyNotBookable(event, now, seats) !== 'SOLD_OUT') return;
  // One read for both exceptions: an offer may claim its held seats; a booking is a conflict.
  const standing = await reads.bookings.standing(eventId, userId);
  if (standing.offered) return;
  if (standing.activeBookingId) throw new BookingConflictError(eventId, standing.activeBookingId);
  throw new EventFullError(eventId, event.available, seats);
}

export interface BookSeatInput {
  eventId: string;
  /** How many seats (default 1; a waitlist offer's holder gets the offer's seats by default). */
  seats?: number;
  participants?: Participant[];
  /** Seats per ticket category (instead of `seats` and `participants`, which book the event's default category). */
  lines?: LineInput[];
  /** A promo code of the event, in any case. */
  promoCode?: string;
}

/** Field errors of the request's shape: `lines` or `seats`/`participants`, not both. */
function validateShape(input: BookSeatInput) {
  if (!input.lines) return validateGroup(input.seats ?? 1, input.participants ?? [], MAX_SEATS_PER_BOOKING_LIMIT);
  const both = [input.seats !== undefined && 'seats', input.participants !== undefined && 'participants'].filter((f): f is string => Boolean(f));
  if (both.length) return both.map((field) => ({ field, message: 'must be left out when lines are given (seats and participants go per line)' }));
  return validateLines(input.lines, MAX_SEATS_PER_BOOKING_LIMIT);
}

export function requireUser(actor: Actor | null): Actor {
  if (!actor) throw new UnauthenticatedError();
  if (!hasRole(actor, 'USER')) throw new ForbiddenError('Only users can book seats');
  return actor;
}

/**
 * Decides plain bookings of one event that arrive together in one transaction: the bookers'
 * standings, the event's categories and the event are read together, seats are given out in
 * arrival order (allocateSeats), and the seats are taken by one conditional UPDATE of the event's
 * row written together with every booking, line and outbox event (BookingBatchStore). In a rush every booker of an
 * event queues on that row on every replica; a batch takes it once for all of its bookers. A
 * booking that loses a race the batch could not see (the booker's own booking made meanwhile
 * elsewhere) rolls the batch back; it is decided once more, then each of its requests runs alone.
 */
function makeBookTogether(deps: BookSeatDeps, refuse: (eventId: string, request: PlainBookingRequest) => Promise<void>) {
  const { uow, clock, ids, bookingTtlMs } = deps;
  return async (eventId: string, requests: PlainBookingRequest[]): Promise<BatchOutcome[]> => {
    const outcomes: (BatchOutcome | undefined)[] = requests.map(() => undefined);
    // When the batch's turn comes, what became certain while it waited is refused without it.
    const precheck = async () => {
      await Promise.all(
        requests.map((request, i) =>
          refuse(eventId, request).catch((error: unknown) => {
            if (!(error instanceof DomainError)) throw error;
            outcomes[i] = { kind: 'REFUSED', error };
          }),
        ),
      );
      if (outcomes.every(Boolean)) throw new AllRefused();
    };
    // Optimistic first: the event read without a lock, then the seats taken and the bookings written
    // together, so the row is locked only from that write to the commit (one round trip instead of
    // the whole batch). A refusal for too few seats stands on that read: the seats were
    // too few when it was taken, while the request was waiting for its answer (a release after it is
    // as if it came after the request). Only when the UPDATE finds the seats gone (another batch took
    // them since the read) does the batch run again, with the row locked before it is read.
    const attempt = (locked: boolean) =>
      uow.run(
        async (tx) => {
          const open = requests.filter((_, i) => !outcomes[i]);
          const { event, categories, standings } = await tx.bookingBatches.read(
            eventId,
            open.map((r) => r.userId),
            locked,
          );
          const now = clock.now();
          const allocation = allocateSeats({ eventId, event, categories, requests: open, standings, now, nextId: () => ids.next(), bookingTtlMs });
          if (allocation.booked.length && !(await tx.bookingBatches.write(eventId, allocation.seats, now, allocation.booked, allocation.events))) {
            if (!locked) throw new NeedsLock();
            // Under the row's lock the seats counted are there; a refusal here is a broken invariant.
            throw new Error(`event ${eventId} lost seats under its batch's lock`);
          }
          return allocation.outcomes;
        },
        { precheck },
      );
    try {
      const decide = () =>
        attempt(false).catch((error: unknown) => {
          if (error instanceof NeedsLock) return attempt(true);
          throw error;
        });
      // A booking of one of its bookers committed after the batch read their standings: once more,
      // reading them again (the conflict is then refused inside the batch), before each goes alone.
      const decided = await decide().catch((error: unknown) => {
        if (error instanceof BookingConflictError && requests.length > 1) return decide();
        throw error;
      });
      deps.batching?.onBatch?.(decided.length);
      let k = 0;
      return outcomes.map((o) => o ?? decided[k++]!);
    } catch (error) {
      if (error instanceof AllRefused) return outcomes as BatchOutcome[];
      // The batch lost a race for a booker's one active booking: each request decides alone.
      if (error instanceof BookingConflictError && requests.length > 1) return outcomes.map((o) => o ?? { kind: 'ALONE' });
      // Read-only, overloaded, contention: every request still open gets it; a refusal already decided stays.
      if (error instanceof DomainError) return outcomes.map((o) => o ?? { kind: 'REFUSED', error });
      throw error;
    }
  };
}

/** Every request of a batch was refused before its transaction: there is nothing to write. */
class AllRefused extends Error {}

/** The seats the batch's unlocked read counted were taken meanwhile: it runs again with the row locked. */
class NeedsLock extends Error {}

/**
 * Books `seats` seats (default 1) of a published event that has not started, for the people named
 * in `participants` (at most one per seat). Seats held for the caller by a waitlist offer are
 * claimed (asking for more takes the rest from the free seats, asking for fewer gives the rest
 * back to the line); otherwise the seats are taken atomically, all or none, so the event is never
 * oversold however many replicas book at once. `lines` book seats per ticket category (without
 * them: `seats` of the event's default category), each category's quota kept as atomically as the
 * event's capacity; the price is pricing's (lines × their categories' prices, less `promoCode`'s
 * discount). A booking that costs nothing is CONFIRMED at once.
 * Errors: AUTH.*, VALIDATION.FAILED, EVENT.NOT_FOUND, BOOKING.EVENT_NOT_BOOKABLE, BOOKING.CONFLICT,
 * BOOKING.EVENT_FULL (with `available`), CATEGORY.SOLD_OUT, PROMO_CODE.INVALID, PROMO_CODE.EXHAUSTED,
 * PROMO_CODE.ALREADY_USED.
 */
export const makeBookSeat = (deps: BookSeatDeps) => {
  const refusePlain = (eventId: string, request: PlainBookingRequest) =>
    refuseWhenFull(deps.reads, eventId, request.userId, request.seats ?? 1, deps.clock.now());
  const deciding = new Map<string, Promise<BatchOutcome>>();
  const together = deps.batching?.max
    ? createKeyedBatcher(makeBookTogether(deps, refusePlain), {
        maxBatch: deps.batching.max,
        maxInFlight: deps.batching.inFlight,
        gather: deps.batching.gather,
        // A batch refused because the database is unreachable (read-only mode, or its time limit
        // passed on a hung connection): the bookings queued behind it would only wait to be refused.
        sharedAnswer: (outcomes) => outcomes.find((o) => o.kind === 'REFUSED' && o.error instanceof ReadOnlyModeError),
      })
    : null;
  return async (actor: Actor | null, input: BookSeatInput): Promise<Booking> => {
    const { uow, clock, ids, bookingTtlMs, reads } = deps;
    const user = requireUser(actor);
    const participants = input.lines ? input.lines.flatMap((l) => l.participants ?? []) : (input.participants ?? []);
    // Checked before any read so bad input changes nothing; the event's own limit is checked in the transaction.
    const shape = validateShape(input);
    if (shape.length) throw new ValidationError(shape);
    const asked = input.lines ? seatsOfLines(input.lines) : input.seats;
    const refuse = async () => {
      await refuseWhenFull(reads, input.eventId, user.userId, asked ?? 1, clock.now());
      if (deps.pricingReads && (input.promoCode !== undefined || input.lines))
        await refuseWhenUsedUp(deps.pricingReads, { eventId: input.eventId, userId: user.userId, lines: input.lines ?? null, promoCode: input.promoCode });
    };
    await refuse();
    if (together && input.lines === undefined && input.promoCode === undefined) {
      // A second request of a booker whose first is still being decided here waits for it: booked,
      // it is a conflict without a transaction (and never races its twin in the unique index).
      const twin = `${input.eventId}:${user.userId}`;
      const first = deciding.get(twin);
      if (first) {
        const earlier = await first.catch(() => null);
        if (earlier?.kind === 'BOOKED') throw new BookingConflictError(input.eventId, earlier.booking.id);
      }
      const decision = together.submit(input.eventId, { userId: user.userId, seats: input.seats, participants: input.participants ?? [] });
      deciding.set(twin, decision);
      const outcome = await decision.finally(() => {
        if (deciding.get(twin) === decision) deciding.delete(twin);
      });
      if (outcome.kind === 'BOOKED') return outcome.booking;
      if (outcome.kind === 'REFUSED') throw outcome.error;
    }
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
        const held = holdsOffer ? entry.seats : 0;
        const seats = asked ?? (holdsOffer ? held : 1);
        const errors = validateGroup(seats, participants, Math.max(event.maxSeatsPerBooking, held), input.lines ? 'lines' : 'seats');
        if (errors.length) throw new ValidationError(errors);
        // Quotas and the code are locked and counted before the event's seats are taken (one lock order for every booker).
        const priced = await priceBooking(tx, { event, userId: user.userId, lines: input.lines ?? null, seats, participants, promoCode: input.promoCode, now });
        if (holdsOffer) await tx.waitlist.update({ ...entry, status: 'CLAIMED', offerExpiresAt: null, updatedAt: now });
        if (seats > held && !(await tx.events.takeSeats(event.id, seats - held, now))) {
          const current = await tx.events.findById(event.id);
          throw new EventFullError(event.id, current?.available ?? 0, seats);
        }

        const booking = newBooking({
          id: ids.next(),
          eventId: event.id,
          userId: user.userId,
          price: event.price,
          amount: priced.amount,
          now,
          ttlMs: bookingTtlMs,
          seats,
          participants: input.lines ? priced.participants : normalizeParticipants(participants),
        });
        await tx.bookings.insert(booking);
        await recordPricing(tx, booking, priced, now);
        const events: DomainEvent[] = [bookingEvent('booking.created', booking, ids.next(), now, { fromWaitlist: holdsOffer })];
        if (booking.status === 'CONFIRMED') events.push(bookingEvent('booking.confirmed', booking, ids.next(), now));
        await tx.outbox.add(events);
        // Seats of the offer not taken go on down the line.
        if (held > seats) await releaseSeats(tx, deps, event.id, held - seats, now);
        return booking;
      },
      { precheck: refuse },
    );
  };
};
