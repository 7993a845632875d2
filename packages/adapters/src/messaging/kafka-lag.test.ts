import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafkaClient, type KafkaClient } from './kafka-client';

// kafka_consumer_lag_seconds is the age of the oldest message waiting per partition, read from the
// broker: it must be right for a group that never consumed and for a consumer stuck on its first
// message, where "time since the last handled message" reads 0.

const MINUTE = 60_000;
let kafka: Kafka;
let producer: Producer;
let client: KafkaClient;
let topic: string;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A message produced `ageMs` ago as far as its (producer-set) timestamp goes. */
const send = (partition: number, ageMs: number) =>
  producer.send({
    topic,
    messages: [{ partition, key: randomUUID(), value: JSON.stringify({ id: randomUUID() }), timestamp: String(Date.now() - ageMs) }],
  });

beforeAll(async () => {
  const brokers = inject('kafkaBrokers');
  kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  topic = `lag-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  client = createKafkaClient({ brokers: [brokers], consumerTimings: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 } });
});

afterAll(async () => {
  await client?.close();
  await producer?.disconnect();
});

describe('consumer lag in seconds', () => {
  it('is the age of the oldest waiting message per partition for a group that never consumed', async () => {
    const group = `never-${randomUUID()}`;
    await send(0, 10 * MINUTE);
    await send(0, 2 * MINUTE);
    await send(1, 30_000);
    // A broker just started answers "not the coordinator" until its offsets topic is ready.
    const lag = await waitFor('the group coordinator', () => client.lag(group, topic).catch(() => undefined));
    console.log('never-started group:', JSON.stringify(lag));
    expect(lag.messages).toBe(3);
    const byPartition = new Map(lag.partitions.map((p) => [p.partition, p]));
    // The first message of partition 0 is the oldest waiting one: 10 minutes (within 1 % + a second).
    expect(byPartition.get(0)!.messages).toBe(2);
    expect(byPartition.get(0)!.seconds).toBeGreaterThan(600 - 1);
    expect(byPartition.get(0)!.seconds).toBeLessThan(600 + 8);
    expect(byPartition.get(1)!.seconds).toBeGreaterThan(30 - 1);
    expect(byPartition.get(1)!.seconds).toBeLessThan(30 + 3);
    expect(byPartition.get(2)).toEqual({ partition: 2, messages: 0, seconds: 0 });
    expect(lag.seconds).toBe(byPartition.get(0)!.seconds);
  });

  it('grows for a consumer stuck on its first message, and falls to 0 once it is handled', async () => {
    const group = `stuck-${randomUUID()}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    // The group starts where the topic ends now: only the message below waits for it.
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high })),
    });
    await admin.disconnect();
    const subscription = await client.subscribe({
      topic,
      group,
      handle: async () => {
        started++;
        await released; // a handler that does not complete
      },
    });
    try {
      await send(2, 5 * MINUTE);
      await waitFor('the handler to start', async () => started > 0);
      const first = await client.lag(group, topic);
      await new Promise((r) => setTimeout(r, 2_000));
      const later = await client.lag(group, topic);
      console.log('stuck consumer:', JSON.stringify(first), '2 s later:', JSON.stringify(later));
      const stuck = (l: typeof first) => l.partitions.find((p) => p.partition === 2)!;
      expect(stuck(first).messages).toBe(1);
      expect(stuck(first).seconds).toBeGreaterThan(300 - 5);
      expect(stuck(later).seconds).toBeGreaterThan(stuck(first).seconds + 1.5);
      expect(later.seconds).toBe(stuck(later).seconds);
      // The consumer of this replica knows nothing newer than its start: the broker's answer is what counts.
      expect(client.consumers().find((c) => c.group === group)!.lastMessageAt).toBeNull();

      release();
      const caughtUp = await waitFor('the group to commit', async () => {
        const l = await client.lag(group, topic);
        return l.messages === 0 && l;
      });
      expect(caughtUp.seconds).toBe(0);
    } finally {
      release();
      await subscription.stop();
    }
  });
});
