import { describe, expect, it } from 'vitest';
import { wantedDurability, weakerTopics } from './topics';

describe('the durability wanted of the topics', () => {
  it('is 3 replicas with 2 in sync on three brokers or more, 1 and 1 below', () => {
    expect(wantedDurability(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2, source: 'default', brokers: 3 });
    expect(wantedDurability(5)).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(wantedDurability(2)).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1, source: 'default' });
    expect(wantedDurability(1)).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('is what the settings say when given, and never more in sync than replicas by default', () => {
    expect(wantedDurability(1, { replicationFactor: 3 })).toEqual({ replicationFactor: 3, minInsyncReplicas: 1, source: 'configured', brokers: 1 });
    expect(wantedDurability(5, { replicationFactor: 5, minInsyncReplicas: 3 })).toMatchObject({ replicationFactor: 5, minInsyncReplicas: 3 });
    expect(wantedDurability(3, { replicationFactor: 1 })).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('finds the topics with fewer replicas or fewer in sync than wanted', () => {
    const found = [
      { topic: 'ok', replicationFactor: 3, minInsyncReplicas: 2 },
      { topic: 'one-copy', replicationFactor: 1, minInsyncReplicas: 1 },
      { topic: 'acks-on-one', replicationFactor: 3, minInsyncReplicas: 1 },
      { topic: 'stronger', replicationFactor: 5, minInsyncReplicas: 3 },
    ];
    expect(weakerTopics(found, { replicationFactor: 3, minInsyncReplicas: 2 }).map((t) => t.topic)).toEqual(['one-copy', 'acks-on-one']);
  });
});
