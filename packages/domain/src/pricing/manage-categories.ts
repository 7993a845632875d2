import type { Actor } from '../shared/actor';
import { ValidationError } from '../shared/domain-error';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { isVisibleTo } from '../events/event';
import { EventNotFoundError } from '../events/event.errors';
import type { EventRepository } from '../events/ports';
import { requireOrganizer, requireOwner, viewerOf } from '../events/access';
import { EventNotBookableError } from '../bookings/booking.errors';
import { categoriesOf, MAX_CATEGORIES_PER_EVENT, validateCategory, type CategoryInput, type TicketCategory } from './category';
import { CategoryLimitError } from './pricing.errors';
import type { EventCategoryRepository } from './ports';

/** A category as the event shows it: with the seats left under its quota (null: no quota, only the event's seats bound it). */
export interface CategoryView extends TicketCategory {
  available: number | null;
}

/**
 * Adds a ticket category to a DRAFT or PUBLISHED event (its organizer, an admin): at most
 * MAX_CATEGORIES_PER_EVENT, names unique per event, prices in the event's currency. The first
 * category stored replaces the implicit one: bookings without lines then book it. Bookings made
 * before keep their price and their seats (their lines name the implicit category). The event's row
 * is locked, so two organizers adding the tenth category at once cannot make eleven.
 * Errors: AUTH.*, EVENT.NOT_FOUND, BOOKING.EVENT_NOT_BOOKABLE, VALIDATION.FAILED, CATEGORY.LIMIT, CATEGORY.CONFLICT.
 */
export const makeCreateCategory =
  ({ uow, clock, ids }: { uow: UnitOfWork; clock: Clock; ids: IdGenerator }) =>
  async (actor: Actor | null, eventId: string, input: CategoryInput): Promise<TicketCategory> => {
    requireOrganizer(actor);
    return uow.run(async (tx) => {
      const event = await tx.events.findByIdForUpdate(eventId);
      if (!event || !isVisibleTo(event, viewerOf(actor))) throw new EventNotFoundError(eventId);
      requireOwner(actor, event);
      if (event.status === 'CANCELLED' || event.status === 'COMPLETED') throw new EventNotBookableError(event.id, `it is ${event.status}`);
      const existing = await tx.categories.listOfEvent(event.id);
      const errors = validateCategory(input, event, existing);
      if (errors.length) throw new ValidationError(errors);
      if (existing.length >= MAX_CATEGORIES_PER_EVENT) throw new CategoryLimitError(event.id);
      const now = clock.now();
      const category: TicketCategory = {
        id: ids.next(),
        eventId: event.id,
        name: input.name.trim(),
        price: input.price ?? null,
        quota: input.quota ?? null,
        position: existing.reduce((max, c) => Math.max(max, c.position + 1), 0),
        implicit: false,
        createdAt: now,
        updatedAt: now,
      };
      await tx.categories.insert(category);
      return category;
    });
  };

/**
 * The categories of an event its caller may see (drafts: their organizer and admins), in order:
 * the stored ones, or the implicit one of an event without. Errors: EVENT.NOT_FOUND.
 */
export const makeListCategories =
  ({ events, categories }: { events: EventRepository; categories: EventCategoryRepository }) =>
  async (actor: Actor | null, eventId: string): Promise<CategoryView[]> => {
    const event = await events.findById(eventId);
    if (!event || !isVisibleTo(event, viewerOf(actor))) throw new EventNotFoundError(eventId);
    const [stored, taken] = await Promise.all([categories.listOfEvent(eventId), categories.taken(eventId)]);
    return categoriesOf(event, stored).map((c) => ({ ...c, available: c.quota === null ? null : Math.max(0, c.quota - (taken.get(c.id) ?? 0)) }));
  };
