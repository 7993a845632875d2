import type { Money } from '../events/event';
import { ValidationError, type FieldError } from '../shared/domain-error';
import type { Participant } from '../bookings/booking';
import type { TicketCategory } from './category';

/**
 * What a booking bought in one category: the seats, the price of one seat and the discount of the
 * whole line, fixed when the booking was made (later price changes do not apply). Amounts are
 * minor units; the line costs `unitPrice × seats − discount`.
 */
export interface BookingLine {
  /** The category; the event's id for the implicit category of an event without categories. */
  categoryId: string;
  seats: number;
  unitPrice: number;
  discount: number;
  /** null when the category is free. */
  currency: string | null;
  participants: Participant[];
}

/** A promo code's reduction: a whole percent of the eligible seats' price, or a fixed amount off the booking. */
export type Discount = { kind: 'PERCENT'; percent: number } | { kind: 'AMOUNT'; amount: Money };

/** The discount a code gives and the categories it is for (null: every category). */
export interface DiscountTerms {
  discount: Discount;
  categoryIds: readonly string[] | null;
}

export interface LineRequest {
  category: TicketCategory;
  seats: number;
  participants?: Participant[];
}

export interface Quote {
  lines: BookingLine[];
  /** null when nothing costs money. */
  currency: string | null;
  gross: number;
  discount: number;
  total: number;
}

/**
 * `percent` % of `amount` minor units, rounded half-up to a whole minor unit (0.5 goes up). Half-up
 * is the commercial rounding a customer checks a receipt with (and Java's HALF_UP, which the
 * original service used); integer arithmetic, so no binary fraction decides a tie.
 */
export const percentOf = (amount: number, percent: number): number => Math.floor((amount * percent + 50) / 100);

export const lineGross = (line: Pick<BookingLine, 'unitPrice' | 'seats'>): number => line.unitPrice * line.seats;
export const lineTotal = (line: Pick<BookingLine, 'unitPrice' | 'seats' | 'discount'>): number => lineGross(line) - line.discount;

/**
 * Splits `amount` over `weights` in proportion, in whole minor units that add up to `amount`
 * exactly: each part is rounded down, and the units left go to the largest remainders (the earlier
 * part on a tie). Used for a fixed amount off a booking of several lines.
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  if (total === 0) return weights.map(() => 0);
  const parts = weights.map((w) => Math.floor((amount * w) / total));
  let left = amount - parts.reduce((s, p) => s + p, 0);
  const byRemainder = weights.map((w, i) => ({ i, r: (amount * w) % total })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    parts[i]! += 1;
    left--;
  }
  return parts;
}

/**
 * The price of a booking: each line at its category's price, and the code's discount on the lines
 * it applies to. A percent is taken per line and rounded half-up (a line is what the customer sees
 * on the receipt; rounding per seat would multiply the error by the seats). A fixed amount is
 * split over the eligible lines in proportion to their price (allocate). A discount never exceeds
 * what it applies to: no line, and no booking, costs less than 0.
 * Throws when the lines' prices are in different currencies (the caller validates that first).
 */
export function quote(requests: readonly LineRequest[], terms?: DiscountTerms | null): Quote {
  const lines: BookingLine[] = requests.map((r) => ({
    categoryId: r.category.id,
    seats: r.seats,
    unitPrice: r.category.price?.amount ?? 0,
    discount: 0,
    currency: r.category.price?.currency ?? null,
    participants: r.participants ?? [],
  }));
  const currencies = [...new Set(lines.filter((l) => l.currency !== null && lineGross(l) > 0).map((l) => l.currency))];
  if (currencies.length > 1) throw new Error(`a booking is charged in one currency, not ${currencies.join(' and ')}`);
  const currency = currencies[0] ?? null;
  if (terms) {
    const eligible = lines.map((l, i) => ({ l, i })).filter(({ l }) => terms.categoryIds === null || terms.categoryIds.includes(l.categoryId));
    const { discount } = terms;
    if (discount.kind === 'PERCENT') for (const { l } of eligible) l.discount = Math.min(lineGross(l), percentOf(lineGross(l), discount.percent));
    else {
      const weights = eligible.map(({ l }) => lineGross(l));
      const off = Math.min(
        discount.amount.amount,
        weights.reduce((s, w) => s + w, 0),
      );
      allocate(off, weights).forEach((part, k) => (eligible[k]!.l.discount = part));
    }
  }
  const gross = lines.reduce((s, l) => s + lineGross(l), 0);
  const discount = lines.reduce((s, l) => s + l.discount, 0);
  return { lines, currency, gross, discount, total: gross - discount };
}

/** The gross price of the lines a code applies to: a code that would take nothing off is refused. */
export const eligibleGross = (requests: readonly LineRequest[], categoryIds: readonly string[] | null): number =>
  requests.filter((r) => categoryIds === null || categoryIds.includes(r.category.id)).reduce((s, r) => s + (r.category.price?.amount ?? 0) * r.seats, 0);

/** What the booking is charged: the lines' total, null when it is 0 (a free booking, as before categories). */
export function amountOfLines(lines: readonly BookingLine[]): Money | null {
  const total = lines.reduce((s, l) => s + lineTotal(l), 0);
  const currency = lines.find((l) => l.currency !== null && lineTotal(l) > 0)?.currency ?? null;
  return total > 0 && currency ? { amount: total, currency } : null;
}

