import { afterAll, beforeAll } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../../../../testing/services/redis';
import { parseRedisAddresses, type RedisTarget } from './connect';
import { describeInvalidationChannel } from './invalidation-channel.suite';
import { describeSharedRateCounter } from './rate-limit-counter.suite';
import { describeSharedCache } from './shared-cache.suite';

// The integration project's Redis tests, run again on a three-master Redis Cluster.
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
afterAll(async () => {
  await cluster?.destroy();
});

const target = (): RedisTarget => ({ kind: 'cluster', nodes: parseRedisAddresses(cluster.nodeList, 6379) });
describeSharedCache('three-master cluster', target);
describeSharedRateCounter('three-master cluster', target);
describeInvalidationChannel('three-master cluster', target);
