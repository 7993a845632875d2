import type { Actor } from '../shared/actor';
import { pageRequest, type Page } from '../shared/paging';
import type { Event } from '../events/event';
import { EventNotFoundError } from '../events/event.errors';
import type { EventRepository } from '../events/ports';
import { requireOwner } from '../events/access';
import { BOOKING_STATUSES, type Booking, type BookingStatus, type PaymentStatus } from './booking';
import type { BookingRepository, BookingTally, WaitlistCounts, WaitlistRepository } from './ports';
import type { EventCategoryRepository } from '../pricing/ports';
import { categoryMoney, type CategoryMoney } from '../pricing/summary';

/**
 * The seats one booking holds: every count of seats in the attendee list, its export and the
 * summary goes through here (and through BookingTally.seats, which the adapters fill the same way).
 */
export const seatsOf = (booking: Pick<Booking, 'seats'>): number => booking.seats;

/** How many bookings an export reads per query: large enough to be cheap, small enough to stay bounded. */
export const EXPORT_PAGE_SIZE = 500;

async function ownedEvent(events: EventRepository, actor: Actor | null, eventId: string): Promise<Event> {
  const event = await events.findById(eventId);
  if (!event) throw new EventNotFoundError(eventId);
  requireOwner(actor, event);
  return event;
}

/**
 * The attendee list of an event for its organizer or an admin: every booking in ATTENDEE_STATUSES
 * (active, or completed / no-show after the event), oldest first, paged. Errors: AUTH.*, EVENT.NOT_FOUND, VALIDATION.FAILED.
 */
export const makeListAttendees =
  ({ bookings, events }: { bookings: BookingRepository; events: EventRepository }) =>
  async (actor: Actor | null, eventId: string, query: { page?: number; size?: number }): Promise<Page<Booking>> => {
    const page = pageRequest(query.page, query.size);
    await ownedEvent(events, actor, eventId);
    return bookings.listAttendeesOfEvent(eventId, page);
  };

/**
 * The whole attendee list of an event as a stream, for exports of any size: access is checked
 * before this resolves (so a refusal is an answer, not a broken download), then `rows` reads the
 * bookings EXPORT_PAGE_SIZE at a time, each page only when the consumer wants more, so memory
 * stays bounded by one page whatever the event's size. Pages are separate reads, not one
 * snapshot: a booking made during a long download is included when it sorts after the rows
 * already sent, one cancelled meanwhile may be missing. Errors: AUTH.*, EVENT.NOT_FOUND.
 */
export const makeExportAttendees =
  ({ bookings, events }: { bookings: BookingRepository; events: EventRepository }) =>
  async (actor: Actor | null, eventId: string): Promise<{ event: Event; rows: AsyncIterable<Booking> }> => {
    const event = await ownedEvent(events, actor, eventId);
    async function* rows(): AsyncGenerator<Booking> {
      let after: { createdAt: Date; id: string } | null = null;
      for (;;) {
        const page = await bookings.attendeesOfEventAfter(eventId, after, EXPORT_PAGE_SIZE);
        yield* page;
        if (page.length < EXPORT_PAGE_SIZE) return;
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
    }
    return { event, rows: rows() };
  };

/** Money of an event's bookings in one payment status and currency. */
export interface RevenueLine {
  paymentStatus: PaymentStatus;
  currency: string;
  /** Sum of the bookings' amounts, in minor units. */
  amount: number;
  bookings: number;
}

export interface EventSummary {
  eventId: string;
  capacity: number;
  available: number;
  /** Seats freed for the waitlist, too few yet for the group at its head: bookable by nobody else. */
  heldForWaitlist: number;
  /** Seats held by active bookings (PENDING and CONFIRMED). */
  booked: number;
  /** Seats of bookings checked in (CONFIRMED, or COMPLETED after the event). */
  checkedIn: number;
  /** Seats per booking status, every status present (0 when none). */
  seatsByStatus: Record<BookingStatus, number>;
  bookings: { active: number; checkedIn: number };
  waitlist: WaitlistCounts;
  /** Amounts of every booking of the event with a price, whatever its status, by payment status and currency. */
  revenue: RevenueLine[];
}

const ATTENDED: readonly BookingStatus[] = ['CONFIRMED', 'COMPLETED'];
const ACTIVE: readonly BookingStatus[] = ['PENDING', 'CONFIRMED'];

/** The summary of an event from its tallied bookings and waitlist counts (pure; see makeGetEventSummary). */
export function summarize(
  event: Pick<Event, 'id' | 'capacity' | 'available' | 'waitlistHeld'>,
  tallies: readonly BookingTally[],
  waitlist: WaitlistCounts,
): EventSummary {
  const seatsByStatus = Object.fromEntries(BOOKING_STATUSES.map((s) => [s, 0])) as Record<BookingStatus, number>;
  const summary: EventSummary = {
    eventId: event.id,
    capacity: event.capacity,
    available: event.available,
    heldForWaitlist: event.waitlistHeld,
    booked: 0,
    checkedIn: 0,
    seatsByStatus,
    bookings: { active: 0, checkedIn: 0 },
    waitlist: { ...waitlist },
    revenue: [],
  };
  const revenue = new Map<string, RevenueLine>();
  for (const t of tallies) {
    seatsByStatus[t.status] += t.seats;
    if (ACTIVE.includes(t.status)) {
      summary.booked += t.seats;
      summary.bookings.active += t.bookings;
    }
    if (t.checkedIn && ATTENDED.includes(t.status)) {
      summary.checkedIn += t.seats;
      summary.bookings.checkedIn += t.bookings;
    }
    if (t.currency === null) continue;
    const key = `${t.paymentStatus} ${t.currency}`;
    const line = revenue.get(key) ?? { paymentStatus: t.paymentStatus, currency: t.currency, amount: 0, bookings: 0 };
    line.amount += t.amount;
    line.bookings += t.bookings;
    revenue.set(key, line);
  }
  summary.revenue = [...revenue.values()].sort((a, b) => a.paymentStatus.localeCompare(b.paymentStatus) || a.currency.localeCompare(b.currency));
  return summary;
}

/**
 * Capacity, seats booked and checked in, the waitlist and the money of an event (revenue by
 * category and the promo codes' discount too), for its organizer or an admin. Errors: AUTH.*, EVENT.NOT_FOUND.
 */
export const makeGetEventSummary =
  ({
    bookings,
    events,
    waitlist,
    categories,
  }: {
    bookings: BookingRepository;
    events: EventRepository;
    waitlist: WaitlistRepository;
    categories: EventCategoryRepository;
  }) =>
  async (actor: Actor | null, eventId: string): Promise<EventSummary & CategoryMoney> => {
    const event = await ownedEvent(events, actor, eventId);
    const [tallies, line, stored, byCategory] = await Promise.all([
      bookings.tally(eventId),
      waitlist.countOpen(eventId),
      categories.listOfEvent(eventId),
      categories.tally(eventId),
    ]);
    return { ...summarize(event, tallies, line), ...categoryMoney(event, stored, byCategory) };
  };
