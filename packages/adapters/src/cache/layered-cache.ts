import { LRUCache } from 'lru-cache';
import { deleteKeys, scanKeys, type RedisClient } from '../redis/connect';
import type { Cache } from './cache';

export interface LayeredCacheOptions {
  /** Shared cache of all replicas; optional (embedded mode has none). */
  redis?: RedisClient;
  /** Entries kept in process while Redis is unreachable. */
  localMaxEntries?: number;
  /** Local entries live shorter: other replicas' changes cannot reach this copy. */
  localTtlMs?: number;
  prefix?: string;
  onFallback?: (active: boolean, error?: unknown) => void;
  onLookup?: (result: 'hit' | 'miss', layer: 'redis' | 'local') => void;
}

export interface LayeredCache extends Cache {
  /** True while Redis is unreachable and the in-process cache serves instead. */
  usingLocal(): boolean;
}

/**
 * Redis first; when Redis fails, an in-process LRU with a short TTL takes over at once, so
 * requests keep succeeding. Redis is used again as soon as it answers; entries written while it
 * was away may be stale there, so they are dropped (by prefix) when it comes back.
 */
export function createLayeredCache(options: LayeredCacheOptions): LayeredCache {
  const prefix = options.prefix ?? 'be:';
  const localTtl = options.localTtlMs ?? 5_000;
  const local = new LRUCache<string, string>({ max: options.localMaxEntries ?? 5_000, ttl: localTtl });
  const counters = new Map<string, number>();
  const redis = options.redis;
  let down = !redis;
  let probe: NodeJS.Timeout | undefined;

  /** Back: forget what Redis holds from before the outage (it missed our invalidations). */
  const recover = async () => {
    if (!down || !redis) return;
    await dropStale(redis, prefix);
    down = false;
    local.clear();
    if (probe) clearInterval(probe);
    probe = undefined;
    options.onFallback?.(false);
  };

  const fellBack = (error: unknown) => {
    if (down || !redis) return;
    down = true;
    options.onFallback?.(true, error);
    // A hung server times commands out without closing the connection, so no 'ready' event
    // would tell us it is back: ask it once a second.
    probe = setInterval(() => {
      if (redis.status === 'ready')
        void redis.ping().then(
          () => recover(),
          () => undefined,
        );
    }, 1_000);
    probe.unref();
  };

  if (redis) {
    redis.on('error', fellBack);
    redis.on('close', () => fellBack(new Error('connection closed')));
    redis.on('ready', () => void recover());
  }

  const useRedis = () => redis !== undefined && !down && redis.status === 'ready';

  return {
    usingLocal: () => redis !== undefined && !useRedis(),
    async get(key) {
      if (useRedis()) {
        try {
          const value = await redis!.get(prefix + key);
          options.onLookup?.(value === null ? 'miss' : 'hit', 'redis');
          return value;
        } catch (error) {
          fellBack(error);
        }
      }
      const value = local.get(key) ?? null;
      options.onLookup?.(value === null ? 'miss' : 'hit', 'local');
      return value;
    },
    async set(key, value, ttlMs) {
      if (useRedis()) {
        try {
          await redis!.set(prefix + key, value, 'PX', ttlMs);
          return;
        } catch (error) {
          fellBack(error);
        }
      }
      local.set(key, value, { ttl: Math.min(ttlMs, localTtl) });
    },
    async delete(keys) {
      for (const key of keys) local.delete(key);
      if (useRedis() && keys.length > 0) {
        try {
          await deleteKeys(
            redis!,
            keys.map((k) => prefix + k),
          );
        } catch (error) {
          fellBack(error);
        }
      }
    },
    async increment(key) {
      if (useRedis()) {
        try {
          return await redis!.incr(prefix + key);
        } catch (error) {
          fellBack(error);
        }
      }
      // Kept where get() looks, so a version read back matches the one written.
      const next = Math.max(Number(local.get(key) ?? 0), counters.get(key) ?? Date.now()) + 1;
      counters.set(key, next);
      local.set(key, String(next));
      return next;
    },
  };
}

async function dropStale(redis: RedisClient, prefix: string): Promise<void> {
  try {
    await scanKeys(redis, `${prefix}*`, async (keys) => void (await deleteKeys(redis, keys)));
  } catch {
    // Entries expire by TTL anyway.
  }
}
