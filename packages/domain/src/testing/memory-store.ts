import { composedBookingBatches } from '../bookings/booking-batches';
import type {
  Booking,
  BookingRepository,
  DomainEvent,
  Event,
  EventRepository,
  Location,
  LocationRepository,
  Outbox,
  PaymentAttempt,
  PaymentAttemptRepository,
  TransactionScope,
  UnitOfWorkOptions,
  UnitOfWork,
  WaitlistEntry,
  WaitlistRepository,
} from '../index';
import type { BookingTally } from '../index';
import { BookingConflictError, WaitlistConflictError, toPage, ACTIVE_STATUSES, ATTENDEE_STATUSES, seatsOf } from '../index';
import { emptyPricingState, memoryPricing, type PricingState } from './pricing';

interface State {
  events: Map<string, Event>;
  locations: Map<string, Location>;
  bookings: Map<string, Booking>;
  waitlist: Map<string, WaitlistEntry>;
  paymentAttempts: Map<string, PaymentAttempt>;
  outbox: DomainEvent[];
  pricing: PricingState;
}

const emptyState = (): State => ({
  events: new Map(),
  locations: new Map(),
  bookings: new Map(),
  waitlist: new Map(),
  paymentAttempts: new Map(),
  outbox: [],
  pricing: emptyPricingState(),
});
const cloneState = (s: State): State => structuredClone(s);

const byStart = (a: Event, b: Event) => a.startDate.getTime() - b.startDate.getTime() || a.id.localeCompare(b.id);
const byCreated = <T extends { createdAt: Date; id: string }>(a: T, b: T) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

function eventRepository(s: () => State): EventRepository {
  return {
    async findById(id) {
      return structuredClone(s().events.get(id) ?? null);
    },
    async findByIdForUpdate(id) {
      return structuredClone(s().events.get(id) ?? null);
    },
    async list(f, page) {
      const needle = f.search?.toLowerCase();
      const all = [...s().events.values()]
        .filter((e) => e.status !== 'DRAFT' || f.allDrafts || (f.draftsOf !== undefined && e.organizerId === f.draftsOf))
        .filter((e) => !f.status || e.status === f.status)
        .filter((e) => !f.from || e.startDate >= f.from)
        .filter((e) => !f.to || e.startDate <= f.to)
        .filter((e) => !f.locationId || e.location?.id === f.locationId)
        .filter((e) => !f.organizerId || e.organizerId === f.organizerId)
        .filter((e) => !f.hiddenOrganizers?.length || !f.hiddenOrganizers.includes(e.organizerId))
        .filter((e) => !needle || `${e.title} ${e.description ?? ''} ${e.locationText ?? ''}`.toLowerCase().includes(needle))
        .sort(byStart);
      const start = (page.page - 1) * page.size;
      return toPage(structuredClone(all.slice(start, start + page.size)), all.length, page);
    },
    async insert(event) {
      s().events.set(event.id, structuredClone(event));
    },
    async update(event, options) {
      // Like the database's trigger: every stored change moves the version, whatever the caller sent.
      const stored = s().events.get(event.id);
      if (!stored || (options?.expectedVersion !== undefined && stored.version !== options.expectedVersion)) return false;
      s().events.set(event.id, structuredClone({ ...event, version: stored.version + 1 }));
      return true;
    },
    async takeSeats(eventId, seats, now) {
      const e = s().events.get(eventId);
      if (!e || e.available < seats) return false;
      s().events.set(eventId, { ...e, available: e.available - seats, updatedAt: now, version: e.version + 1 });
      return true;
    },
    async findEnded(now, limit) {
      return [...s().events.values()]
        .filter((e) => e.status === 'PUBLISHED' && e.endDate <= now)
        .slice(0, limit)
        .map((e) => e.id);
    },
  };
}

