import type { Booking, BookingStatus, Event, EventStatus, Location, Participant, PaymentStatus, WaitlistEntry, WaitlistStatus } from '@aquastream/domain';

/** Legacy rows (created before events had owners) belong to nobody; only admins may change them. */
export const NO_ORGANIZER = '00000000-0000-0000-0000-000000000000';

export interface EventRow {
  id: string;
  title: string;
  description: string | null;
  start_date: Date;
  end_date: Date | null;
  location_id: string | null;
  capacity: number | null;
  available: number | null;
  status: string;
  organizer_id: string | null;
  price_amount: string | number | null;
  price_currency: string | null;
  refund_until_hours: number;
  time_zone: string;
  version: string | number;
  max_seats_per_booking: number;
  waitlist_allows_passing: boolean;
  waitlist_held: number;
  created_at: Date;
  updated_at: Date;
  l_name: string | null;
  l_address: string | null;
  l_latitude: number | null;
  l_longitude: number | null;
  l_created_at: Date | null;
}

export function toLocation(row: { id: string; name: string; address: string; latitude: number | null; longitude: number | null; created_at: Date }): Location {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    coordinates: row.latitude !== null && row.longitude !== null ? { lat: row.latitude, lon: row.longitude } : null,
    createdAt: new Date(row.created_at),
  };
}

export function toEvent(row: EventRow): Event {
  const start = new Date(row.start_date);
  const location =
    row.location_id && row.l_name !== null
      ? toLocation({
          id: row.location_id,
          name: row.l_name,
          address: row.l_address ?? '',
          latitude: row.l_latitude,
          longitude: row.l_longitude,
          created_at: row.l_created_at ?? row.created_at,
        })
      : null;
  return {
    id: row.id,
    organizerId: row.organizer_id ?? NO_ORGANIZER,
    title: row.title,
    description: row.description,
    startDate: start,
    endDate: row.end_date ? new Date(row.end_date) : start,
    location,
    locationText: location?.name ?? null,
    capacity: row.capacity ?? 0,
    available: row.available ?? row.capacity ?? 0,
    price: row.price_amount !== null && row.price_currency ? { amount: Number(row.price_amount), currency: row.price_currency.trim() } : null,
    cancellationPolicy: { refundUntilHoursBeforeStart: row.refund_until_hours },
    timeZone: row.time_zone,
    maxSeatsPerBooking: row.max_seats_per_booking,
    waitlistAllowsPassing: row.waitlist_allows_passing,
    waitlistHeld: row.waitlist_held,
    status: row.status as EventStatus,
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export const fromEvent = (e: Event) => ({
  id: e.id,
  organizer_id: e.organizerId,
  title: e.title,
  description: e.description,
  start_date: e.startDate,
  end_date: e.endDate,
  location_id: e.location?.id ?? null,
  capacity: e.capacity,
  available: e.available,
  price_amount: e.price?.amount ?? null,
  price_currency: e.price?.currency ?? null,
  refund_until_hours: e.cancellationPolicy.refundUntilHoursBeforeStart,
  time_zone: e.timeZone,
  max_seats_per_booking: e.maxSeatsPerBooking,
  waitlist_allows_passing: e.waitlistAllowsPassing,
  waitlist_held: e.waitlistHeld,
  status: e.status,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
});

export interface BookingRow {
  id: string;
  event_id: string;
  user_id: string;
  status: string;
  amount: string | number | null;
  currency: string | null;
  payment_status: string;
  payment_id: string | null;
  expires_at: Date | null;
  refund_due_at: Date | null;
  seats: number;
  /** JSONB: pg parses it; an older driver or PGlite configuration may hand back the text. */
  participants: unknown;
  partial_refund_amount: string | number | null;
  partial_refund_key: string | null;
  checked_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toParticipants = (value: unknown): Participant[] => (typeof value === 'string' ? JSON.parse(value) : (value ?? [])) as Participant[];

export const toBooking = (r: BookingRow): Booking => ({
  id: r.id,
  eventId: r.event_id,
  userId: r.user_id,
  status: r.status as BookingStatus,
  seats: r.seats,
  participants: toParticipants(r.participants),
  amount: r.amount !== null && r.currency ? { amount: Number(r.amount), currency: r.currency.trim() } : null,
  paymentStatus: r.payment_status as PaymentStatus,
  paymentId: r.payment_id,
  expiresAt: r.expires_at ? new Date(r.expires_at) : null,
  refundDueAt: r.refund_due_at ? new Date(r.refund_due_at) : null,
  partialRefund:
    r.partial_refund_amount !== null && r.partial_refund_key && r.currency
      ? { amount: { amount: Number(r.partial_refund_amount), currency: r.currency.trim() }, idempotencyKey: r.partial_refund_key }
      : null,
  checkedInAt: r.checked_in_at ? new Date(r.checked_in_at) : null,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** A booking's columns, its participants as they are: a JSON document of many rows encodes them once. */
export const bookingColumns = (b: Booking) => ({
  id: b.id,
  event_id: b.eventId,
  user_id: b.userId,
  status: b.status,
  seats: b.seats,
  participants: b.participants as unknown,
  amount: b.amount?.amount ?? null,
  currency: b.amount?.currency ?? null,
  payment_status: b.paymentStatus,
  payment_id: b.paymentId,
  expires_at: b.expiresAt,
  refund_due_at: b.refundDueAt,
  partial_refund_amount: b.partialRefund?.amount.amount ?? null,
  partial_refund_key: b.partialRefund?.idempotencyKey ?? null,
  checked_in_at: b.checkedInAt,
  created_at: b.createdAt,
  updated_at: b.updatedAt,
});

export const fromBooking = (b: Booking) => ({ ...bookingColumns(b), participants: JSON.stringify(b.participants) });

export interface WaitlistRow {
  id: string;
  event_id: string;
  user_id: string;
  status: string;
  offer_expires_at: Date | null;
  seats: number;
  created_at: Date;
  updated_at: Date;
  position?: string | number | null;
}

export const toWaitlistEntry = (r: WaitlistRow): WaitlistEntry => ({
  id: r.id,
  eventId: r.event_id,
  userId: r.user_id,
  status: r.status as WaitlistStatus,
  seats: r.seats,
  position: r.position != null ? Number(r.position) : null,
  offerExpiresAt: r.offer_expires_at ? new Date(r.offer_expires_at) : null,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});
