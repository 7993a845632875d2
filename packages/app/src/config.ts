import { isIP } from 'node:net';
import { z } from 'zod';

/** Durations as milliseconds ("1800000"), with a unit ("30m", "10s", "250ms") or ISO 8601 ("PT30M"). */
export function parseDuration(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const unit = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v);
  if (unit) return Number(unit[1]) * { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[unit[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(v);
  if (iso && v.length > 1 && !/T$/i.test(v)) {
    const [, d = '0', h = '0', m = '0', s = '0'] = iso;
    return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000;
  }
  return Number.NaN;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (!Number.isFinite(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use ms, 30s, 30m, PT30M)` });
        return z.NEVER;
      }
      return ms;
    });

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes'].includes(v));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const optionalUrl = optionalString.pipe(z.url().optional());

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isAddressOrRange = (v: string) => {
  if (PROXY_NAMES.has(v)) return true;
  const [address, bits, ...rest] = v.split('/');
  if (rest.length || !address || !isIP(address)) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128));
};

/**
 * Fastify's trustProxy: off, or the proxies' addresses and CIDR ranges ("10.0.0.0/8,loopback").
 * X-Forwarded-For is believed only from those peers. A hop count is refused: Fastify 5 ignores it
 * (it cannot tell a proxy from a client that sends the header itself).
 */
const trustProxy = z
  .string()
  .default('')
  .transform((raw, ctx): false | string[] => {
    const v = raw.trim();
    if (v === '' || v === 'false') return false;
    if (/^\d+$/.test(v)) {
      ctx.addIssue({ code: 'custom', message: "a hop count cannot tell a proxy from a client: list the proxies' addresses or CIDR ranges" });
      return z.NEVER;
    }
    const list = v
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    const wrong = list.filter((a) => !isAddressOrRange(a));
    if (wrong.length) {
      ctx.addIssue({ code: 'custom', message: `not an address, CIDR range or hop count: ${wrong.join(', ')}` });
      return z.NEVER;
    }
    return list;
  });

/** "host:port,host:port" (a list of servers), checked here so a typo stops start-up. */
const hostPortList = (name: string) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\s*(\[[^\]]+\]|[^\s,:[\]]+):\d{1,5}\s*(,\s*(\[[^\]]+\]|[^\s,:[\]]+):\d{1,5}\s*)*$/, `${name} must be host:port[,host:port...]`)
      .optional(),
  );

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const schema = z.object({
  NODE_ENV: z.string().default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port(8080),
  // Connections the kernel queues for the HTTP server before it accepts them (capped by
  // net.core.somaxconn). Node's own default, 511, overflows when a rush opens more connections at
  // once than that: the client's SYN is dropped and retried a second later.
  HTTP_BACKLOG: z.coerce.number().int().min(1).max(65535).default(4096),
  TRUST_PROXY: trustProxy,
  GRPC_PORT: port(9090),
  // GOAWAY to gRPC connections older than this (0 = never), so that callers' long-lived connections
  // move to pods added by the autoscaler or a rollout; calls in flight get the grace to finish.
  GRPC_MAX_CONNECTION_AGE: duration('5m'),
  GRPC_MAX_CONNECTION_AGE_GRACE: duration('30s'),
  // Off by default: the actuator stays on PORT. Set, it serves every actuator endpoint with details.
  MANAGEMENT_PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
  // Without MANAGEMENT_PORT, /actuator/prometheus and /actuator/info on PORT (and health details)
  // need an ADMIN token or this static bearer (for a Prometheus scrape config; keep it in the Secret).
  ACTUATOR_TOKEN: optionalString.pipe(z.string().min(24, 'must be at least 24 characters').optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('./.data'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
      .optional(),
  ),
  // A read replica (CloudNativePG's -ro Service, Patroni's replica Service): public bulk reads go
  // there, and every read while the primary is unreachable (see postgres/read-routing.ts).
  DATABASE_READ_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
      .optional(),
  ),
  // A replica whose replay lag exceeds this is bypassed (reads go to the primary).
  DATABASE_READ_MAX_LAG: duration('5s'),
  DB_PASSWORD: optionalString,
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  DB_STATEMENT_TIMEOUT: duration('10s'),
  // Admission: database work queued per replica (each of the read and write lanes) and how long a
  // call may wait for a connection; past either the request is answered 503 overloaded. A queued
  // request costs little (its connection is open anyway); a refused one is often retried at once,
  // so the bounds are set for a rush to be served, not shed: 2,000 waiting, 10 s at most (as long
  // as one statement may run, DB_STATEMENT_TIMEOUT).
  DB_ADMISSION_QUEUE: z.coerce.number().int().min(0).max(100_000).default(2000),
  DB_ADMISSION_TIMEOUT: duration('10s'),
  RUN_MIGRATIONS: bool(true),
  // Each migration waits at most this long for a lock (queries queue behind a waiting ALTER), then
  // is rolled back and tried again with backoff, this many times more (docs/releases.md).
  MIGRATION_LOCK_TIMEOUT: duration('2s'),
  MIGRATION_LOCK_RETRIES: z.coerce.number().int().min(0).max(100).default(5),
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis://')
      .optional(),
  ),
  REDIS_PASSWORD: optionalString,
  // Redis behind Sentinel (instead of REDIS_URL): the sentinels and the name of the master they watch.
  REDIS_SENTINELS: hostPortList('REDIS_SENTINELS'),
  REDIS_SENTINEL_NAME: z.string().default('mymaster'),
  REDIS_SENTINEL_PASSWORD: optionalString,
  // A Redis Cluster (instead of REDIS_URL): some of its nodes, the others are discovered.
  REDIS_CLUSTER_NODES: hostPortList('REDIS_CLUSTER_NODES'),
  CACHE_TTL: duration('60s'),
  CACHE_LOCAL_TTL: duration('5s'),
  KAFKA_BROKERS: optionalString,
  KAFKA_USERNAME: optionalString,
  KAFKA_PASSWORD: optionalString,
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('scram-sha-512'),
  KAFKA_SSL: bool(false),
  KAFKA_CONSUMER_GROUP: z.string().default('backend-event'),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  // Replicas of each topic created, and the in-sync replicas a write needs; unset: 3 and 2 on a
  // cluster of three or more brokers, 1 and 1 below that.
  KAFKA_REPLICATION_FACTOR: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(32).optional()),
  KAFKA_MIN_INSYNC_REPLICAS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(32).optional()),
  OUTBOX_RELAY_INTERVAL: duration('200ms'),
  OUTBOX_RELAY_ENABLED: bool(true),
  CONSUMERS_ENABLED: bool(true),
  PAYMENT_RETRY_HORIZON: duration('24h'),
  PAYMENT_RECONCILE_AFTER: duration('2m'),
  PAYMENT_RETRY_BASE_DELAY: duration('1s'),
  PAYMENT_RETRY_MAX_DELAY: duration('60s'),
  AUTH_JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  AUTH_JWKS_URL: optionalUrl,
  AUTH_PUBLIC_KEY: optionalString,
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  AUTH_SERVICE_URL: optionalUrl,
  PAYMENT_SERVICE_URL: optionalUrl,
  PAYMENT_WEBHOOK_SECRET: optionalString,
  WEATHER_API_URL: optionalUrl,
  BOOKING_TTL: duration('30m'),
  // Plain bookings of one event arriving together share one transaction and one lock of the
  // event's row, up to this many; 0: one transaction per booking (as release 0.1.0 does).
  BOOKING_BATCH_MAX: z.coerce.number().int().min(0).max(1000).default(200),
  // Such transactions of one event running at once on a replica. They queue on the event's row,
  // which commits one at a time whatever this is: a second one prepares while the first commits,
  // and every booking arriving meanwhile joins the next batch, so few large commits sell an event.
  BOOKING_BATCH_IN_FLIGHT: z.coerce.number().int().min(1).max(500).default(2),
  WAITLIST_HOLD: duration('30m'),
  IDEMPOTENCY_TTL: duration('24h'),
  JOBS_INTERVAL: duration('5s'),
  JOBS_ENABLED: bool(true),
  // Retention (a job on every replica): shipped outbox rows and processed-message ids older than
  // these are deleted, RETENTION_BATCH rows per statement; 0 keeps them forever. Keep
  // PROCESSED_MESSAGES_RETENTION longer than the topics' retention (Kafka's default: 7 days), so a
  // message redelivered from the topic is still recognised.
  OUTBOX_RETENTION: duration('7d'),
  // The synthetic flow's organizer(s) (deploy/scripts/synthetic-flow.mjs): their events are left
  // out of public lists. Empty: nothing is hidden.
  SYNTHETIC_ORGANIZER_IDS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.uuid())),
  PROCESSED_MESSAGES_RETENTION: duration('7d'),
  RETENTION_BATCH: z.coerce.number().int().min(1).max(100_000).default(1000),
  // Circuit breakers: the seed's Resilience4j values by default, shared by every dependency.
  BREAKER_FAILURE_RATE: z.coerce.number().gt(0).max(1).default(0.5),
  BREAKER_SLOW_CALL_RATE: z.coerce.number().gt(0).max(1).default(0.5),
  BREAKER_SLOW_CALL_DURATION: duration('1s'),
  BREAKER_MINIMUM_CALLS: z.coerce.number().int().min(1).default(20),
  BREAKER_WINDOW_SIZE: z.coerce.number().int().min(1).default(100),
  BREAKER_OPEN_DURATION: duration('10s'),
  BREAKER_HALF_OPEN_CALLS: z.coerce.number().int().min(1).default(10),
  // The postgres breakers' own open time (default: BREAKER_OPEN_DURATION, at most 5 s): after a
  // failover the new primary gets trial writes within it, so writes resume within 10 s of it.
  DB_BREAKER_OPEN_DURATION: optionalString.pipe(
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        const ms = parseDuration(v);
        if (Number.isFinite(ms) && ms > 0) return ms;
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use ms, 5s, PT5S)` });
        return z.NEVER;
      }),
  ),
  PAYMENT_SERVICE_TIMEOUT: duration('3s'),
  AUTH_SERVICE_TIMEOUT: duration('1s'),
  WEATHER_TIMEOUT: duration('2s'),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_WINDOW: duration('1m'),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().min(0).default(500),
  OVERLOAD_MAX_HEAP_BYTES: z.coerce.number().int().min(0).default(0),
  OVERLOAD_MAX_RSS_BYTES: z.coerce.number().int().min(0).default(0),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  API_V1_SUNSET: z.string().default('2027-06-30T00:00:00Z'),
  PUBLIC_URL: optionalUrl,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: z.string().default('backend-event'),
});

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {}

/** Reads the environment once; a wrong value stops start-up with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const redis = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => result.data[name]);
  if (redis.length > 1) throw new ConfigError(`Invalid configuration:\n  ${redis.join(', ')}: set only one of them (one Redis topology)`);
  return result.data;
}

/** DATABASE_URL (or DATABASE_READ_URL) with DB_PASSWORD filled in when the URL carries no password (Kubernetes secrets). */
export function databaseUrl(config: Config, which: 'primary' | 'replica' = 'primary'): string | undefined {
  const given = which === 'primary' ? config.DATABASE_URL : config.DATABASE_URL && config.DATABASE_READ_URL;
  if (!given) return undefined;
  if (!config.DB_PASSWORD) return given;
  const url = new URL(given);
  if (!url.password) url.password = config.DB_PASSWORD;
  return url.toString();
}
