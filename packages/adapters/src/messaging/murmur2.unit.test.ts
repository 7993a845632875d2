import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartition, murmur2 } from './murmur2';

// kafkajs' own hash (not exported by the package): every key must keep its value.
const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string) => number;

const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'ünïcødé ключ 鍵',
  ...Array.from({ length: 2_000 }, () => randomUUID()),
  // Every length mod 4, and bytes past 0x7f (their sign in the 32-bit words).
  ...Array.from({ length: 2_000 }, (_, i) => randomBytes(1 + (i % 40)).toString('latin1')),
];

describe('murmur2 and keyPartition', () => {
  it("hash every key as kafkajs' murmur2 does", () => {
    for (const key of keys) expect(murmur2(key), key).toBe(kafkajsMurmur2(key));
  });

  it("choose kafkajs' DefaultPartitioner's partition (0.1.0's) for every key", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 12, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
        offlineReplicas: [],
      }));
      for (const key of keys) expect(keyPartition(key, partitions), key).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }));
    }
  });
});
