import { DomainError } from '../shared/domain-error';
import { MAX_CATEGORIES_PER_EVENT } from './category';

/** The event has MAX_CATEGORIES_PER_EVENT categories already (409). */
export class CategoryLimitError extends DomainError {
  constructor(eventId: string) {
    super('CATEGORY.LIMIT', 'conflict', `Event ${eventId} has ${MAX_CATEGORIES_PER_EVENT} categories, the most an event may have`, { eventId });
  }
}

/** The event has a category of that name already (409). */
export class CategoryConflictError extends DomainError {
  constructor(eventId: string, name: string) {
    super('CATEGORY.CONFLICT', 'conflict', `Event ${eventId} already has a category named ${name}`, { eventId, name });
  }
}

/** Fewer seats of the category are left under its quota than asked for (409, with `available`). */
export class CategorySoldOutError extends DomainError {
  constructor(eventId: string, categoryId: string, available: number, seats: number) {
    super('CATEGORY.SOLD_OUT', 'conflict', `Category ${categoryId} of event ${eventId} has ${available} seat(s) left, fewer than the ${seats} asked for`, {
      eventId,
      categoryId,
      available,
    });
  }
}
