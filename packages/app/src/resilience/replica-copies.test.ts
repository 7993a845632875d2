import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../../testing/database';
import { admin, organizer, publishedEvent, redisConnected, startTestApp, user, type TestApp, type TestUser } from '../../../../testing/app';
import { parseMetrics } from '../../../../testing/prometheus';
import { startRedis, type RedisServer } from '../../../../testing/services/redis';
import { startTcpProxy, type TcpProxy } from '../../../../testing/services/tcp-proxy';

// Two replicas on one database and one Redis of this file's own; replica B reaches Redis through a
// proxy that the test can silence. Each replica serves hot events from its own copy.
let redis: RedisServer;
let link: TcpProxy;
let a: TestApp;
let b: TestApp;
let owner: TestUser;

beforeAll(async () => {
  redis = await startRedis();
  link = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  const databaseUrl = await freshDatabase('copies');
  // The test polls as one anonymous client far faster than a person: the per-IP limit is not the subject.
  a = await startTestApp({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url, RATE_LIMIT_MAX: '1000000' });
  b = await startTestApp({ DATABASE_URL: databaseUrl, REDIS_URL: link.url(redis.url), RATE_LIMIT_MAX: '1000000' });
  owner = await organizer();
  await Promise.all([a, b].map(redisConnected));
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await link?.close();
  await redis?.destroy();
});

const read = async (t: TestApp, id: string) => {
  const res = await t.app.inject({ method: 'GET', url: `/api/v2/events/${id}` });
  expect(res.statusCode).toBe(200);
  return res.json() as { title: string; available: number };
};

async function redisLookups(t: TestApp): Promise<number> {
  const samples = parseMetrics((await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth })).body);
  let n = 0;
  for (const [key, v] of samples) if (key.startsWith('cache_requests_total{') && key.includes('cache="redis"')) n += v;
  return n;
}

async function until<T>(what: string, probe: () => Promise<T | false>, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== false) return { value, ms: performance.now() - t0 };
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

/** A's channel subscription is confirmed shortly after start; wait until B serves from its own copy. */
async function warm(id: string) {
  await until(
    'both replicas keep their own copies',
    async () => {
      await read(b, id);
      const before = await redisLookups(b);
      await read(b, id);
      return (await redisLookups(b)) === before;
    },
    10_000,
  );
}

describe("each replica's own copy of hot events", () => {
  it('serves hot reads without asking Redis, and sees a change made on the other replica within 100 ms', async () => {
    const event = await publishedEvent(a.app, owner, { capacity: 5 });
    await warm(event.id);
    const before = await redisLookups(b);
    for (let i = 0; i < 20; i++) expect((await read(b, event.id)).available).toBe(5);
    expect(await redisLookups(b)).toBe(before);

    // A seat is booked on replica A.
    const booked = await a.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: (await user()).auth, payload: { eventId: event.id } });
    expect(booked.statusCode).toBe(201);
    const seen = await until('B sees the booking', async () => (await read(b, event.id)).available === 4 || false, 1_000);
    expect(seen.ms).toBeLessThanOrEqual(100);
  });

  it('drops its copies when it may have missed announcements (its Redis link went silent), and reads fresh once back', async () => {
    const event = await publishedEvent(a.app, owner, { capacity: 5 });
    await warm(event.id);
    expect((await read(b, event.id)).available).toBe(5);

    // B's link to Redis goes silent: B hears nothing of what happens now.
    link.blackhole();
    const booked = await a.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: (await user()).auth, payload: { eventId: event.id } });
    expect(booked.statusCode).toBe(201);
    // B notices the silence (no heartbeat back) within seconds and stops serving its copy.
    await until('B stops serving its stale copy', async () => (await read(b, event.id)).available === 4 || false, 10_000);

    link.restore();
    // Back: whatever B keeps again is fresh.
    const booked2 = await a.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: (await user()).auth, payload: { eventId: event.id } });
    expect(booked2.statusCode).toBe(201);
    await until('B sees the second booking', async () => (await read(b, event.id)).available === 3 || false, 10_000);
    await warm(event.id);
    expect((await read(b, event.id)).available).toBe(3);
  });
});
