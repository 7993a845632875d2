import type { Actor } from '../shared/actor';
import { ValidationError } from '../shared/domain-error';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { isVisibleTo } from '../events/event';
import { EventNotFoundError } from '../events/event.errors';
import type { EventRepository } from '../events/ports';
import { requireOrganizer, requireOwner, viewerOf } from '../events/access';
import { categoriesOf } from '../pricing/category';
import { newPromoCode, validatePromoCode, type PromoCode, type PromoCodeInput, type PromoCodeWithUses } from './promo-code';
import type { PromoCodeRepository } from './ports';

/**
 * Creates a promo code for an event (its organizer, an admin): percent or a fixed amount off,
 * optionally at most `maxUses` bookings, valid from/until, for some categories only. Each user may
 * use it once. Errors: AUTH.*, EVENT.NOT_FOUND, VALIDATION.FAILED, PROMO_CODE.CONFLICT.
 */
export const makeCreatePromoCode =
  ({ uow, clock, ids }: { uow: UnitOfWork; clock: Clock; ids: IdGenerator }) =>
  async (actor: Actor | null, eventId: string, input: PromoCodeInput): Promise<PromoCode> => {
    requireOrganizer(actor);
    return uow.run(async (tx) => {
      const event = await tx.events.findById(eventId);
      if (!event || !isVisibleTo(event, viewerOf(actor))) throw new EventNotFoundError(eventId);
      requireOwner(actor, event);
      const categories = categoriesOf(event, await tx.categories.listOfEvent(event.id));
      const errors = validatePromoCode(input, event, categories);
      if (errors.length) throw new ValidationError(errors);
      const code = newPromoCode(input, { id: ids.next(), eventId: event.id, now: clock.now() });
      await tx.promoCodes.insert(code);
      return code;
    });
  };

/** An event's promo codes with their uses (its organizer, an admin). Errors: AUTH.*, EVENT.NOT_FOUND. */
export const makeListPromoCodes =
  ({ events, promoCodes }: { events: EventRepository; promoCodes: PromoCodeRepository }) =>
  async (actor: Actor | null, eventId: string): Promise<PromoCodeWithUses[]> => {
    requireOrganizer(actor);
    const event = await events.findById(eventId);
    if (!event || !isVisibleTo(event, viewerOf(actor))) throw new EventNotFoundError(eventId);
    requireOwner(actor, event);
    return promoCodes.listOfEvent(eventId);
  };
