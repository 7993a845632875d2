import type { Logger } from 'pino';
import { connectRedis, createLayeredCache, parseRedisAddresses, type LayeredCache, type RedisClient, type RedisTarget } from '@aquastream/adapters';
import type { Config } from '../config';
import type { Recorders } from '../metrics';
import { timed, type HealthChecks } from './health';

export interface CacheCapability {
  /** Redis shared by the replicas, with an in-process cache that takes over while it is down. */
  cache: LayeredCache;
  /** The shared Redis client (rate limits, invalidations); undefined without Redis settings. */
  redis?: RedisClient;
  health: HealthChecks;
  close(): void;
}

/** Which Redis the configuration names: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (at most one). */
export function redisTarget(config: Config): RedisTarget | undefined {
  if (config.REDIS_SENTINELS)
    return {
      kind: 'sentinel',
      sentinels: parseRedisAddresses(config.REDIS_SENTINELS, 26379),
      name: config.REDIS_SENTINEL_NAME,
      sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    };
  if (config.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: parseRedisAddresses(config.REDIS_CLUSTER_NODES, 6379) };
  if (config.REDIS_URL) return { kind: 'single', url: config.REDIS_URL };
  return undefined;
}

export function createCacheCapability(config: Config, recorders: Pick<Recorders, 'cacheRequests'>, logger?: Logger): CacheCapability {
  const target = redisTarget(config);
  const redis = target ? connectRedis(target, { password: config.REDIS_PASSWORD }) : undefined;
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
            check: () =>
              timed(async () => ({
                pong: await redis.ping(),
                topology: target!.kind,
                fallback: cache.usingLocal() ? 'in-process cache' : 'none',
              })),
          },
        }
      : {},
    close: () => redis?.disconnect(),
  };
}
