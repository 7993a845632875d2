import type { Event, Money } from '../events/event';
import { ValidationError, type FieldError } from '../shared/domain-error';
import { normalizeParticipants, validateGroup, type Participant } from '../bookings/booking';
import type { PromoCode } from '../promo-codes/promo-code';
import { normalizeCode, whyNotValidAt } from '../promo-codes/promo-code';
import { PromoCodeAlreadyUsedError, PromoCodeExhaustedError, PromoCodeInvalidError } from '../promo-codes/promo-code.errors';
import type { PromoCodeRepository } from '../promo-codes/ports';
import { categoriesOf, MAX_CATEGORIES_PER_EVENT } from './category';
import { CategorySoldOutError } from './pricing.errors';
import type { BookingLineRepository, EventCategoryRepository } from './ports';
import { amountOfLines, eligibleGross, quote, type BookingLine, type LineRequest } from './pricing';

/** One line of a booking request: seats of one category, and who they are for. */
export interface LineInput {
  categoryId: string;
  seats: number;
  participants?: Participant[];
}

/** The repositories pricing needs inside a booking's transaction. */
export interface PricingScope {
  categories: EventCategoryRepository;
  promoCodes: PromoCodeRepository;
  bookingLines: BookingLineRepository;
}

/** Field errors of requested lines, before anything is read (their categories are checked in the transaction). */
export function validateLines(lines: readonly LineInput[], maxSeats: number): FieldError[] {
  const errors: FieldError[] = [];
  if (lines.length < 1 || lines.length > MAX_CATEGORIES_PER_EVENT)
    return [{ field: 'lines', message: `must have 1..${MAX_CATEGORIES_PER_EVENT} lines, one per category` }];
  const seen = new Set<string>();
  lines.forEach((line, k) => {
    if (seen.has(line.categoryId)) errors.push({ field: `lines[${k}].categoryId`, message: 'names a category of an earlier line: one line per category' });
    seen.add(line.categoryId);
    for (const e of validateGroup(line.seats, line.participants ?? [], maxSeats)) errors.push({ field: `lines[${k}].${e.field}`, message: e.message });
  });
  const total = lines.reduce((s, l) => s + (Number.isInteger(l.seats) ? l.seats : 0), 0);
  if (errors.length === 0 && total > maxSeats)
    errors.push({ field: 'lines', message: `must ask for at most ${maxSeats} seats in all, the event's limit per booking` });
  return errors;
}

export const seatsOfLines = (lines: readonly LineInput[]): number => lines.reduce((s, l) => s + l.seats, 0);

export interface PricedBooking {
  lines: BookingLine[];
  /** What the booking is charged (total after discount); null when nothing (free). */
  amount: Money | null;
  promoCode: PromoCode | null;
  /** Everyone the lines name, in line order: the booking's participants. */
  participants: Participant[];
}

export interface PriceBookingInput {
  event: Event;
  userId: string;
  /** null: `seats` of the event's default category (its first, or its implicit one), for `participants`. */
  lines: readonly LineInput[] | null;
  seats: number;
  participants: readonly Participant[];
  promoCode?: string;
  now: Date;
}

/**
 * Prices a booking inside its transaction, before its seats are taken from the event: the lines'
 * categories are checked against the event's, each category with a quota is locked and its quota
 * checked (CATEGORY.SOLD_OUT), the code is checked and locked and its uses counted
 * (PROMO_CODE.INVALID, PROMO_CODE.ALREADY_USED, PROMO_CODE.EXHAUSTED), then the price is quote's.
 * Locks are taken in one order by every booker (categories by id, the code, then the event's row
 * when the seats are taken), so bookers never deadlock.
 */
