import type { Event } from '../events/event';
import type { PaymentStatus } from '../bookings/booking';
import { categoriesOf, type TicketCategory } from './category';
import type { CategoryTally } from './ports';

/** Money of an event's bookings in one category, payment status and currency. */
export interface CategoryRevenue {
  categoryId: string;
  name: string;
  paymentStatus: PaymentStatus;
  /** null for free seats. */
  currency: string | null;
  bookings: number;
  seats: number;
  /** Minor units: seats × unit price, the promo codes' discount, and what was charged (gross − discount). */
  gross: number;
  discount: number;
  amount: number;
}

/** Discount given by promo codes on an event's bookings in one payment status and currency. */
export interface DiscountLine {
  paymentStatus: PaymentStatus;
  currency: string;
  amount: number;
  bookings: number;
}

export interface CategoryMoney {
  revenueByCategory: CategoryRevenue[];
  discounts: DiscountLine[];
}

/**
 * Revenue by category and the discount given, from tallies of the event's booking lines (a booking
 * without lines, made by release 0.1.0, counts in the event's first category at its amount).
 * Categories in their order, then payment status; a category nobody booked is left out.
 */
export function categoryMoney(
  event: Pick<Event, 'id' | 'price' | 'createdAt' | 'updatedAt'>,
  stored: readonly TicketCategory[],
  tallies: readonly CategoryTally[],
): CategoryMoney {
  const categories = categoriesOf(event, stored);
  const order = new Map(categories.map((c, i) => [c.id, i]));
  const name = (id: string) => categories.find((c) => c.id === id)?.name ?? (id === event.id ? 'Standard' : id);
  const revenueByCategory = tallies
    .map((t) => ({ ...t, name: name(t.categoryId) }))
    .sort((a, b) => (order.get(a.categoryId) ?? 99) - (order.get(b.categoryId) ?? 99) || a.paymentStatus.localeCompare(b.paymentStatus));
  const discounts = new Map<string, DiscountLine>();
  for (const t of tallies) {
    if (t.discount === 0 || t.currency === null) continue;
    const key = `${t.paymentStatus} ${t.currency}`;
    const line = discounts.get(key) ?? { paymentStatus: t.paymentStatus, currency: t.currency, amount: 0, bookings: 0 };
    line.amount += t.discount;
    line.bookings += t.bookings;
    discounts.set(key, line);
  }
  return {
    revenueByCategory,
    discounts: [...discounts.values()].sort((a, b) => a.paymentStatus.localeCompare(b.paymentStatus) || a.currency.localeCompare(b.currency)),
  };
}