/**
 * The part of a line's discount its first `keep` seats carry. Seats of a line cost the same, so the
 * discount is theirs in equal whole shares, the units that do not divide evenly on the first seats:
 * the seats given up (the last ones) carry the smaller shares, so a refund rounds in the customer's
 * favour by less than one minor unit per seat, and the shares always add up to the discount.
 */
export function discountKept(line: Pick<BookingLine, 'seats' | 'discount'>, keep: number): number {
  if (keep >= line.seats) return line.discount;
  if (keep <= 0) return 0;
  const share = Math.floor(line.discount / line.seats);
  const extra = line.discount - share * line.seats;
  return share * keep + Math.min(extra, keep);
}

export interface Reduction {
  lines: BookingLine[];
  amount: Money | null;
}

/**
 * A booking's lines after giving up seats so that `keep` remain: seats leave from the last line
 * first (a line may go down to 0 seats, kept for the record). Each given-up seat takes back what was
 * paid for it: its price less its share of the line's discount (discountKept). Participants of a
 * line beyond its seats leave with them.
 */
export function reduceLines(lines: readonly BookingLine[], keep: number): Reduction {
  let toGive = lines.reduce((s, l) => s + l.seats, 0) - keep;
  const reduced = lines.map((l) => ({ ...l, participants: [...l.participants] }));
  for (let i = reduced.length - 1; i >= 0 && toGive > 0; i--) {
    const line = reduced[i]!;
    const seats = line.seats - Math.min(line.seats, toGive);
    toGive -= line.seats - seats;
    reduced[i] = { ...line, seats, discount: discountKept(line, seats), participants: line.participants.slice(0, seats) };
  }
  return { lines: reduced, amount: amountOfLines(reduced) };
}

/**
 * The amount of a booking made by release 0.1.0 (it has no lines) once it keeps `keep` of its
 * `seats`: 0.1.0 charged seats × one price, so the amount divides by the seats exactly. Only for such
 * bookings, and for one whose lines 0.1.0 made disagree with its amount (see linesMatch).
 */
export function legacyReducedAmount(booking: { amount: Money | null; seats: number }, keep: number): Money | null {
  if (!booking.amount) return null;
  const unit = Math.floor(booking.amount.amount / booking.seats);
  return { amount: unit * keep, currency: booking.amount.currency };
}

/** Whether stored lines still describe the booking: 0.1.0 knows nothing of lines, and its reduction changes amount and seats alone. */
export function linesMatch(booking: { amount: Money | null; seats: number }, lines: readonly BookingLine[]): boolean {
  if (lines.length === 0) return false;
  const amount = amountOfLines(lines);
  const seats = lines.reduce((s, l) => s + l.seats, 0);
  return (
    seats === booking.seats && (amount?.amount ?? 0) === (booking.amount?.amount ?? 0) && (amount?.currency ?? null) === (booking.amount?.currency ?? null)
  );
}

/** A booking's amount after it keeps `keep` seats: from its lines, or by the legacy rule when it has none that match. */
export function reducedBooking(booking: { amount: Money | null; seats: number }, lines: readonly BookingLine[], keep: number): Reduction & { legacy: boolean } {
  if (linesMatch(booking, lines)) return { ...reduceLines(lines, keep), legacy: false };
  return { lines: [], amount: legacyReducedAmount(booking, keep), legacy: true };
}

/** Seats a reduction keeps in one category of the booking. */
export interface KeptLine {
  categoryId: string;
  seats: number;
}

/**
 * The seats a booking keeps when its booker names them per category (`kept`; a category left out
 * keeps all its seats). Throws VALIDATION.FAILED when the booking has no lines that describe it
 * (made by release 0.1.0, or reduced by it: give `seats` then), a category is not one of the
 * booking's, asks to keep more than it holds, or `seats` is given and disagrees.
 */
export function seatsKept(booking: { amount: Money | null; seats: number }, lines: readonly BookingLine[], kept: readonly KeptLine[], seats?: number): number {
  if (!linesMatch(booking, lines))
    throw new ValidationError([{ field: 'lines', message: 'this booking has no seats per category (it was booked before them): give seats' }]);
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  kept.forEach((k, i) => {
    const line = lines.find((l) => l.categoryId === k.categoryId);
    if (!line || seen.has(k.categoryId))
      errors.push({ field: `lines[${i}].categoryId`, message: line ? 'names a category of an earlier line' : 'is not a category of this booking' });
    else if (!Number.isInteger(k.seats) || k.seats < 0 || k.seats > line.seats)
      errors.push({ field: `lines[${i}].seats`, message: `must be a whole number from 0 to ${line.seats}, the seats of this category the booking holds` });
    seen.add(k.categoryId);
  });
  if (errors.length) throw new ValidationError(errors);
  const total = lines.reduce((s, l) => s + (kept.find((k) => k.categoryId === l.categoryId)?.seats ?? l.seats), 0);
  if (seats !== undefined && seats !== total)
    throw new ValidationError([{ field: 'seats', message: `must be ${total}, the seats the lines keep, or be left out` }]);
  return total;
}

/** The booking's lines keeping the seats named per category (see seatsKept); each seat given up takes back its price less its share of the discount. */
export function reduceLinesTo(lines: readonly BookingLine[], kept: readonly KeptLine[]): Reduction {
  const reduced = lines.map((l) => {
    const seats = Math.min(l.seats, kept.find((k) => k.categoryId === l.categoryId)?.seats ?? l.seats);
    return { ...l, seats, discount: discountKept(l, seats), participants: l.participants.slice(0, seats) };
  });
  return { lines: reduced, amount: amountOfLines(reduced) };
}
