import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient, type RedisTarget } from './connect';
import { createSharedRateCounter, type SharedRateCounter, type WindowCount } from './rate-limit-counter';

const incr = (counter: SharedRateCounter, key: string, max: number, windowMs = 60_000) =>
  new Promise<WindowCount>((resolve, reject) => counter.incr(key, windowMs, max, (error, count) => (error ? reject(error) : resolve(count!))));

/** connectRedis has no offline queue: wait until the connection is ready. */
export async function ready(client: RedisClient): Promise<RedisClient> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

/**
 * The shared rate counter's behaviour against one Redis topology (`target()` is called once its
 * servers run): the integration project runs it on a single server, the topology project on a
 * Redis Cluster.
 */
export function describeSharedRateCounter(topology: string, target: () => string | RedisTarget): void {
  describe(`shared rate counter (Redis, ${topology})`, () => {
    let redis: RedisClient;
    const prefix = `test:rate:${randomUUID()}:`;
    beforeAll(async () => {
      redis = await ready(connectRedis(target()));
    });
    afterAll(() => redis.quit());

    it('counts far below the limit locally and adds the counts to Redis in one batch', async () => {
      const counter = createSharedRateCounter(redis, { prefix, flushMs: 20 });
      const counts = [];
      for (let i = 0; i < 10; i++) counts.push((await incr(counter, 'a', 1_000)).current);
      expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await redis.get(prefix + 'a')).toBeNull(); // not sent yet
      await counter.flush();
      expect(await redis.get(prefix + 'a')).toBe('10');
      const ttl = await redis.pttl(prefix + 'a');
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await counter.close();
    });

    it('counts locally through incrLocal with one object per key (no allocation per request), and leaves the counts near the limit to Redis', async () => {
      const counter = createSharedRateCounter(redis, { prefix, flushMs: 20 });
      const first = counter.incrLocal('local', 60_000, 10);
      expect(first).toMatchObject({ current: 1 });
      expect(first!.ttl).toBeGreaterThan(50_000);
      const counts = [first!.current];
      for (let i = 0; i < 4; i++) {
        const count = counter.incrLocal('local', 60_000, 10);
        expect(count).toBe(first); // the key's own object, updated in place
        counts.push(count!.current);
      }
      expect(counts).toEqual([1, 2, 3, 4, 5]);
      expect(counter.incrLocal('local', 60_000, 10)).toBeUndefined(); // 6 > half of 10: Redis decides, nothing counted here
      expect((await incr(counter, 'local', 10)).current).toBe(6);
      await counter.flush();
      expect(await redis.get(prefix + 'local')).toBe('6');
      await counter.close();
    });

    it('adds the counts of many keys in one flush (more keys than one script call takes), each with its own window', async () => {
      const counter = createSharedRateCounter(redis, { prefix, flushMs: 20 });
      const keys = Array.from({ length: 1_203 }, (_, i) => `many-${i}`);
      for (const key of keys) await incr(counter, key, 1_000, key.endsWith('7') ? 30_000 : 60_000);
      await incr(counter, 'many-0', 1_000);
      await counter.flush();
      // One GET per key: on a cluster the keys live on several masters.
      const counts = await Promise.all(keys.map((k) => redis.get(prefix + k)));
      expect(counts[0]).toBe('2');
      expect(counts.slice(1).every((c) => c === '1')).toBe(true);
      expect(await redis.pttl(prefix + 'many-7')).toBeLessThanOrEqual(30_000);
      expect(await redis.pttl(prefix + 'many-8')).toBeGreaterThan(30_000);
      // The shared count came back: the next request of the key counts on from it.
      expect((await incr(counter, 'many-0', 1_000)).current).toBe(3);
      await counter.close();
    });

    it('enforces the limit on the count shared by two replicas', async () => {
      const a = createSharedRateCounter(redis, { prefix, flushMs: 20 });
      const b = createSharedRateCounter(redis, { prefix, flushMs: 20 });
      for (let i = 0; i < 5; i++) await incr(a, 'shared', 10);
      for (let i = 0; i < 5; i++) await incr(b, 'shared', 10);
      await Promise.all([a.flush(), b.flush()]);
      expect(await redis.get(prefix + 'shared')).toBe('10');
      // Past half the limit every request asks Redis, which has both replicas' counts.
      expect((await incr(a, 'shared', 10)).current).toBe(11);
      expect((await incr(b, 'shared', 10)).current).toBe(12);
      await Promise.all([a.close(), b.close()]);
    });

    it('counts each request in Redis at once past half the limit', async () => {
      const counter = createSharedRateCounter(redis, { prefix, flushMs: 60_000 });
      expect((await incr(counter, 'near', 4)).current).toBe(1);
      expect((await incr(counter, 'near', 4)).current).toBe(2);
      expect(await redis.get(prefix + 'near')).toBeNull();
      // The third request carries the two counted before it.
      expect((await incr(counter, 'near', 4)).current).toBe(3);
      expect(await redis.get(prefix + 'near')).toBe('3');
      expect((await incr(counter, 'near', 4)).current).toBe(4);
      expect((await incr(counter, 'near', 4)).current).toBe(5);
      expect(await redis.get(prefix + 'near')).toBe('5');
      await counter.close();
    });

    it('starts a new window when the old one has ended', async () => {
      const counter = createSharedRateCounter(redis, { prefix, flushMs: 10 });
      expect((await incr(counter, 'window', 2, 200)).current).toBe(1);
      expect((await incr(counter, 'window', 2, 200)).current).toBe(2);
      expect((await incr(counter, 'window', 2, 200)).current).toBe(3);
      await new Promise((r) => setTimeout(r, 300));
      expect((await incr(counter, 'window', 2, 200)).current).toBe(1);
      await counter.close();
    });

    it('rejects near the limit when Redis cannot answer, and sends the kept counts once it can', async () => {
      const broken = await ready(connectRedis(target()));
      const counter = createSharedRateCounter(broken, { prefix, flushMs: 10 });
      await incr(counter, 'outage', 4); // counted here
      const ended = new Promise((resolve) => broken.once('end', resolve));
      broken.disconnect(); // no offline queue: commands fail at once
      await ended;
      await expect(incr(counter, 'outage', 4)).resolves.toMatchObject({ current: 2 });
      await expect(incr(counter, 'outage', 4)).rejects.toThrow();
      broken.connect().catch(() => undefined);
      await ready(broken);
      await counter.flush();
      expect(await redis.get(prefix + 'outage')).toBe('3');
      await counter.close();
      broken.disconnect();
    });
  });
}
