import type { Actor } from '../shared/actor';
import type { EventRepository } from '../events/ports';
import type { BookingRepository } from '../bookings/ports';
import { makeGetBooking } from '../bookings/manage-bookings';
import type { PromoCodeRepository } from '../promo-codes/ports';
import { categoriesOf, IMPLICIT_CATEGORY_NAME } from './category';
import type { BookingLineRepository, EventCategoryRepository } from './ports';
import { linesMatch, type BookingLine } from './pricing';

/** What a booking was charged, line by line. */
export interface BookingPrice {
  bookingId: string;
  /** Its lines with their categories' names; empty when `legacy`. */
  lines: (BookingLine & { name: string })[];
  /** The promo code it used, as the event spells it; null when none. */
  promoCode: string | null;
  /**
   * True for a booking without lines that describe it (booked by release 0.1.0 before categories,
   * or reduced by it since): only its amount and seats apply.
   */
  legacy: boolean;
}

/**
 * The price of a booking line by line, for whoever may see the booking (the booker, the event's
 * organizer, admins). Errors: AUTH.UNAUTHENTICATED, BOOKING.NOT_FOUND.
 */
export const makeGetBookingPrice = (deps: {
  bookings: BookingRepository;
  events: EventRepository;
  categories: EventCategoryRepository;
  bookingLines: BookingLineRepository;
  promoCodes: PromoCodeRepository;
}) => {
  const getBooking = makeGetBooking(deps);
  return async (actor: Actor | null, id: string): Promise<BookingPrice> => {
    const booking = await getBooking(actor, id);
    const [lines, stored, promoCode, event] = await Promise.all([
      deps.bookingLines.ofBooking(booking),
      deps.categories.listOfEvent(booking.eventId),
      deps.promoCodes.codeOfBooking(booking.id),
      deps.events.findById(booking.eventId),
    ]);
    const categories = event ? categoriesOf(event, stored) : stored;
    const legacy = !linesMatch(booking, lines);
    const name = (categoryId: string) => categories.find((c) => c.id === categoryId)?.name ?? IMPLICIT_CATEGORY_NAME;
    return { bookingId: booking.id, lines: legacy ? [] : lines.map((l) => ({ ...l, name: name(l.categoryId) })), promoCode, legacy };
  };
};
