import { ValidationError, type FieldError } from '../shared/domain-error';
import type { Location } from '../locations/location';
import { EventTransitionError } from './event.errors';
import { DEFAULT_TIME_ZONE, canonicalTimeZone } from './time-zone';

export const EVENT_STATUSES = ['DRAFT', 'PUBLISHED', 'COMPLETED', 'CANCELLED'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export interface Money {
  /** Minor units (cents, kopecks): integers keep money exact. */
  amount: number;
  currency: string;
}

/** The organizer's terms for a booker who cancels: a full refund until this many hours before the start, none after. */
export interface CancellationPolicy {
  refundUntilHoursBeforeStart: number;
}

export const DEFAULT_CANCELLATION_POLICY: CancellationPolicy = Object.freeze({ refundUntilHoursBeforeStart: 24 });

export const DEFAULT_MAX_SEATS_PER_BOOKING = 10;
export const MAX_SEATS_PER_BOOKING_LIMIT = 1000;

export interface Event {
  id: string;
  organizerId: string;
  title: string;
  description: string | null;
  startDate: Date;
  endDate: Date;
  location: Location | null;
  /** The v1 API's free-text location: the location's name (v1 text is stored as a location). */
  locationText: string | null;
  capacity: number;
  available: number;
  price: Money | null;
  cancellationPolicy: CancellationPolicy;
  /** IANA time zone of the place (`Europe/Moscow`): how to show the dates, which stay instants. */
  timeZone: string;
  /** The most seats one booking (or waitlist entry) may ask for. */
  maxSeatsPerBooking: number;
  /**
   * Whether a smaller waitlist entry may take freed seats ahead of a group that does not fit yet;
   * false (strict FIFO): everyone behind that group waits for it.
   */
  waitlistAllowsPassing: boolean;
  /** Seats freed for the waitlist but not yet offered (too few for the group at its head); bookable by nobody else. */
  waitlistHeld: number;
  status: EventStatus;
  /**
   * Moves forward on every stored change of the event, its seats included (taken, released): the
   * entity tag of its representation, and what a conditional change compares against.
   */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NotBookableReason = 'NOT_PUBLISHED' | 'CANCELLED' | 'COMPLETED' | 'ALREADY_STARTED' | 'SOLD_OUT';

/**
 * Why booking `seats` seats of the event would be refused at `now`, in the order bookSeat checks
 * it; null when they can be booked. SOLD_OUT (fewer free seats than asked for) still lets a held
 * waitlist offer be claimed.
 */
export function whyNotBookable(e: Pick<Event, 'status' | 'startDate' | 'available'>, now: Date, seats = 1): NotBookableReason | null {
  if (e.status === 'DRAFT') return 'NOT_PUBLISHED';
  if (e.status === 'CANCELLED') return 'CANCELLED';
  if (e.status === 'COMPLETED') return 'COMPLETED';
  if (e.startDate <= now) return 'ALREADY_STARTED';
  if (e.available <= 0 || e.available < seats) return 'SOLD_OUT';
  return null;
}

export interface EventFields {
  title: string;
  description?: string | null;
  startDate: Date;
  endDate: Date;
  capacity: number;
  price?: Money | null;
  locationText?: string | null;
  /** Unset: the default on creation, the current one on an update. */
  cancellationPolicy?: CancellationPolicy;
  /** An IANA time zone name; unset: UTC on creation, the current one on an update. */
  timeZone?: string;
  /** Unset: DEFAULT_MAX_SEATS_PER_BOOKING on creation, the current one on an update. */
  maxSeatsPerBooking?: number;
  /** Unset: false (strict FIFO) on creation, the current one on an update. */
  waitlistAllowsPassing?: boolean;
}

/** A precondition on the event's version (HTTP `If-Match`): the change applies only while it is one of these. */
export interface VersionCondition {
  ifVersion?: readonly number[];
}

/** Whether the event satisfies the client's precondition (none given: always). */
export const meetsCondition = (event: Pick<Event, 'version'>, condition: VersionCondition | undefined): boolean =>
  condition?.ifVersion === undefined || condition.ifVersion.includes(event.version);

const TRANSITIONS: Record<EventStatus, readonly EventStatus[]> = {
  DRAFT: ['PUBLISHED', 'CANCELLED'],
  PUBLISHED: ['COMPLETED', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
};

export const canTransition = (from: EventStatus, to: EventStatus): boolean => TRANSITIONS[from].includes(to);

const MAX_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Dates the database stores and reads back exactly. */
export const isStorableDate = (d: Date): boolean => !Number.isNaN(d.getTime()) && d.getTime() >= 0 && d.getTime() <= MAX_DATE;

export function validateEventFields(fields: EventFields): FieldError[] {
  const errors: FieldError[] = [];
  const title = fields.title.trim();
  if (title.length < 3 || title.length > 255) errors.push({ field: 'title', message: 'must be 3..255 characters' });
  if (!isStorableDate(fields.startDate)) errors.push({ field: 'startDate', message: 'must be a valid date between 1970 and 9999' });
  if (!isStorableDate(fields.endDate)) errors.push({ field: 'endDate', message: 'must be a valid date between 1970 and 9999' });
  else if (!(fields.endDate > fields.startDate)) errors.push({ field: 'endDate', message: 'must be after startDate' });
  if (!Number.isInteger(fields.capacity) || fields.capacity < 1 || fields.capacity > 1_000_000)
    errors.push({ field: 'capacity', message: 'must be an integer between 1 and 1000000' });
  if (fields.price) {
    if (!Number.isInteger(fields.price.amount) || fields.price.amount < 0)
      errors.push({ field: 'price.amount', message: 'must be a non-negative integer of minor units' });
    if (!/^[A-Z]{3}$/.test(fields.price.currency)) errors.push({ field: 'price.currency', message: 'must be an ISO 4217 code such as EUR' });
  }
  const hours = fields.cancellationPolicy?.refundUntilHoursBeforeStart;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < 0 || hours > 8760))
    errors.push({ field: 'cancellationPolicy.refundUntilHoursBeforeStart', message: 'must be an integer number of hours between 0 and 8760' });
  const max = fields.maxSeatsPerBooking;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_SEATS_PER_BOOKING_LIMIT))
    errors.push({ field: 'maxSeatsPerBooking', message: `must be an integer between 1 and ${MAX_SEATS_PER_BOOKING_LIMIT}` });
  if (fields.locationText != null && fields.locationText.length > 255) errors.push({ field: 'location', message: 'must be at most 255 characters' });
  if (fields.timeZone !== undefined && canonicalTimeZone(fields.timeZone) === null)
    errors.push({ field: 'timeZone', message: 'must be an IANA time zone name such as Europe/Moscow or UTC' });
  return errors;
}

