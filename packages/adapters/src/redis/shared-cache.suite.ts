import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayeredCache, type LayeredCache } from '../cache/layered-cache';
import { connectRedis, isRedisCluster, type RedisClient, type RedisTarget } from './connect';
import { ready } from './rate-limit-counter.suite';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The layered cache on a real Redis of one topology (`target()` is called once its servers run):
 * entries under the same key names in every topology, deletes of several keys at once, counters,
 * and the clean-up after an outage.
 */
export function describeSharedCache(topology: string, target: () => string | RedisTarget): void {
  describe(`the shared cache (Redis, ${topology})`, () => {
    let client: RedisClient;
    let raw: RedisClient;
    let cache: LayeredCache;
    const prefix = `test:cache:${randomUUID()}:`;
    const fallbacks: boolean[] = [];

    beforeAll(async () => {
      client = await ready(connectRedis(target()));
      raw = await ready(connectRedis(target()));
      cache = createLayeredCache({ redis: client, prefix, onFallback: (active) => fallbacks.push(active) });
    });
    afterAll(async () => {
      client.disconnect();
      raw.disconnect();
    });

    it('keeps entries in Redis under the prefixed key, the name every release reads', async () => {
      await cache.set('event:1', '{"title":"Katun"}', 60_000);
      expect(await raw.get(`${prefix}event:1`)).toBe('{"title":"Katun"}');
      expect(await cache.get('event:1')).toBe('{"title":"Katun"}');
      expect(cache.usingLocal()).toBe(false);
    });

    it('deletes many keys at once, wherever they live, without falling back to the local cache', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `event:${i}:standings`);
      await Promise.all(keys.map((k) => cache.set(k, 'x', 60_000)));
      if (isRedisCluster(raw)) {
        // The point on a cluster: these keys lie in many hash slots (one DEL of them is CROSSSLOT).
        const slots = await Promise.all(keys.map((k) => raw.cluster('KEYSLOT', prefix + k)));
        expect(new Set(slots).size).toBeGreaterThan(10);
      }
      await cache.delete(keys);
      expect(fallbacks).toEqual([]);
      expect(cache.usingLocal()).toBe(false);
      const left = await Promise.all(keys.map((k) => raw.exists(prefix + k)));
      expect(left.every((n) => n === 0)).toBe(true);
    });

    it('counts versions in Redis', async () => {
      const first = await cache.increment('list:version');
      expect(await cache.increment('list:version')).toBe(first + 1);
      expect(await raw.get(`${prefix}list:version`)).toBe(String(first + 1));
    });

    it('serves from the process while Redis is away and drops every stale entry, on every server, once back', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => `stale:${i}`);
      await Promise.all(keys.map((k) => cache.set(k, 'before', 60_000)));
      fallbacks.length = 0;
      client.disconnect(true); // drops the connections; ioredis reconnects by itself
      await until('the cache falls back', () => fallbacks.includes(true));
      await cache.set('during', 'local', 60_000);
      expect(await cache.get('during')).toBe('local');
      await until('Redis is used again', () => fallbacks.includes(false) && !cache.usingLocal());
      // Entries from before the outage may have missed invalidations: all gone.
      const left = await Promise.all(keys.map((k) => raw.exists(prefix + k)));
      expect(left.filter((n) => n === 1)).toEqual([]);
      expect(await cache.get('stale:0')).toBeNull();
    });
  });
}
