import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { toCloudEvent } from './cloud-events';
import { createKafkaClient, type KafkaClient } from './kafka-client';

// kafkajs 2.2.4 armed its request queue's timer with `throttledUntil - Date.now()`, a negative
// timestamp when nothing is throttled. Node clamps such a delay to 1 ms, and Node 24 (the image's)
// prints a TimeoutNegativeWarning on stderr for it: a line outside the JSON log at every broker
// connection. patches/kafkajs@2.2.4.patch passes 1 instead, which is what Node ran anyway.

let client: KafkaClient | undefined;
const original = globalThis.setTimeout;

afterEach(async () => {
  globalThis.setTimeout = original;
  await client?.close();
  client = undefined;
});

describe('the Kafka client', () => {
  it('connects, creates its topics and publishes without asking for a negative timer delay', async () => {
    const delays: number[] = [];
    const spy = ((...args: Parameters<typeof setTimeout>) => {
      delays.push(Number(args[1] ?? 0));
      return original(...args);
    }) as typeof setTimeout;
    globalThis.setTimeout = Object.assign(spy, original);

    client = createKafkaClient({ brokers: [inject('kafkaBrokers')] });
    await client.ensureTopics();
    const bookingId = randomUUID();
    await client.publish([
      {
        topic: 'booking-events',
        key: bookingId,
        event: toCloudEvent({ id: randomUUID(), type: 'booking.created', subject: bookingId, time: new Date(), data: { bookingId } }),
      },
    ]);
    globalThis.setTimeout = original;

    // The request queues armed their timers: the spy saw them.
    expect(delays.length).toBeGreaterThan(0);
    expect(delays.filter((ms) => ms < 0)).toEqual([]);
  });
});
