import type { Actor } from '../shared/actor';
import { ValidationError } from '../shared/domain-error';
import type { DomainEvent } from '../shared/domain-events';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { LocationNotFoundError } from '../locations/location.errors';
import { createLocation } from '../locations/location';
import { locationCreated } from '../locations/location-events';
import { createEvent, meetsCondition, transitionEvent, updateEvent, type Event, type EventFields, type VersionCondition } from './event';
import { EventAlreadyStartedError, EventNotFoundError, EventPreconditionFailedError } from './event.errors';
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

/**
 * The event, locked, for its owner (or an admin) to change. The client's precondition is checked
 * after who may change it and before what the change does (RFC 9110: a 412 only where the
 * unconditional request would have gone ahead).
 */
async function loadForChange(tx: TransactionScope, actor: Actor | null, id: string, condition?: VersionCondition): Promise<Event> {
  requireOrganizer(actor);
  const event = await tx.events.findByIdForUpdate(id);
  if (!event) throw new EventNotFoundError(id);
  requireOwner(actor, event);
  if (!meetsCondition(event, condition)) throw new EventPreconditionFailedError(id);
  return event;
}

/**
 * Stores `changed`, read as `read`. Under a precondition the write itself compares the version
 * read (compare-and-set in the same statement), so no change made since can be overwritten.
 */
async function save(tx: TransactionScope, changed: Event, read: Event, condition: VersionCondition | undefined): Promise<void> {
  const stored = await tx.events.update(changed, condition?.ifVersion === undefined ? undefined : { expectedVersion: read.version });
  if (!stored) throw new EventPreconditionFailedError(changed.id);
}

/** The event as this transaction leaves it: its version (and seats) as they will be committed. */
async function reread(tx: TransactionScope, id: string): Promise<Event> {
  const event = await tx.events.findById(id);
  if (!event) throw new EventNotFoundError(id);
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
      const events: DomainEvent[] = [eventDomainEvent('event.created', event, ids.next(), now)];
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
 * entries to pass a group lets them take the seats held for it). With `condition.ifVersion`, only
 * while the event still has one of those versions.
 * Errors: AUTH.*, EVENT.NOT_FOUND, EVENT.PRECONDITION_FAILED, EVENT.ILLEGAL_TRANSITION, VALIDATION.FAILED, LOCATION.NOT_FOUND.
 */
export const makeUpdateEvent =
  (deps: UpdateEventDeps) =>
  (actor: Actor | null, id: string, input: EventInput, condition?: VersionCondition): Promise<Event> =>
    deps.uow.run(async (tx) => replaceEvent(tx, deps, await loadForChange(tx, actor, id, condition), input, deps.clock.now(), condition));

/** Replaces the fields of a loaded (and locked) event, in the caller's transaction; returns it as stored. */
export async function replaceEvent(
  tx: TransactionScope,
  deps: SeatReleaseDeps,
  event: Event,
  input: EventInput,
  now: Date,
  condition?: VersionCondition,
): Promise<Event> {
  const location =
    (await locationOfText(tx, deps, input.locationText, now)) ??
    (input.locationId === undefined ? event.location : await resolveLocation(tx, input.locationId));
  const updated = updateEvent(event, input, location, now);
  await save(tx, updated, event, condition);
  if (updated.capacity > event.capacity || (updated.waitlistAllowsPassing && !event.waitlistAllowsPassing)) await releaseSeats(tx, deps, updated.id, 0, now);
  const stored = await reread(tx, event.id);
  await tx.outbox.add([eventDomainEvent('event.updated', stored, deps.ids.next(), now)]);
  return stored;
}

/**
 * Publishes a DRAFT event so people can see and book it; it must not have started. With
 * `condition.ifVersion`, only while the event still has one of those versions.
 * Errors: AUTH.*, EVENT.NOT_FOUND, EVENT.PRECONDITION_FAILED, EVENT.ILLEGAL_TRANSITION, EVENT.ALREADY_STARTED.
 */
export const makePublishEvent =
  ({ uow, clock, ids }: ManageEventsDeps) =>
  (actor: Actor | null, id: string, condition?: VersionCondition): Promise<Event> =>
    uow.run(async (tx) => {
      const event = await loadForChange(tx, actor, id, condition);
      const now = clock.now();
      const published = transitionEvent(event, 'PUBLISHED', now);
      if (event.startDate <= now) throw new EventAlreadyStartedError(id);
      await save(tx, published, event, condition);
      await tx.outbox.add([eventDomainEvent('event.published', published, ids.next(), now)]);
      return reread(tx, id);
    });

/**
 * Cancels a DRAFT or PUBLISHED event and, in the same transaction, every active booking of it
 * (paid ones are marked for refund) and its waitlist: all of it happens or none of it. With
 * `condition.ifVersion`, only while the event still has one of those versions.
 * Errors: AUTH.*, EVENT.NOT_FOUND, EVENT.PRECONDITION_FAILED, EVENT.ILLEGAL_TRANSITION.
 */
export const makeCancelEvent =
  ({ uow, clock, ids }: ManageEventsDeps) =>
  (actor: Actor | null, id: string, condition?: VersionCondition): Promise<Event> =>
    uow.run(async (tx) => {
      const event = await loadForChange(tx, actor, id, condition);
      const now = clock.now();
      const cancelled = transitionEvent(event, 'CANCELLED', now);
      await save(tx, cancelled, event, condition);
      await tx.outbox.add([eventDomainEvent('event.cancelled', cancelled, ids.next(), now)]);
      await cancelBookingsOfEvent(tx, { ids }, cancelled.id, now);
      return reread(tx, id);
    });
