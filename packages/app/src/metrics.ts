import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isDomainError } from '@aquastream/domain';
import { PAYMENT_DLQ_TOPIC, PAYMENT_RETRY_TOPIC, paymentDlqReplayGroup, type PaymentBacklog, type Retention } from '@aquastream/adapters';
import type { DatabaseHandle, KafkaClient, OutboxStore } from '@aquastream/adapters';
import type { Config } from './config';
import type { UseCases } from '@aquastream/domain';
import { cpuLimit, memoryLimit } from './observability/cgroup';
import { SeriesHistogram } from './observability/series-histogram';

export type BookingOutcome = 'created' | 'confirmed' | 'cancelled' | 'expired' | 'rejected_full' | 'conflict';
export type DegradedMode = 'read_only' | 'local_cache' | 'auth_fallback' | 'kafka_buffering';

/** The counters and the histogram the service records into as it works; capabilities record into them. */
export interface Recorders {
  registry: Registry;
  bookings: Counter<'outcome'>;
  /** Refund calls by outcome: refunded, refused (4xx: REFUND_FAILED), deferred (service unavailable). */
  refunds: Counter<'outcome'>;
  cacheRequests: Counter<'cache' | 'result'>;
  /**
   * Counts a hit of the replica's own copy in cache_requests_total: the hot read's counter, kept in a
   * plain number and added to the series when the registry is read (no label hashing per read).
   */
  replicaHit(): void;
  /** Rows the retention job deleted, per table. */
  retentionDeleted: Counter<'table'>;
  http: SeriesHistogram<'method' | 'route' | 'status'>;
  /** Plain bookings decided per transaction (1 when bookings of an event do not gather). */
  bookingBatchSize: Histogram;
}

export interface Metrics extends Recorders {
  render(): Promise<{ contentType: string; body: string }>;
}

