import type { Actor } from '../shared/actor';
import { isAdmin } from '../shared/actor';
import { pageRequest, type Page } from '../shared/paging';
import { ValidationError } from '../shared/domain-error';
import { isVisibleTo, type Event, type EventStatus } from './event';
import { EventNotFoundError } from './event.errors';
import type { EventRepository } from './ports';
import { viewerOf } from './access';

/**
 * One event; drafts are visible only to their organizer and admins (others get EVENT.NOT_FOUND,
 * which does not reveal that the draft exists).
 */
export const makeGetEvent =
  ({ events }: { events: EventRepository }) =>
  async (actor: Actor | null, id: string): Promise<Event> => {
    const event = await events.findById(id);
    if (!event || !isVisibleTo(event, viewerOf(actor))) throw new EventNotFoundError(id);
    return event;
  };

/**
 * The event when the repository holds a copy in process and the caller may see it, without waiting
 * on anything; undefined otherwise (then getEvent answers, with its errors). A hot read that is
 * answered at once needs no promise.
 */
export const makeGetHeldEvent =
  ({ events }: { events: Pick<EventRepository, 'findHeld'> }) =>
  (actor: Actor | null, id: string): Event | undefined => {
    const event = events.findHeld?.(id);
    return event && isVisibleTo(event, viewerOf(actor)) ? event : undefined;
  };

export interface ListEventsQuery {
  status?: EventStatus;
  from?: Date;
  to?: Date;
  search?: string;
  locationId?: string;
  organizerId?: string;
  page?: number;
  size?: number;
}

/**
 * Events visible to the caller, soonest start first, filtered and paged. Events of
 * `hiddenOrganizers` (the synthetic flow's organizer) are listed only to them and to admins.
 * Errors: VALIDATION.FAILED (page, size, date range).
 */
export const makeListEvents =
  ({ events, hiddenOrganizers = [] }: { events: EventRepository; hiddenOrganizers?: readonly string[] }) =>
  async (actor: Actor | null, query: ListEventsQuery): Promise<Page<Event>> => {
    const page = pageRequest(query.page, query.size);
    if (query.from && query.to && query.from > query.to) throw new ValidationError([{ field: 'to', message: 'must not be before from' }]);
    const search = query.search?.trim() || undefined;
    const hidden = isAdmin(actor) ? [] : hiddenOrganizers.filter((id) => id !== actor?.userId);
    return events.list(
      {
        status: query.status,
        from: query.from,
        to: query.to,
        search,
        locationId: query.locationId,
        organizerId: query.organizerId,
        draftsOf: actor?.userId,
        allDrafts: isAdmin(actor),
        // Absent unless set, so the public list's cache key stays the one 0.1.0 writes.
        ...(hidden.length ? { hiddenOrganizers: hidden } : {}),
      },
      page,
    );
  };
