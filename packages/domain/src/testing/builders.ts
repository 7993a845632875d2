// Test-only helpers: the domain wired over test infrastructure, actors and event inputs.
// The domain may not import adapters outside *.test.ts files (see .dependency-cruiser.cjs), so the
// tests pass the in-memory store, clock and ids in: see `buildWorld`.
import type { Actor } from '../shared/actor';
import type { DomainEvent, DomainEventOf, DomainEventType } from '../shared/domain-events';
import type { Clock, IdGenerator } from '../shared/ports';
import type { TransactionScope, UnitOfWork } from '../unit-of-work';
import type { PaymentGateway } from '../bookings/ports';
import type { PaymentSchedule } from '../bookings/payment-attempt';
import type { EventInput } from '../events/manage-events';
import type { WeatherService } from '../events/weather';
import { createUseCases, type UseCases } from '../use-cases';

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

/** A weather service for tests that must never reach it. */
const unusedWeather: WeatherService = { forecast: () => Promise.reject(new Error('no weather service in this test')) };

/**
 * Several use cases check the caller before opening their transaction and so throw synchronously
 * instead of returning a rejected promise; wrapping them makes every failure a rejection.
 */
const promised =
  <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> =>
    fn(...args);

const promisedAll = (useCases: UseCases): UseCases =>
  Object.fromEntries(Object.entries(useCases).map(([name, fn]) => [name, promised(fn as (...args: unknown[]) => Promise<unknown>)])) as UseCases;

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
export const PAYMENT_SCHEDULE: PaymentSchedule = {
  reconcileAfterMs: 2 * 60_000,
  retryHorizonMs: 24 * 3_600_000,
  retryBaseDelayMs: 1_000,
  retryMaxDelayMs: 60_000,
  random: () => 0.5,
};

export interface WorldOptions {
  payments?: PaymentGateway;
  paymentSchedule?: Partial<PaymentSchedule>;
  bookingTtlMs?: number;
  waitlistHoldMs?: number;
}

/**
 * The domain wired by the app's catalogue (createUseCases) over test infrastructure. Test files call it with
 * `{ store: createMemoryStore(), clock: fixedClock(START), ids: sequentialIds() }`.
 */
export function buildWorld({ store, clock, ids }: Infrastructure, options: WorldOptions = {}) {
  const { events, locations, bookings, waitlist, categories, promoCodes, bookingLines } = store;
  const useCases = promisedAll(
    createUseCases({
      uow: store,
      clock,
      ids,
      events,
      locations,
      bookings,
      waitlist,
      categories,
      promoCodes,
      bookingLines,
      payments: options.payments ?? unusedPayments,
      weather: unusedWeather,
      bookingTtlMs: options.bookingTtlMs ?? BOOKING_TTL_MS,
      waitlistHoldMs: options.waitlistHoldMs ?? WAITLIST_HOLD_MS,
      paymentSchedule: { ...PAYMENT_SCHEDULE, ...options.paymentSchedule },
    }),
  );

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
    outboxOf: <K extends DomainEventType>(type: K) => outbox().filter((row) => row.type === type) as DomainEventOf<K>[],
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
    publishedEvent: (over: Partial<EventInput> = {}, owner: Actor = organizer()) => useCases.createEvent(owner, eventInput(over), { publish: true }),
    /** A DRAFT event owned by `owner` (org-1 by default). */
    draftEvent: (over: Partial<EventInput> = {}, owner: Actor = organizer()) => useCases.createEvent(owner, eventInput(over)),
  };
}

export type World = ReturnType<typeof buildWorld>;
