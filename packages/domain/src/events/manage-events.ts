import type { Actor } from '../shared/actor';
import { ValidationError } from '../shared/domain-error';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { LocationNotFoundError } from '../locations/location.errors';
import { createLocation, locationCreated } from '../locations/location';
import { createEvent, transitionEvent, updateEvent, type Event, type EventFields } from './event';
import { EventAlreadyStartedError, EventNotFoundError } from './event.errors';
import { eventDomainEvent } from './event-events';
import { requireOrganizer, requireOwner } from './access';
import type { TransactionScope } from '../unit-of-work';
import { cancelBookingsOfEvent } from '../bookings/manage-bookings';
import { releaseSeats, type SeatReleaseDeps } from '../bookings/seat-release';

export interface ManageEventsDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
}

export type EventInput = EventFields & { locationId?: string | null };

async function resolveLocation(tx: TransactionScope, locationId: string | null | undefined) {
  if (!locationId) return null;
  const location = await tx.locations.findById(locationId);
  if (!location) throw new LocationNotFoundError(locationId);
  return location;
}

/**
 * v1's free-text location becomes a location: the one with that name, or a new one named (and
 * addressed) by the text, as the 0002 migration did for the seed's rows. So the text needs no
 * column of its own, and v2 sees v1's events at a location.
 */
async function locationOfText(tx: TransactionScope, deps: Pick<ManageEventsDeps, 'ids'>, text: string | null | undefined, now: Date) {
  const name = text?.trim();
  if (!name) return undefined;
  if (name.length > 255) throw new ValidationError([{ field: 'location', message: 'must be at most 255 characters' }]);
  const existing = await tx.locations.findByName(name);
  if (existing) return existing;
  const created = createLocation({ name, address: name }, deps.ids.next(), now);
  await tx.locations.insert(created);
  await tx.outbox.add([locationCreated(created, deps.ids.next())]);
  return created;
}

async function loadForChange(tx: TransactionScope, actor: Actor | null, id: string): Promise<Event> {
  requireOrganizer(actor);
  const event = await tx.events.findByIdForUpdate(id);
  if (!event) throw new EventNotFoundError(id);
  requireOwner(actor, event);
  return event;
}

/**
 * Creates a DRAFT event owned by the calling organizer; with `publish` (the v1 API, which had no
 * separate publish step) it is published in the same transaction.
 * Errors: AUTH.*, VALIDATION.FAILED, LOCATION.NOT_FOUND, EVENT.ALREADY_STARTED.
 */
export const makeCreateEvent =
  ({ uow, clock, ids }: ManageEventsDeps) =>
  async (actor: Actor | null, input: EventInput, options: { publish?: boolean } = {}): Promise<Event> => {
    const organizer = requireOrganizer(actor);
    return uow.run(async (tx) => {
      const now = clock.now();
      const location = (await locationOfText(tx, { ids }, input.locationText, now)) ?? (await resolveLocation(tx, input.locationId));
      let event = createEvent(input, { id: ids.next(), organizerId: organizer.userId, location, now });
      const events = [eventDomainEvent('event.created', event, ids.next(), now)];
      if (options.publish) {
        if (event.startDate <= now) throw new EventAlreadyStartedError(event.id);
        event = transitionEvent(event, 'PUBLISHED', now);
        events.push(eventDomainEvent('event.published', event, ids.next(), now));
      }
      await tx.events.insert(event);
      await tx.outbox.add(events);
      return event;
    });
  };

/** Changing an event may add seats, which are offered to the waitlist like released ones. */
export type UpdateEventDeps = ManageEventsDeps & SeatReleaseDeps;

/**
 * Replaces an event's fields; capacity may not drop below the seats already booked. Seats added
 * by a larger capacity go to the waitlist first, exactly as released seats do (and allowing smaller
 * entries to pass a group lets them take the seats held for it).
 * Errors: AUTH.*, EVENT.NOT_FOUND, EVENT.ILLEGAL_TRANSITION, VALIDATION.FAILED, LOCATION.NOT_FOUND.
 */
export const makeUpdateEvent =
  (deps: UpdateEventDeps) =>
  (actor: Actor | null, id: string, input: EventInput): Promise<Event> =>
    deps.uow.run(async (tx) => replaceEvent(tx, deps, await loadForChange(tx, actor, id), input, deps.clock.now()));

/** Replaces the fields of a loaded (and locked) event, in the caller's transaction. */
export async function replaceEvent(tx: TransactionScope, deps: SeatReleaseDeps, event: Event, input: EventInput, now: Date): Promise<Event> {
  const location =
    (await locationOfText(tx, deps, input.locationText, now)) ??
    (input.locationId === undefined ? event.location : await resolveLocation(tx, input.locationId));
  let updated = updateEvent(event, input, location, now);
  await tx.events.update(updated);
  if (updated.capacity > event.capacity || (updated.waitlistAllowsPassing && !event.waitlistAllowsPassing)) {
    await releaseSeats(tx, deps, updated.id, 0, now);
    updated = (await tx.events.findById(updated.id)) ?? updated;
  }
  await tx.outbox.add([eventDomainEvent('event.updated', updated, deps.ids.next(), now)]);
  return updated;
}

/**
 * Publishes a DRAFT event so people can see and book it; it must not have started.
 * Errors: AUTH.*, EVENT.NOT_FOUND, EVENT.ILLEGAL_TRANSITION, EVENT.ALREADY_STARTED.
 */
export const makePublishEvent =
  ({ uow, clock, ids }: ManageEventsDeps) =>
  (actor: Actor | null, id: string): Promise<Event> =>
    uow.run(async (tx) => {
      const event = await loadForChange(tx, actor, id);
      const now = clock.now();
      const published = transitionEvent(event, 'PUBLISHED', now);
      if (event.startDate <= now) throw new EventAlreadyStartedError(id);
      await tx.events.update(published);
      await tx.outbox.add([eventDomainEvent('event.published', published, ids.next(), now)]);
      return published;
    });

/**
 * Cancels a DRAFT or PUBLISHED event and, in the same transaction, every active booking of it
 * (paid ones are marked for refund) and its waitlist: all of it happens or none of it.
 * Errors: AUTH.*, EVENT.NOT_FOUND, EVENT.ILLEGAL_TRANSITION.
 */
export const makeCancelEvent =
  ({ uow, clock, ids }: ManageEventsDeps) =>
  (actor: Actor | null, id: string): Promise<Event> =>
    uow.run(async (tx) => {
      const event = await loadForChange(tx, actor, id);
      const now = clock.now();
      const cancelled = transitionEvent(event, 'CANCELLED', now);
      await tx.events.update(cancelled);
      await tx.outbox.add([eventDomainEvent('event.cancelled', cancelled, ids.next(), now)]);
      await cancelBookingsOfEvent(tx, { ids }, cancelled.id, now);
      return cancelled;
    });
