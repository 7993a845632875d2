import type { BookingStatus, PaymentStatus } from '../bookings/booking';
import type { EventStatus, Money } from '../events/event';
import type { Coordinates } from '../locations/location';

/** An event as its changes announce it: enough for consumers to update their copies (dates as ISO text). */
export interface EventSnapshot {
  id: string;
  organizerId: string;
  title: string;
  startDate: string;
  endDate: string;
  locationId: string | null;
  capacity: number;
  available: number;
  price: Money | null;
  timeZone: string;
  status: EventStatus;
}

/** A booking as its changes announce it. */
export interface BookingSnapshot {
  bookingId: string;
  eventId: string;
  userId: string;
  status: BookingStatus;
  seats: number;
  amount: Money | null;
  paymentStatus: PaymentStatus;
  paymentId: string | null;
}

export interface LocationSnapshot {
  id: string;
  name: string;
  address: string;
  coordinates: Coordinates | null;
  createdAt: string;
}

/** Who a waitlist event is about. */
export interface WaitlistPlace {
  eventId: string;
  userId: string;
}

/** How many seats a waitlist entry waits for, or is offered (a group asks for several). */
export interface WaitlistSeats {
  seats: number;
}

/** What a refund of part of a booking's payment (seats given up) adds to its payment events. */
export interface PartialRefundFacts {
  partial?: true;
  refundAmount?: Money;
}

/** A payment queued while the Payment Service was down, for the retry consumer. */
export interface PaymentRetryRequest {
  paymentId: string;
  bookingId: string;
  amount: Money;
}

/**
 * Every domain event, by name: the aggregate it belongs to (which also picks its topic) and its
 * payload, the published contract consumers read. Adding an event is one line here; emitting a name
 * that is not here does not compile.
 */
export interface DomainEventCatalogue {
  'event.created': { aggregate: 'event'; data: EventSnapshot };
  'event.updated': { aggregate: 'event'; data: EventSnapshot };
  'event.published': { aggregate: 'event'; data: EventSnapshot };
  'event.cancelled': { aggregate: 'event'; data: EventSnapshot };
  'event.completed': { aggregate: 'event'; data: EventSnapshot };
  'location.created': { aggregate: 'location'; data: LocationSnapshot };
  'booking.created': { aggregate: 'booking'; data: BookingSnapshot & { fromWaitlist: boolean } };
  'booking.confirmed': { aggregate: 'booking'; data: BookingSnapshot };
  'booking.cancelled': { aggregate: 'booking'; data: BookingSnapshot & { refund?: 'full' | 'none'; reason?: 'event-cancelled' } };
  'booking.expired': { aggregate: 'booking'; data: BookingSnapshot };
  'booking.completed': { aggregate: 'booking'; data: BookingSnapshot };
  'booking.no_show': { aggregate: 'booking'; data: BookingSnapshot };
  /** The organizer checked the booking in at the event (once: a repeated check-in emits nothing). */
  'booking.checked_in': { aggregate: 'booking'; data: BookingSnapshot & { checkedInAt: string } };
  'booking.seats_reduced': {
    aggregate: 'booking';
    data: BookingSnapshot & { previousSeats: number; seatsReleased: number; refund: 'partial' | 'none' | 'not-paid'; refundAmount: Money | null };
  };
  'payment.failed': { aggregate: 'booking'; data: BookingSnapshot & { reason: string } };
  'payment.refund_requested': { aggregate: 'booking'; data: BookingSnapshot };
  'payment.refunded': { aggregate: 'booking'; data: BookingSnapshot & PartialRefundFacts };
  'payment.refund_failed': { aggregate: 'booking'; data: BookingSnapshot & PartialRefundFacts & { reason: string } };
  'payment.retry_requested': { aggregate: 'payment'; data: PaymentRetryRequest };
  'waitlist.joined': { aggregate: 'waitlist'; data: WaitlistPlace & WaitlistSeats };
  'waitlist.left': { aggregate: 'waitlist'; data: WaitlistPlace };
  'waitlist.offered': { aggregate: 'waitlist'; data: WaitlistPlace & WaitlistSeats & { offerExpiresAt: string } };
  'waitlist.offer_expired': { aggregate: 'waitlist'; data: WaitlistPlace };
}

export type DomainEventType = keyof DomainEventCatalogue;
export type AggregateType = DomainEventCatalogue[DomainEventType]['aggregate'];
/** The names of the events of one aggregate, e.g. `DomainEventTypeOf<'booking'>`. */
export type DomainEventTypeOf<A extends AggregateType> = {
  [K in DomainEventType]: DomainEventCatalogue[K]['aggregate'] extends A ? K : never;
}[DomainEventType];

/** One event of the catalogue; stored in the outbox with the change that caused it. */
export interface DomainEventOf<K extends DomainEventType> {
  id: string;
  type: K;
  aggregateType: DomainEventCatalogue[K]['aggregate'];
  aggregateId: string;
  occurredAt: Date;
  data: DomainEventCatalogue[K]['data'];
}

/** A fact the rest of the platform may react to: any event of the catalogue (narrow it by `type`). */
export type DomainEvent = { [K in DomainEventType]: DomainEventOf<K> }[DomainEventType];
