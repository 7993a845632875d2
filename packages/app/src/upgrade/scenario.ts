/**
 * The upgrade scenario's machinery: replicas of two bundles (the previous release's and this
 * checkout's) behind one round-robin "load balancer" on one PostgreSQL, Redis and Kafka, bookers
 * driving them, a Payment Service away 30 % of the time, and the checks of issue #22 item 7, each
 * failure naming its check, its phase and the booking or replica concerned.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { signToken } from '@aquastream/adapters';
import { startReplica, type Replica } from '../../../../testing/bundle';
import { runCommand } from '../../../../testing/services/process';
import { TEST_SECRET } from '../../../../testing/app';
import { startFakePaymentService, type FakePaymentService } from '../../../../testing/fake-payment-service';

export type VersionLabel = 'previous' | 'new';
export interface Version {
  label: VersionLabel;
  /** A production bundle folder (server.mjs, node_modules). */
  bundleDir: string;
  /** What it is, for the failure messages: `0.1.0 (075a8f0)`, `this checkout`. */
  name: string;
}

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
}

export type Check =
  | 'replica starts'
  | 'replica stops gracefully'
  | 'no 5xx'
  | 'no dropped connection'
  | 'seats add up'
  | 'every 201 stored'
  | 'payments end PAID'
  | 'no payment charged twice'
  | 'refunded exactly once'
  | 'booking events on Kafka'
  | 'DLQ empty'
  | 'outbox drained'
  | 'cache read across versions'
  | 'rollback replica serves'
  | 'writes never wait for an index build';

export interface Failure {
  check: Check;
  phase: string;
  detail: string;
}

interface Request {
  phase: string;
  replica: string;
  version: VersionLabel;
  op: string;
  status: number;
  bookingId?: string;
  detail?: string;
}

interface Member {
  replica: Replica;
  version: Version;
  inRotation: boolean;
  inFlight: number;
}

interface BookingFacts {
  eventId: string;
  token: string;
  createdIn: string;
  /** The phase whose pay answer was 200 or 202 (accepted or queued). */
  paidIn?: string;
  cancelledIn?: string;
}

const ACTIVE = ['PENDING', 'CONFIRMED'];
const bearer = async (roles: string[], sub = randomUUID()) => `Bearer ${await signToken(TEST_SECRET, { sub, roles: roles as never })}`;
/** The messages of a replica's error-level log lines (ECS JSON), newest last. */
const errorsIn = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.includes('"log.level":"error"') || l.includes('"log.level":"fatal"'))
    .map((l) => {
      try {
        const entry = JSON.parse(l) as { message?: string; error?: { message?: string } };
        return `${entry.message ?? ''}${entry.error?.message ? `: ${entry.error.message}` : ''}`;
      } catch {
        return l.slice(0, 200);
      }
    })
    .slice(-3)
    .join(' | ') || '(none logged)';
const short = (text: string) => text.replace(/\s+/g, ' ').slice(0, 600);

export interface ScenarioOptions {
  services: Services;
  /** Concurrent bookers (each: book, read, pay, maybe cancel, lists, v1 and v2 reads, again). */
  bookers?: number;
  /** Chance a booking that was paid is then cancelled (a refund is owed). */
  cancelAfterPay?: number;
  /** How long the Payment Service takes to answer a refund (default 200 ms). */
  refundDelayMs?: number;
  log?: (line: string) => void;
}

/**
 * One run: create with `startScenario`, start replicas, `serve` phases, `retire` replicas, then
 * `settle` and `verify`. Failures are collected, not thrown, so one run reports every check.
 */
