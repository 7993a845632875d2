export * from './shared/actor';
export * from './shared/domain-error';
export * from './shared/domain-events';
export * from './shared/paging';
export * from './shared/ports';
export * from './unit-of-work';
export * from './locations/location';
export * from './locations/location.errors';
export * from './locations/ports';
export * from './locations/manage-locations';
export * from './events/event';
export * from './events/event.errors';
export * from './events/event-events';
export * from './events/time-zone';
export * from './events/ports';
export * from './events/manage-events';
export * from './events/legacy-events';
export * from './events/read-events';
export * from './events/weather';
export {
  type Booking,
  type BookingStatus,
  type Participant,
  type PartialRefund,
  type PaymentStatus,
  type WaitlistEntry,
  type WaitlistStatus,
  BOOKING_STATUSES,
  PAYMENT_STATUSES,
  ACTIVE_STATUSES,
  ATTENDEE_STATUSES,
  isActive,
  newBooking,
  priceOf,
  refundOwed,
  transitionBooking,
  canTransition as canTransitionBooking,
} from './bookings/booking';
export * from './bookings/booking.errors';
export * from './bookings/ports';
export * from './bookings/book-seat';
export * from './bookings/manage-bookings';
export * from './bookings/waitlist';
export * from './bookings/payment-attempt';
export * from './bookings/payments';
export * from './bookings/jobs';
export * from './bookings/check-in';
export * from './bookings/attendees';
export { releaseSeats, bookingEvent } from './bookings/seat-release';
export * from './pricing/category';
export * from './pricing/pricing';
export * from './pricing/pricing.errors';
export * from './pricing/ports';
export * from './pricing/price-booking';
export * from './pricing/summary';
export * from './pricing/manage-categories';
export * from './pricing/booking-price';
export * from './promo-codes/promo-code';
export * from './promo-codes/promo-code.errors';
export * from './promo-codes/ports';
export * from './promo-codes/manage-promo-codes';
export * from './payments/payment-state-machine';
export * from './use-cases';
