// Test-only helpers: the domain wired over test infrastructure, actors and event inputs.
// The domain may not import adapters outside *.test.ts files (see .dependency-cruiser.cjs), so the
// tests pass the in-memory store, clock and ids in: see `buildWorld`.
import type { Actor } from '../shared/actor';
import type { DomainEvent } from '../shared/domain-event';
import type { Clock, IdGenerator } from '../shared/ports';
import type { TransactionScope, UnitOfWork } from '../unit-of-work';
import type { PaymentGateway } from '../bookings/ports';
import type { PaymentSchedule } from '../bookings/payment-attempt';
import type { EventInput } from '../events/manage-events';
import {
  cancelBookingsOfEvent,
  makeApplyPaymentNotification,
  makeBookSeat,
  makeCancelBooking,
  makeCancelEvent,
  makeCompleteEvents,
  makeCreateEvent,
  makeCreateLocation,
  makeExpireBookings,
  makeExpireWaitlistOffers,
  makeGetBooking,
  makeGetEvent,
  makeGetLocation,
  makeGetMyWaitlistEntry,
  makeJoinWaitlist,
  makeLeaveWaitlist,
  makeListEventBookings,
  makeListEvents,
  makeListLocations,
  makeListMyBookings,
  makeMarkNoShow,
  makePayBooking,
  makeProcessRefunds,
  makeReconcilePayments,
  makePublishEvent,
  makeRetryPayment,
  makeUpdateEvent,
} from '../index';

export const START = '2030-01-01T00:00:00Z';
export const BOOKING_TTL_MS = 15 * 60_000;
export const WAITLIST_HOLD_MS = 10 * 60_000;
export const EVENT_START = new Date('2030-06-01T08:00:00Z');
export const EVENT_END = new Date('2030-06-01T18:00:00Z');
export const PRICE = { amount: 1500, currency: 'EUR' };

export const user = (userId = 'user-1'): Actor => ({ userId, roles: ['USER'] });
export const organizer = (userId = 'org-1'): Actor => ({ userId, roles: ['ORGANIZER'] });
export const admin = (userId = 'admin-1'): Actor => ({ userId, roles: ['ADMIN'] });

export const eventInput = (over: Partial<EventInput> = {}): EventInput => ({
  title: 'Rafting on the Katun',
  description: 'A day on white water',
  startDate: EVENT_START,
  endDate: EVENT_END,
  capacity: 10,
  price: null,
  ...over,
});

/** A payment gateway for tests that must never reach it. */
const unusedPayments: PaymentGateway = {
  charge: () => Promise.reject(new Error('no payment gateway in this test')),
  findCharge: () => Promise.reject(new Error('no payment gateway in this test')),
  refund: () => Promise.reject(new Error('no payment gateway in this test')),
};

/**
 * Several use cases check the caller before opening their transaction and so throw synchronously
 * instead of returning a rejected promise; wrapping them makes every failure a rejection.
 */
const promised =
  <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> =>
    fn(...args);

/** A clock tests move by hand (the shape of fixedClock from the memory adapters). */
export interface ManualClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): void;
}

/** A transactional store whose outbox tests can read (the shape of the in-memory store). */
export interface TestStore extends UnitOfWork, TransactionScope {
  outboxRows(): DomainEvent[];
}

export interface Infrastructure {
  store: TestStore;
  clock: ManualClock;
  ids: IdGenerator;
}

/** Payment timings of the domain tests: reconcile after 2 min, give up after 24 h, retry 1 s..60 s. */
export const PAYMENT_SCHEDULE: PaymentSchedule = { reconcileAfterMs: 2 * 60_000, retryHorizonMs: 24 * 3_600_000, retryBaseDelayMs: 1_000, retryMaxDelayMs: 60_000, random: () => 0.5 };

export interface WorldOptions {
  payments?: PaymentGateway;
  paymentSchedule?: Partial<PaymentSchedule>;
  bookingTtlMs?: number;
  waitlistHoldMs?: number;
}

