import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDays, organizer, TEST_ACTUATOR_TOKEN, TEST_SECRET, user, type TestUser } from '../../../../testing/app';
import { ensureBundle, startReplica, type Replica } from '../../../../testing/bundle';
import { startFakePaymentService, type FakePaymentService } from '../../../../testing/fake-payment-service';
import { startPostgres, startStandby, type PostgresServer } from '../../../../testing/services/postgres';
import { startRedis, type RedisServer } from '../../../../testing/services/redis';
import { startTcpProxy, type TcpProxy } from '../../../../testing/services/tcp-proxy';

// The guide's topology, as an operator runs it: a PostgreSQL primary and a synchronous standby
// (synchronous_commit = on, synchronous_standby_names), a TCP proxy standing for the primary's
// Service, DATABASE_READ_URL at the standby, two replicas of the production bundle with every
// setting at its default. Bookers book and pay; the primary is SIGKILLed mid-rush, the standby
// promoted and the proxy moved to it. Issue #23 saw both replicas exit here.

const BOOKERS = 16;
const READERS = 3;

let primary: PostgresServer;
let standby: PostgresServer;
let redis: RedisServer;
let proxy: TcpProxy;
let payments: FakePaymentService;
let databaseUrl: string;
let readUrl: string;
const replicas: Replica[] = [];

async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

beforeAll(async () => {
  ensureBundle();
  primary = await startPostgres({ settings: { synchronous_commit: 'on' } });
  databaseUrl = await primary.createDatabase('topology');
  standby = await startStandby(primary, { name: 'standby1' });
  // Synchronous from now on: a commit returns once the standby has it too.
  await query(primary.url, `ALTER SYSTEM SET synchronous_standby_names = 'standby1'`);
  await query(primary.url, 'SELECT pg_reload_conf()');
  const deadline = Date.now() + 20_000;
  while ((await query<{ sync_state: string }>(primary.url, 'SELECT sync_state FROM pg_stat_replication'))[0]?.sync_state !== 'sync') {
    if (Date.now() > deadline) throw new Error('the standby did not become synchronous');
    await sleep(100);
  }
  readUrl = new URL(new URL(databaseUrl).pathname, standby.url).toString();
  [redis, payments, proxy] = await Promise.all([startRedis(), startFakePaymentService(), startTcpProxy({ host: '127.0.0.1', port: primary.port })]);
  const env = {
    DATABASE_URL: proxy.url(databaseUrl),
    DATABASE_READ_URL: readUrl,
    REDIS_URL: redis.url,
    AUTH_JWT_SECRET: TEST_SECRET,
    ACTUATOR_TOKEN: TEST_ACTUATOR_TOKEN,
    PAYMENT_SERVICE_URL: payments.url,
    RATE_LIMIT_MAX: '1000000',
    LOG_LEVEL: 'warn',
  };
  // The first one migrates; the other starts on the migrated database.
  replicas.push(await startReplica('replica-1', env));
  replicas.push(await startReplica('replica-2', { ...env, RUN_MIGRATIONS: 'false' }));
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await Promise.all([proxy?.close(), payments?.close(), redis?.destroy(), standby?.destroy(), primary?.destroy()]);
});

interface Answer {
  /** When the answer came, and when its request was sent. */
  at: number;
  sentAt?: number;
  replica: number;
  what: 'book' | 'pay' | 'read';
  status: number | string;
  retryAfter?: string | null;
  bookingId?: string;
  /** The problem type of a refusal. */
  type?: string;
}