function locationRepository(s: () => State): LocationRepository {
  return {
    async findById(id) {
      return structuredClone(s().locations.get(id) ?? null);
    },
    async findByName(name) {
      const oldest = [...s().locations.values()]
        .filter((l) => l.name === name)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))[0];
      return structuredClone(oldest ?? null);
    },
    async list(q) {
      const needle = q.search?.toLowerCase();
      const all = [...s().locations.values()]
        .filter((l) => !needle || `${l.name} ${l.address}`.toLowerCase().includes(needle))
        .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      const start = (q.page - 1) * q.size;
      return toPage(structuredClone(all.slice(start, start + q.size)), all.length, q);
    },
    async insert(location) {
      s().locations.set(location.id, structuredClone(location));
    },
  };
}

function bookingRepository(s: () => State): BookingRepository {
  const all = () => [...s().bookings.values()];
  const active = (b: Booking) => ACTIVE_STATUSES.includes(b.status);
  return {
    async findById(id) {
      return structuredClone(s().bookings.get(id) ?? null);
    },
    async findByIdForUpdate(id) {
      return structuredClone(s().bookings.get(id) ?? null);
    },
    async findByPaymentIdForUpdate(paymentId) {
      return structuredClone(all().find((b) => b.paymentId === paymentId) ?? null);
    },
    async findActive(eventId, userId) {
      return structuredClone(all().find((b) => b.eventId === eventId && b.userId === userId && active(b)) ?? null);
    },
    async standing(eventId, userId) {
      const booking = all().find((b) => b.eventId === eventId && b.userId === userId && active(b));
      const offered = [...s().waitlist.values()].some((w) => w.eventId === eventId && w.userId === userId && w.status === 'OFFERED');
      return { activeBookingId: booking?.id ?? null, offered };
    },
    async standingsOf(eventId, userIds) {
      const wanted = new Set(userIds);
      const byUser = new Map<string, { activeBookingId: string | null; offered: boolean }>();
      const of = (userId: string) => byUser.get(userId) ?? byUser.set(userId, { activeBookingId: null, offered: false }).get(userId)!;
      for (const b of all()) if (b.eventId === eventId && wanted.has(b.userId) && active(b)) of(b.userId).activeBookingId = b.id;
      for (const w of s().waitlist.values()) if (w.eventId === eventId && wanted.has(w.userId) && w.status === 'OFFERED') of(w.userId).offered = true;
      return byUser;
    },
    async standings(eventId) {
      const byUser = new Map<string, { userId: string; activeBookingId: string | null; offered: boolean }>();
      const of = (userId: string) => byUser.get(userId) ?? byUser.set(userId, { userId, activeBookingId: null, offered: false }).get(userId)!;
      for (const b of all()) if (b.eventId === eventId && active(b)) of(b.userId).activeBookingId = b.id;
      for (const w of s().waitlist.values()) if (w.eventId === eventId && w.status === 'OFFERED') of(w.userId).offered = true;
      return [...byUser.values()];
    },
    async list(f, page) {
      const rows = all()
        .filter((b) => (!f.userId || b.userId === f.userId) && (!f.eventId || b.eventId === f.eventId) && (!f.status || b.status === f.status))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
      const start = (page.page - 1) * page.size;
      return toPage(structuredClone(rows.slice(start, start + page.size)), rows.length, page);
    },
    async listAttendeesOfEvent(eventId, page) {
      const rows = all()
        .filter((b) => b.eventId === eventId && ATTENDEE_STATUSES.includes(b.status))
        .sort(byCreated);
      const start = (page.page - 1) * page.size;
      return toPage(structuredClone(rows.slice(start, start + page.size)), rows.length, page);
    },
    async attendeesOfEventAfter(eventId, after, limit) {
      const isAfter = (b: Booking) => !after || b.createdAt > after.createdAt || (b.createdAt.getTime() === after.createdAt.getTime() && b.id > after.id);
      return structuredClone(
        all()
          .filter((b) => b.eventId === eventId && ATTENDEE_STATUSES.includes(b.status) && isAfter(b))
          .sort(byCreated)
          .slice(0, limit),
      );
    },
    async tally(eventId) {
      const groups = new Map<string, BookingTally>();
      for (const b of all()) {
        if (b.eventId !== eventId) continue;
        const currency = b.amount?.currency ?? null;
        const key = [b.status, b.paymentStatus, currency, b.checkedInAt !== null].join(' ');
        const group = groups.get(key) ?? {
          status: b.status,
          paymentStatus: b.paymentStatus,
          currency,
          checkedIn: b.checkedInAt !== null,
          bookings: 0,
          seats: 0,
          amount: 0,
        };
        group.bookings += 1;
        group.seats += seatsOf(b);
        group.amount += b.amount?.amount ?? 0;
        groups.set(key, group);
      }
      return [...groups.values()];
    },
    async insert(booking) {
      const clash = all().find((b) => b.eventId === booking.eventId && b.userId === booking.userId && active(b));
      if (clash) throw new BookingConflictError(booking.eventId, clash.id);
      s().bookings.set(booking.id, structuredClone(booking));
    },
    async insertMany(bookings) {
      for (const booking of bookings) {
        const clash = all().find((b) => b.eventId === booking.eventId && b.userId === booking.userId && active(b));
        if (clash) throw new BookingConflictError(booking.eventId, clash.id);
      }
      for (const booking of bookings) s().bookings.set(booking.id, structuredClone(booking));
    },
    async update(booking) {
      s().bookings.set(booking.id, structuredClone(booking));
    },
    async lockExpired(now, limit) {
      return structuredClone(
        all()
          .filter((b) => b.status === 'PENDING' && b.paymentStatus !== 'PROCESSING' && b.expiresAt !== null && b.expiresAt <= now)
          .sort(byCreated)
          .slice(0, limit),
      );
    },
    async lockActiveOfEvent(eventId) {
      return structuredClone(
        all()
          .filter((b) => b.eventId === eventId && active(b))
          .sort(byCreated),
      );
    },
    async lockRefundsDue(now, limit) {
      const turn = (b: Booking) => b.refundDueAt?.getTime() ?? -Infinity;
      return structuredClone(
        all()
          .filter((b) => (b.paymentStatus === 'REFUND_PENDING' || b.partialRefund !== null) && (b.refundDueAt === null || b.refundDueAt <= now))
          .sort((a, b) => turn(a) - turn(b) || a.updatedAt.getTime() - b.updatedAt.getTime() || a.id.localeCompare(b.id))
          .slice(0, limit),
      );
    },
  };
}

