import * as domain from '@aquastream/domain';
import type { Clock, PaymentGateway } from '@aquastream/domain';

export type UseCases = ReturnType<typeof createUseCases>;

export function createUseCases(ports: {
  uow: domain.UnitOfWork;
  clock: Clock;
  ids: domain.IdGenerator;
  events: domain.EventRepository;
  locations: domain.LocationRepository;
  bookings: domain.BookingRepository;
  waitlist: domain.WaitlistRepository;
  payments: PaymentGateway;
  weather: domain.WeatherService;
  /** Reads that refuse a booking on a full event without a transaction (default: events and bookings). */
  seatReads?: { events: Pick<domain.EventRepository, 'findById'>; bookings: Pick<domain.BookingRepository, 'standing'> };
  bookingTtlMs: number;
  waitlistHoldMs: number;
  paymentSchedule: domain.PaymentSchedule;
}) {
  const { uow, clock, ids, events, locations, bookings, waitlist, payments, weather, bookingTtlMs, waitlistHoldMs, paymentSchedule } = ports;
  const write = { uow, clock, ids };
  const seats = { ...write, waitlistHoldMs };
  const pay = { ...write, payments, schedule: paymentSchedule };
  return {
    createEvent: domain.makeCreateEvent(write),
    updateEvent: domain.makeUpdateEvent(write),
    publishEvent: domain.makePublishEvent(write),
    cancelEvent: domain.makeCancelEvent(write, (tx, event, now) => domain.cancelBookingsOfEvent(tx, { ids }, event.id, now)),
    getEvent: domain.makeGetEvent({ events }),
    listEvents: domain.makeListEvents({ events }),
    getEventWeather: domain.makeGetEventWeather({ events, weather }),
    createLocation: domain.makeCreateLocation(write),
    getLocation: domain.makeGetLocation({ locations }),
    listLocations: domain.makeListLocations({ locations }),
    bookSeat: domain.makeBookSeat({ ...write, bookingTtlMs, reads: ports.seatReads ?? { events, bookings } }),
    getBooking: domain.makeGetBooking({ bookings, events }),
    listMyBookings: domain.makeListMyBookings({ bookings }),
    listEventBookings: domain.makeListEventBookings({ bookings, events }),
    cancelBooking: domain.makeCancelBooking(seats),
    markNoShow: domain.makeMarkNoShow(seats),
    payBooking: domain.makePayBooking(pay),
    retryPayment: domain.makeRetryPayment(pay),
    reconcilePayments: domain.makeReconcilePayments(pay),
    applyPaymentNotification: domain.makeApplyPaymentNotification(pay),
    joinWaitlist: domain.makeJoinWaitlist(seats),
    leaveWaitlist: domain.makeLeaveWaitlist(seats),
    getMyWaitlistEntry: domain.makeGetMyWaitlistEntry({ waitlist }),
    expireBookings: domain.makeExpireBookings(seats),
    expireWaitlistOffers: domain.makeExpireWaitlistOffers(seats),
    completeEvents: domain.makeCompleteEvents(seats),
    processRefunds: domain.makeProcessRefunds({ ...seats, payments, schedule: paymentSchedule }),
  };
}
