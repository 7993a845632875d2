import type { Event, Money } from '../events/event';
import type { FieldError } from '../shared/domain-error';
import type { Discount } from '../pricing/pricing';
import type { TicketCategory } from '../pricing/category';

/**
 * A discount code of one event. A use counts while the booking that used it stands (not CANCELLED
 * or EXPIRED): a booking that ends gives its use back. Each user may use a code once.
 */
export interface PromoCode {
  id: string;
  eventId: string;
  /** As the organizer wrote it, upper-cased; matched case-insensitively. */
  code: string;
  discount: Discount;
  /** null: unlimited. */
  maxUses: number | null;
  validFrom: Date | null;
  validUntil: Date | null;
  /** The categories the discount applies to; null: all of them. */
  categoryIds: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A code with the uses that count against its maximum now. */
export interface PromoCodeWithUses extends PromoCode {
  uses: number;
}

const CODE = /^[A-Z0-9][A-Z0-9_-]{2,39}$/;
export const normalizeCode = (code: string): string => code.trim().toUpperCase();

export interface PromoCodeInput {
  code: string;
  percentOff?: number | null;
  amountOff?: Money | null;
  maxUses?: number | null;
  validFrom?: Date | null;
  validUntil?: Date | null;
  categoryIds?: string[] | null;
}

/** Field errors of a new code for `event` with its `categories` (stored or implicit). */
export function validatePromoCode(input: PromoCodeInput, event: Pick<Event, 'price'>, categories: readonly TicketCategory[]): FieldError[] {
  const errors: FieldError[] = [];
  if (!CODE.test(normalizeCode(input.code ?? '')))
    errors.push({ field: 'code', message: 'must be 3..40 letters, digits, - or _, starting with a letter or digit' });
  const percent = input.percentOff ?? null;
  const amount = input.amountOff ?? null;
  if ((percent === null) === (amount === null)) errors.push({ field: 'percentOff', message: 'give exactly one of percentOff and amountOff' });
  if (percent !== null && (!Number.isInteger(percent) || percent < 1 || percent > 100))
    errors.push({ field: 'percentOff', message: 'must be a whole percent from 1 to 100' });
  if (amount !== null) {
    if (!Number.isSafeInteger(amount.amount) || amount.amount < 1)
      errors.push({ field: 'amountOff.amount', message: 'must be a whole number of minor units, 1 or more' });
    const currency = categories.find((c) => c.price)?.price?.currency ?? event.price?.currency;
    if (currency && amount.currency !== currency) errors.push({ field: 'amountOff.currency', message: `must be ${currency}, the currency of the event` });
  }
  if (input.maxUses != null && (!Number.isInteger(input.maxUses) || input.maxUses < 1))
    errors.push({ field: 'maxUses', message: 'must be a whole number, 1 or more' });
  if (input.validFrom && input.validUntil && input.validUntil <= input.validFrom) errors.push({ field: 'validUntil', message: 'must be after validFrom' });
  if (input.categoryIds) {
    if (input.categoryIds.length === 0) errors.push({ field: 'categoryIds', message: 'must name at least one category, or be left out for all' });
    input.categoryIds.forEach((id, i) => {
      if (!categories.some((c) => c.id === id)) errors.push({ field: `categoryIds[${i}]`, message: 'is not a category of this event' });
    });
  }
  return errors;
}

export function newPromoCode(input: PromoCodeInput, ids: { id: string; eventId: string; now: Date }): PromoCode {
  const discount: Discount = input.percentOff != null ? { kind: 'PERCENT', percent: input.percentOff } : { kind: 'AMOUNT', amount: input.amountOff! };
  return {
    id: ids.id,
    eventId: ids.eventId,
    code: normalizeCode(input.code),
    discount,
    maxUses: input.maxUses ?? null,
    validFrom: input.validFrom ?? null,
    validUntil: input.validUntil ?? null,
    categoryIds: input.categoryIds ? [...new Set(input.categoryIds)] : null,
    createdAt: ids.now,
    updatedAt: ids.now,
  };
}

/** Why the code cannot be used at `now` (not yet, or no longer); null when it can. */
export function whyNotValidAt(code: Pick<PromoCode, 'validFrom' | 'validUntil'>, now: Date): string | null {
  if (code.validFrom && now < code.validFrom) return `it is valid from ${code.validFrom.toISOString()}`;
  if (code.validUntil && now >= code.validUntil) return `it expired at ${code.validUntil.toISOString()}`;
  return null;
}
