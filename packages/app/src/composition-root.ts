import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import {
  connectPostgres,
  createAdmission,
  createPolicies,
  type Admission,
  createOpenMeteoWeather,
  createDegradedTokenVerifier,
  guardMethods,
  guardUnitOfWork,
  isConnectionError,
  type DependencyPolicies,
  connectRedis,
  createEventCache,
  createLayeredCache,
  createHttpPaymentGateway,
  createJwtVerifier,
  createPgBookingRepository,
  createPgEventRepository,
  createPgIdempotencyStore,
  createPgLocationRepository,
  createPgOutboxStore,
  createPgPaymentStats,
  createPgUnitOfWork,
  createPgWaitlistRepository,
  createRedisInvalidationChannel,
  createSandboxPaymentGateway,
  createInProcessBus,
  createKafkaClient,
  createPgProcessedMessages,
  openPglite,
  systemClock,
  uuidGenerator,
  type ConsumerState,
  type DatabaseHandle,
} from '@aquastream/adapters';
import { migrateToLatest, pendingMigrations } from '@aquastream/db';
import * as domain from '@aquastream/domain';
import type { AccessTokenVerifier, Clock, IdempotencyStore, MessagePublisher, MessageSubscriber, PaymentGateway, ProcessedMessageStore } from '@aquastream/domain';
import { databaseUrl, type Config } from './config';
import { countBookingOutcomes, createMetrics, type Metrics } from './metrics';

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

export type HealthState = 'UP' | 'DOWN' | 'DEGRADED';
export interface HealthComponent {
  status: HealthState;
  details?: Record<string, unknown>;
}

export interface Deps {
  config: Config;
  useCases: UseCases;
  verifier: AccessTokenVerifier;
  idempotency: IdempotencyStore;
  clock: Clock;
  database: DatabaseHandle;
  /** Components reported by /actuator/health; `critical` ones decide readiness. */
  health: Record<string, { critical: boolean; check: () => Promise<HealthComponent> }>;
  outbox: ReturnType<typeof createPgOutboxStore>;
  messaging: Messaging;
  processed: ProcessedMessageStore;
  metrics: Metrics;
  /** One resilience policy per dependency, shared by every call to it. */
  policies: DependencyPolicies;
  /** Database work admitted per replica, by lane: past a full queue or a long wait, 503 overloaded. */
  admission: { read: Admission; write: Admission };
  /** True while the postgres breaker is not closed: writes are refused, reads come from the cache. */
  readOnly(): boolean;
  /** The shared Redis client, for the rate-limit store; undefined without REDIS_URL. */
  redis?: Redis;
  mode: 'embedded' | 'real';
  devSecret?: string;
  close(): Promise<void>;
}

export interface Messaging {
  kind: 'kafka' | 'in-process';
  publisher: MessagePublisher;
  subscriber: MessageSubscriber;
  /** Kafka only: create topics, check the cluster, read consumer lag. */
  kafka?: ReturnType<typeof createKafkaClient>;
  close(): Promise<void>;
}

function createMessaging(config: Config, logger?: Logger): Messaging {
  if (!config.KAFKA_BROKERS) {
    const bus = createInProcessBus();
    return { kind: 'in-process', publisher: bus, subscriber: bus, close: async () => undefined };
  }
  const kafka = createKafkaClient({
    brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    ssl: config.KAFKA_SSL,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    sasl: config.KAFKA_USERNAME && config.KAFKA_PASSWORD ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_USERNAME, password: config.KAFKA_PASSWORD } : undefined,
    log: (level, message, extra) => logger?.[level === 'error' ? 'warn' : level]({ kafka: extra }, message),
  });
  return { kind: 'kafka', publisher: kafka, subscriber: kafka, kafka, close: () => kafka.close() };
}

/** Calls `afterCommit` with the domain events of every committed transaction. */
function observeCommits(uow: domain.UnitOfWork, afterCommit: (events: domain.DomainEvent[]) => Promise<void>): domain.UnitOfWork {
  return {
    async run(work, options) {
      const written: domain.DomainEvent[] = [];
      const result = await uow.run(
        (tx) => work({ ...tx, outbox: { add: async (events) => { await tx.outbox.add(events); written.push(...events); } } }),
        options,
      );
      if (written.length) await afterCommit(written);
      return result;
    },
  };
}

