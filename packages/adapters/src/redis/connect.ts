import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A Redis server, a Sentinel-watched master or a Redis Cluster: what the adapters talk to. */
export type RedisClient = Redis | Cluster;

export interface RedisAddress {
  host: string;
  port: number;
}

/** Where Redis is: one URL, a master found through Sentinel, or the nodes of a cluster. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: RedisAddress[]; name: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: RedisAddress[] };

export interface RedisConnectOptions {
  /** Password of the data nodes (master, replicas, cluster nodes). */
  password?: string;
}

/** "host:port,host:port" as addresses; the port defaults to `defaultPort`. */
export function parseRedisAddresses(list: string, defaultPort: number): RedisAddress[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const colon = item.lastIndexOf(':');
      if (colon < 0) return { host: item, port: defaultPort };
      const port = Number(item.slice(colon + 1));
      if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`"${item}" has no valid port`);
      return { host: item.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
    });
}

// Commands fail fast while disconnected (no offline queue), so a Redis outage costs a request
// nothing: callers fall back at once, and ioredis keeps reconnecting.
const FAIL_FAST = {
  maxRetriesPerRequest: 0,
  connectTimeout: 1_000,
  commandTimeout: 500,
} satisfies RedisOptions;

/**
 * One ioredis client per process, for any of the three topologies, through ioredis' own support:
 * - single: `new Redis(url)`;
 * - sentinel: ioredis asks the sentinels for the master, checks its role, and after a failover
 *   reconnects to the promoted replica (the failover detector also listens for the sentinels'
 *   +switch-master, so a master that is cut off but not dead is left at once);
 * - cluster: `new Cluster(nodes)`, commands routed by slot, MOVED/ASK followed.
 */
export function connectRedis(target: string | RedisTarget, options: RedisConnectOptions = {}): RedisClient {
  const where: RedisTarget = typeof target === 'string' ? { kind: 'single', url: target } : target;
  const common = {
    ...FAIL_FAST,
    password: options.password,
    enableOfflineQueue: false,
    lazyConnect: false,
    // Commands issued in the same tick share one write: fewer syscalls per request under load.
    enableAutoPipelining: true,
  } satisfies RedisOptions;
  const retryStrategy = (attempt: number) => Math.min(2_000, 100 * attempt);
  switch (where.kind) {
    case 'single':
      return new Redis(where.url, { ...common, retryStrategy });
    case 'sentinel':
      return new Redis({
        ...common,
        retryStrategy,
        sentinels: where.sentinels,
        name: where.name,
        sentinelPassword: where.sentinelPassword,
        sentinelRetryStrategy: (attempt) => Math.min(1_000, 50 * attempt),
        sentinelCommandTimeout: 500,
        failoverDetector: true,
      });
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: retryStrategy,
        // A master that dies is replaced by its replica: commands to its slots are retried shortly
        // (bounded by the redirections), the slot map refreshed.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        maxRedirections: 6,
        slotsRefreshTimeout: 1_000,
        redisOptions: { ...FAIL_FAST, password: options.password },
      };
      return new Cluster(where.nodes, clusterOptions);
    }
  }
}

export function isRedisCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/**
 * A second connection like `client` (same topology and password) with some options changed: for
 * the subscriber of a pub/sub channel, which cannot share the command connection.
 */
export function duplicateRedis(client: RedisClient, overrides: Partial<RedisOptions> & { enableOfflineQueue?: boolean }): RedisClient {
  if (!isRedisCluster(client)) return client.duplicate(overrides);
  const { enableOfflineQueue, enableAutoPipelining, ...nodeOptions } = overrides;
  return client.duplicate([], {
    enableOfflineQueue,
    enableAutoPipelining,
    redisOptions: { ...client.options.redisOptions, ...nodeOptions },
  } satisfies ClusterOptions);
}

/**
 * Deletes `keys`. One DEL on a single server (atomic, one round trip, as always); on a cluster one
 * DEL per key, because a DEL of keys in different hash slots is refused (CROSSSLOT). Auto-pipelining
 * sends the per-key DELs for one node together. Key names stay as they are in every topology, so
 * a release that knows nothing of clusters deletes and reads the very same keys.
 */
export async function deleteKeys(client: RedisClient, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isRedisCluster(client)) return client.del(...keys);
  const counts = await Promise.all(keys.map((key) => client.del(key)));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Calls `each` with the keys matching `pattern`, batch by batch. SCAN walks one server's key
 * space, so on a cluster every master is scanned.
 */
export async function scanKeys(client: RedisClient, pattern: string, each: (keys: string[]) => Promise<void>): Promise<void> {
  const servers: Redis[] = isRedisCluster(client) ? client.nodes('master') : [client];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length) await each(keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
