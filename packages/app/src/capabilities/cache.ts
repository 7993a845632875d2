import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { connectRedis, createLayeredCache, type LayeredCache } from '@aquastream/adapters';
import type { Config } from '../config';
import type { Recorders } from '../metrics';
import { timed, type HealthChecks } from './health';

export interface CacheCapability {
  /** Redis shared by the replicas, with an in-process cache that takes over while it is down. */
  cache: LayeredCache;
  /** The shared Redis client (rate limits, invalidations); undefined without REDIS_URL. */
  redis?: Redis;
  health: HealthChecks;
  close(): void;
}

export function createCacheCapability(config: Config, recorders: Pick<Recorders, 'cacheRequests'>, logger?: Logger): CacheCapability {
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL, { password: config.REDIS_PASSWORD }) : undefined;
  const cache = createLayeredCache({
    redis,
    localTtlMs: config.CACHE_LOCAL_TTL,
    onLookup: (result, layer) => recorders.cacheRequests.inc({ cache: layer, result }),
    onFallback: (active, error) =>
      active ? logger?.warn({ err: error }, 'redis unavailable: in-process cache takes over') : logger?.info('redis is back: shared cache in use again'),
  });
  return {
    cache,
    redis,
    health: redis
      ? {
          redis: {
            critical: false,
            check: () => timed(async () => ({ pong: await redis.ping(), fallback: cache.usingLocal() ? 'in-process cache' : 'none' })),
          },
        }
      : {},
    close: () => redis?.disconnect(),
  };
}
