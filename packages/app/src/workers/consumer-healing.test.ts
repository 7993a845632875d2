import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { DEFAULT_CONSUMER_TIMINGS } from '@aquastream/adapters';
import { admin, startTestApp, type TestApp } from '../../../../testing/app';
import { parseMetrics } from '../../../../testing/prometheus';
import { startKafka, type KafkaServer } from '../../../../testing/services/kafka';
import { startWorkers, type Workers } from './index';

// The payment retry consumer against a broker of its own that the tests stop and start.
const silent = pino({ level: 'silent' });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let kafka: KafkaServer;
let t: TestApp;
let workers: Workers | undefined;
const group = () => `${t.deps.config.KAFKA_CONSUMER_GROUP}.payment-retry`;
const retryConsumer = () => t.deps.messaging.kafka!.consumers().find((c) => c.group === group());
// Components are shown to an ADMIN token only (anonymous callers see the overall status).
const health = async () => (await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth })).json().components.consumers;

beforeAll(async () => {
  kafka = await startKafka();
  t = await startTestApp({ KAFKA_BROKERS: kafka.brokers, KAFKA_CONSUMER_GROUP: `heal-${randomUUID()}`, OUTBOX_RELAY_ENABLED: 'false' });
}, 180_000);

afterAll(async () => {
  await workers?.stop();
  await t?.close();
  await kafka?.destroy();
});

describe('the payment retry consumer heals itself', () => {
  it('starts while the broker is down (killed before the group was ever joined) and joins once it is back', async () => {
    await kafka.stop();
    workers = startWorkers(t.deps, silent);
    let ready = false;
    void workers.ready.then(() => (ready = true));
    // No broker: topics cannot even be created; nothing joins, nothing hangs for good.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(ready).toBe(false);

    await kafka.start();
    await waitFor('the consumer to join', () => ready);
    const consumer = await waitFor('partitions', () => retryConsumer()?.partitions.length === 3 && retryConsumer());
    expect(consumer).toMatchObject({ state: 'running', partitions: [0, 1, 2], withoutPartitionsSince: null });
  });

  it('shows each consumer in health and metrics: state, partitions, last message age', async () => {
    const component = await health();
    expect(component).toMatchObject({
      status: 'UP',
      details: {
        [group()]: { topic: 'payment-retry-queue', state: 'running', partitions: [0, 1, 2], lastMessageAgeSeconds: null, withoutPartitionsSeconds: null },
      },
    });
    const metrics = parseMetrics((await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth })).body);
    expect(metrics.get(`kafka_consumer_partitions_assigned{topic="payment-retry-queue",group="${group()}"}`)).toBe(3);
  });

  // The member of the consumer that died with the broker is restored with the group when the broker
  // loads it, and is dropped only when its session ends: kafkajs 2 has no static membership and a
  // restarted consumer joins under a new member id. The session is the broker's minimum (6 s), so the
  // partitions are back within it plus the rejoin; 5 s is below that floor (see the issue report).
  it('has its partitions back within the 6 s session (plus the rejoin) of a broker restart', async () => {
    await kafka.stop();
    await waitFor('the partitions to be lost', () => retryConsumer()?.partitions.length === 0);
    expect((await health()).status).toBe('DEGRADED');
    const metrics = parseMetrics((await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth })).body);
    expect(metrics.get(`kafka_consumer_partitions_assigned{topic="payment-retry-queue",group="${group()}"}`)).toBe(0);

    await kafka.start();
    const back = Date.now();
    await waitFor('the partitions to come back', () => retryConsumer()?.partitions.length === 3, 60_000);
    const took = Date.now() - back;
    console.log(`partitions back ${took} ms after the broker was ready`);
    expect(took).toBeLessThan(DEFAULT_CONSUMER_TIMINGS.sessionTimeoutMs + 3_000);
    expect((await health()).status).toBe('UP');
  });

  it('leaves the group when a replica shuts down: the other one takes every partition without waiting for the session to end', async () => {
    const second = await startTestApp({
      DATABASE_URL: t.databaseUrl,
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_CONSUMER_GROUP: t.deps.config.KAFKA_CONSUMER_GROUP,
      OUTBOX_RELAY_ENABLED: 'false',
    });
    try {
      const other = startWorkers(second.deps, silent);
      await other.ready;
      const mine = () => retryConsumer()?.partitions.length ?? 0;
      const theirs = () => second.deps.messaging.kafka!.consumers()[0]?.partitions.length ?? 0;
      await waitFor('the partitions to be shared', () => mine() > 0 && theirs() > 0 && mine() + theirs() === 3);

      const stopped = Date.now();
      await other.stop();
      await waitFor('every partition back on the first replica', () => mine() === 3, 30_000);
      const took = Date.now() - stopped;
      console.log(`partitions moved ${took} ms after the other replica stopped`);
      // Leaving takes the fetch in flight (1 s long-poll) and the remaining member's next heartbeat
      // (1 s), about 2 s; without leaving, the member would stay until its 6 s session ended.
      expect(took).toBeLessThan(DEFAULT_CONSUMER_TIMINGS.sessionTimeoutMs - 1_000);
    } finally {
      await second.close();
    }
  });
});
