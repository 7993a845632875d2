import type {
  Booking,
  BookingLine,
  BookingLineRepository,
  CategoryTally,
  EventCategoryRepository,
  PromoCode,
  PromoCodeRepository,
  TicketCategory,
} from '../index';
import { CategoryConflictError, PromoCodeConflictError, linesMatch } from '../index';

/** The in-memory store's categories, booking lines, promo codes and their uses (part of its transactional state). */
export interface PricingState {
  categories: Map<string, TicketCategory>;
  lines: Map<string, BookingLine[]>;
  promoCodes: Map<string, PromoCode>;
  uses: Map<string, { promoCodeId: string; userId: string }>;
}

export const emptyPricingState = (): PricingState => ({ categories: new Map(), lines: new Map(), promoCodes: new Map(), uses: new Map() });

type View = () => { pricing: PricingState; bookings: Map<string, Booking> };

const holding = (b: Booking | undefined) => b !== undefined && (b.status === 'PENDING' || b.status === 'CONFIRMED');
const standing = (b: Booking | undefined) => b !== undefined && b.status !== 'CANCELLED' && b.status !== 'EXPIRED';

export function memoryPricing(s: View): { categories: EventCategoryRepository; bookingLines: BookingLineRepository; promoCodes: PromoCodeRepository } {
  const takenIn = (keep: (categoryId: string, booking: Booking) => boolean) => {
    const taken = new Map<string, number>();
    for (const [bookingId, lines] of s().pricing.lines) {
      const booking = s().bookings.get(bookingId);
      if (!holding(booking)) continue;
      for (const l of lines) if (keep(l.categoryId, booking!)) taken.set(l.categoryId, (taken.get(l.categoryId) ?? 0) + l.seats);
    }
    return taken;
  };
  const usesOf = (codeId: string) =>
    [...s().pricing.uses.entries()].filter(([bookingId, u]) => u.promoCodeId === codeId && standing(s().bookings.get(bookingId))).map(([, u]) => u);
  const categories: EventCategoryRepository = {
    async listOfEvent(eventId) {
      return structuredClone([...s().pricing.categories.values()].filter((c) => c.eventId === eventId).sort((a, b) => a.position - b.position));
    },
    async insert(category) {
      const clash = [...s().pricing.categories.values()].some((c) => c.eventId === category.eventId && c.name.toLowerCase() === category.name.toLowerCase());
      if (clash) throw new CategoryConflictError(category.eventId, category.name);
      s().pricing.categories.set(category.id, structuredClone(category));
    },
    async lockAndCountTaken(ids) {
      return takenIn((categoryId) => ids.includes(categoryId));
    },
    async taken(eventId) {
      return takenIn((categoryId, booking) => booking.eventId === eventId && categoryId !== eventId);
    },
    async tally(eventId) {
      const tallies = new Map<string, CategoryTally>();
      const add = (t: Omit<CategoryTally, 'bookings' | 'amount'>, bookingId: string, counted: Set<string>) => {
        const key = `${t.categoryId} ${t.paymentStatus} ${t.currency}`;
        const row = tallies.get(key) ?? { ...t, bookings: 0, seats: 0, gross: 0, discount: 0, amount: 0 };
        if (!counted.has(key)) row.bookings++;
        counted.add(key);
        row.seats += t.seats;
        row.gross += t.gross;
        row.discount += t.discount;
        row.amount = row.gross - row.discount;
        tallies.set(key, row);
        void bookingId;
      };
      for (const b of s().bookings.values()) {
        if (b.eventId !== eventId) continue;
        const stored = s().pricing.lines.get(b.id) ?? [];
        const lines = linesMatch(b, stored) ? stored : [];
        const counted = new Set<string>();
        if (lines.length === 0)
          add(
            {
              categoryId: eventId,
              paymentStatus: b.paymentStatus,
              currency: b.amount?.currency ?? null,
              seats: b.seats,
              gross: b.amount?.amount ?? 0,
              discount: 0,
            },
            b.id,
            counted,
          );
        for (const l of lines)
          add(
            {
              categoryId: l.categoryId,
              paymentStatus: b.paymentStatus,
              currency: l.currency ?? b.amount?.currency ?? null,
              seats: l.seats,
              gross: l.unitPrice * l.seats,
              discount: l.discount,
            },
            b.id,
            counted,
          );
      }
      return [...tallies.values()];
    },
  };
  const bookingLines: BookingLineRepository = {
    async insert(booking, lines) {
      if (lines.length) s().pricing.lines.set(booking.id, structuredClone([...lines]));
    },
    async insertMany(entries) {
      for (const { booking, lines } of entries) if (lines.length) s().pricing.lines.set(booking.id, structuredClone([...lines]));
    },
    async ofBooking(booking) {
      return structuredClone(s().pricing.lines.get(booking.id) ?? []);
    },
    async update(booking, lines) {
      s().pricing.lines.set(booking.id, structuredClone([...lines]));
    },
  };
  const promoCodes: PromoCodeRepository = {
    async insert(code) {
      const clash = [...s().pricing.promoCodes.values()].some((c) => c.eventId === code.eventId && c.code.toUpperCase() === code.code.toUpperCase());
      if (clash) throw new PromoCodeConflictError(code.eventId, code.code);
      s().pricing.promoCodes.set(code.id, structuredClone(code));
    },
    async findByCode(eventId, code) {
      const found = [...s().pricing.promoCodes.values()].find((c) => c.eventId === eventId && c.code.toUpperCase() === code.toUpperCase());
      return structuredClone(found ?? null);
    },
    async listOfEvent(eventId) {
      return [...s().pricing.promoCodes.values()]
        .filter((c) => c.eventId === eventId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
        .map((c) => ({ ...structuredClone(c), uses: usesOf(c.id).length }));
    },
    async lockAndCountUses(codeId, userId) {
      const uses = usesOf(codeId);
      return { uses: uses.length, byUser: uses.filter((u) => u.userId === userId).length };
    },
    async codeOfBooking(bookingId) {
      const use = s().pricing.uses.get(bookingId);
      return use ? (s().pricing.promoCodes.get(use.promoCodeId)?.code ?? null) : null;
    },
    async countUses(codeId, userId) {
      const uses = usesOf(codeId);
      return { uses: uses.length, byUser: uses.filter((u) => u.userId === userId).length };
    },
    async recordUse(use) {
      s().pricing.uses.set(use.bookingId, { promoCodeId: use.promoCodeId, userId: use.userId });
    },
  };
  return { categories, bookingLines, promoCodes };
}
