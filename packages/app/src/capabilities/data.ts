import type { Redis } from 'ioredis';
import {
  createEventCache,
  createPgBookingRepository,
  createPgEventRepository,
  createPgIdempotencyStore,
  createPgLocationRepository,
  createPgUnitOfWork,
  createPgWaitlistRepository,
  createRedisInvalidationChannel,
  guardMethods,
  type DatabaseHandle,
  type DependencyPolicy,
  type IdempotencyStore,
  type LayeredCache,
} from '@aquastream/adapters';
import type * as domain from '@aquastream/domain';
import type { Config } from '../config';
import type { Recorders } from '../metrics';
import type { DatabaseAccess } from './database';

export interface Data {
  /** Transactions through the postgres breaker and the write lane; commits invalidate cached events. */
  uow: domain.UnitOfWork;
  events: domain.EventRepository;
  locations: domain.LocationRepository;
  bookings: domain.BookingRepository;
  waitlist: domain.WaitlistRepository;
  /** Reads that refuse a booking on a full event without a transaction (served from the cache). */
  seatReads: { events: Pick<domain.EventRepository, 'findById'>; bookings: Pick<domain.BookingRepository, 'standing'> };
  idempotency: IdempotencyStore;
  /**
   * Forgets cached copies of what relayed outbox rows changed. The committing replica forgets them
   * at once; this covers one that died between its commit and that step.
   */
  forgetCached(rows: readonly Pick<domain.DomainEvent, 'aggregateType' | 'aggregateId' | 'data'>[]): Promise<void>;
  close(): void;
}

/**
 * The repositories the use cases read and write: every call through the postgres policy and an
 * admission lane, events through the shared cache (invalidated on commit, across replicas by Redis).
 */
export function createData(
  config: Config,
  deps: {
    database: DatabaseHandle;
    mode: 'embedded' | 'real';
    postgres: DependencyPolicy;
    access: DatabaseAccess;
    cache: LayeredCache;
    redis?: Redis;
    recorders: Pick<Recorders, 'cacheRequests'>;
  },
): Data {
  const { database, postgres, access, cache, redis, recorders } = deps;
  const { db } = database;
  const bookings = guardMethods(createPgBookingRepository(db), postgres, access.reads);
  const eventCache = createEventCache(guardMethods(createPgEventRepository(db), postgres, access.reads), cache, {
    ttlMs: config.CACHE_TTL,
    channel: redis ? createRedisInvalidationChannel(redis) : undefined,
    // Without Redis in real mode other replicas may exist and none of their changes reach this
    // one's cache: seat checks then ask PostgreSQL (embedded mode is a single process).
    sharedCacheDown: redis || deps.mode === 'embedded' ? () => cache.usingLocal() : () => true,
    standings: bookings,
    onReplicaHit: () => recorders.cacheRequests.inc({ cache: 'replica', result: 'hit' }),
  });
  return {
    uow: createPgUnitOfWork(db, { guard: { policy: postgres, admission: access.writes }, onCommit: (events) => eventCache.invalidate(events) }),
    events: eventCache.repository,
    locations: guardMethods(createPgLocationRepository(db), postgres, access.reads),
    bookings,
    waitlist: guardMethods(createPgWaitlistRepository(db), postgres, access.reads),
    seatReads: eventCache.seatReads,
    idempotency: guardMethods(createPgIdempotencyStore(db, { ttlMs: config.IDEMPOTENCY_TTL }), postgres, { idempotent: false, admission: access.writes }),
    forgetCached: (rows) => eventCache.invalidate(rows),
    close: () => eventCache.close(),
  };
}