function waitlistRepository(s: () => State): WaitlistRepository {
  const all = () => [...s().waitlist.values()];
  const open = (w: WaitlistEntry) => w.status === 'WAITING' || w.status === 'OFFERED';
  const withPosition = (w: WaitlistEntry): WaitlistEntry => {
    if (w.status !== 'WAITING') return { ...w, position: null };
    const line = all()
      .filter((x) => x.eventId === w.eventId && x.status === 'WAITING')
      .sort(byCreated);
    return { ...w, position: line.findIndex((x) => x.id === w.id) + 1 };
  };
  return {
    async findEntry(eventId, userId) {
      const mine = all()
        .filter((w) => w.eventId === eventId && w.userId === userId)
        .sort(byCreated);
      const current = mine.find(open) ?? mine.at(-1);
      return current ? structuredClone(withPosition(current)) : null;
    },
    async insert(entry) {
      if (all().some((w) => w.eventId === entry.eventId && w.userId === entry.userId && open(w)))
        throw new WaitlistConflictError(entry.eventId, 'you are already in line');
      s().waitlist.set(entry.id, structuredClone(entry));
    },
    async update(entry) {
      s().waitlist.set(entry.id, structuredClone({ ...entry, position: null }));
    },
    async lockWaiting(eventId, limit) {
      return structuredClone(
        all()
          .filter((w) => w.eventId === eventId && w.status === 'WAITING')
          .sort(byCreated)
          .slice(0, limit),
      );
    },
    async lockExpiredOffers(now, limit) {
      return structuredClone(
        all()
          .filter((w) => w.status === 'OFFERED' && w.offerExpiresAt !== null && w.offerExpiresAt <= now)
          .sort(byCreated)
          .slice(0, limit),
      );
    },
    async closeAll(eventId, now) {
      const rows = all().filter((w) => w.eventId === eventId && open(w));
      for (const w of rows) s().waitlist.set(w.id, { ...w, status: 'EXPIRED', offerExpiresAt: null, updatedAt: now });
      return rows.length;
    },
    async countOpen(eventId) {
      const waiting = all().filter((w) => w.eventId === eventId && w.status === 'WAITING');
      const offered = all().filter((w) => w.eventId === eventId && w.status === 'OFFERED');
      const seats = (list: WaitlistEntry[]) => list.reduce((sum, w) => sum + w.seats, 0);
      return { waiting: waiting.length, offered: offered.length, waitingSeats: seats(waiting), offeredSeats: seats(offered) };
    },
  };
}