/** The recorders, on a registry of their own with Node's default metrics. */
export function createRecorders(): Recorders {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let replicaHits = 0;
  const REPLICA_HIT = { cache: 'replica', result: 'hit' } as const;
  return {
    replicaHit: () => void replicaHits++,
    registry,
    bookings: new Counter({ name: 'bookings_total', help: 'Booking outcomes', labelNames: ['outcome'], registers: [registry] }),
    refunds: new Counter({
      name: 'payment_refunds_total',
      help: 'Refunds by outcome (refunded, refused, deferred)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by cache and result',
      labelNames: ['cache', 'result'],
      registers: [registry],
      collect() {
        // The series appears with the first hit, as it did when each hit was added at once.
        if (replicaHits > 0) this.inc(REPLICA_HIT, replicaHits);
        replicaHits = 0;
      },
    }),
    retentionDeleted: new Counter({
      name: 'retention_deleted_rows_total',
      help: 'Finished rows the retention job deleted, per table',
      labelNames: ['table'],
      registers: [registry],
    }),
    http: new SeriesHistogram({
      name: 'http_server_requests_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    bookingBatchSize: new Histogram({
      name: 'booking_batch_size',
      help: 'Plain bookings of one event decided in one transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
  };
}

/** The state of the capabilities, read at scrape time; each capability offers its own, the composition root hands them over once. */
export interface StatusSources {
  breakers: () => { name: string; state: 'closed' | 'open' | 'half_open' }[];
  /** Database admission lanes (active, queued, refused so far). */
  admission: () => { lane: string; active: number; queued: number; rejected: number }[];
  /** Degraded modes other than kafka_buffering (which the outbox backlog tells). */
  degraded: Record<Exclude<DegradedMode, 'kafka_buffering'>, () => boolean>;
  /** The read replica (DATABASE_READ_URL): its replay lag (undefined while unknown), reads by server, its pool. */
  replica?: () => { lagSeconds: number | undefined; reads: { primary: number; replica: number }; pool: ReturnType<DatabaseHandle['poolStats']> } | undefined;
}

/** What the gauges read at scrape time. */
export interface MetricSources {
  database: Pick<DatabaseHandle, 'poolStats'>;
  outbox: Pick<OutboxStore, 'backlog'>;
  messaging: { kafka?: Pick<KafkaClient, 'lag' | 'consumers'> };
  config: Pick<Config, 'KAFKA_CONSUMER_GROUP'>;
  payments?: { backlog(now: Date): Promise<PaymentBacklog> };
  retention?: Pick<Retention, 'overdue' | 'tableSizes'>;
  clock?: { now(): Date };
  status: StatusSources;
}

/**
 * Every metric of the service, under the names the alert rules and the dashboard use
 * (deploy/observability/README.md): the recorders, and gauges that mirror other components, read
 * at scrape time from `deps`.
 */
export function createMetrics(recorders: Recorders, deps: MetricSources): Metrics {
  const { registry } = recorders;
  const { status } = deps;
  const metrics: Metrics = {
    ...recorders,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };

  new Gauge({
    name: 'nodejs_heap_size_limit_bytes',
    help: 'V8 heap size limit',
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
  new Gauge({
    name: 'backend_event_memory_limit_bytes',
    help: 'Memory available to the process (cgroup limit or machine memory)',
    registers: [registry],
    collect() {
      this.set(memoryLimit());
    },
  });
  new Gauge({
    name: 'backend_event_cpu_limit_cores',
    help: 'CPU available to the process (cgroup quota or CPU count)',
    registers: [registry],
    collect() {
      this.set(cpuLimit());
    },
  });

  const pool = (name: string, help: string, pick: (s: ReturnType<DatabaseHandle['poolStats']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        this.set({ pool: 'main' }, pick(deps.database.poolStats()));
        const replica = status.replica?.();
        if (replica) this.set({ pool: 'replica' }, pick(replica.pool));
      },
    });
  pool('db_pool_connections_active', 'Connections in use', (s) => s.active);
  pool('db_pool_connections_idle', 'Idle connections', (s) => s.idle);
  pool('db_pool_connections_pending', 'Requests waiting for a connection', (s) => s.pending);
  pool('db_pool_connections_max', 'Pool size', (s) => s.max);
  const lostConnections = { main: 0, replica: 0 };
  new Counter({
    name: 'db_pool_connection_errors_total',
    help: 'Pooled connections lost (reset, server gone, backend terminated); each one is dropped and replaced',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      const pools = { main: deps.database.poolStats(), replica: status.replica?.()?.pool };
      for (const pool of ['main', 'replica'] as const) {
        const errors = pools[pool]?.errors;
        if (errors === undefined) continue;
        this.inc({ pool }, errors - lostConnections[pool]);
        lostConnections[pool] = errors;
      }
    },
  });
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'Replay lag of the read replica (DATABASE_READ_URL), from pg_last_xact_replay_timestamp(); absent while unknown',
    registers: [registry],
    collect() {
      this.reset();
      const lag = status.replica?.()?.lagSeconds;
      if (lag !== undefined) this.set(lag);
    },
  });
  const readsSeen = { primary: 0, replica: 0 };
  new Counter({
    name: 'db_reads_total',
    help: 'Routed database reads (with DATABASE_READ_URL) by the server that answered: primary or replica',
    labelNames: ['server'],
    registers: [registry],
    collect() {
      const reads = status.replica?.()?.reads;
      if (!reads) return;
      for (const server of ['primary', 'replica'] as const) {
        this.inc({ server }, reads[server] - readsSeen[server]);
        readsSeen[server] = reads[server];
      }
    },
  });

  new Gauge({
    name: 'db_admission_calls',
    help: 'Database calls admitted (running) and waiting for admission, per lane',
    labelNames: ['lane', 'state'],
    registers: [registry],
    collect() {
      for (const { lane, active, queued } of status.admission()) {
        this.set({ lane, state: 'active' }, active);
        this.set({ lane, state: 'queued' }, queued);
      }
    },
  });
  const refused = new Map<string, number>();
  new Counter({
    name: 'db_admission_rejected_total',
    help: 'Database calls refused by admission (503 overloaded), per lane',
    labelNames: ['lane'],
    registers: [registry],
    collect() {
      for (const { lane, rejected } of status.admission()) {
        this.inc({ lane }, rejected - (refused.get(lane) ?? 0));
        refused.set(lane, rejected);
      }
    },
  });

  let backlog = { messages: 0, oldestAgeSeconds: 0 };
  let backlogRead: Promise<void> | undefined;
  const readBacklog = () => {
    backlogRead ??= deps.outbox
      .backlog(new Date())
      .then(
        (b) => void (backlog = b),
        () => undefined,
      )
      .finally(() => setTimeout(() => (backlogRead = undefined), 500).unref());
    return backlogRead;
  };
  new Gauge({
    name: 'outbox_backlog_messages',
    help: 'Outbox rows not yet published',
    registers: [registry],
    async collect() {
      await readBacklog();
      this.set(backlog.messages);
    },
  });
  new Gauge({
    name: 'outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox row',
    registers: [registry],
    async collect() {
      await readBacklog();
      this.set(backlog.oldestAgeSeconds);
    },
  });

  // The payment gauges are one table read per scrape (and at most one per 500 ms), shared by all three.
  let payments: PaymentBacklog | null = null;
  let paymentsRead: Promise<void> | undefined;
  const readPayments = () => {
    paymentsRead ??= (deps.payments ? deps.payments.backlog(new Date()) : Promise.resolve(null))
      .then(
        (b) => void (payments = b),
        () => void (payments = null),
      )
      .finally(() => setTimeout(() => (paymentsRead = undefined), 500).unref());
    return paymentsRead;
  };
  for (const [name, help, pick] of [
    ['payment_attempts_pending', 'Charges not settled yet: in flight, or queued while the Payment Service is unavailable', (p: PaymentBacklog) => p.pending],
    [
      'payment_attempts_overdue_seconds',
      'How long the most overdue payment attempt has waited past its turn (0: none); grows when no replica runs the reconciler',
      (p: PaymentBacklog) => p.overdueSeconds,
    ],
    ['payment_refunds_failed_bookings', 'Bookings whose refund the Payment Service refused (REFUND_FAILED)', (p: PaymentBacklog) => p.refundsFailed],
  ] as const)
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        await readPayments();
        if (payments) this.set(pick(payments));
      },
    });

  // Both lag gauges are filled from one broker read per scrape (gauges collect in parallel).
  const group = `${deps.config.KAFKA_CONSUMER_GROUP}.payment-retry`;
  const shared = <T>(read: () => Promise<T | null>) => {
    let pending: Promise<T | null> | undefined;
    return () => {
      pending ??= read()
        .catch(() => null)
        .finally(() => setTimeout(() => (pending = undefined), 500).unref());
      return pending;
    };
  };
  const kafka = deps.messaging.kafka;
  const lag = shared(() => (kafka ? kafka.lag(group, PAYMENT_RETRY_TOPIC) : Promise.resolve(null)));
  new Gauge({
    name: 'kafka_consumer_lag_messages',
    help: 'Messages waiting for a consumer group',
    labelNames: ['topic', 'group'],
    registers: [registry],
    async collect() {
      const l = await lag();
      if (l) this.set({ topic: PAYMENT_RETRY_TOPIC, group }, l.messages);
    },
  });
  new Gauge({
    name: 'kafka_consumer_lag_seconds',
    help: 'Age of the oldest message waiting for a consumer group, per partition (0: none waiting)',
    labelNames: ['topic', 'group', 'partition'],
    registers: [registry],
    async collect() {
      const l = await lag();
      if (!l) return;
      this.reset();
      for (const p of l.partitions) this.set({ topic: PAYMENT_RETRY_TOPIC, group, partition: String(p.partition) }, p.seconds);
    },
  });
  // Dead letters nobody has replayed or examined with `replay-dlq --apply`: that command commits
  // the replay group's offsets, so its lag on the DLQ is what is left to look at.
  const dlqGroup = paymentDlqReplayGroup(deps.config.KAFKA_CONSUMER_GROUP);
  const dlq = shared(() => (kafka ? kafka.lag(dlqGroup, PAYMENT_DLQ_TOPIC) : Promise.resolve(null)));
  new Gauge({
    name: 'payment_dlq_messages',
    help: 'Dead letters of the payment retry queue not replayed yet (payment-retry-queue.dlq)',
    registers: [registry],
    async collect() {
      const l = await dlq();
      if (l) this.set(l.messages);
    },
  });
  new Gauge({
    name: 'payment_dlq_oldest_age_seconds',
    help: 'Age of the oldest dead letter not replayed yet (0: none)',
    registers: [registry],
    async collect() {
      const l = await dlq();
      if (l) this.set(l.seconds);
    },
  });

  // Table sizes and rows past retention: catalogue reads and two bounded counts, at most one per
  // 500 ms, the same on every replica (the alerts take the max).
  const retention = deps.retention;
  const tables = shared(async () =>
    retention ? { sizes: await retention.tableSizes(), overdue: await retention.overdue(deps.clock?.now() ?? new Date()) } : null,
  );
  new Gauge({
    name: 'database_table_size_bytes',
    help: 'Size of each table of the service with its indexes and TOAST (pg_total_relation_size)',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const t = await tables();
      if (!t) return;
      this.reset();
      for (const { table, bytes } of t.sizes) this.set({ table }, bytes);
    },
  });
  new Gauge({
    name: 'retention_overdue_rows',
    help: 'Finished rows past their retention not deleted yet, per table (counted up to 10,000)',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const t = await tables();
      if (t) for (const [table, n] of Object.entries(t.overdue)) this.set({ table }, n);
    },
  });
  for (const table of ['outbox', 'processed_messages']) metrics.retentionDeleted.inc({ table }, 0);

  // Per replica: the alert sums partitions over replicas (a replica may hold none when there are
  // more replicas than partitions; the group holding none is the problem).
  new Gauge({
    name: 'kafka_consumer_partitions_assigned',
    help: 'Partitions assigned to this replica per consumer group and topic',
    labelNames: ['topic', 'group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of deps.messaging.kafka?.consumers() ?? []) this.set({ topic: c.topic, group: c.group }, c.partitions.length);
    },
  });
  new Gauge({
    name: 'kafka_consumer_last_message_age_seconds',
    help: 'Seconds since this replica handled a message per consumer group and topic (absent before the first)',
    labelNames: ['topic', 'group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of deps.messaging.kafka?.consumers() ?? [])
        if (c.lastMessageAt !== null) this.set({ topic: c.topic, group: c.group }, (Date.now() - c.lastMessageAt) / 1000);
    },
  });

  new Gauge({
    name: 'resilience_circuit_breaker_state',
    help: 'Circuit breaker state per dependency (1 for the current state)',
    labelNames: ['name', 'state'],
    registers: [registry],
    collect() {
      for (const { name, state } of status.breakers())
        for (const s of ['closed', 'open', 'half_open'] as const) this.set({ name, state: s }, s === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'degraded_mode',
    help: 'Degraded modes in effect (1 = active)',
    labelNames: ['mode'],
    registers: [registry],
    async collect() {
      await readBacklog();
      const degraded: Record<DegradedMode, () => boolean> = { ...status.degraded, kafka_buffering: () => backlog.oldestAgeSeconds > 5 };
      for (const mode of ['read_only', 'local_cache', 'auth_fallback', 'kafka_buffering'] as const) this.set({ mode }, degraded[mode]() ? 1 : 0);
    },
  });
  // Present from the start, so increase() in the alert rules sees the first refusal.
  for (const outcome of ['refunded', 'refused', 'deferred']) metrics.refunds.inc({ outcome }, 0);
  return metrics;
}

type Observe = (seconds: number) => void;

/**
 * The observer of one route's series by status and method, each made once and reused: it writes
 * into its series without finding it again (SeriesHistogram).
 */
function observersOf(histogram: Metrics['http'], route: string) {
  const byStatus = new Map<number, Map<string, Observe>>();
  return (method: string, status: number): Observe => {
    let byMethod = byStatus.get(status);
    if (!byMethod) byStatus.set(status, (byMethod = new Map()));
    let observe = byMethod.get(method);
    if (!observe) byMethod.set(method, (observe = histogram.observer({ method, route, status: String(status) })));
    return observe;
  };
}

/**
 * `http_server_requests_seconds` by method, route template (never the raw URL) and status. Each
 * route registered after this plugin (every API route) gets a hook that knows its template, so a
 * request reads neither request.routeOptions (an object built per read) nor makes its labels;
 * requests no route matched are counted as `UNMATCHED`. Callback hooks: no promise per request.
 */
export const httpMetricsPlugin = fp<{ metrics: Metrics }>(
  async (app: FastifyInstance, { metrics }) => {
    app.addHook('onRoute', (route: RouteOptions) => {
      const observer = observersOf(metrics.http, route.url);
      const hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
        observer(request.method, reply.statusCode)(reply.elapsedTime / 1000);
        done();
      };
      const own = route.onResponse;
      route.onResponse = own === undefined ? [hook] : Array.isArray(own) ? [...own, hook] : [own, hook];
    });
    const unmatched = observersOf(metrics.http, 'UNMATCHED');
    app.addHook('onResponse', (request, reply, done) => {
      if (request.is404) unmatched(request.method, reply.statusCode)(reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'http-metrics' },
);

/** Counts booking outcomes where they happen: at the use cases. */
export function countBookingOutcomes(useCases: UseCases, metrics: Pick<Metrics, 'bookings' | 'refunds'>): UseCases {
  const count = (outcome: BookingOutcome, n = 1) => n > 0 && metrics.bookings.inc({ outcome }, n);
  return {
    ...useCases,
    bookSeat: async (...args) => {
      try {
        const booking = await useCases.bookSeat(...args);
        count('created');
        if (booking.status === 'CONFIRMED') count('confirmed');
        return booking;
      } catch (error) {
        if (isDomainError(error) && error.code === 'BOOKING.EVENT_FULL') count('rejected_full');
        if (isDomainError(error) && error.code === 'BOOKING.CONFLICT') count('conflict');
        throw error;
      }
    },
    payBooking: async (...args) => {
      const outcome = await useCases.payBooking(...args);
      if (outcome.kind === 'confirmed') count('confirmed');
      return outcome;
    },
    cancelBooking: async (...args) => {
      const booking = await useCases.cancelBooking(...args);
      count('cancelled');
      return booking;
    },
    processRefunds: async (...args) => {
      const run = await useCases.processRefunds(...args);
      for (const outcome of ['refunded', 'refused', 'deferred'] as const) if (run[outcome] > 0) metrics.refunds.inc({ outcome }, run[outcome]);
      return run;
    },
    expireBookings: async (...args) => {
      const n = await useCases.expireBookings(...args);
      count('expired', n);
      return n;
    },
  };
}
