import type { Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import type { TransactionScope, UnitOfWork } from '@aquastream/domain';
import { createPgBookingRepository } from './booking-repository';
import { createPgEventRepository } from './event-repository';
import { createPgLocationRepository } from './location-repository';
import { createPgOutbox } from './outbox';
import { createPgPaymentAttemptRepository } from './payment-attempt-repository';
import { retryTransient } from './retry-transient';
import { createPgWaitlistRepository } from './waitlist-repository';
import { createPgBookingLineRepository, createPgCategoryRepository } from './category-repository';
import { createPgPromoCodeRepository } from './promo-code-repository';

export function createPgScope(db: Kysely<Database>): TransactionScope {
  return {
    events: createPgEventRepository(db),
    locations: createPgLocationRepository(db),
    bookings: createPgBookingRepository(db),
    waitlist: createPgWaitlistRepository(db),
    paymentAttempts: createPgPaymentAttemptRepository(db),
    outbox: createPgOutbox(db),
    categories: createPgCategoryRepository(db),
    bookingLines: createPgBookingLineRepository(db),
    promoCodes: createPgPromoCodeRepository(db),
  };
}

/** A transaction per `run`; one that dies of a deadlock or serialization failure is run again (retryTransient). */
export function createPgUnitOfWork(db: Kysely<Database>): UnitOfWork {
  return {
    async run(work, options) {
      await options?.precheck?.();
      return retryTransient(() => db.transaction().execute((trx) => work(createPgScope(trx))));
    },
  };
}