function paymentAttemptRepository(s: () => State): PaymentAttemptRepository {
  return {
    async insert(attempt) {
      if (s().paymentAttempts.has(attempt.paymentId)) throw new Error(`payment attempt ${attempt.paymentId} exists`);
      s().paymentAttempts.set(attempt.paymentId, structuredClone(attempt));
    },
    async findByIdForUpdate(paymentId) {
      return structuredClone(s().paymentAttempts.get(paymentId) ?? null);
    },
    async update(attempt) {
      s().paymentAttempts.set(attempt.paymentId, structuredClone(attempt));
    },
    async lockDue(now, limit) {
      const due = [...s().paymentAttempts.values()].filter((a) => a.status === 'PENDING' && a.nextAttemptAt <= now);
      due.sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || a.paymentId.localeCompare(b.paymentId));
      return structuredClone(due.slice(0, limit));
    },
  };
}

export interface MemoryStore extends UnitOfWork, Pick<TransactionScope, 'categories' | 'bookingLines' | 'promoCodes' | 'bookingBatches'> {
  outbox: Outbox;
  events: EventRepository;
  locations: LocationRepository;
  bookings: BookingRepository;
  waitlist: WaitlistRepository;
  paymentAttempts: PaymentAttemptRepository;
  /** Every domain event written so far, for tests. */
  outboxRows(): DomainEvent[];
}

/**
 * Repositories over plain maps with real transactions: `run` is serialized and rolls the whole
 * state back when the work throws, so domain tests see the same atomicity as PostgreSQL.
 */
export function createMemoryStore(): MemoryStore {
  let state = emptyState();
  let chain: Promise<unknown> = Promise.resolve();
  const current = () => state;
  const outbox: Outbox = {
    async add(events) {
      state.outbox.push(...structuredClone(events));
    },
  };
  const repositories: Omit<TransactionScope, 'bookingBatches'> = {
    events: eventRepository(current),
    locations: locationRepository(current),
    bookings: bookingRepository(current),
    waitlist: waitlistRepository(current),
    paymentAttempts: paymentAttemptRepository(current),
    outbox,
    ...memoryPricing(current),
  };
  const scope: TransactionScope = { ...repositories, bookingBatches: composedBookingBatches(repositories) };
  return {
    ...scope,
    outboxRows: () => structuredClone(state.outbox),
    run<T>(work: (tx: TransactionScope) => Promise<T>, options?: UnitOfWorkOptions): Promise<T> {
      const result = chain.then(async () => {
        // Its turn: transactions here run one at a time.
        await options?.precheck?.();
        const snapshot = cloneState(state);
        try {
          return await work(scope);
        } catch (error) {
          state = snapshot;
          throw error;
        }
      });
      chain = result.catch(() => undefined);
      return result;
    },
  };
}
