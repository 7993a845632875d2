import type { PaymentStatus } from '../bookings/booking';
import type { TicketCategory } from './category';
import type { BookingLine } from './pricing';

/** Money of an event's bookings in one category, payment status and currency (lines, or the implicit category for a booking without). */
export interface CategoryTally {
  categoryId: string;
  paymentStatus: PaymentStatus;
  currency: string | null;
  bookings: number;
  seats: number;
  /** Minor units: seats × unit price; the discount; what was charged (gross − discount). */
  gross: number;
  discount: number;
  amount: number;
}

export interface EventCategoryRepository {
  /** The event's stored categories by position (none: it has only its implicit one). */
  listOfEvent(eventId: string): Promise<TicketCategory[]>;
  /** Throws CategoryConflictError when the event has a category of that name (case-insensitively). */
  insert(category: TicketCategory): Promise<void>;
  /**
   * Locks the categories for the rest of the transaction, in id order (bookers of a category queue
   * on its row on every replica), then sums the seats that active bookings (PENDING, CONFIRMED)
   * hold in each: counted after the lock, a quota check and the booking written after it are never
   * raced. Seats come back by themselves when a booking ends, whichever release ends it.
   */
  lockAndCountTaken(categoryIds: readonly string[]): Promise<Map<string, number>>;
  /** Seats active bookings hold per stored category of the event (no lock; for reads). */
  taken(eventId: string): Promise<Map<string, number>>;
  /** The event's bookings' money per category (the implicit category's id is the event's). */
  tally(eventId: string): Promise<CategoryTally[]>;
}

/** The lines of bookings (see BookingLine). A booking made by release 0.1.0 has none. */
export interface BookingLineRepository {
  insert(booking: { id: string; eventId: string }, lines: readonly BookingLine[]): Promise<void>;
  /** The lines of several bookings, in one statement. */
  insertMany(entries: readonly { booking: { id: string; eventId: string }; lines: readonly BookingLine[] }[]): Promise<void>;
  /** In line order; [] for a booking without lines. */
  ofBooking(booking: { id: string; eventId: string }): Promise<BookingLine[]>;
  /** Stores the lines' seats, discount and participants after a reduction (same lines, same order). */
  update(booking: { id: string; eventId: string }, lines: readonly BookingLine[]): Promise<void>;
}
