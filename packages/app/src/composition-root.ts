import type { Logger } from 'pino';
import {
  createPgPaymentStats,
  createPgRetention,
  systemClock,
  uuidGenerator,
  type DatabaseHandle,
  type DependencyPolicies,
  type Admission,
  type IdempotencyStore,
  type OutboxStore,
  type ProcessedMessageStore,
  type RedisClient,
  type Retention,
} from '@aquastream/adapters';
import { createUseCases, type AccessTokenVerifier, type Clock, type UseCases } from '@aquastream/domain';
import type { Config } from './config';
import { countBookingOutcomes, createMetrics, createRecorders, type Metrics } from './metrics';
import { createAuth } from './capabilities/auth';
import { createCacheCapability } from './capabilities/cache';
import { createData, type Data } from './capabilities/data';
import { createDatabaseAccess, openDatabase, replicaHealth } from './capabilities/database';
import { createPayments, createWeather } from './capabilities/external-services';
import type { HealthChecks } from './capabilities/health';
import { createMessagingCapability, type Messaging } from './capabilities/messaging';
import { createResilience } from './capabilities/resilience';

export type { UseCases } from '@aquastream/domain';
export type { HealthComponent, HealthState } from './capabilities/health';
export { consumersHealth } from './capabilities/health';
export type { Messaging } from './capabilities/messaging';

export interface Deps {
  config: Config;
  useCases: UseCases;
  verifier: AccessTokenVerifier;
  idempotency: IdempotencyStore;
  clock: Clock;
  database: DatabaseHandle;
  /** Components reported by /actuator/health; `critical` ones decide readiness. */
  health: HealthChecks;
  outbox: OutboxStore;
  messaging: Messaging;
  processed: ProcessedMessageStore;
  metrics: Metrics;
  /** One resilience policy per dependency, shared by every call to it. */
  policies: DependencyPolicies;
  /** Database work admitted per replica, by lane: past a full queue or a long wait, 503 overloaded. */
  admission: { read: Admission; write: Admission };
  /** True while the postgres breaker is not closed: writes are refused, reads come from the cache. */
  readOnly(): boolean;
  /** The shared Redis client, for the rate-limit store; undefined without Redis settings. */
  redis?: RedisClient;
  mode: 'embedded' | 'real';
  devSecret?: string;
  /** Deletes finished rows past their retention (a job) and reads table sizes (metrics). */
  retention: Retention;
  /** Forgets cached copies of what relayed outbox rows changed (see Data.forgetCached). */
  forgetCached: Data['forgetCached'];
  close(): Promise<void>;
}

/**
 * The service as the list of its capabilities, each building what it owns and returning what it
 * offers (capabilities/*). `clock` replaces the system clock of the use cases and jobs (tests that
 * simulate hours).
 */
export async function createDeps(config: Config, logger?: Logger, overrides: { clock?: Clock } = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const { database, replica, mode } = await openDatabase(config, logger);
  const closing: (() => unknown)[] = [() => database.close(), () => replica?.close()];
  const close = async () => {
    for (const step of [...closing].reverse()) await step();
  };
  try {
    const messages = createMessagingCapability(config, database, logger);
    closing.push(() => messages.messaging.close());
    const retention = createPgRetention(database.db, {
      outboxMs: config.OUTBOX_RETENTION,
      processedMessagesMs: config.PROCESSED_MESSAGES_RETENTION,
      batch: config.RETENTION_BATCH,
      maxBatches: 20,
    });
    const recorders = createRecorders();
    const resilience = createResilience(config, logger);
    const { policies } = resilience;
    closing.push(
      () => policies.dispose(),
      () => resilience.replica?.dispose(),
    );
    const postgres = policies.get('postgres');
    const access = createDatabaseAccess(config, database, postgres);
    const caching = createCacheCapability(config, recorders, logger);
    closing.push(() => caching.close());
    const auth = await createAuth(config, { mode, policy: policies.get('auth-service'), cache: caching.cache }, logger);
    const replicaPolicy = resilience.replica;
    const onReplica = replica && replicaPolicy ? { database: replica, policy: replicaPolicy } : undefined;
    const data = createData(config, { database, mode, postgres, access, cache: caching.cache, redis: caching.redis, recorders, replica: onReplica });
    closing.push(() => data.close());
    const { routing } = data;
    // Wired once: the gauges read each capability's state at scrape time.
    const metrics = createMetrics(recorders, {
      database,
      outbox: messages.outbox,
      messaging: messages.messaging,
      config,
      payments: createPgPaymentStats(database.db),
      retention,
      clock,
      status: {
        breakers: resilience.breakers,
        admission: access.admissionStats,
        degraded: { read_only: access.readOnly, local_cache: () => caching.cache.usingLocal(), auth_fallback: auth.degraded },
        replica: routing && replica ? () => ({ lagSeconds: routing.lagSeconds(), reads: routing.reads(), pool: replica.poolStats() }) : undefined,
      },
    });
    const payments = createPayments(config, policies.get('payment-service'));
    const useCases = countBookingOutcomes(
      createUseCases({
        ...data,
        clock,
        ids: uuidGenerator,
        payments,
        weather: createWeather(config, policies.get('weather'), logger),
        bookingTtlMs: config.BOOKING_TTL,
        // Up to BOOKING_BATCH_IN_FLIGHT batches of one event at once; bookings arriving meanwhile
        // gather for the next. A free slot waits one turn of the event loop (setImmediate), so the
        // first requests of a rush go together instead of one alone while the rest wait for it.
        bookingBatching: {
          max: config.BOOKING_BATCH_MAX,
          inFlight: config.BOOKING_BATCH_IN_FLIGHT,
          onBatch: (size) => recorders.bookingBatchSize.observe(size),
          gather: (start) => void setImmediate(start),
        },
        hiddenOrganizers: config.SYNTHETIC_ORGANIZER_IDS,
        waitlistHoldMs: config.WAITLIST_HOLD,
        paymentSchedule: {
          reconcileAfterMs: config.PAYMENT_RECONCILE_AFTER,
          retryHorizonMs: config.PAYMENT_RETRY_HORIZON,
          retryBaseDelayMs: config.PAYMENT_RETRY_BASE_DELAY,
          retryMaxDelayMs: config.PAYMENT_RETRY_MAX_DELAY,
        },
      }),
      metrics,
    );
    return {
      config,
      useCases,
      verifier: auth.verifier,
      devSecret: auth.devSecret,
      idempotency: data.idempotency,
      clock,
      database,
      mode,
      messaging: messages.messaging,
      outbox: messages.outbox,
      processed: messages.processed,
      metrics,
      policies,
      admission: access.admission,
      readOnly: access.readOnly,
      redis: caching.redis,
      health: {
        ...access.health,
        ...(routing && replica && replicaPolicy ? replicaHealth(config, routing, replicaPolicy, replica) : {}),
        ...resilience.health,
        ...messages.health,
        ...caching.health,
      },
      forgetCached: data.forgetCached,
      retention,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
