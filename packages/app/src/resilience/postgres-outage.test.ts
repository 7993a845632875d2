import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { admin, organizer, publishedEvent, startTestApp, user, inDays, type TestApp, type TestUser } from '../../../../testing/app';
import { startPostgres, type PostgresServer } from '../../../../testing/services/postgres';
import { startTcpProxy, type TcpProxy } from '../../../../testing/services/tcp-proxy';
import { parseMetrics } from '../../../../testing/prometheus';

// The app talks to a PostgreSQL of this file's own through a TCP proxy, so the database can be cut
// (proxy) or stopped for real without touching the shared server. Small breaker settings make the
// postgres breaker open and close within seconds.
const OPEN_DURATION_MS = 2_000;
let server: PostgresServer;
let proxy: TcpProxy;
let databaseUrl: string;
let t: TestApp;

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('outage');
  proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
  t = await startTestApp({
    DATABASE_URL: proxy.url(databaseUrl),
    REDIS_URL: inject('redisUrl'),
    RATE_LIMIT_MAX: '100000',
    BREAKER_MINIMUM_CALLS: '4',
    BREAKER_WINDOW_SIZE: '10',
    BREAKER_OPEN_DURATION: `${OPEN_DURATION_MS}ms`,
    BREAKER_HALF_OPEN_CALLS: '2',
    DB_STATEMENT_TIMEOUT: '1s',
  });
  // The Redis client connects in the background; wait, so the first reads are cached in Redis.
  const client = t.deps.redis!;
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
});

afterAll(async () => {
  await t?.close();
  await proxy?.close();
  await server?.destroy();
});

/** Runs `work` with a client straight to the database (not through the proxy), to check what was really written. */
async function withDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sample(samples: Map<string, number>, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, v] of samples) if (key.split('{')[0] === name && wanted.every((w) => key.includes(w))) return v;
  return undefined;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth });
  expect(res.statusCode).toBe(200);
  return parseMetrics(res.body);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(everyMs);
  }
}

const book = (who: TestUser, eventId: string) => t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });
/** A booking that names its category (the implicit one, whose id is the event's): a transaction of its own, never shared with other bookings. */
const bookByLine = (who: TestUser, eventId: string) =>
  t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId, lines: [{ categoryId: eventId, seats: 1 }] } });
const createEvent = (owner: TestUser) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v2/events',
    headers: owner.auth,
    payload: { title: 'Kayaking', startDate: inDays(5), endDate: inDays(6), capacity: 3 },
  });

function expectReadOnly(res: Awaited<ReturnType<typeof book>>) {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect((res.json() as { type: string }).type).toMatch(/\/read-only-mode$/);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(Math.ceil(OPEN_DURATION_MS / 1000) + 10);
}

/** Checks the database itself: exactly the bookings answered 201 exist, and the seat count matches. */
async function expectConsistent(eventId: string, capacity: number, created: Set<string>, refusedUsers: Set<string>) {
  const { rows, available } = await withDatabase(async (client) => ({
    rows: (await client.query<{ id: string; user_id: string; status: string }>('SELECT id, user_id, status FROM bookings WHERE event_id = $1', [eventId])).rows,
    available: (await client.query<{ available: number }>('SELECT available FROM events WHERE id = $1', [eventId])).rows[0]!.available,
  }));
  expect(
    rows.filter((r) => refusedUsers.has(r.user_id)),
    'bookings committed although their request was refused',
  ).toEqual([]);
  expect(rows.map((r) => r.id).sort(), 'bookings in the database vs bookings answered 201').toEqual([...created].sort());
  const active = rows.filter((r) => r.status === 'PENDING' || r.status === 'CONFIRMED').length;
  expect(available).toBe(capacity - active);
}

/** Writes until the postgres breaker opens; every one of them is refused as read-only. */
async function openBreaker(eventId: string, refusedUsers: Set<string>): Promise<number> {
  const postgres = t.deps.policies.get('postgres');
  for (let attempt = 1; attempt <= 10; attempt++) {
    const who = await user();
    refusedUsers.add(who.id);
    expectReadOnly(await book(who, eventId));
    if (postgres.state() === 'open') return attempt;
  }
  throw new Error(`the postgres breaker did not open within the window of 10 calls: ${JSON.stringify(postgres.stats())}`);
}

