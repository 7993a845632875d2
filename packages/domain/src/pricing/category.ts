import type { Event, Money } from '../events/event';
import type { FieldError } from '../shared/domain-error';

/** An event has one to ten categories: the implicit one (none stored), or up to ten stored ones. */
export const MAX_CATEGORIES_PER_EVENT = 10;
/** The name the implicit category of an event without categories is shown with. */
export const IMPLICIT_CATEGORY_NAME = 'Standard';

/**
 * A kind of seat of an event ("Adult 5,000 RUB", "Child under 12, 3,000 RUB, at most 4 places").
 * An event without stored categories has one implicit category: its id is the event's id, its price
 * the event's price, and no quota (the event's capacity bounds it). Events made before categories
 * existed, or by release 0.1.0, are therefore booked exactly as before.
 */
export interface TicketCategory {
  id: string;
  eventId: string;
  name: string;
  /** Price of one seat; null = free. */
  price: Money | null;
  /** At most this many seats of the category are held by active bookings; null = only the event's capacity. */
  quota: number | null;
  /** Order in which the event shows them; the first is the default category of a booking without lines. */
  position: number;
  /** True for the implicit category of an event without stored ones. */
  implicit: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export function implicitCategory(event: Pick<Event, 'id' | 'price' | 'createdAt' | 'updatedAt'>): TicketCategory {
  return {
    id: event.id,
    eventId: event.id,
    name: IMPLICIT_CATEGORY_NAME,
    price: event.price,
    quota: null,
    position: 0,
    implicit: true,
    createdAt: event.createdAt,
    updatedAt: event.updatedAt,
  };
}

/** The categories a booking of the event may name: the stored ones by position, or the implicit one. */
export const categoriesOf = (event: Pick<Event, 'id' | 'price' | 'createdAt' | 'updatedAt'>, stored: readonly TicketCategory[]): TicketCategory[] =>
  stored.length ? [...stored].sort((a, b) => a.position - b.position) : [implicitCategory(event)];

export interface CategoryInput {
  name: string;
  price?: Money | null;
  quota?: number | null;
}

/**
 * Field errors of a new category of `event` beside its `existing` ones: a name, a price in the
 * currency of the event's price and of its other categories (a booking is charged in one currency),
 * a quota of at most the event's capacity.
 */
export function validateCategory(input: CategoryInput, event: Pick<Event, 'capacity' | 'price'>, existing: readonly TicketCategory[]): FieldError[] {
  const errors: FieldError[] = [];
  const name = input.name?.trim() ?? '';
  if (name.length < 1 || name.length > 100) errors.push({ field: 'name', message: 'must be 1..100 characters' });
  const price = input.price ?? null;
  if (price) {
    if (!Number.isSafeInteger(price.amount) || price.amount < 0)
      errors.push({ field: 'price.amount', message: 'must be a whole number of minor units, 0 or more' });
    const currency = event.price?.currency ?? existing.find((c) => c.price)?.price?.currency;
    if (currency && price.currency !== currency) errors.push({ field: 'price.currency', message: `must be ${currency}, the currency of the event` });
  }
  const quota = input.quota ?? null;
  if (quota !== null && (!Number.isInteger(quota) || quota < 1 || quota > event.capacity))
    errors.push({ field: 'quota', message: `must be a whole number from 1 to the event's capacity (${event.capacity})` });
  return errors;
}
