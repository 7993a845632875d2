import { DomainError } from '../shared/domain-error';

export class BookingNotFoundError extends DomainError {
  constructor(id: string) {
    super('BOOKING.NOT_FOUND', 'not-found', `Booking ${id} does not exist`, { bookingId: id });
  }
}

export class EventFullError extends DomainError {
  /** `available`: the seats still free (fewer than asked for), when known. */
  constructor(eventId: string, available?: number, seats = 1) {
    super(
      'BOOKING.EVENT_FULL',
      'conflict',
      seats > 1
        ? `Event ${eventId} has ${available ?? 'too few'} seat(s) left, fewer than the ${seats} asked for; you may join its waitlist`
        : `Event ${eventId} has no seat left; you may join its waitlist`,
      available === undefined ? { eventId } : { eventId, available },
    );
  }
}

export class BookingNotReducibleError extends DomainError {
  constructor(id: string, reason: string) {
    super('BOOKING.NOT_REDUCIBLE', 'conflict', `Booking ${id} cannot be reduced: ${reason}`, { bookingId: id });
  }
}

export class BookingConflictError extends DomainError {
  constructor(eventId: string, existingBookingId: string | null) {
    super('BOOKING.CONFLICT', 'conflict', `You already hold an active booking for event ${eventId}`, {
      eventId,
      existingBookingId,
    });
  }
}

export class EventNotBookableError extends DomainError {
  constructor(eventId: string, reason: string) {
    super('BOOKING.EVENT_NOT_BOOKABLE', 'conflict', `Event ${eventId} cannot be booked: ${reason}`, { eventId });
  }
}

export class BookingTransitionError extends DomainError {
  constructor(id: string, from: string, to: string) {
    super('BOOKING.ILLEGAL_TRANSITION', 'conflict', `Booking ${id} is ${from}: it cannot become ${to}`, {
      bookingId: id,
      from,
      to,
    });
  }
}

export class PaymentNotAllowedError extends DomainError {
  constructor(id: string, reason: string) {
    super('PAYMENT.NOT_ALLOWED', 'conflict', `Booking ${id} cannot be paid: ${reason}`, { bookingId: id });
  }
}

export class PaymentDeclinedError extends DomainError {
  constructor(paymentId: string, reason: string) {
    super('PAYMENT.DECLINED', 'conflict', `Payment ${paymentId} was declined: ${reason}`, { paymentId });
  }
}

export class WaitlistConflictError extends DomainError {
  constructor(eventId: string, reason: string) {
    super('WAITLIST.CONFLICT', 'conflict', `Cannot join the waitlist of event ${eventId}: ${reason}`, { eventId });
  }
}

export class WaitlistEntryNotFoundError extends DomainError {
  constructor(eventId: string) {
    super('WAITLIST.NOT_FOUND', 'not-found', `You are not on the waitlist of event ${eventId}`, { eventId });
  }
}

export class NoShowTooEarlyError extends DomainError {
  constructor(id: string) {
    super('BOOKING.NO_SHOW_TOO_EARLY', 'conflict', `Booking ${id} cannot be a no-show before its event starts`, { bookingId: id });
  }
}

export class CheckInNotAllowedError extends DomainError {
  constructor(id: string, status: string) {
    super('BOOKING.CHECK_IN_NOT_ALLOWED', 'conflict', `Booking ${id} is ${status}: only a CONFIRMED booking can be checked in`, {
      bookingId: id,
      bookingStatus: status,
    });
  }
}

export class CheckInClosedError extends DomainError {
  constructor(id: string, window: { opensAt: Date; closesAt: Date; timeZone: string }) {
    super(
      'BOOKING.CHECK_IN_CLOSED',
      'conflict',
      `Booking ${id} can be checked in only on the event's days: from ${window.opensAt.toISOString()} until ${window.closesAt.toISOString()} (${window.timeZone})`,
      { bookingId: id, opensAt: window.opensAt.toISOString(), closesAt: window.closesAt.toISOString(), timeZone: window.timeZone },
    );
  }
}

export class BookingCheckedInError extends DomainError {
  constructor(id: string, checkedInAt: Date) {
    super('BOOKING.CHECKED_IN', 'conflict', `Booking ${id} was checked in at ${checkedInAt.toISOString()}: its booker came`, {
      bookingId: id,
      checkedInAt: checkedInAt.toISOString(),
    });
  }
}