/**
 * Books with fresh users every 100 ms until the breaker is closed again (the half-open trials are
 * real writes, so recovery needs traffic); returns how long the first accepted write took.
 */
async function writeUntilRecovered(eventId: string, created: Set<string>, refusedUsers: Set<string>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  let firstAccepted: number | undefined;
  const postgres = t.deps.policies.get('postgres');
  await eventually(
    'writes accepted and the postgres breaker closed after the database came back',
    async () => {
      const who = await user();
      const res = await book(who, eventId);
      if (res.statusCode === 201) {
        created.add((res.json() as { id: string }).id);
        firstAccepted ??= Date.now() - start;
      } else {
        expectReadOnly(res);
        refusedUsers.add(who.id);
      }
      return postgres.state() === 'closed';
    },
    timeoutMs,
  );
  return firstAccepted!;
}

describe('PostgreSQL outage: read-only mode', () => {
  const capacity = 50;
  const created = new Set<string>();
  const refusedUsers = new Set<string>();
  let owner: TestUser;
  let eventId: string;

  it('cut: serves cached reads, refuses writes with 503 read-only-mode, opens the breaker, stays ready, and recovers by itself', async () => {
    owner = await organizer();
    eventId = (await publishedEvent(t.app, owner, { capacity })).id;
    for (let i = 0; i < 2; i++) {
      const res = await book(await user(), eventId);
      expect(res.statusCode, res.body).toBe(201);
      created.add((res.json() as { id: string }).id);
    }
    // Warm the cache (the bookings invalidated it).
    const warm = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
    expect(warm.statusCode).toBe(200);
    expect(warm.headers['x-degraded']).toBeUndefined();
    expect((warm.json() as { available: number }).available).toBe(capacity - 2);

    proxy.cut();

    // Writes are refused as read-only, and the breaker opens within its window.
    const attempts = await openBreaker(eventId, refusedUsers);
    expect(attempts).toBeLessThanOrEqual(10);
    expectReadOnly(await createEvent(owner));

    // Reads of the cached event still answer, marked as degraded.
    const read = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
    expect(read.statusCode).toBe(200);
    expect(read.headers['x-degraded']).toBe('read-only');
    expect(read.json() as { id: string; available: number }).toMatchObject({ id: eventId, available: capacity - 2 });

    const m = await scrape();
    expect(sample(m, 'resilience_circuit_breaker_state', { name: 'postgres', state: 'open' })).toBe(1);
    expect(sample(m, 'resilience_circuit_breaker_state', { name: 'postgres', state: 'closed' })).toBe(0);
    expect(sample(m, 'degraded_mode', { mode: 'read_only' })).toBe(1);

    const health = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth });
    expect(health.statusCode).toBe(200);
    const body = health.json() as { status: string; components: Record<string, { status: string; details?: Record<string, { state?: string }> }> };
    expect(body.status).toBe('DEGRADED');
    expect(body.components.db?.status).toBe('DOWN');
    expect(body.components.circuitBreakers?.status).toBe('DEGRADED');
    expect(body.components.circuitBreakers?.details?.postgres?.state).toBe('open');

    // Read-only is a degraded but ready service.
    const ready = await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' });
    expect(ready.statusCode).toBe(200);
    expect((ready.json() as { status: string }).status).toBe('UP');
    expect((await t.app.inject({ method: 'GET', url: '/actuator/health/liveness' })).statusCode).toBe(200);

    // Stay cut past the open duration: the half-open trials fail and the breaker opens again.
    await sleep(OPEN_DURATION_MS + 200);
    for (let i = 0; i < 3; i++) {
      const who = await user();
      refusedUsers.add(who.id);
      expectReadOnly(await book(who, eventId));
    }
    expect(t.deps.policies.get('postgres').state()).toBe('open');
    expect((await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' })).statusCode).toBe(200);

    // Restore: no restart, the next writes after the open duration close the breaker.
    proxy.restore();
    const tookMs = await writeUntilRecovered(eventId, created, refusedUsers, OPEN_DURATION_MS + 8_000);
    expect(tookMs).toBeLessThan(OPEN_DURATION_MS + 8_000);

    const after = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
    expect(after.statusCode).toBe(200);
    expect(after.headers['x-degraded']).toBeUndefined();
    expect((after.json() as { available: number }).available).toBe(capacity - created.size);
    const made = await createEvent(owner);
    expect(made.statusCode, made.body).toBe(201);
    const m2 = await scrape();
    expect(sample(m2, 'degraded_mode', { mode: 'read_only' })).toBe(0);
    expect(sample(m2, 'resilience_circuit_breaker_state', { name: 'postgres', state: 'closed' })).toBe(1);

    await expectConsistent(eventId, capacity, created, refusedUsers);
  });

  it('server stopped for real: same read-only mode, and recovery once it is started again', async () => {
    expect(eventId).toBeDefined();
    const warm = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
    expect(warm.statusCode).toBe(200);

    await server.stop();
    try {
      await openBreaker(eventId, refusedUsers);
      const read = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
      expect(read.statusCode).toBe(200);
      expect(read.headers['x-degraded']).toBe('read-only');
      expect((await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' })).statusCode).toBe(200);
    } finally {
      await server.start();
    }

    await writeUntilRecovered(eventId, created, refusedUsers, OPEN_DURATION_MS + 10_000);
    const after = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
    expect(after.statusCode).toBe(200);
    expect(after.headers['x-degraded']).toBeUndefined();
    await expectConsistent(eventId, capacity, created, refusedUsers);
  });
});

describe('PostgreSQL hanging (silent partition)', () => {
  // A write hung on a pooled connection must be refused as read-only (503) once the policy's time limit
  // passes, and must not be committed later when the held bytes reach the database after the partition heals.
  it('refuses writes with 503 read-only-mode within the time limit, and none of them is committed later', async () => {
    const capacity = 20;
    const owner = await organizer();
    const eventId = (await publishedEvent(t.app, owner, { capacity })).id;
    const created = new Set<string>();
    const refusedUsers = new Set<string>();
    const first = await book(await user(), eventId);
    expect(first.statusCode, first.body).toBe(201);
    created.add((first.json() as { id: string }).id);
    expect((await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` })).statusCode).toBe(200);

    proxy.blackhole();
    try {
      // Concurrent writes hang on the database; each must be answered within the policy's time limit.
      // Half are plain bookings, which share at most BOOKING_BATCH_IN_FLIGHT transactions of the
      // event; half book by line, a transaction each, so that six calls reach the breaker.
      const users = await Promise.all(Array.from({ length: 9 }, () => user()));
      const started = Date.now();
      const answers = await Promise.all(users.map((u, i) => (i % 3 === 0 ? book(u, eventId) : bookByLine(u, eventId))));
      const elapsed = Date.now() - started;
      // Soft: a wrong answer is reported, and the test still checks what the database holds afterwards.
      for (const [i, res] of answers.entries()) {
        expect
          .soft(`${res.statusCode} ${(res.json() as { type?: string }).type}`, `booking of ${users[i]!.id}`)
          .toBe('503 https://aquastream.org/problems/read-only-mode');
        expect.soft(res.headers['retry-after'], `retry-after of ${users[i]!.id}`).toBeDefined();
        refusedUsers.add(users[i]!.id);
      }
      expect(elapsed).toBeLessThan(1_000 + 2_000 + 3_000); // DB_STATEMENT_TIMEOUT + 2 s, plus slack
      expect(t.deps.policies.get('postgres').state()).toBe('open');
      const read = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
      expect(read.statusCode).toBe(200);
      expect(read.headers['x-degraded']).toBe('read-only');
      // Once open, a plain booking is refused at once.
      const late = await user();
      const lateStarted = Date.now();
      const refused = await book(late, eventId);
      expect(`${refused.statusCode} ${(refused.json() as { type?: string }).type}`).toBe('503 https://aquastream.org/problems/read-only-mode');
      expect(Date.now() - lateStarted).toBeLessThan(1_000);
      refusedUsers.add(late.id);
    } finally {
      proxy.restore();
    }

    await writeUntilRecovered(eventId, created, refusedUsers, OPEN_DURATION_MS + 10_000);
    // Give anything still held in the healed connections time to reach the database.
    await sleep(1_500);
    await expectConsistent(eventId, capacity, created, refusedUsers);
  });
});