/**
 * The domain wired like packages/app/src/composition-root.ts. Test files call it with
 * `{ store: createMemoryStore(), clock: fixedClock(START), ids: sequentialIds() }`.
 */
export function buildWorld({ store, clock, ids }: Infrastructure, options: WorldOptions = {}) {
  const payments = options.payments ?? unusedPayments;
  const write = { uow: store, clock, ids };
  const seats = { ...write, waitlistHoldMs: options.waitlistHoldMs ?? WAITLIST_HOLD_MS };
  const pay = { ...write, payments, schedule: { ...PAYMENT_SCHEDULE, ...options.paymentSchedule } };
  const { events, locations, bookings, waitlist } = store;

  const useCases = {
    createEvent: promised(makeCreateEvent(write)),
    updateEvent: promised(makeUpdateEvent(write)),
    publishEvent: promised(makePublishEvent(write)),
    cancelEvent: promised(makeCancelEvent(write, (tx, e, now) => cancelBookingsOfEvent(tx, { ids }, e.id, now))),
    getEvent: promised(makeGetEvent({ events })),
    listEvents: promised(makeListEvents({ events })),
    createLocation: promised(makeCreateLocation(write)),
    getLocation: promised(makeGetLocation({ locations })),
    listLocations: promised(makeListLocations({ locations })),
    bookSeat: promised(makeBookSeat({ ...write, bookingTtlMs: options.bookingTtlMs ?? BOOKING_TTL_MS, reads: { events, bookings } })),
    getBooking: promised(makeGetBooking({ bookings, events })),
    listMyBookings: promised(makeListMyBookings({ bookings })),
    listEventBookings: promised(makeListEventBookings({ bookings, events })),
    cancelBooking: promised(makeCancelBooking(seats)),
    markNoShow: promised(makeMarkNoShow(seats)),
    payBooking: promised(makePayBooking(pay)),
    retryPayment: promised(makeRetryPayment(pay)),
    reconcilePayments: promised(makeReconcilePayments(pay)),
    applyPaymentNotification: promised(makeApplyPaymentNotification(pay)),
    joinWaitlist: promised(makeJoinWaitlist(seats)),
    leaveWaitlist: promised(makeLeaveWaitlist(seats)),
    getMyWaitlistEntry: promised(makeGetMyWaitlistEntry({ waitlist })),
    expireBookings: promised(makeExpireBookings(seats)),
    expireWaitlistOffers: promised(makeExpireWaitlistOffers(seats)),
    completeEvents: promised(makeCompleteEvents(seats)),
    processRefunds: promised(makeProcessRefunds({ ...seats, payments, schedule: pay.schedule })),
  };

  const outbox = (): DomainEvent[] => store.outboxRows();

  return {
    store,
    clock,
    ids,
    ...useCases,
    /** Every outbox row written so far. */
    outbox,
    /** The types of the outbox rows, in order. */
    outboxTypes: () => outbox().map((row) => row.type),
    /** Outbox rows of one type. */
    outboxOf: (type: string) => outbox().filter((row) => row.type === type),
    /** The stored event (fails the test when missing). */
    storedEvent: async (id: string) => {
      const event = await store.events.findById(id);
      if (!event) throw new Error(`event ${id} is not stored`);
      return event;
    },
    /** The stored booking (fails the test when missing). */
    storedBooking: async (id: string) => {
      const booking = await store.bookings.findById(id);
      if (!booking) throw new Error(`booking ${id} is not stored`);
      return booking;
    },
    /** A PUBLISHED event owned by `owner` (org-1 by default). */
    publishedEvent: (over: Partial<EventInput> = {}, owner: Actor = organizer()) =>
      useCases.createEvent(owner, eventInput(over), { publish: true }),
    /** A DRAFT event owned by `owner` (org-1 by default). */
    draftEvent: (over: Partial<EventInput> = {}, owner: Actor = organizer()) => useCases.createEvent(owner, eventInput(over)),
  };
}

export type World = ReturnType<typeof buildWorld>;
