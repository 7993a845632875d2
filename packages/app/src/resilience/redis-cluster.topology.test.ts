import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actuatorAuth, organizer, publishedEvent, redisConnected, startTestApp, user, type TestApp } from '../../../../testing/app';
import { parseMetrics } from '../../../../testing/prometheus';
import { startPostgres, type PostgresServer } from '../../../../testing/services/postgres';
import { startRedisCluster, type RedisCluster } from '../../../../testing/services/redis';

// Two replicas of the service on a three-master Redis Cluster (REDIS_CLUSTER_NODES): the cache,
// its invalidation across replicas and the shared rate limit work as on one server, with no
// silent fall-back to the in-process cache (a cross-slot DEL would cause one).
const RATE_LIMIT = 60;
let postgres: PostgresServer;
let cluster: RedisCluster;
let direct: Cluster;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  [postgres, cluster] = await Promise.all([startPostgres(), startRedisCluster({ masters: 3 })]);
  const env = { DATABASE_URL: postgres.url, REDIS_CLUSTER_NODES: cluster.nodeList, RATE_LIMIT_MAX: String(RATE_LIMIT) };
  a = await startTestApp(env);
  b = await startTestApp(env);
  await Promise.all([a, b].map(redisConnected));
  direct = new Cluster([{ host: '127.0.0.1', port: cluster.masters[0]!.port }]);
});

afterAll(async () => {
  direct?.disconnect();
  await Promise.all([a?.close(), b?.close()]);
  await Promise.all([cluster?.destroy(), postgres?.destroy()]);
});

async function localCacheInUse(t: TestApp): Promise<boolean> {
  const samples = parseMetrics((await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: actuatorAuth })).body);
  return samples.get('degraded_mode{mode="local_cache"}') === 1;
}

async function until<T>(what: string, probe: () => Promise<T | false>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== false) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

describe('two replicas on a three-master Redis Cluster', () => {
  it('cache events in the cluster and see each other’s changes at once, never falling back to the in-process cache', async () => {
    const owner = await organizer();
    const event = await publishedEvent(a.app, owner, { capacity: 5 });
    // Each read as another user: the polling below is no subject for the per-user rate limit.
    const read = async (t: TestApp) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}`, headers: (await user()).auth });
      expect(res.statusCode).toBe(200);
      return res.json() as { available: number };
    };
    expect((await read(b)).available).toBe(5);
    expect(await direct.exists(`be:event:${event.id}`)).toBe(1);

    for (let booked = 1; booked <= 3; booked++) {
      const res = await a.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: (await user()).auth, payload: { eventId: event.id } });
      expect(res.statusCode).toBe(201);
      // A's commit deletes the event's entries (in several hash slots) and announces the change.
      await until(`B sees ${booked} booked`, async () => (await read(b)).available === 5 - booked || false, 2_000);
    }
    expect(await localCacheInUse(a)).toBe(false);
    expect(await localCacheInUse(b)).toBe(false);
  });

  it('share one rate limit across the replicas, counted in the cluster', async () => {
    const greedy = await user();
    const burst = async (t: TestApp) => {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await t.app.inject({ method: 'GET', url: '/api/v2/events', headers: greedy.auth })).statusCode);
      return statuses;
    };
    const statuses = (await Promise.all([burst(a), burst(b)])).flat();
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // Each replica counts the first half of the limit itself (createSharedRateCounter): 61 at most.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(RATE_LIMIT + 1);
    expect(await direct.get(`be:rate:user:${greedy.id}`)).toBe('80');
  });
});
