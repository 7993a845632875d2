import type { BookingBatchStore, BookingRepository, PaymentAttemptRepository, WaitlistRepository } from './bookings/ports';
import type { EventRepository } from './events/ports';
import type { LocationRepository } from './locations/ports';
import type { Outbox } from './shared/ports';
import type { BookingLineRepository, EventCategoryRepository } from './pricing/ports';
import type { PromoCodeRepository } from './promo-codes/ports';

/** Repositories bound to one database transaction. */
export interface TransactionScope {
  events: EventRepository;
  locations: LocationRepository;
  bookings: BookingRepository;
  waitlist: WaitlistRepository;
  paymentAttempts: PaymentAttemptRepository;
  outbox: Outbox;
  categories: EventCategoryRepository;
  bookingLines: BookingLineRepository;
  promoCodes: PromoCodeRepository;
  /** A batch of plain bookings' reads and writes, together (see BookingBatchStore). */
  bookingBatches: BookingBatchStore;
}

export interface UnitOfWorkOptions {
  /**
   * Runs when the work's turn comes, before any transaction opens; a throw ends the run with
   * nothing done. Work may wait for its turn (a busy database), and what refused it cheaply may
   * have changed meanwhile (an event that filled up).
   */
  precheck?: () => Promise<void>;
}

/**
 * Runs `work` in one transaction: everything it writes, outbox rows included, commits or rolls
 * back together. A thrown error rolls back.
 */
export interface UnitOfWork {
  run<T>(work: (tx: TransactionScope) => Promise<T>, options?: UnitOfWorkOptions): Promise<T>;
}
