import type { Actor } from '../shared/actor';
import { ValidationError } from '../shared/domain-error';
import { viewerOf, requireOwner } from './access';
import { isStorableDate, isVisibleTo, type Event } from './event';
import { EventNotFoundError } from './event.errors';
import { makeCreateEvent, replaceEvent, type EventInput, type ManageEventsDeps, type UpdateEventDeps } from './manage-events';

/** Seats of an event created through the v1 API without a capacity. */
export const LEGACY_DEFAULT_CAPACITY = 50;
/** Length of an event whose end the v1 API did not give (and of legacy rows stored without an end). */
export const LEGACY_DEFAULT_LENGTH_MS = 86_400_000;

/**
 * An event as the v1 API describes it: no price, a free-text location, and an end date and a
 * capacity that may be left out.
 */
export interface LegacyEventInput {
  title: string;
  description: string | null;
  startDate: Date;
  endDate?: Date;
  capacity?: number;
  locationText: string | null;
}

/** An end date derived from the start must still be one the database can store. */
function derivedEnd(start: Date, lengthMs: number): Date {
  const end = new Date(start.getTime() + lengthMs);
  if (!isStorableDate(end))
    throw new ValidationError([
      { field: 'end_date', message: "must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z (start_date plus the event's length)" },
    ]);
  return end;
}

/** A new event: without an end it lasts a day, without a capacity it has 50 seats. */
export function legacyCreation(input: LegacyEventInput): EventInput {
  return {
    title: input.title,
    description: input.description,
    startDate: input.startDate,
    endDate: input.endDate ?? derivedEnd(input.startDate, LEGACY_DEFAULT_LENGTH_MS),
    capacity: input.capacity ?? LEGACY_DEFAULT_CAPACITY,
    locationText: input.locationText,
  };
}

/**
 * A replacement of `current`: v1 knows no price or structured location, so both are kept; without
 * an end the event keeps its length (a day for legacy rows that never had an end), without a
 * capacity it keeps its capacity.
 */
export function legacyReplacement(current: Event, input: LegacyEventInput): EventInput {
  const length = current.endDate.getTime() - current.startDate.getTime();
  return {
    title: input.title,
    description: input.description,
    startDate: input.startDate,
    endDate: input.endDate ?? derivedEnd(input.startDate, length > 0 ? length : LEGACY_DEFAULT_LENGTH_MS),
    capacity: input.capacity ?? current.capacity,
    locationText: input.locationText,
    price: current.price,
    locationId: current.location?.id ?? null,
  };
}

/**
 * Creates and publishes an event in one transaction (the v1 API had no separate publish step).
 * Errors: those of createEvent and publishEvent, VALIDATION.FAILED on end_date.
 */
export const makeCreateLegacyEvent = (deps: ManageEventsDeps) => {
  const create = makeCreateEvent(deps);
  return async (actor: Actor | null, input: LegacyEventInput): Promise<Event> => create(actor, legacyCreation(input), { publish: true });
};

/**
 * Replaces an event the way the v1 PUT does (see legacyReplacement), reading and writing it in one
 * transaction. An event the caller may not see is not found, as for a read.
 * Errors: AUTH.*, EVENT.NOT_FOUND, VALIDATION.FAILED, EVENT.ILLEGAL_TRANSITION.
 */
export const makeReplaceLegacyEvent =
  (deps: UpdateEventDeps) =>
  (actor: Actor | null, id: string, input: LegacyEventInput): Promise<Event> =>
    deps.uow.run(async (tx) => {
      const event = await tx.events.findByIdForUpdate(id);
      if (!event || !isVisibleTo(event, viewerOf(actor))) throw new EventNotFoundError(id);
      const replacement = legacyReplacement(event, input);
      requireOwner(actor, event);
      return replaceEvent(tx, deps, event, replacement, deps.clock.now());
    });
