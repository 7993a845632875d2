import type { Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import type { BookingBatchStore, DomainEvent, Outbox, TransactionScope, UnitOfWork } from '@aquastream/domain';
import { createPgBookingBatchStore } from './booking-batch-store';
import { createPgBookingRepository } from './booking-repository';
import { createPgEventRepository } from './event-repository';
import { guarded, type PgGuard } from './guard';
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
    bookingBatches: createPgBookingBatchStore(db),
  };
}

export interface PgUnitOfWorkOptions {
  /**
   * The postgres breaker and admission lanes every write transaction goes through (see guard.ts):
   * an open breaker or an unreachable database answers ReadOnlyModeError, a full lane
   * OverloadedError. Without it the transaction runs bare (tests, the CLI).
   */
  guard?: PgGuard;
  /**
   * Runs once a transaction has committed, with the domain events it wrote (the cache forgets what
   * they changed); never after a rollback, and outside the breaker: it is not the database's work.
   */
  onCommit?: (events: DomainEvent[]) => Promise<void>;
}

/** What one attempt at a transaction committed: the work's result and the events it wrote. */
interface Committed<T> {
  result: T;
  events: DomainEvent[];
}

/**
 * One attempt at the work in one transaction, its outbox writes recorded for `onCommit`. A retry
 * of the whole transaction (a deadlock, a serialization failure) wraps this function, so each
 * attempt starts with no recorded events and a fresh scope.
 */
async function attempt<T>(db: Kysely<Database>, work: (tx: TransactionScope) => Promise<T>, signal?: AbortSignal): Promise<Committed<T>> {
  return db.transaction().execute(async (trx) => {
    const scope = createPgScope(trx);
    const events: DomainEvent[] = [];
    const outbox: Outbox = {
      add: async (written) => {
        await scope.outbox.add(written);
        events.push(...written);
      },
    };
    const bookingBatches: BookingBatchStore = {
      read: scope.bookingBatches.read,
      write: async (eventId, seats, now, booked, written) => {
        const taken = await scope.bookingBatches.write(eventId, seats, now, booked, written);
        if (taken) events.push(...written);
        return taken;
      },
    };
    const result = await work({ ...scope, outbox, bookingBatches });
    // The caller was already told "read-only" when the time limit fired: roll back, never commit later.
    signal?.throwIfAborted();
    return { result, events };
  });
}

/**
 * The unit of work on PostgreSQL (or PGlite): `run` is one transaction, outbox rows included,
 * guarded by the breaker and admission lane when given, with an explicit hook after commit.
 */
export function createPgUnitOfWork(db: Kysely<Database>, options: PgUnitOfWorkOptions = {}): UnitOfWork {
  const { guard, onCommit } = options;
  return {
    async run(work, runOptions) {
      // A deadlock or serialization failure runs the whole transaction again (retryTransient), each try afresh.
      const transaction = (signal?: AbortSignal) => retryTransient(() => attempt(db, work, signal));
      const committed = guard
        ? await guarded(guard, transaction, runOptions?.precheck)
        : await (runOptions?.precheck?.() ?? Promise.resolve()).then(() => transaction());
      if (onCommit && committed.events.length) await onCommit(committed.events);
      return committed.result;
    },
  };
}
