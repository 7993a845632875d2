import {
  createEventCache,
  createPgBookingRepository,
  createPgBookingLineRepository,
  createPgCategoryRepository,
  createPgPromoCodeRepository,
  createPgEventRepository,
  createPgIdempotencyStore,
  createPgLocationRepository,
  createPgUnitOfWork,
  createPgWaitlistRepository,
  createReadRouting,
  createRedisInvalidationChannel,
  guardMethods,
  type DatabaseHandle,
  type DependencyPolicy,
  type IdempotencyStore,
  type InvalidationChannel,
  type LayeredCache,
  type ReadRouting,
  type RoutedMethods,
  type RedisClient,
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
  categories: domain.EventCategoryRepository;
  promoCodes: domain.PromoCodeRepository;
  bookingLines: domain.BookingLineRepository;
  /** Reads that refuse a booking on a full event without a transaction (served from the cache). */
  seatReads: { events: Pick<domain.EventRepository, 'findById'>; bookings: Pick<domain.BookingRepository, 'standing'> };
  idempotency: IdempotencyStore;
  /**
   * Forgets cached copies of what relayed outbox rows changed. The committing replica forgets them
   * at once; this covers one that died between its commit and that step.
   */
  forgetCached(rows: readonly Pick<domain.DomainEvent, 'aggregateType' | 'aggregateId' | 'data'>[]): Promise<void>;
  /** Where reads go with DATABASE_READ_URL (undefined without a replica). */
  routing?: ReadRouting;
  close(): void;
}

/** Public list pages the event cache keeps (its default). */
const CACHED_LIST_PAGES = 3;

/** The events whose cached copies (and reads) a change makes stale: the event's own, a booking's or offer's event. */
const changedEvents = (events: readonly Pick<domain.DomainEvent, 'aggregateType' | 'aggregateId' | 'data'>[]) =>
  events.map((e) => (e.aggregateType === 'event' ? e.aggregateId : 'eventId' in e.data ? e.data.eventId : undefined)).filter((id): id is string => !!id);
/** Routing keys of a change to these events: each event's own reads, and every event list. */
const eventKeys = (ids: readonly string[]) => (ids.length ? ['events', ...ids.map((id) => `event:${id}`)] : []);

/**
 * The repositories the use cases read and write: every call through the postgres policy and an
 * admission lane, events through the shared cache (invalidated on commit, across replicas by Redis).
 * With a read replica, each read-side repository exists on both servers and every read is routed
 * (postgres/read-routing.ts): the public bulk reads the cache does not hold (event lists past its
 * pages, attendee lists and exports) to the replica; cache fills and a caller's own data to the
 * primary, so a cached copy is never older than the primary; each to the other server while its
 * own is unreachable.
 */
export function createData(
  config: Config,
  deps: {
    database: DatabaseHandle;
    mode: 'embedded' | 'real';
    postgres: DependencyPolicy;
    access: DatabaseAccess;
    cache: LayeredCache;
    redis?: RedisClient;
    recorders: Pick<Recorders, 'replicaHit'>;
    replica?: { database: DatabaseHandle; policy: DependencyPolicy };
  },
): Data {
  const { database, postgres, access, cache, redis, recorders, replica } = deps;
  const { db } = database;
  const sharedCacheDown = redis || deps.mode === 'embedded' ? () => cache.usingLocal() : () => true;
  const announced = redis ? createRedisInvalidationChannel(redis) : undefined;
  const routing = replica
    ? createReadRouting({
        replica: replica.database,
        primaryPolicy: postgres,
        replicaPolicy: replica.policy,
        maxLagMs: config.DATABASE_READ_MAX_LAG,
        // Without announcements another replica's change could not be known here.
        announcementsHealthy: () => !!announced?.healthy() && !sharedCacheDown(),
      })
    : undefined;
  // Other replicas' changes, as their cache announcements arrive: reads of those events go to the primary for a while.
  const channel: InvalidationChannel | undefined =
    announced && routing
      ? {
          ...announced,
          subscribe: (listener) =>
            announced.subscribe((ids) => {
              routing.changed(ids === null ? null : eventKeys(ids));
              listener(ids);
            }),
        }
      : announced;
  /** The repository on the primary, or routed between the primary and the replica. */
  const onBoth = <T extends object>(create: (on: typeof db) => T, methods: RoutedMethods<T>): T => {
    const primary = guardMethods(create(db), postgres, access.reads);
    return routing && replica ? routing.route(primary, guardMethods(create(replica.database.db), replica.policy, access.replicaReads), methods) : primary;
  };
  const byEvent = { kind: 'replica', keys: (eventId: string) => [`event:${eventId}`] } as const;
  const bookings = onBoth(createPgBookingRepository, {
    listAttendeesOfEvent: byEvent,
    attendeesOfEventAfter: byEvent,
    tally: byEvent,
    findById: { kind: 'primary' },
    findActive: { kind: 'primary' },
    standing: { kind: 'primary' },
    standings: { kind: 'primary' },
    list: { kind: 'primary' },
  });
  // The cache is filled from the primary: a copy read from a lagging replica would outlive the
  // change it missed for CACHE_TTL on every replica.
  const events = onBoth(createPgEventRepository, { findById: { kind: 'primary' }, list: { kind: 'primary' } });
  const eventCache = createEventCache(events, cache, {
    ttlMs: config.CACHE_TTL,
    listPages: CACHED_LIST_PAGES,
    channel,
    // Without Redis in real mode other replicas may exist and none of their changes reach this
    // one's cache: seat checks then ask PostgreSQL (embedded mode is a single process).
    sharedCacheDown,
    standings: bookings,
    onReplicaHit: recorders.replicaHit,
  });
  // Lists the cache does not keep (past its first pages, drafts) go to the replica.
  const uncachedList = onBoth(createPgEventRepository, { list: { kind: 'replica', keys: () => ['events'] } }).list;
  const eventReads: domain.EventRepository = routing
    ? {
        ...eventCache.repository,
        list: (filter, page) =>
          !filter.allDrafts && filter.draftsOf === undefined && page.page <= CACHED_LIST_PAGES
            ? eventCache.repository.list(filter, page)
            : uncachedList(filter, page),
      }
    : eventCache.repository;
  return {
    uow: createPgUnitOfWork(db, {
      guard: { policy: postgres, admission: access.writes },
      onCommit: (committed) => {
        // Before the cache forgets its copies: a read that refills one must go to the primary.
        routing?.changed(eventKeys(changedEvents(committed)));
        return eventCache.invalidate(committed);
      },
    }),
    events: eventReads,
    locations: onBoth(createPgLocationRepository, { findById: { kind: 'primary' }, findByName: { kind: 'primary' }, list: { kind: 'primary' } }),
    bookings,
    waitlist: onBoth(createPgWaitlistRepository, { findEntry: { kind: 'primary' }, countOpen: { kind: 'primary' } }),
    categories: guardMethods(createPgCategoryRepository(db), postgres, access.reads),
    promoCodes: guardMethods(createPgPromoCodeRepository(db), postgres, access.reads),
    bookingLines: guardMethods(createPgBookingLineRepository(db), postgres, access.reads),
    seatReads: eventCache.seatReads,
    idempotency: guardMethods(createPgIdempotencyStore(db, { ttlMs: config.IDEMPOTENCY_TTL }), postgres, { idempotent: false, admission: access.writes }),
    forgetCached: (rows) => eventCache.invalidate(rows),
    routing,
    close: () => {
      eventCache.close();
      routing?.close();
    },
  };
}
