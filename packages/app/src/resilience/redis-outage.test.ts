import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, organizer, publishedEvent, startTestApp, type TestApp } from '../../../../testing/app';
import { startRedis, type RedisServer } from '../../../../testing/services/redis';
import { startTcpProxy, type TcpProxy } from '../../../../testing/services/tcp-proxy';
import { parseMetrics } from '../../../../testing/prometheus';

// The app's Redis sits behind a TCP proxy in front of a Redis of this file's own (the shared one
// is never cut, and the cache drops its keys when Redis comes back).
let redis: RedisServer;
let proxy: TcpProxy;
let direct: Redis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  direct = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await direct.connect();
  t = await startTestApp({ REDIS_URL: proxy.url(redis.url), RATE_LIMIT_MAX: '100000' });
  // The Redis client connects in the background; wait, so the first reads are cached in Redis.
  const client = t.deps.redis!;
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
});

afterAll(async () => {
  await t?.close();
  direct?.disconnect();
  await proxy?.close();
  await redis?.destroy();
});

/** Sum of the samples of `name` whose labels include `labels`. */
function sum(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const [key, v] of samples) if (key.split('{')[0] === name && wanted.every((w) => key.includes(w))) total += v;
  return total;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth });
  expect(res.statusCode).toBe(200);
  return parseMetrics(res.body);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(50);
  }
}

interface Answer {
  sentAt: number;
  status: number;
  id?: string;
}

/** Fires GET `url` every `intervalMs` (without waiting for answers) until stopped. */
function steadyStream(url: string, intervalMs: number) {
  const answers: Answer[] = [];
  const inFlight: Promise<void>[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentAt = Date.now();
      inFlight.push(
        t.app.inject({ method: 'GET', url }).then(
          (res) => void answers.push({ sentAt, status: res.statusCode, id: res.statusCode === 200 ? (res.json() as { id: string }).id : undefined }),
          () => void answers.push({ sentAt, status: 0 }),
        ),
      );
      await sleep(intervalMs);
    }
  })();
  return {
    answers,
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      return answers;
    },
  };
}

describe('Redis cut under a steady request stream', () => {
  it('answers every request, reports the local-cache fallback, and uses Redis again once it is back', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { capacity: 5 });
    const url = `/api/v2/events/${event.id}`;
    const key = `be:event:${event.id}`;

    // Healthy: reads go through Redis.
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(await direct.exists(key)).toBe(1);
    let m = await scrape();
    expect(sum(m, 'degraded_mode', { mode: 'local_cache' })).toBe(0);
    const health = (await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth })).json() as {
      components: Record<string, { status: string }>;
    };
    expect(health.components.redis?.status).toBe('UP');

    const stream = steadyStream(url, 20);
    await sleep(1_000);

    // Cut.
    const cutAt = Date.now();
    proxy.cut();
    await eventually('degraded_mode{mode="local_cache"} 1', async () => sum(await scrape(), 'degraded_mode', { mode: 'local_cache' }) === 1, 5_000);
    const down = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth });
    expect(down.statusCode).toBe(200); // Redis is not critical
    const downBody = down.json() as { status: string; components: Record<string, { status: string; details?: Record<string, unknown> }> };
    expect(downBody.components.redis?.status).toBe('DOWN');
    expect(downBody.status).toBe('DEGRADED');
    expect((await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' })).statusCode).toBe(200);
    const localBefore = sum(await scrape(), 'cache_requests_total', { cache: 'local' });
    await sleep(2_000);
    m = await scrape();
    expect(sum(m, 'degraded_mode', { mode: 'local_cache' })).toBe(1);
    expect(sum(m, 'cache_requests_total', { cache: 'local' })).toBeGreaterThan(localBefore);
    const redisDuringCut = sum(m, 'cache_requests_total', { cache: 'redis' });

    // Restore.
    const restoredAt = Date.now();
    proxy.restore();
    await eventually('degraded_mode{mode="local_cache"} 0', async () => sum(await scrape(), 'degraded_mode', { mode: 'local_cache' }) === 0, 10_000);
    const backAfterMs = Date.now() - restoredAt;
    await sleep(1_000);
    const answers = await stream.stop();

    // Zero failed requests across the whole stream, including the ones sent during the cut.
    const failed = answers.filter((a) => a.status !== 200 || a.id !== event.id);
    expect(failed).toEqual([]);
    const duringCut = answers.filter((a) => a.sentAt >= cutAt && a.sentAt < restoredAt);
    expect(duringCut.length).toBeGreaterThan(50);
    expect(answers.length).toBeGreaterThan(150);

    // Redis is used again: its lookups grow, and the event is cached there again.
    m = await scrape();
    expect(sum(m, 'cache_requests_total', { cache: 'redis' })).toBeGreaterThan(redisDuringCut);
    await eventually(`${key} in Redis`, async () => {
      await t.app.inject({ method: 'GET', url });
      return (await direct.exists(key)) === 1;
    });
    const up = (await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth })).json() as {
      components: Record<string, { status: string; details?: Record<string, unknown> }>;
    };
    expect(up.components.redis).toMatchObject({ status: 'UP', details: { pong: 'PONG', fallback: 'none' } });
    expect(backAfterMs).toBeLessThan(10_000);
  });
});

describe('Redis hanging (silent partition) under a steady request stream', () => {
  it('answers every request within the command timeout, and uses Redis again once it answers', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { capacity: 5 });
    const url = `/api/v2/events/${event.id}`;
    const key = `be:event:${event.id}`;
    await eventually('Redis in use', async () => sum(await scrape(), 'degraded_mode', { mode: 'local_cache' }) === 0);
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(await direct.exists(key)).toBe(1);

    const stream = steadyStream(url, 20);
    await sleep(500);
    const hungAt = Date.now();
    proxy.blackhole();
    await eventually('degraded_mode{mode="local_cache"} 1', async () => sum(await scrape(), 'degraded_mode', { mode: 'local_cache' }) === 1, 5_000);
    await sleep(1_500);
    const restoredAt = Date.now();
    proxy.restore();
    await eventually(
      'degraded_mode{mode="local_cache"} 0 after the partition heals',
      async () => sum(await scrape(), 'degraded_mode', { mode: 'local_cache' }) === 0,
      15_000,
    );
    await sleep(500);
    const answers = await stream.stop();

    expect(answers.filter((a) => a.status !== 200 || a.id !== event.id)).toEqual([]);
    expect(answers.filter((a) => a.sentAt >= hungAt && a.sentAt < restoredAt).length).toBeGreaterThan(30);
    await eventually(`${key} in Redis`, async () => {
      await t.app.inject({ method: 'GET', url });
      return (await direct.exists(key)) === 1;
    });
  });
});
