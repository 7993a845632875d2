import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient, type RedisTarget } from './connect';
import { createRedisInvalidationChannel, type InvalidationChannel } from './invalidation-channel';
import { ready } from './rate-limit-counter.suite';

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The invalidation channel against one Redis topology (`target()` is called once its servers run). */
export function describeInvalidationChannel(topology: string, target: () => string | RedisTarget): void {
  describe(`the cache invalidation channel (Redis pub/sub, ${topology})`, () => {
    let redis: RedisClient;
    let channel: InvalidationChannel;
    const name = `test:invalidate:${randomUUID()}`;
    const heard: (readonly string[] | null)[] = [];

    beforeAll(async () => {
      redis = await ready(connectRedis(target()));
      channel = createRedisInvalidationChannel(redis, { channel: name });
      channel.subscribe((ids) => heard.push(ids));
      await until('the channel is healthy', () => channel.healthy());
    });
    afterAll(async () => {
      await channel.close();
      await redis.quit();
    });

    it('passes on the ids another replica announces', async () => {
      heard.length = 0;
      await redis.publish(name, JSON.stringify(['e-1', 'e-2']));
      await until('the announcement arrives', () => heard.length > 0);
      expect(heard).toEqual([['e-1', 'e-2']]);
    });

    it.each([
      ['bytes that are not JSON', 'not json'],
      ['JSON that is not a list', '{"ids":["e-1"]}'],
      ['a list of something else than ids', '[1,2]'],
    ])('answers %s by telling every listener to drop all its copies (null)', async (_, message) => {
      heard.length = 0;
      await redis.publish(name, message);
      await until('the announcement arrives', () => heard.length > 0);
      expect(heard).toEqual([null]);
    });
  });
}
