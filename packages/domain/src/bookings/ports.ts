import type { Event, Money } from '../events/event';
import type { BookingLine } from '../pricing/pricing';
import type { TicketCategory } from '../pricing/category';
import type { DomainEvent } from '../shared/domain-events';
import type { Page, PageRequest } from '../shared/paging';
import type { Booking, BookingStatus, PaymentStatus, WaitlistEntry } from './booking';
import type { PaymentAttempt } from './payment-attempt';

/** What a user holds on one event: an active booking, a waitlist offer (held or lapsed), or neither. */
export interface SeatStanding {
  activeBookingId: string | null;
  offered: boolean;
}

/** A user with something on one event: an active booking and/or a waitlist offer. */
export interface UserStanding extends SeatStanding {
  userId: string;
}

/** Where an attendee export stopped: the last booking sent, in booking order (createdAt, id). */
export interface BookingCursor {
  createdAt: Date;
  id: string;
}

/** Bookings of one event that share a status, a payment status, a currency and whether they were checked in. */
export interface BookingTally {
  status: BookingStatus;
  paymentStatus: PaymentStatus;
  /** The currency of the amounts; null for bookings without one (free). */
  currency: string | null;
  checkedIn: boolean;
  bookings: number;
  seats: number;
  /** The sum of the bookings' amounts in minor units (0 when free). */
  amount: number;
}

/** The open part of an event's waitlist, in entries and in the seats they ask for. */
export interface WaitlistCounts {
  waiting: number;
  offered: number;
  waitingSeats: number;
  offeredSeats: number;
}

export interface BookingRepository {
  findById(id: string): Promise<Booking | null>;
  findByIdForUpdate(id: string): Promise<Booking | null>;
  findByPaymentIdForUpdate(paymentId: string): Promise<Booking | null>;
  findActive(eventId: string, userId: string): Promise<Booking | null>;
  /** The user's active booking and waitlist offer for the event, in one read. */
  standing(eventId: string, userId: string): Promise<SeatStanding>;
  /** The standings of these users on the event, in one read; a user with neither is left out. */
  standingsOf(eventId: string, userIds: readonly string[]): Promise<Map<string, SeatStanding>>;
  /** Every user holding an active booking or a waitlist offer for the event, in one read. */
  standings(eventId: string): Promise<UserStanding[]>;
  list(filter: { userId?: string; eventId?: string; status?: BookingStatus }, page: PageRequest): Promise<Page<Booking>>;
  /** The event's attendee bookings (ATTENDEE_STATUSES) in booking order, oldest first (createdAt, id). */
  listAttendeesOfEvent(eventId: string, page: PageRequest): Promise<Page<Booking>>;
  /** Up to `limit` attendee bookings of the event after `after` in booking order: keyset paging for exports. */
  attendeesOfEventAfter(eventId: string, after: BookingCursor | null, limit: number): Promise<Booking[]>;
  /** Every booking of the event, whatever its status, tallied (see BookingTally); one read. */
  tally(eventId: string): Promise<BookingTally[]>;
  /** Throws BookingConflictError when the user already holds an active booking for the event. */
  insert(booking: Booking): Promise<void>;
  /** Inserts the bookings in one statement, all or none; BookingConflictError as `insert`. */
  insertMany(bookings: readonly Booking[]): Promise<void>;
  update(booking: Booking): Promise<void>;
  /** PENDING bookings past their hold, locked with SKIP LOCKED so replicas share the work. */
  lockExpired(now: Date, limit: number): Promise<Booking[]>;
  /** Active bookings of one event, locked; for event completion and cancellation. */
  lockActiveOfEvent(eventId: string): Promise<Booking[]>;
  /**
   * Bookings owed a refund (REFUND_PENDING, or a partial refund) whose turn has come (refundDueAt
   * null or past), oldest turn first, locked with SKIP LOCKED.
   */
  lockRefundsDue(now: Date, limit: number): Promise<Booking[]>;
}

/** Payment intents (see PaymentAttempt); the payment id is the key. */
export interface PaymentAttemptRepository {
  insert(attempt: PaymentAttempt): Promise<void>;
  findByIdForUpdate(paymentId: string): Promise<PaymentAttempt | null>;
  update(attempt: PaymentAttempt): Promise<void>;
  /** PENDING attempts whose `nextAttemptAt` has come, oldest first, locked with SKIP LOCKED. */
  lockDue(now: Date, limit: number): Promise<PaymentAttempt[]>;
}

export interface WaitlistRepository {
  findEntry(eventId: string, userId: string): Promise<WaitlistEntry | null>;
  /** Throws WaitlistConflictError when the user is already in line. */
  insert(entry: WaitlistEntry): Promise<void>;
  update(entry: WaitlistEntry): Promise<void>;
  /** The first `limit` WAITING entries of the event in FIFO order, locked. */
  lockWaiting(eventId: string, limit: number): Promise<WaitlistEntry[]>;
  /** OFFERED entries past their hold, locked with SKIP LOCKED. */
  lockExpiredOffers(now: Date, limit: number): Promise<WaitlistEntry[]>;
  /** Ends every open entry of an event (event over or cancelled). */
  closeAll(eventId: string, now: Date): Promise<number>;
  /** The event's open entries: how many are WAITING and hold an offer (OFFERED), and the seats they ask for. */
  countOpen(eventId: string): Promise<WaitlistCounts>;
}

export interface ChargeRequest {
  paymentId: string;
  bookingId: string;
  amount: Money;
  /** The Payment Service de-duplicates on it, so a retried charge never takes money twice. */
  idempotencyKey: string;
}

export type ChargeResult = { status: 'SUCCEEDED' } | { status: 'DECLINED'; reason: string };

export type RefundResult = { status: 'REFUNDED' } | { status: 'REFUSED'; reason: string };

/**
 * The external Payment Service. Adapters throw DependencyUnavailableError when it cannot be
 * reached (or its breaker is open); a decline or a refused refund is an answer, not an error.
 */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The outcome of the charge made with this idempotency key; null when the service has no record of it. */
  findCharge(idempotencyKey: string): Promise<ChargeResult | null>;
  refund(request: { paymentId: string; amount: Money; idempotencyKey: string }): Promise<RefundResult>;
}

/** What a batch of plain bookings reads before it gives out seats (see allocateSeats). */
export interface BatchReads {
  /** Null: no such event. */
  event: Event | null;
  /** The event's stored categories, in position order. */
  categories: TicketCategory[];
  /** The bookers' standings on the event; a booker with neither a booking nor an offer is left out. */
  standings: Map<string, SeatStanding>;
}

/**
 * The reads and writes of a batch of plain bookings, each in as few round trips as the store allows:
 * in a rush every batch of an event waits for the one before it, so each round trip of a batch is
 * time every booker of the event waits.
 */
export interface BookingBatchStore {
  /** The event (its row locked when `lock`), its categories and these users' standings on it. */
  read(eventId: string, userIds: readonly string[], lock: boolean): Promise<BatchReads>;
  /**
   * Takes `seats` of the event's available seats and writes the bookings, their lines and their
   * outbox events, all or none: false, with nothing written, when fewer seats are left.
   * BookingConflictError as BookingRepository.insert.
   */
  write(
    eventId: string,
    seats: number,
    now: Date,
    booked: readonly { booking: Booking; lines: readonly BookingLine[] }[],
    events: readonly DomainEvent[],
  ): Promise<boolean>;
}
