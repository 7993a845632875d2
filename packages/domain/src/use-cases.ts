import type { Clock, IdGenerator } from './shared/ports';
import type { UnitOfWork } from './unit-of-work';
import type { EventRepository } from './events/ports';
import type { WeatherService } from './events/weather';
import type { LocationRepository } from './locations/ports';
import type { BookingRepository, PaymentGateway, WaitlistRepository } from './bookings/ports';
import type { PaymentSchedule } from './bookings/payment-attempt';
import { makeCancelEvent, makeCreateEvent, makePublishEvent, makeUpdateEvent } from './events/manage-events';
import { makeCreateLegacyEvent, makeReplaceLegacyEvent } from './events/legacy-events';
import { makeGetEvent, makeGetHeldEvent, makeListEvents } from './events/read-events';
import { makeGetEventWeather } from './events/weather';
import { makeCreateLocation, makeGetLocation, makeListLocations } from './locations/manage-locations';
import { makeBookSeat, type BookingBatching } from './bookings/book-seat';
import { makeCancelBooking, makeGetBooking, makeListEventBookings, makeListMyBookings, makeMarkNoShow, makeReduceBooking } from './bookings/manage-bookings';
import { makeGetMyWaitlistEntry, makeJoinWaitlist, makeLeaveWaitlist } from './bookings/waitlist';
import { makeApplyPaymentNotification, makePayBooking, makeReconcilePayments, makeRetryPayment } from './bookings/payments';
import { makeCheckInBooking } from './bookings/check-in';
import { makeExportAttendees, makeGetEventSummary, makeListAttendees } from './bookings/attendees';
import { makeCompleteEvents, makeExpireBookings, makeExpireWaitlistOffers, makeProcessRefunds } from './bookings/jobs';
import type { BookingLineRepository, EventCategoryRepository } from './pricing/ports';
import { makeGetBookingPrice } from './pricing/booking-price';
import type { PromoCodeRepository } from './promo-codes/ports';
import { makeCreateCategory, makeListCategories } from './pricing/manage-categories';
import { makeCreatePromoCode, makeListPromoCodes } from './promo-codes/manage-promo-codes';

/** What the use cases run on: a unit of work, the repositories, the outside services and the timings. */
export interface UseCasePorts {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  events: EventRepository;
  locations: LocationRepository;
  bookings: BookingRepository;
  waitlist: WaitlistRepository;
  categories: EventCategoryRepository;
  promoCodes: PromoCodeRepository;
  bookingLines: BookingLineRepository;
  payments: PaymentGateway;
  weather: WeatherService;
  /** Reads that refuse a booking on a full event without a transaction (default: events and bookings). */
  seatReads?: { events: Pick<EventRepository, 'findById'>; bookings: Pick<BookingRepository, 'standing'> };
  bookingTtlMs: number;
  /** Plain bookings of one event decided together (see BookSeatDeps.batching; unset: one transaction each). */
  bookingBatching?: BookingBatching;
  waitlistHoldMs: number;
  paymentSchedule: PaymentSchedule;
  /** Organizers whose events public lists leave out (the synthetic flow's). */
  hiddenOrganizers?: readonly string[];
}

/** Every use case of the service, wired once: the app serves them, the domain's tests drive them. */
export function createUseCases(ports: UseCasePorts) {
  const { uow, clock, ids, events, locations, bookings, waitlist, categories, promoCodes, payments, weather, bookingTtlMs, waitlistHoldMs, paymentSchedule } =
    ports;
  const write = { uow, clock, ids };
  const seats = { ...write, waitlistHoldMs };
  const pay = { ...write, payments, schedule: paymentSchedule };
  return {
    createEvent: makeCreateEvent(write),
    updateEvent: makeUpdateEvent(seats),
    publishEvent: makePublishEvent(write),
    cancelEvent: makeCancelEvent(write),
    /** The v1 API's create-and-publish and replace, with its defaults. */
    createLegacyEvent: makeCreateLegacyEvent(write),
    replaceLegacyEvent: makeReplaceLegacyEvent(seats),
    getEvent: makeGetEvent({ events }),
    getHeldEvent: makeGetHeldEvent({ events }),
    listEvents: makeListEvents({ events, hiddenOrganizers: ports.hiddenOrganizers }),
    getEventWeather: makeGetEventWeather({ events, weather }),
    createLocation: makeCreateLocation(write),
    getLocation: makeGetLocation({ locations }),
    listLocations: makeListLocations({ locations }),
    bookSeat: makeBookSeat({
      ...seats,
      bookingTtlMs,
      reads: ports.seatReads ?? { events, bookings },
      pricingReads: { categories, promoCodes },
      batching: ports.bookingBatching,
    }),
    getBooking: makeGetBooking({ bookings, events }),
    listMyBookings: makeListMyBookings({ bookings }),
    listEventBookings: makeListEventBookings({ bookings, events }),
    cancelBooking: makeCancelBooking(seats),
    reduceBooking: makeReduceBooking(seats),
    markNoShow: makeMarkNoShow(seats),
    checkInBooking: makeCheckInBooking(write),
    listAttendees: makeListAttendees({ bookings, events }),
    exportAttendees: makeExportAttendees({ bookings, events }),
    getEventSummary: makeGetEventSummary({ bookings, events, waitlist, categories }),
    createCategory: makeCreateCategory(write),
    listCategories: makeListCategories({ events, categories }),
    createPromoCode: makeCreatePromoCode(write),
    listPromoCodes: makeListPromoCodes({ events, promoCodes }),
    getBookingPrice: makeGetBookingPrice({ bookings, events, categories, bookingLines: ports.bookingLines, promoCodes }),
    payBooking: makePayBooking(pay),
    retryPayment: makeRetryPayment(pay),
    reconcilePayments: makeReconcilePayments(pay),
    applyPaymentNotification: makeApplyPaymentNotification(pay),
    joinWaitlist: makeJoinWaitlist(seats),
    leaveWaitlist: makeLeaveWaitlist(seats),
    getMyWaitlistEntry: makeGetMyWaitlistEntry({ waitlist }),
    expireBookings: makeExpireBookings(seats),
    expireWaitlistOffers: makeExpireWaitlistOffers(seats),
    completeEvents: makeCompleteEvents(seats),
    processRefunds: makeProcessRefunds({ ...seats, payments, schedule: paymentSchedule }),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
