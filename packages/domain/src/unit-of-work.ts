import type { BookingRepository, PaymentAttemptRepository, WaitlistRepository } from './bookings/ports';
import type { EventRepository } from './events/ports';
import type { LocationRepository } from './locations/ports';
import type { Outbox } from './shared/ports';

/** Repositories bound to one database transaction. */
export interface TransactionScope {
  events: EventRepository;
  locations: LocationRepository;
  bookings: BookingRepository;
  waitlist: WaitlistRepository;
  paymentAttempts: PaymentAttemptRepository;
  outbox: Outbox;
}

/**
 * Runs `work` in one transaction: everything it writes, outbox rows included, commits or rolls
 * back together. A thrown error rolls back.
 */
export interface UnitOfWork {
  run<T>(work: (tx: TransactionScope) => Promise<T>): Promise<T>;
}