async function call(replica: number, method: string, path: string, who: TestUser | null, body?: unknown) {
  const sentAt = Date.now();
  const response = await fetch(`${replicas[replica]!.url}${path}`, {
    method,
    headers: { ...(who?.auth ?? {}), ...(body ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  return {
    sentAt,
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

async function publish(owner: TestUser, body: Record<string, unknown>): Promise<string> {
  const created = await call(0, 'POST', '/api/v2/events', owner, { title: 'Rafting', startDate: inDays(10), endDate: inDays(11), ...body });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await call(0, 'POST', `/api/v2/events/${id}/publish`, owner)).status).toBe(200);
  return id;
}

describe('PostgreSQL failover behind the primary Service, under a booking rush with payments', () => {
  it('loses no acknowledged booking or payment, answers only 503 with Retry-After during the switch, resumes writes within 10 s, serves reads throughout, and no replica exits', async () => {
    const owner = await organizer();
    const rushed = await publish(owner, { capacity: 5_000, price: { amount: 4200, currency: 'EUR' } });
    // A quiet event and enough events for list pages past the cached ones: reads the replica serves.
    const quiet = await publish(owner, { capacity: 10 });
    for (let i = 0; i < 4; i++) await publish(owner, { capacity: 10 });
    const somebody = await user();
    expect((await call(1, 'POST', '/api/v2/bookings', somebody, { eventId: quiet })).status).toBe(201);

    const answers: Answer[] = [];
    let running = true;
    const record = (
      replica: number,
      what: Answer['what'],
      res: { sentAt: number; status: number; retryAfter: string | null; body: Record<string, unknown> },
      bookingId?: string,
    ) =>
      answers.push({
        at: Date.now(),
        sentAt: res.sentAt,
        replica,
        what,
        status: res.status,
        retryAfter: res.retryAfter,
        bookingId,
        type: res.status >= 400 ? String(res.body.type) : undefined,
      });
    const attempt = async (
      replica: number,
      what: Answer['what'],
      run: () => Promise<{ sentAt: number; status: number; retryAfter: string | null; body: Record<string, unknown> }>,
    ) => {
      try {
        const res = await run();
        return res;
      } catch (error) {
        answers.push({ at: Date.now(), replica, what, status: `no answer: ${(error as Error).message}` });
        return undefined;
      }
    };

    const bookers = Array.from({ length: BOOKERS }, async (_, i) => {
      const replica = i % 2;
      while (running) {
        const booker = await user();
        const booked = await attempt(replica, 'book', () => call(replica, 'POST', '/api/v2/bookings', booker, { eventId: rushed }));
        if (!booked) continue;
        const bookingId = booked.status === 201 ? (booked.body.id as string) : undefined;
        record(replica, 'book', booked, bookingId);
        if (!bookingId) {
          await sleep(50);
          continue;
        }
        // Pay until an answer that is not "try again" (a 503 leaves the booking PENDING, payable).
        while (running) {
          const paid = await attempt(replica, 'pay', () => call(replica, 'POST', `/api/v2/bookings/${bookingId}/pay`, booker));
          if (!paid) break;
          record(replica, 'pay', paid, bookingId);
          if (paid.status !== 503) break;
          await sleep(Math.min(1_000, Number(paid.retryAfter ?? 1) * 1_000));
        }
      }
    });
    const reads = [
      () => `/api/v2/events/${quiet}`,
      () => `/api/v2/events/${quiet}/attendees`,
      // Past the cached first pages: read from the replica.
      () => `/api/v2/events?page=4&size=1`,
      () => `/api/v2/events/${rushed}`,
    ];
    const readers = Array.from({ length: READERS }, async (_, i) => {
      let n = i;
      while (running) {
        const replica = n % 2;
        const path = reads[n++ % reads.length]!();
        const res = await attempt(replica, 'read', () => call(replica, 'GET', path, owner));
        if (res) record(replica, 'read', res);
        await sleep(20);
      }
    });

    // Mid-rush: bookings and payments committed (on both servers) and more in flight.
    const rushing = Date.now() + 30_000;
    const done = (what: Answer['what'], status: number) => answers.filter((a) => a.what === what && a.status === status).length;
    while (done('book', 201) < 20 || done('pay', 200) < 5) {
      if (Date.now() > rushing) throw new Error(`the rush did not get going: ${done('book', 201)} bookings, ${done('pay', 200)} payments`);
      await sleep(100);
    }

    const killedAt = Date.now();
    await primary.kill();
    // The failover controller notices and promotes the standby, and the Service follows it; meanwhile
    // the replicas' postgres breakers open (writes 503 at once, reads from the standby).
    await sleep(3_000);
    await standby.promote();
    const promotedAt = Date.now();
    proxy.retarget({ host: '127.0.0.1', port: standby.port });

    await sleep(13_000);
    running = false;
    await Promise.all([...bookers, ...readers]);

    for (const r of replicas) expect(r.alive(), `${r.name} exited:\n${r.output().slice(-4000)}`).toBe(true);

    // Writes back on each replica within 10 s of the new primary accepting them.
    for (const replica of [0, 1]) {
      const back = answers.find((a) => a.replica === replica && a.what === 'book' && a.status === 201 && a.at > promotedAt);
      expect(back, `replica-${replica + 1}: no booking accepted after the promotion`).toBeDefined();
      expect(back!.at - promotedAt, `replica-${replica + 1}: writes back after`).toBeLessThanOrEqual(10_000);
    }
    const lastAccepted = answers.filter((a) => a.what === 'book' && a.status === 201).at(-1)!;
    expect(lastAccepted.at).toBeGreaterThan(promotedAt);

    // Every answer: 2xx, 409, or 503 with Retry-After for a request sent while the switch lasts: from
    // the kill until 10 s after the new primary accepts writes (the breakers close once their trial
    // calls succeed).
    const switchEnds = promotedAt + 10_000;
    for (const replica of [0, 1])
      expect(
        answers.filter((a) => a.replica === replica && a.what === 'book' && a.status === 201 && a.at > switchEnds).length,
        `replica-${replica + 1}: bookings after the switch`,
      ).toBeGreaterThan(0);
    const wrong = answers.filter((a) => {
      if (typeof a.status === 'number' && ((a.status >= 200 && a.status < 300) || a.status === 409)) return false;
      // A request sent during the switch may be answered just after it.
      if (a.status === 503 && Number(a.retryAfter) >= 1 && a.at >= killedAt && a.sentAt! <= switchEnds) return false;
      return true;
    });
    expect(
      wrong.map((a) => ({ ...a, afterKill: a.at - killedAt, afterPromotion: a.at - promotedAt })),
      'answers other than 2xx, 409, or 503 with Retry-After during the switch',
    ).toEqual([]);
    // Reads through the read replica answered throughout.
    const reads200 = answers.filter((a) => a.what === 'read');
    expect(reads200.filter((a) => a.status !== 200)).toEqual([]);
    expect(reads200.filter((a) => a.at > killedAt && a.at < promotedAt + 2_000).length, 'reads during the switch').toBeGreaterThan(0);

    // The read URL served reads on both replicas.
    const operator = await user(['ADMIN']);
    for (const r of replicas) {
      const metrics = await (await fetch(`${r.url}/actuator/prometheus`, { headers: operator.auth })).text();
      expect(Number(/^db_reads_total\{server="replica"\} (\d+)/m.exec(metrics)?.[1] ?? 0), `${r.name}: reads served by the replica`).toBeGreaterThan(0);
    }

    // Nothing acknowledged is lost: every 201 booking and every paid one is in the promoted database.
    const rows = await query<{ id: string; status: string; payment_status: string }>(
      readUrl,
      'SELECT id, status, payment_status FROM bookings WHERE event_id = $1',
      [rushed],
    );
    const stored = new Map(rows.map((r) => [r.id, r]));
    const booked = answers.filter((a) => a.what === 'book' && a.status === 201).map((a) => a.bookingId!);
    expect(
      booked.filter((id) => !stored.has(id)),
      'bookings answered 201 missing after the failover',
    ).toEqual([]);
    const paid = answers.filter((a) => a.what === 'pay' && a.status === 200).map((a) => a.bookingId!);
    expect(paid.length).toBeGreaterThan(0);
    expect(
      paid.filter((id) => stored.get(id)?.payment_status !== 'PAID'),
      'payments answered 200 not PAID after the failover',
    ).toEqual([]);
    const [{ available }] = (await query<{ available: number }>(readUrl, 'SELECT available FROM events WHERE id = $1', [rushed])) as [{ available: number }];
    expect(available).toBe(5_000 - rows.filter((r) => r.status === 'PENDING' || r.status === 'CONFIRMED').length);

    const count = (what: string, status: number | string) => answers.filter((a) => a.what === what && a.status === status).length;
    console.log(
      `failover: ${booked.length} bookings (201), ${paid.length} payments (200), ${count('book', 503) + count('pay', 503)} answered 503 during the switch, ` +
        `${reads200.length} reads (all 200); writes back ${[0, 1].map((r) => answers.find((a) => a.replica === r && a.what === 'book' && a.status === 201 && a.at > promotedAt)!.at - promotedAt).join(' / ')} ms after the promotion, the last 503 ${Math.max(...answers.filter((a) => a.status === 503).map((a) => a.at)) - promotedAt} ms after it`,
    );
  });
});