export async function startScenario(options: ScenarioOptions) {
  const { services } = options;
  const log = options.log ?? (() => undefined);
  const failures: Failure[] = [];
  const fail = (check: Check, phase: string, detail: string) => failures.push({ check, phase, detail: short(detail) });
  const members = new Map<string, Member>();
  const requests: Request[] = [];
  /** Low-priority requests shed under load (answered again after Retry-After). */
  const shed: string[] = [];
  const bookings = new Map<string, BookingFacts>();
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 3 });
  const group = `upgrade-${randomUUID()}`;
  let phase = 'setup';
  let phaseStarted = Date.now();
  const timeline: [string, number][] = [['setup', phaseStarted]];
  const phaseAt = (ms: number) => timeline.filter(([, t]) => t <= ms).at(-1)?.[0] ?? 'setup';
  let traffic: Promise<void>[] = [];
  let serving = false;

  // The Payment Service is away 30 % of the time (0.6 s of every 2 s) while traffic runs: new
  // connections are refused, calls already made are answered, so every call it counts took money
  // or refunded it and a retry only follows a call that never arrived. Refunds take 200 ms, as a
  // provider's do, which is what lets two workers race for one if their claims do not see each other.
  const payments: FakePaymentService = await startFakePaymentService();
  payments.refundDelayMs = options.refundDelayMs ?? 200;
  let flapping = false;
  let closed = false;
  const flapper = (async () => {
    while (!closed) {
      await sleep(1_400);
      if (!flapping || closed) continue;
      await payments.off('refuse');
      await sleep(600);
      await payments.on();
    }
  })();

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    KAFKA_BROKERS: services.kafkaBrokers,
    KAFKA_CONSUMER_GROUP: group,
    AUTH_JWT_SECRET: TEST_SECRET,
    PAYMENT_SERVICE_URL: payments.url,
    // The chart runs migrations in a Job: replicas do not, but for the one that migrates.
    RUN_MIGRATIONS: 'false',
    // The test compresses hours of a flapping Payment Service into a minute: the longest wait
    // between retries of a payment or a refund is 5 s instead of 60 s so that everything owed is
    // settled seconds after the service is back. Claims, leases (PAYMENT_RECONCILE_AFTER) and
    // idempotency keys, the protocol under test, keep their defaults.
    PAYMENT_RETRY_MAX_DELAY: '5s',
    LOG_LEVEL: 'warn',
    ...extra,
  });

  // ---- the load balancer ---------------------------------------------------------------------
  let turn = 0;
  const pick = (): [string, Member] | undefined => {
    const live = [...members.entries()].filter(([, m]) => m.inRotation);
    if (live.length === 0) return undefined;
    return live[turn++ % live.length];
  };

  type Answer = { status: number; body: Record<string, unknown>; etag: string | null; replica: string; version: VersionLabel };
  async function call(
    op: string,
    method: string,
    url: string,
    init: { token?: string; body?: unknown; headers?: Record<string, string>; bookingId?: string; to?: string; shedBefore?: boolean } = {},
  ): Promise<Answer | undefined> {
    const target = init.to ? (members.has(init.to) ? ([init.to, members.get(init.to)!] as [string, Member]) : undefined) : pick();
    if (!target) return undefined;
    const [name, member] = target;
    member.inFlight++;
    const requestPhase = phase;
    try {
      const res = await fetch(`${member.replica.url}${url}`, {
        method,
        headers: {
          ...(init.token ? { authorization: init.token } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { text };
      }
      // Load shedding (503 `overloaded` on a low-priority route, with Retry-After) is the service
      // guarding itself on a starved machine, which a busy CI runner is; clients are told to come
      // back after Retry-After, so the booker does, once. A second refusal counts as a 5xx.
      if (res.status === 503 && !init.shedBefore && String(body.detail ?? '').includes('sheds low-priority')) {
        shed.push(`${requestPhase}: ${op} on ${name} (${member.version.label}): ${String(body.detail)}`);
        await sleep(Math.min(1_000, Number(res.headers.get('retry-after') ?? 1) * 1_000));
        return await call(op, method, url, { ...init, shedBefore: true });
      }
      requests.push({
        phase: requestPhase,
        replica: name,
        version: member.version.label,
        op,
        status: res.status,
        bookingId: init.bookingId ?? (typeof body.id === 'string' && op === 'book' ? body.id : undefined),
        detail: res.status >= 500 ? `${String(body.type ?? '')} ${String(body.detail ?? body.title ?? text)}` : undefined,
      });
      return { status: res.status, body, etag: res.headers.get('etag'), replica: name, version: member.version.label };
    } catch (error) {
      requests.push({ phase: requestPhase, replica: name, version: member.version.label, op, status: 0, bookingId: init.bookingId, detail: String(error) });
      return undefined;
    } finally {
      member.inFlight--;
    }
  }

  // ---- events ----------------------------------------------------------------------------------
  const organizer = await bearer(['ORGANIZER', 'USER']);
  async function createEvent(title: string, capacity: number, to?: string): Promise<string> {
    const start = Date.now() + 10 * 86_400_000;
    const created = await call('create event', 'POST', '/api/v2/events', {
      token: organizer,
      to,
      body: {
        title,
        description: 'upgrade scenario',
        startDate: new Date(start).toISOString(),
        endDate: new Date(start + 3_600_000).toISOString(),
        capacity,
        price: { amount: 4900, currency: 'EUR' },
      },
    });
    if (created?.status !== 201) throw new Error(`creating event "${title}" answered ${created?.status}: ${JSON.stringify(created?.body)}`);
    const id = created.body.id as string;
    const published = await call('publish event', 'POST', `/api/v2/events/${id}/publish`, { token: organizer, to });
    if (published?.status !== 200) throw new Error(`publishing event "${title}" answered ${published?.status}`);
    return id;
  }
  let events: string[] = [];

  // ---- bookers ---------------------------------------------------------------------------------
  const cancelAfterPay = options.cancelAfterPay ?? 0.35;
  async function booker(n: number) {
    for (let i = 0; serving; i++) {
      const token = await bearer(['USER']);
      const eventId = events[(n + i) % events.length]!;
      const booked = await call('book', 'POST', '/api/v2/bookings', { token, body: { eventId }, headers: { 'idempotency-key': randomUUID() } });
      const bookingId = booked?.status === 201 ? (booked.body.id as string) : undefined;
      if (bookingId) {
        bookings.set(bookingId, { eventId, token, createdIn: phase });
        await call('read booking', 'GET', `/api/v2/bookings/${bookingId}`, { token, bookingId });
        if (Math.random() < 0.15) {
          const cancelled = await call('cancel', 'POST', `/api/v2/bookings/${bookingId}/cancel`, { token, bookingId });
          if (cancelled?.status === 200) bookings.get(bookingId)!.cancelledIn = phase;
        } else {
          const paid = await call('pay', 'POST', `/api/v2/bookings/${bookingId}/pay`, { token, bookingId, headers: { 'idempotency-key': randomUUID() } });
          if (paid?.status === 200 || paid?.status === 202) bookings.get(bookingId)!.paidIn = phase;
          if (Math.random() < cancelAfterPay) {
            const cancelled = await call('cancel', 'POST', `/api/v2/bookings/${bookingId}/cancel`, { token, bookingId });
            if (cancelled?.status === 200) bookings.get(bookingId)!.cancelledIn = phase;
          }
        }
        await call('list own bookings', 'GET', '/api/v2/bookings', { token });
      }
      const read = await call('read event v2', 'GET', `/api/v2/events/${eventId}`, { token });
      if (read?.etag) await call('read event v2 (If-None-Match)', 'GET', `/api/v2/events/${eventId}`, { token, headers: { 'if-none-match': read.etag } });
      await call('read event v1', 'GET', `/api/v1/events/${eventId}`);
      if (i % 3 === 0) {
        await call('list events v2', 'GET', '/api/v2/events?size=5', { token });
        await call('list events v1', 'GET', '/api/v1/events');
      }
      await sleep(250);
    }
  }

  // ---- replicas --------------------------------------------------------------------------------
  /**
   * The chart's preStop sleep (10 s) keeps a pod running after it left the endpoints, which also
   * lets the consumer-group rebalance its surge pod started finish before SIGTERM: kafkajs cannot
   * leave a group in the middle of a rebalance (tulios/kafkajs#1462), and a replica that gets
   * SIGTERM then overruns its drain and exits 1. The test waits for the payment-retry group to be
   * Stable with every running replica in it instead, at most those 10 s.
   */
  async function groupSettled(): Promise<void> {
    const admin = new Kafka({ brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
    const until = Date.now() + 10_000;
    try {
      await admin.connect();
      while (Date.now() < until) {
        const [described] = (await admin.describeGroups([`${group}.payment-retry`])).groups;
        if (described?.state === 'Stable' && described.members.length === members.size) return;
        await sleep(200);
      }
      log(`${phase}: the consumer group is not Stable after 10 s; SIGTERM anyway`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * The schema of `version` (its cli.mjs migrate, as the chart's migration Job runs it). Once the
   * previous release's schema is there, every later CREATE INDEX is recorded (an event trigger):
   * one without CONCURRENTLY on a table that already existed blocks its writes while it builds.
   */
  async function migrate(version: Version): Promise<void> {
    const run = await runCommand(process.execPath, ['cli.mjs', 'migrate'], {
      cwd: version.bundleDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env() },
    });
    if (run.code !== 0) throw new Error(`${version.name}: cli.mjs migrate exited with ${run.code}: ${run.stdout}${run.stderr}`);
    if (version.label === 'previous' && existingTables.size === 0) await recordIndexBuilds();
  }

  const existingTables = new Set<string>();
  async function recordIndexBuilds(): Promise<void> {
    const tables = await db.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace");
    for (const t of tables.rows) existingTables.add(t.relname);
    await db.query(`
      CREATE TABLE upgrade_test_index_builds (at timestamptz NOT NULL DEFAULT clock_timestamp(), query text, tables text[]);
      CREATE FUNCTION upgrade_test_record_index_build() RETURNS event_trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO upgrade_test_index_builds (query, tables)
        SELECT current_query(), array_agg(DISTINCT c.relname::text)
          FROM pg_event_trigger_ddl_commands() d JOIN pg_index i ON i.indexrelid = d.objid JOIN pg_class c ON c.oid = i.indrelid;
      END $$;
      CREATE EVENT TRIGGER upgrade_test_index_builds ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION upgrade_test_record_index_build();`);
  }

  /** Starts a replica of `version`; it joins the rotation once ready unless `admit` is false (then `admit(name)`). */
  async function start(name: string, version: Version, extra: Record<string, string> = {}, admit = true): Promise<boolean> {
    const startedIn = phase;
    // A container that exits during start-up is restarted by the kubelet: once here (on a starved
    // machine a replica's first connection to Redis may time out); a second exit is a failure.
    const launch = () => startReplica(`${name} (${version.name})`, env(extra), { bundleDir: version.bundleDir, readyWithinMs: 90_000 });
    try {
      const replica = await launch().catch((error: Error) => {
        log(`${phase}: ${name} exited during start-up, restarted once: ${error.message.split('\n')[0]}`);
        return launch();
      });
      members.set(name, { replica, version, inRotation: admit, inFlight: 0 });
      log(`${phase}: ${name} (${version.name}) ready`);
      return true;
    } catch (error) {
      // The first line says how it ended; the log lines naming an error say why (a migration's message).
      const [headline, ...lines] = (error as Error).message.split('\n');
      const why = lines.filter((l) => /error|fail|refus|lock/i.test(l) && !/^\s+at /.test(l)).slice(0, 3);
      fail('replica starts', startedIn, `${name} (${version.name}): ${headline} ${why.join(' | ') || lines.slice(-3).join(' | ')}`);
      return false;
    }
  }

  /** Out of the rotation first (the endpoints controller and preStop), then SIGTERM once its requests are answered. */
  async function retire(name: string): Promise<void> {
    const member = members.get(name);
    if (!member) return;
    member.inRotation = false;
    const until = Date.now() + 30_000;
    while (member.inFlight > 0 && Date.now() < until) await sleep(20);
    await groupSettled();
    const t0 = Date.now();
    await member.replica.stop('SIGTERM');
    const code = member.replica.process.exitCode;
    if (code !== 0)
      fail(
        'replica stops gracefully',
        phase,
        `${name} (${member.version.name}) exited with ${code ?? member.replica.process.signalCode} ${Date.now() - t0} ms after SIGTERM; its errors: ${errorsIn(member.replica.output())}`,
      );
    members.delete(name);
    log(`${phase}: ${name} stopped ${Date.now() - t0} ms after SIGTERM`);
  }

  function beginTraffic() {
    if (serving) return;
    serving = true;
    flapping = true;
    traffic = Array.from({ length: options.bookers ?? 3 }, (_, n) => booker(n));
  }
  async function endTraffic() {
    serving = false;
    await Promise.all(traffic);
    flapping = false;
    await payments.on();
  }

  /**
   * A transaction (a slow job, a stuck client) holding row locks on `bookings` and `events` while
   * `during` runs (a replica migrating at start-up). When another session waits for it (a migration
   * asking for a table lock), it is held `ms` from then on, so that a migration without a short
   * lock_timeout keeps everything queued behind it waiting longer than a statement may
   * (DB_STATEMENT_TIMEOUT, 10 s); a migration that waits no longer than its lock_timeout per try
   * gets its lock once the transaction ends.
   */
  async function holdLocks(ms: number, bookingId: string, eventId: string, during: Promise<unknown>): Promise<void> {
    let done = false;
    void during.finally(() => (done = true));
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE bookings SET updated_at = updated_at WHERE id = $1', [bookingId]);
      await client.query('UPDATE events SET updated_at = updated_at WHERE id = $1', [eventId]);
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const cap = Date.now() + 180_000;
      let until: number | undefined;
      while (until === undefined ? !done && Date.now() < cap : Date.now() < until) {
        if (until === undefined) {
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid]);
          if (rows[0]!.n > 0) {
            until = Date.now() + ms;
            log(`${phase}: a session waits for the held lock; holding it ${ms} ms more`);
          }
        }
        await sleep(100);
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  // Only CREATE INDEX without CONCURRENTLY takes a relation's SHARE lock: writers wait for all of
  // its build (and, while it queues behind a held lock, for its turn). Sampled all along the run.
  const shareLocks = new Set<string>();
  const lockWatch = (async () => {
    while (!closed) {
      const { rows } = await db
        .query<{ relname: string; granted: boolean; query: string; pid: number }>(
          `SELECT c.relname, l.granted, a.query, a.pid FROM pg_locks l
             JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.mode = 'ShareLock' AND c.relkind IN ('r', 'p') AND a.datname = current_database()`,
        )
        .catch(() => ({ rows: [] }));
      for (const r of rows) {
        const key = `${r.relname} ${r.query}`;
        if (shareLocks.has(key)) continue;
        shareLocks.add(key);
        fail(
          'writes never wait for an index build',
          phase,
          `pid ${r.pid} ${r.granted ? 'holds' : 'waits for'} a SHARE lock on ${r.relname} (writes to it wait): ${r.query}`,
        );
      }
      await sleep(100);
    }
  })();

  return {
    payments,
    failures,
    requests,
    bookings,
    db,
    get phase() {
      return phase;
    },
    /** Names the phase the following requests and failures belong to. */
    enter(name: string) {
      log(`phase ${phase} took ${Date.now() - phaseStarted} ms; phase ${name}`);
      phase = name;
      phaseStarted = Date.now();
      timeline.push([name, phaseStarted]);
    },
    migrate,
    start,
    admit(name: string) {
      const member = members.get(name);
      if (member) member.inRotation = true;
    },
    retire,
    members,
    call,
    createEvent,
    bearer,
    holdLocks,
    /** Creates the events the bookers book (through the replicas in rotation) and starts them. */
    async beginTraffic(eventCount = 4, capacity = 60) {
      events = await Promise.all(Array.from({ length: eventCount }, (_, i) => createEvent(`Upgrade rafting ${i + 1}`, capacity)));
      beginTraffic();
    },
    /** Every paid booking not cancelled yet is cancelled at once, through the replicas in rotation: refunds owed all together. */
    async cancelPaid(): Promise<number> {
      const due = [...bookings].filter(([, b]) => b.paidIn && !b.cancelledIn);
      await Promise.all(
        due.map(async ([bookingId, b]) => {
          const cancelled = await call('cancel', 'POST', `/api/v2/bookings/${bookingId}/cancel`, { token: b.token, bookingId });
          if (cancelled?.status === 200) b.cancelledIn = phase;
        }),
      );
      return due.length;
    },
    /** Traffic keeps flowing for `ms` (in the current phase). */
    serve: (ms: number) => sleep(ms),
    /** Traffic keeps flowing until `done()` (checked every 250 ms), at most `ms`. */
    async serveUntil(done: () => boolean, ms: number) {
      const until = Date.now() + ms;
      while (!done() && Date.now() < until) await sleep(250);
    },
    endTraffic,
    /** Index builds without CONCURRENTLY on tables the previous release already had (recorded since its migrate). */
    async verifyIndexBuilds() {
      if (existingTables.size === 0) return;
      const { rows } = await db.query<{ at: Date; query: string; tables: string[] | null }>(
        'SELECT at, query, tables FROM upgrade_test_index_builds ORDER BY at',
      );
      for (const r of rows) {
        const hit = (r.tables ?? []).filter((t) => existingTables.has(t));
        if (hit.length > 0 && !/\bconcurrently\b/i.test(r.query))
          fail(
            'writes never wait for an index build',
            phaseAt(r.at.getTime()),
            `an index was built on ${hit.join(', ')} without CONCURRENTLY (writes wait for all of it): ${r.query}`,
          );
      }
    },
    /** The versions' checks of what the traffic saw, by phase: 5xx and dropped connections. */
    verifyAnswers() {
      for (const r of requests) {
        const who = `${r.op} on ${r.replica} (${r.version})${r.bookingId ? `, booking ${r.bookingId}` : ''}`;
        if (r.status >= 500) fail('no 5xx', r.phase, `${who} answered ${r.status}: ${r.detail ?? ''}`);
        if (r.status === 0) fail('no dropped connection', r.phase, `${who}: ${r.detail ?? ''}`);
      }
    },
    /**
     * Waits (traffic stopped, the Payment Service back) until nothing is owed or in flight: no
     * payment attempt PENDING, no booking PROCESSING or REFUND_PENDING, the outbox relayed.
     */
    async settle(withinMs = 100_000) {
      const until = Date.now() + withinMs;
      let open = '';
      for (;;) {
        const { rows } = await db.query<{ attempts: number; processing: number; refunds: number; outbox: number }>(`
          SELECT (SELECT count(*)::int FROM payment_attempts WHERE status = 'PENDING') AS attempts,
                 (SELECT count(*)::int FROM bookings WHERE payment_status = 'PROCESSING') AS processing,
                 (SELECT count(*)::int FROM bookings WHERE payment_status = 'REFUND_PENDING') AS refunds,
                 (SELECT count(*)::int FROM outbox WHERE published_at IS NULL) AS outbox`);
        const r = rows[0]!;
        open = `${r.attempts} payment attempts PENDING, ${r.processing} bookings PROCESSING, ${r.refunds} REFUND_PENDING, ${r.outbox} outbox rows unpublished`;
        if (r.attempts + r.processing + r.refunds + r.outbox === 0) return;
        if (Date.now() > until) {
          log(`settle: still open after ${withinMs} ms: ${open}`);
          return;
        }
        await sleep(500);
      }
    },
    /** The end state, checked against what the clients were told and what the Payment Service saw. */
    async verifyState() {
      const created = [...bookings.keys()];
      const stored = await db.query<{ id: string; event_id: string; status: string; payment_status: string | null; payment_id: string | null }>(
        'SELECT id, event_id, status, payment_status, payment_id FROM bookings WHERE id = ANY($1)',
        [created],
      );
      const byId = new Map(stored.rows.map((r) => [r.id, r]));
      for (const [id, facts] of bookings)
        if (!byId.has(id)) fail('every 201 stored', facts.createdIn, `booking ${id} (event ${facts.eventId}) was answered 201 but is not in the database`);

      const seats = await db.query<{ id: string; title: string; capacity: number; available: number; held: number; active: number; offered: number }>(
        `SELECT e.id, e.title, e.capacity, e.available, e.waitlist_held AS held,
                COALESCE((SELECT sum(seats) FROM bookings b WHERE b.event_id = e.id AND b.status = ANY($1)), 0)::int AS active,
                COALESCE((SELECT sum(seats) FROM waitlist w WHERE w.event_id = e.id AND w.status = 'OFFERED'), 0)::int AS offered
           FROM events e`,
        [ACTIVE],
      );
      for (const e of seats.rows)
        if (e.capacity !== e.available + e.held + e.active + e.offered)
          fail(
            'seats add up',
            'end',
            `event ${e.id} "${e.title}": capacity ${e.capacity} != available ${e.available} + held for the waitlist ${e.held} + active bookings' seats ${e.active} + offered ${e.offered}`,
          );

      const chargesPerBooking = new Map<string, number>();
      for (const c of payments.charges) chargesPerBooking.set(c.bookingId, (chargesPerBooking.get(c.bookingId) ?? 0) + 1);
      for (const [key, n] of payments.chargesPerKey()) if (n > 1) fail('no payment charged twice', 'end', `idempotency key ${key} charged ${n} times`);
      for (const [bookingId, n] of chargesPerBooking)
        if (n > 1) fail('no payment charged twice', bookings.get(bookingId)?.paidIn ?? 'end', `booking ${bookingId} charged ${n} times`);
      const refunds = payments.refundsPerPayment();
      for (const [id, facts] of bookings) {
        const row = byId.get(id);
        if (!row) continue;
        const charged = chargesPerBooking.get(id) ?? 0;
        const refunded = row.payment_id ? (refunds.get(row.payment_id) ?? 0) : 0;
        if (facts.paidIn) {
          const ok = row.status === 'CANCELLED' ? row.payment_status === 'REFUNDED' : row.payment_status === 'PAID' && row.status === 'CONFIRMED';
          if (!ok || charged !== 1)
            fail(
              'payments end PAID',
              facts.paidIn,
              `booking ${id}: payment accepted or queued in phase ${facts.paidIn}${facts.cancelledIn ? `, cancelled in ${facts.cancelledIn}` : ''}; now ${row.status}/${row.payment_status}, charged ${charged} times`,
            );
        }
        const owed = row.status === 'CANCELLED' && charged > 0 ? 1 : 0;
        if (refunded !== owed)
          fail(
            'refunded exactly once',
            facts.cancelledIn ?? facts.paidIn ?? facts.createdIn,
            `booking ${id} (${row.status}/${row.payment_status}, charged ${charged}, cancelled in ${facts.cancelledIn ?? '-'}): refunded ${refunded} times, owed ${owed}`,
          );
      }
      const unpublished = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      if (unpublished.rows[0]!.n > 0) fail('outbox drained', 'end', `${unpublished.rows[0]!.n} outbox rows never published`);
    },
    /** Every booking event of the outbox on booking-events (by CloudEvent id); nothing of these bookings on the DLQ. */
    async verifyKafka() {
      const outbox = await db.query<{ id: string; aggregate_id: string; type: string }>(
        "SELECT id, aggregate_id, type FROM outbox WHERE aggregate_type = 'booking' AND aggregate_id = ANY($1)",
        [[...bookings.keys()]],
      );
      const expected = new Map(outbox.rows.map((r) => [r.id, r]));
      const seen = new Set<string>();
      const dead: string[] = [];
      const ours = new Set(bookings.keys());
      const consumer = new Kafka({ brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).consumer({
        groupId: `upgrade-reader-${randomUUID()}`,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: ['booking-events', 'payment-retry-queue.dlq'], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, message }) => {
          const key = message.key?.toString() ?? '';
          if (topic === 'booking-events') {
            const id = (JSON.parse(message.value!.toString()) as { id?: string }).id;
            if (id) seen.add(id);
          } else if (ours.has(key) || [...ours].some((b) => message.value?.toString().includes(b)))
            dead.push(`${key}: ${message.value?.toString().slice(0, 200)}`);
        },
      });
      try {
        const until = Date.now() + 30_000;
        while ([...expected.keys()].some((id) => !seen.has(id)) && Date.now() < until) await sleep(250);
        await sleep(1_000);
      } finally {
        await consumer.disconnect();
      }
      for (const [id, row] of expected)
        if (!seen.has(id))
          fail(
            'booking events on Kafka',
            bookings.get(row.aggregate_id)?.createdIn ?? 'end',
            `${row.type} ${id} of booking ${row.aggregate_id} is not on booking-events`,
          );
      for (const d of dead) fail('DLQ empty', 'end', `payment-retry-queue.dlq holds ${d}`);
    },
    /**
     * A cached event written by one version is read by the other: the same ETag, 304 on
     * If-None-Match, every field of the writer's answer answered alike (new fields may be added).
     */
    async verifyCacheAcross(eventId: string, writer: string, reader: string) {
      const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        const token = await bearer(['USER']);
        const first = await call('read event v2 (cache writer)', 'GET', `/api/v2/events/${eventId}`, { token, to: writer });
        await redis.connect();
        // The writer may store the entry just after it answered, or (an event changed a moment ago,
        // its cache generation still moving) only on a later read: it reads again, up to 3 times.
        let keys: string[] = [];
        for (let i = 0; i < 30 && keys.length === 0; i++) {
          keys = await redis.keys(`*event:${eventId}`);
          if (keys.length > 0) break;
          await sleep(100);
          if (i % 10 === 9) await call('read event v2 (cache writer)', 'GET', `/api/v2/events/${eventId}`, { token, to: writer });
        }
        const second = await call('read event v2 (cache reader)', 'GET', `/api/v2/events/${eventId}`, { token, to: reader });
        const conditional = first?.etag
          ? await call('read event v2 (cache reader, If-None-Match)', 'GET', `/api/v2/events/${eventId}`, {
              token,
              to: reader,
              headers: { 'if-none-match': first.etag },
            })
          : undefined;
        const v1 = await call('read event v1 (cache reader)', 'GET', `/api/v1/events/${eventId}`, { to: reader });
        const what = `event ${eventId} cached by ${writer}, read by ${reader}`;
        if (first?.status !== 200 || second?.status !== 200)
          return fail('cache read across versions', phase, `${what}: answered ${first?.status} then ${second?.status}`);
        if (keys.length === 0) fail('cache read across versions', phase, `${what}: ${writer} left no event:${eventId} entry in Redis`);
        if (first.etag !== second.etag) fail('cache read across versions', phase, `${what}: ETag ${first.etag} then ${second.etag}`);
        if (conditional?.status !== 304)
          fail('cache read across versions', phase, `${what}: If-None-Match ${first.etag} answered ${conditional?.status}, not 304`);
        if (v1?.status !== 200) fail('cache read across versions', phase, `${what}: v1 read answered ${v1?.status}`);
        for (const [field, value] of Object.entries(first.body))
          if (JSON.stringify(second.body[field]) !== JSON.stringify(value))
            fail('cache read across versions', phase, `${what}: ${field} was ${JSON.stringify(value)}, now ${JSON.stringify(second.body[field])}`);
        for (const [field, value] of Object.entries(second.body))
          if (!(field in first.body) && (value === undefined || value === null))
            log(`cache read across versions: ${reader} adds ${field} = ${JSON.stringify(value)} (defaulted)`);
      } finally {
        redis.disconnect();
      }
    },
    /** The replica answered 2xx to the bookers in `phaseName` (it started and serves). */
    verifyServes(name: string, phaseName: string) {
      const own = requests.filter((r) => r.replica === name && r.phase === phaseName);
      const ok = own.filter((r) => r.status >= 200 && r.status < 300).length;
      if (ok === 0) fail('rollback replica serves', phaseName, `${name} answered ${own.length} requests, none 2xx`);
    },
    /** One line per phase: requests per version and status. */
    summary(): string {
      const rows = new Map<string, Map<string, number>>();
      for (const r of requests) {
        const perPhase = rows.get(r.phase) ?? new Map<string, number>();
        const key = `${r.version} ${r.status}`;
        perPhase.set(key, (perPhase.get(key) ?? 0) + 1);
        rows.set(r.phase, perPhase);
      }
      const lines = [...rows].map(([p, counts]) => `  ${p}: ${[...counts].map(([k, n]) => `${k}×${n}`).join(', ')}`);
      const paid = [...bookings.values()].filter((b) => b.paidIn).length;
      const cancelled = [...bookings.values()].filter((b) => b.cancelledIn).length;
      if (shed.length) lines.push(`  shed under load and answered on the retry: ${shed.length} (${shed.slice(0, 3).join('; ')})`);
      lines.push(
        `  bookings ${bookings.size}, paid ${paid}, cancelled ${cancelled}; charges ${payments.charges.length}, refunds ${payments.refundCalls.length}`,
      );
      return lines.join('\n');
    },
    /** The failures, one line each, for the assertion message. */
    report(perCheck = 20): string {
      const shown = new Map<string, number>();
      const lines: string[] = [];
      for (const f of failures) {
        const key = `[${f.check}] phase ${f.phase}`;
        const n = (shown.get(key) ?? 0) + 1;
        shown.set(key, n);
        if (n <= perCheck) lines.push(`${key}: ${f.detail}`);
      }
      for (const [key, n] of shown) if (n > perCheck) lines.push(`${key}: ... ${n - perCheck} more`);
      return lines.join('\n');
    },
    async close() {
      serving = false;
      await Promise.allSettled(traffic);
      closed = true;
      flapping = false;
      await Promise.allSettled([...members.values()].map((m) => m.replica.stop('SIGTERM')));
      members.clear();
      await flapper.catch(() => undefined);
      await lockWatch;
      await payments.close();
      await db.end();
    },
  };
}

export type Scenario = Awaited<ReturnType<typeof startScenario>>;