export async function priceBooking(tx: PricingScope, input: PriceBookingInput): Promise<PricedBooking> {
  const { event } = input;
  const categories = categoriesOf(event, await tx.categories.listOfEvent(event.id));
  const wanted = input.lines ?? [{ categoryId: categories[0]!.id, seats: input.seats, participants: [...input.participants] }];
  const errors: FieldError[] = [];
  const requests: LineRequest[] = [];
  wanted.forEach((line, k) => {
    const category = categories.find((c) => c.id === line.categoryId);
    if (!category) errors.push({ field: `lines[${k}].categoryId`, message: 'is not a category of this event' });
    else requests.push({ category, seats: line.seats, participants: normalizeParticipants(line.participants ?? []) });
  });
  if (errors.length) throw new ValidationError(errors);
  const currencies = new Set(requests.filter((r) => r.category.price && r.category.price.amount > 0).map((r) => r.category.price!.currency));
  if (currencies.size > 1) throw new ValidationError([{ field: 'lines', message: 'names categories priced in different currencies; book them separately' }]);

  let code: PromoCode | null = null;
  if (input.promoCode !== undefined) {
    const spelled = normalizeCode(input.promoCode);
    code = await tx.promoCodes.findByCode(event.id, spelled);
    if (!code) throw new PromoCodeInvalidError(event.id, spelled, 'there is no such code');
    const invalid = whyNotValidAt(code, input.now);
    if (invalid) throw new PromoCodeInvalidError(event.id, code.code, invalid);
    if (eligibleGross(requests, code.categoryIds) === 0) throw new PromoCodeInvalidError(event.id, code.code, 'it takes nothing off these seats');
    if (code.discount.kind === 'AMOUNT' && !currencies.has(code.discount.amount.currency))
      throw new PromoCodeInvalidError(event.id, code.code, `it is an amount in ${code.discount.amount.currency}`);
  }

  const limited = requests.filter((r) => r.category.quota !== null && !r.category.implicit);
  if (limited.length) {
    const taken = await tx.categories.lockAndCountTaken(limited.map((r) => r.category.id));
    for (const r of limited) {
      const held = taken.get(r.category.id) ?? 0;
      if (held + r.seats > r.category.quota!) throw new CategorySoldOutError(event.id, r.category.id, Math.max(0, r.category.quota! - held), r.seats);
    }
  }
  if (code) {
    const counted = await tx.promoCodes.lockAndCountUses(code.id, input.userId);
    if (counted.byUser > 0) throw new PromoCodeAlreadyUsedError(event.id, code.code);
    if (code.maxUses !== null && counted.uses >= code.maxUses) throw new PromoCodeExhaustedError(event.id, code.code, code.maxUses);
  }
  const priced = quote(requests, code && { discount: code.discount, categoryIds: code.categoryIds });
  return { lines: priced.lines, amount: amountOfLines(priced.lines), promoCode: code, participants: priced.lines.flatMap((l) => l.participants) };
}

/** Reads (no lock, may be a moment old) for refusing a rush on a used-up code or a sold-out category before any transaction. */
export interface PricingReads {
  categories: Pick<EventCategoryRepository, 'listOfEvent' | 'taken'>;
  promoCodes: Pick<PromoCodeRepository, 'findByCode' | 'countUses'>;
}

/**
 * Most requests of a rush on a code's last uses, or on a category's last seats, are refused: refuse
 * them from a read, without a transaction. Only a definite refusal happens here (the code used up
 * and not by the caller, a category's quota short); everything else is decided under the locks in
 * priceBooking, so a stale read never lets one through, at worst refuses while a use comes back.
 */
export async function refuseWhenUsedUp(
  reads: PricingReads,
  input: { eventId: string; userId: string; lines: readonly LineInput[] | null; promoCode?: string },
): Promise<void> {
  if (input.promoCode !== undefined) {
    const code = await reads.promoCodes.findByCode(input.eventId, normalizeCode(input.promoCode));
    if (code && code.maxUses !== null) {
      const counted = await reads.promoCodes.countUses(code.id, input.userId);
      if (counted.byUser === 0 && counted.uses >= code.maxUses) throw new PromoCodeExhaustedError(input.eventId, code.code, code.maxUses);
    }
  }
  if (!input.lines) return;
  const limited = (await reads.categories.listOfEvent(input.eventId)).filter((c) => c.quota !== null && input.lines!.some((l) => l.categoryId === c.id));
  if (limited.length === 0) return;
  const taken = await reads.categories.taken(input.eventId);
  for (const c of limited) {
    const seats = input.lines.find((l) => l.categoryId === c.id)!.seats;
    const held = taken.get(c.id) ?? 0;
    if (held + seats > c.quota!) throw new CategorySoldOutError(input.eventId, c.id, Math.max(0, c.quota! - held), seats);
  }
}

/** Stores what priceBooking decided, once the booking row exists: its lines and the code's use. */
export async function recordPricing(
  tx: PricingScope,
  booking: { id: string; eventId: string; userId: string },
  priced: PricedBooking,
  now: Date,
): Promise<void> {
  await tx.bookingLines.insert(booking, priced.lines);
  if (priced.promoCode) await tx.promoCodes.recordUse({ promoCodeId: priced.promoCode.id, bookingId: booking.id, userId: booking.userId, at: now });
}