export function createEvent(fields: EventFields, meta: { id: string; organizerId: string; location: Location | null; now: Date }): Event {
  const errors = validateEventFields(fields);
  if (errors.length) throw new ValidationError(errors);
  return {
    id: meta.id,
    organizerId: meta.organizerId,
    title: fields.title.trim(),
    description: fields.description ?? null,
    startDate: fields.startDate,
    endDate: fields.endDate,
    location: meta.location,
    locationText: meta.location?.name ?? null,
    capacity: fields.capacity,
    available: fields.capacity,
    price: fields.price && fields.price.amount > 0 ? fields.price : null,
    cancellationPolicy: { ...(fields.cancellationPolicy ?? DEFAULT_CANCELLATION_POLICY) },
    timeZone: fields.timeZone === undefined ? DEFAULT_TIME_ZONE : canonicalTimeZone(fields.timeZone)!,
    maxSeatsPerBooking: fields.maxSeatsPerBooking ?? DEFAULT_MAX_SEATS_PER_BOOKING,
    waitlistAllowsPassing: fields.waitlistAllowsPassing ?? false,
    waitlistHeld: 0,
    status: 'DRAFT',
    version: 1,
    createdAt: meta.now,
    updatedAt: meta.now,
  };
}

/** Seats held by bookings that are still active and by waitlist offers; capacity may never drop below them. */
export const seatsTaken = (event: Pick<Event, 'capacity' | 'available' | 'waitlistHeld'>): number => event.capacity - event.available - event.waitlistHeld;

/** The free seats after a capacity change. Removed seats come out of `available` first, then out of the waitlist's pool. */
function freeSeatsFor(event: Event, capacity: number): Pick<Event, 'available' | 'waitlistHeld'> {
  const delta = capacity - event.capacity;
  if (delta >= 0) return { available: event.available + delta, waitlistHeld: event.waitlistHeld };
  const available = Math.max(0, event.available + delta);
  return { available, waitlistHeld: capacity - seatsTaken(event) - available };
}

export function updateEvent(event: Event, fields: EventFields, location: Location | null, now: Date): Event {
  if (event.status === 'COMPLETED' || event.status === 'CANCELLED') throw new EventTransitionError(event.id, event.status, 'update');
  const errors = validateEventFields(fields);
  if (fields.capacity < seatsTaken(event)) errors.push({ field: 'capacity', message: `cannot be below the ${seatsTaken(event)} seats already booked` });
  if (errors.length) throw new ValidationError(errors);
  return {
    ...event,
    title: fields.title.trim(),
    description: fields.description ?? null,
    startDate: fields.startDate,
    endDate: fields.endDate,
    location,
    locationText: location?.name ?? null,
    capacity: fields.capacity,
    ...freeSeatsFor(event, fields.capacity),
    price: fields.price && fields.price.amount > 0 ? fields.price : null,
    cancellationPolicy: { ...(fields.cancellationPolicy ?? event.cancellationPolicy) },
    timeZone: fields.timeZone === undefined ? event.timeZone : canonicalTimeZone(fields.timeZone)!,
    maxSeatsPerBooking: fields.maxSeatsPerBooking ?? event.maxSeatsPerBooking,
    waitlistAllowsPassing: fields.waitlistAllowsPassing ?? event.waitlistAllowsPassing,
    updatedAt: now,
  };
}

export function transitionEvent(event: Event, to: EventStatus, now: Date): Event {
  if (!canTransition(event.status, to)) throw new EventTransitionError(event.id, event.status, to);
  return { ...event, status: to, updatedAt: now };
}

/** Whether a booker cancelling at `now` gets the money back under the event's policy. */
export const refundableAt = (event: Pick<Event, 'startDate' | 'cancellationPolicy'>, now: Date): boolean =>
  now.getTime() <= event.startDate.getTime() - event.cancellationPolicy.refundUntilHoursBeforeStart * 3_600_000;

/** Draft events are visible to their organizer and admins only. */
export const isVisibleTo = (event: Event, viewer: { userId: string; admin: boolean } | null): boolean =>
  event.status !== 'DRAFT' || (viewer !== null && (viewer.admin || viewer.userId === event.organizerId));
