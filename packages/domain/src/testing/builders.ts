// Test-only helpers: the domain wired over its fakes (the in-memory store, a clock moved by hand,
// sequential ids), actors, event inputs, and entities as the repositories store them.
import type { Actor } from '../shared/actor';
import type { DomainEvent, DomainEventOf, DomainEventType } from '../shared/domain-events';
import type { IdGenerator } from '../shared/ports';
import type { Booking, WaitlistEntry } from '../bookings/booking';
import type { PaymentGateway } from '../bookings/ports';
import type { PaymentSchedule } from '../bookings/payment-attempt';
import type { Event } from '../events/event';
import type { EventInput } from '../events/manage-events';
import type { WeatherService } from '../events/weather';
import type { Location } from '../locations/location';
import { createUseCases, type UseCases } from '../use-cases';
import { fixedClock, sequentialIds, type ManualClock } from './fakes';
import { createMemoryStore, type MemoryStore } from './memory-store';

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

const promisedAll = (useCases: UseCases): UseCases => ({
  ...(Object.fromEntries(
    Object.entries(useCases).map(([name, fn]) => [name, promised(fn as (...args: unknown[]) => Promise<unknown>)]),
  ) as unknown as UseCases),
  // Answers at once by design (no promise, no error).
  getHeldEvent: useCases.getHeldEvent,
});

/** What a test world runs on: the in-memory store, a clock moved by hand and sequential ids. */
export interface Infrastructure {
  store: MemoryStore;
  clock: ManualClock;
  ids: IdGenerator;
}

/** A fresh store, a clock at START and ids from 1. */
export const freshInfrastructure = (): Infrastructure => ({ store: createMemoryStore(), clock: fixedClock(START), ids: sequentialIds() });

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
  /** Plain bookings of one event decided together; unset: as the app does by default, `{ max: 0 }`: one transaction each. */
  bookingBatching?: { max: number; inFlight?: number };
}

/**
 * The domain wired by the app's catalogue (createUseCases) over test infrastructure: usually
 * `freshInfrastructure()`, or another world's to see the same store from a second "replica".
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
      bookingBatching: options.bookingBatching ?? { max: 200, inFlight: 1 },
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

/** A fresh world on fresh infrastructure. */
export const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

// Entities as the repositories store them, for the port contract suite and state-machine tests.
let n = 0;
/** A fresh id, unique in the test process (the entity builders draw theirs from it too). */
export const anId = (): string => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
const id = anId;
const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

export const aLocation = (over: Partial<Location> = {}): Location => ({
  id: id(),
  name: 'Katun river base',
  address: 'Altai, Chemal',
  coordinates: { lat: 51.41, lon: 86.0 },
  createdAt: T0,
  ...over,
});

/** locationText is the location's name, as every adapter derives it. */
export const anEvent = (over: Partial<Event> = {}): Event => ({
  locationText: over.location?.name ?? null,
  id: id(),
  organizerId: '10000000-0000-4000-8000-000000000001',
  title: 'Rafting on the Katun',
  description: 'Three rapids',
  startDate: at(60 * 24),
  endDate: at(60 * 30),
  location: null,
  capacity: 3,
  available: 3,
  price: { amount: 5000, currency: 'EUR' },
  cancellationPolicy: { refundUntilHoursBeforeStart: 24 },
  timeZone: 'UTC',
  maxSeatsPerBooking: 10,
  waitlistAllowsPassing: false,
  waitlistHeld: 0,
  status: 'PUBLISHED',
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

export const aBooking = (eventId: string, over: Partial<Booking> = {}): Booking => ({
  id: id(),
  eventId,
  userId: id(),
  status: 'PENDING',
  seats: 1,
  participants: [],
  amount: { amount: 5000, currency: 'EUR' },
  paymentStatus: 'UNPAID',
  paymentId: null,
  expiresAt: at(30),
  refundDueAt: null,
  partialRefund: null,
  checkedInAt: null,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

export const anEntry = (eventId: string, over: Partial<WaitlistEntry> = {}): WaitlistEntry => ({
  id: id(),
  eventId,
  userId: id(),
  status: 'WAITING',
  seats: 1,
  position: null,
  offerExpiresAt: null,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});
