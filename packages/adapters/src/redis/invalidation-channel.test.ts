import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { connectRedis } from './connect';
import { createRedisInvalidationChannel, type InvalidationChannel } from './invalidation-channel';

async function ready(client: Redis): Promise<Redis> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the cache invalidation channel (Redis pub/sub)', () => {
  let redis: Redis;
  let channel: InvalidationChannel;
  const name = `test:invalidate:${randomUUID()}`;
  const heard: (readonly string[] | null)[] = [];

  beforeAll(async () => {
    redis = await ready(connectRedis(inject('redisUrl')));
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