/** The embedded mode's signing secret, kept in DATA_DIR so dev tokens survive restarts. */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function timed(check: () => Promise<Record<string, unknown> | void>): Promise<HealthComponent> {
  try {
    const details = await check();
    return { status: 'UP', ...(details ? { details } : {}) };
  } catch (error) {
    return { status: 'DOWN', details: { error: (error as Error).message } };
  }
}

/**
 * Each Kafka consumer of this replica: its state, partitions, and how long since its last message
 * (and since it lost its partitions). DEGRADED while one is (re)starting or holds no partition.
 */
export function consumersHealth(consumers: ConsumerState[], now: number): HealthComponent {
  const seconds = (at: number | null) => (at === null ? null : Math.round((now - at) / 100) / 10);
  const details = Object.fromEntries(
    consumers.map((c) => [
      c.group,
      {
        topic: c.topic,
        state: c.state,
        partitions: c.partitions,
        lastMessageAgeSeconds: seconds(c.lastMessageAt),
        withoutPartitionsSeconds: seconds(c.withoutPartitionsSince),
        restarts: c.restarts,
        ...(c.lastError ? { lastError: c.lastError } : {}),
      },
    ]),
  );
  const healthy = consumers.every((c) => c.state === 'running' && c.partitions.length > 0);
  return { status: healthy ? 'UP' : 'DEGRADED', details };
}

/**
 * Creates pools and clients once and wires them into use cases. `clock` replaces the system clock
 * of the use cases and jobs (tests that simulate hours).
 */
export async function createDeps(config: Config, logger?: Logger, overrides: { clock?: Clock } = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const url = databaseUrl(config);
  const database = url
    ? connectPostgres({ url, poolMax: config.DB_POOL_MAX, statementTimeoutMs: config.DB_STATEMENT_TIMEOUT })
    : await openPglite(join(config.DATA_DIR, 'pglite'));
  const { db } = database;
  try {
    if (config.RUN_MIGRATIONS) {
      const applied = await migrateToLatest(db);
      if (applied.length) logger?.info({ migrations: applied }, 'database migrated');
    }

    const secret = config.AUTH_JWT_SECRET ?? (url ? undefined : devSecret(config.DATA_DIR));
    const hasLocalKey = Boolean(secret || config.AUTH_JWKS_URL || config.AUTH_PUBLIC_KEY);
    const localVerifier = hasLocalKey
      ? await createJwtVerifier({ secret, jwksUrl: config.AUTH_JWKS_URL, publicKey: config.AUTH_PUBLIC_KEY, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE })
      : undefined;
    if (!localVerifier && !config.AUTH_SERVICE_URL) throw new Error('No way to verify tokens: set AUTH_JWT_SECRET, AUTH_JWKS_URL, AUTH_PUBLIC_KEY or AUTH_SERVICE_URL');
    const breaker = {
      failureRateThreshold: config.BREAKER_FAILURE_RATE,
      slowCallRateThreshold: config.BREAKER_SLOW_CALL_RATE,
      slowCallDurationMs: config.BREAKER_SLOW_CALL_DURATION,
      minimumCalls: config.BREAKER_MINIMUM_CALLS,
      windowSize: config.BREAKER_WINDOW_SIZE,
      openDurationMs: config.BREAKER_OPEN_DURATION,
      halfOpenCalls: config.BREAKER_HALF_OPEN_CALLS,
    };
    const policies = createPolicies(
      {
        // Only "unreachable" counts against the database; its answers (conflicts...) do not.
        postgres: { isFailure: isConnectionError, timeoutMs: config.DB_STATEMENT_TIMEOUT + 2_000, retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 } },
        'payment-service': { timeoutMs: config.PAYMENT_SERVICE_TIMEOUT },
        'auth-service': { timeoutMs: config.AUTH_SERVICE_TIMEOUT },
        weather: { timeoutMs: config.WEATHER_TIMEOUT },
      },
      { breaker },
    );
    const postgres = policies.get('postgres');
    // Database work waits here, outside the postgres breaker, never inside it for a pooled
    // connection: the lanes together run at most as many calls as the pool has connections. Writes
    // may hold all of them but two, so reads (cache misses) never queue behind a booking rush.
    const admissionConfig = { queue: config.DB_ADMISSION_QUEUE, maxWaitMs: config.DB_ADMISSION_TIMEOUT };
    const connections = createAdmission('pool', { concurrency: config.DB_POOL_MAX, queue: 2 * config.DB_ADMISSION_QUEUE + config.DB_POOL_MAX, maxWaitMs: config.DB_ADMISSION_TIMEOUT });
    const admission = {
      read: createAdmission('read', { ...admissionConfig, concurrency: config.DB_POOL_MAX }),
      write: createAdmission('write', { ...admissionConfig, concurrency: Math.max(1, config.DB_POOL_MAX - 2) }),
    };
    const reads = { admission: { lane: admission.read, connections } };
    const writes = { lane: admission.write, connections };
    for (const policy of policies.all())
      policy.onStateChange((state) => logger?.[state === 'closed' ? 'info' : 'warn']({ breaker: policy.name, state }, `circuit breaker ${policy.name} is ${state}`));

    const paymentPolicy = policies.get('payment-service');
    const payments = config.PAYMENT_SERVICE_URL
      ? createHttpPaymentGateway({
          baseUrl: config.PAYMENT_SERVICE_URL,
          timeoutMs: config.PAYMENT_SERVICE_TIMEOUT,
          guard: (call, { idempotent }) => paymentPolicy.execute((signal) => call(signal), { idempotent }),
        })
      : createSandboxPaymentGateway();

    const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL, { password: config.REDIS_PASSWORD }) : undefined;
    let onLookup: (result: 'hit' | 'miss', layer: 'redis' | 'local' | 'replica') => void = () => undefined;
    const cache = createLayeredCache({
      redis,
      localTtlMs: config.CACHE_LOCAL_TTL,
      onLookup: (result, layer) => onLookup(result, layer),
      onFallback: (active, error) =>
        active ? logger?.warn({ err: error }, 'redis unavailable: in-process cache takes over') : logger?.info('redis is back: shared cache in use again'),
    });
    let authDegraded = false;
    const verifier: AccessTokenVerifier = config.AUTH_SERVICE_URL
      ? createDegradedTokenVerifier({
          baseUrl: config.AUTH_SERVICE_URL,
          policy: policies.get('auth-service'),
          local: localVerifier,
          cache,
          onAnswered: () => (authDegraded = false),
          onDegraded: (how, error) => {
            authDegraded = true;
            logger?.warn({ err: error, fallback: how }, 'auth service unavailable: token accepted without a revocation check');
          },
        })
      : localVerifier!;
    policies.get('auth-service').onStateChange((state) => (authDegraded = state !== 'closed'));
    const bookingReads = guardMethods(createPgBookingRepository(db), postgres, reads);
    const eventCache = createEventCache(guardMethods(createPgEventRepository(db), postgres, reads), cache, {
      ttlMs: config.CACHE_TTL,
      channel: redis ? createRedisInvalidationChannel(redis) : undefined,
      // Without Redis in real mode other replicas may exist and none of their changes reach this
      // one's cache: seat checks then ask PostgreSQL (embedded mode is a single process).
      sharedCacheDown: redis || !url ? () => cache.usingLocal() : () => true,
      standings: bookingReads,
      onReplicaHit: () => onLookup('hit', 'replica'),
    });

    const plainUseCases = createUseCases({
      uow: observeCommits(guardUnitOfWork(createPgUnitOfWork(db), postgres, writes), (events) => eventCache.invalidate(events)),
      clock,
      ids: uuidGenerator,
      events: eventCache.repository,
      locations: guardMethods(createPgLocationRepository(db), postgres, reads),
      bookings: bookingReads,
      seatReads: eventCache.seatReads,
      waitlist: guardMethods(createPgWaitlistRepository(db), postgres, reads),
      payments,
      weather: createOpenMeteoWeather({
        baseUrl: config.WEATHER_API_URL,
        policy: policies.get('weather'),
        onFallback: (error) => logger?.warn({ err: error }, 'weather API unavailable: answering the default forecast'),
      }),
      bookingTtlMs: config.BOOKING_TTL,
      waitlistHoldMs: config.WAITLIST_HOLD,
      paymentSchedule: {
        reconcileAfterMs: config.PAYMENT_RECONCILE_AFTER,
        retryHorizonMs: config.PAYMENT_RETRY_HORIZON,
        retryBaseDelayMs: config.PAYMENT_RETRY_BASE_DELAY,
        retryMaxDelayMs: config.PAYMENT_RETRY_MAX_DELAY,
      },
    });

    const outbox = createPgOutboxStore(db);
    const messaging = createMessaging(config, logger);
    const metrics = createMetrics({ database, outbox, messaging, config, payments: createPgPaymentStats(db) });
    onLookup = (result, layer) => metrics.cacheRequests.inc({ cache: layer, result });
    metrics.degraded.local_cache = () => cache.usingLocal();
    metrics.degraded.read_only = () => postgres.state() !== 'closed';
    metrics.degraded.auth_fallback = () => authDegraded;
    metrics.breakers = () => policies.all().map((p) => ({ name: p.name, state: p.state() }));
    metrics.admission = () => [admission.read.stats(), admission.write.stats(), connections.stats()];
    const redisHealth: Deps['health'] = redis
      ? { redis: { critical: false, check: () => timed(async () => ({ pong: await redis.ping(), fallback: cache.usingLocal() ? 'in-process cache' : 'none' })) } }
      : {};
    const useCases = countBookingOutcomes(plainUseCases, metrics);
    const kafkaHealth: Deps['health'] = messaging.kafka
      ? {
          kafka: { critical: false, check: () => timed(async () => ({ ...(await messaging.kafka!.ping()) })) },
          consumers: { critical: false, check: async () => consumersHealth(messaging.kafka!.consumers(), Date.now()) },
        }
      : {};
    return {
      config,
      useCases,
      verifier,
      idempotency: guardMethods(createPgIdempotencyStore(db, { ttlMs: config.IDEMPOTENCY_TTL }), postgres, { idempotent: false, admission: writes }),
      clock,
      database,
      outbox,
      messaging,
      processed: createPgProcessedMessages(db),
      metrics,
      policies,
      admission,
      readOnly: () => postgres.state() !== 'closed',
      redis,
      mode: url ? 'real' : 'embedded',
      devSecret: config.AUTH_JWT_SECRET ? undefined : secret,
      health: {
        db: {
          // In read-only mode the service still serves reads from the cache: it stays ready.
          get critical() {
            return postgres.state() === 'closed';
          },
          check: () =>
            timed(async () => {
              // Through the breaker: probes are the trial calls that close it again after an outage,
              // even when every read is served from the cache.
              await postgres.execute(() => database.ping());
              const pending = await pendingMigrations(db);
              if (pending > 0) throw new Error(`${pending} migration(s) pending`);
              return {
                database: database.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL',
                pool: database.poolStats(),
                admission: { read: admission.read.stats(), write: admission.write.stats(), connections: connections.stats() },
              };
            }),
        },
        circuitBreakers: {
          critical: false,
          check: async () => {
            const stats = policies.all().map((p) => p.stats());
            return { status: stats.some((s) => s.state !== 'closed') ? 'DEGRADED' : 'UP', details: Object.fromEntries(stats.map(({ name, ...rest }) => [name, rest])) };
          },
        },
        outbox: {
          critical: false,
          check: () => timed(async () => ({ ...(await outbox.backlog(systemClock.now())), broker: messaging.kind })),
        },
        ...kafkaHealth,
        ...redisHealth,
      },
      async close() {
        policies.dispose();
        eventCache.close();
        await messaging.close();
        redis?.disconnect();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
