import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient, leadersElected } from '@aquastream/adapters';
import { admin, inDays, organizer, startTestApp, type TestApp } from '../../../testing/app';
import { startKafkaCluster, type KafkaCluster } from '../../../testing/services/kafka';
import { startPostgres, type PostgresServer } from '../../../testing/services/postgres';
import { startWorkers, type Workers } from './workers/index';

// The service on three Kafka brokers (KRaft, each a broker and a controller), as production runs
// it; one broker is SIGKILLed while the service relays 500 changes.
const CHANGES = 500;
const EVENTS = 10;
let postgres: PostgresServer;
let kafka: KafkaCluster;
let kafkaAdmin: Admin;
let t: TestApp;
let workers: Workers;
const relayLog: string[] = [];

beforeAll(async () => {
  [postgres, kafka] = await Promise.all([startPostgres(), startKafkaCluster({ size: 3 })]);
  kafkaAdmin = new Kafka({ brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await kafkaAdmin.connect();
  // Each broker learns of the others' registration through the metadata log: until all three say
  // three, the service's count (and its default replication) could see fewer.
  for (let agreed = 0, deadline = Date.now() + 30_000; agreed < 6;) {
    agreed = (await kafkaAdmin.describeCluster()).brokers.length === 3 ? agreed + 1 : 0;
    if (Date.now() > deadline) throw new Error('the three brokers do not all see each other within 30 s');
    await sleep(100);
  }
  // A topic made before, the way a cluster's defaults make it: one copy.
  await kafkaAdmin.createTopics({ waitForLeaders: false, topics: [{ topic: 'payment-retry-queue.dlq', numPartitions: 3, replicationFactor: 1 }] });
  await leadersElected(kafkaAdmin, ['payment-retry-queue.dlq']);
  t = await startTestApp({
    DATABASE_URL: postgres.url,
    KAFKA_BROKERS: kafka.brokers,
    OUTBOX_RELAY_INTERVAL: '50ms',
    CONSUMERS_ENABLED: 'false',
    RATE_LIMIT_MAX: '100000',
  });
  workers = startWorkers(t.deps, pino({ level: 'warn' }, { write: (line: string) => void relayLog.push(line) }));
});

afterAll(async () => {
  await workers?.stop();
  await t?.close();
  await kafkaAdmin?.disconnect();
  await Promise.all([kafka?.destroy(), postgres?.destroy()]);
});

describe('topics on a three-broker cluster', () => {
  it('are created with three replicas and min.insync.replicas 2 (the defaults for three brokers), and a weaker existing topic is reported in the log and health', async () => {
    const logged: { level: string; message: string }[] = [];
    const client = createKafkaClient({ brokers: kafka.brokers.split(','), log: (level, message) => logged.push({ level, message }) });
    try {
      const report = await client.ensureTopics();
      expect(report.wanted).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2, source: 'default', brokers: 3 });
      expect(report.created.sort()).toEqual(['booking-events', 'event-events', 'payment-retry-queue']);
      expect(report.weak).toEqual([{ topic: 'payment-retry-queue.dlq', replicationFactor: 1, minInsyncReplicas: 1 }]);
      expect(logged).toContainEqual({ level: 'info', message: expect.stringContaining('the default for a cluster of 3 broker(s)') });
      expect(logged).toContainEqual({ level: 'warn', message: expect.stringContaining('payment-retry-queue.dlq has 1 replica(s), min.insync.replicas 1') });
    } finally {
      await client.close();
    }

    // Asked of any broker: one that has not heard of the new topic yet answers UNKNOWN_TOPIC_OR_PARTITION
    // ("This server does not host this topic-partition") until the controller's metadata reaches it.
    const fromAnyBroker = async <T>(ask: () => Promise<T>): Promise<T> => {
      for (let tries = 1; ; tries++) {
        try {
          return await ask();
        } catch (error) {
          if (tries >= 10) throw error;
          await sleep(500);
        }
      }
    };
    const metadata = await fromAnyBroker(() => kafkaAdmin.fetchTopicMetadata({ topics: ['event-events'] }));
    expect(metadata.topics[0]!.partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
    const configs = await fromAnyBroker(() =>
      kafkaAdmin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'event-events', configNames: ['min.insync.replicas'] }],
      }),
    );
    expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('2');

    const health = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth });
    const kafkaHealth = (health.json() as { components: Record<string, { status: string; details: Record<string, unknown> }> }).components.kafka!;
    expect(kafkaHealth).toMatchObject({
      status: 'DEGRADED',
      details: { brokers: 3, topics: { replicationFactor: 3, minInsyncReplicas: 2, weak: [{ topic: 'payment-retry-queue.dlq', replicationFactor: 1 }] } },
    });
  });
});

describe('a broker SIGKILLed during 500 changes', () => {
  // Minutes on a busy machine: 500 requests, a broker fenced, the relay catching up.
  it('loses none of them, and keeps the order of each event’s changes', { timeout: 240_000 }, async () => {
    const owner = await organizer();
    const body = (title: string) => ({ title, startDate: inDays(10), endDate: inDays(11), capacity: 10 });
    const events: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth, payload: body(`Rafting ${i} change 0`) });
      expect(res.statusCode).toBe(201);
      events.push(res.json().id as string);
    }

    // The broker that leads most partitions of event-events dies a third of the way through.
    const metadata = await kafkaAdmin.fetchTopicMetadata({ topics: ['event-events'] });
    const leaders = metadata.topics[0]!.partitions.map((p) => p.leader);
    const victim = [1, 2, 3].sort((x, y) => leaders.filter((l) => l === y).length - leaders.filter((l) => l === x).length)[0]!;
    let done = 0;
    let killed: Promise<void> | undefined;
    const perEvent = CHANGES / EVENTS;
    const statuses: number[] = [];
    await Promise.all(
      events.map(async (id, i) => {
        for (let n = 1; n <= perEvent; n++) {
          const res = await t.app.inject({ method: 'PUT', url: `/api/v2/events/${id}`, headers: owner.auth, payload: body(`Rafting ${i} change ${n}`) });
          statuses.push(res.statusCode);
          if (++done === Math.round(CHANGES / 3)) killed = kafka.nodes[victim - 1]!.kill();
        }
      }),
    );
    await killed;
    const writtenAt = Date.now();
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses).toHaveLength(CHANGES);

    // Everything on event-events, read from the start by a new group on the two brokers left.
    const seen = new Map<string, number[]>(events.map((id) => [id, []]));
    let updates = 0;
    let wrongKeys = 0;
    const consumer = new Kafka({ brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: ['event-events'], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = JSON.parse(message.value!.toString()) as { type: string; subject: string; data: { title: string } };
        if (event.type !== 'event.updated' || !seen.has(event.subject)) return;
        if (message.key?.toString() !== event.subject) wrongKeys++;
        seen.get(event.subject)!.push(Number(/change (\d+)$/.exec(event.data.title)![1]));
        updates++;
      },
    });
    try {
      const distinct = () => [...seen.values()].reduce((sum, ns) => sum + new Set(ns).size, 0);
      const deadline = Date.now() + 120_000;
      while (distinct() < CHANGES && Date.now() < deadline) await sleep(200);
      await sleep(1_000); // duplicates, if any, arrive too
    } finally {
      await consumer.disconnect();
    }

    expect(wrongKeys).toBe(0);
    // What a short read-back needs to be told apart: rows still in the outbox (the relay is stuck)
    // or none (the broker acknowledged what the reader cannot see).
    const { rows: left } = await sql<{ n: number; attempts: number | null; error: string | null }>`
      SELECT count(*)::int AS n, max(attempts) AS attempts, max(last_error) AS error FROM outbox WHERE published_at IS NULL`.execute(t.deps.database.db);
    const partitions = await Promise.all(
      ['event-events', 'booking-events', 'payment-retry-queue.dlq'].map((topic) =>
        kafkaAdmin.fetchTopicMetadata({ topics: [topic] }).then(
          (m) => `${topic}: ${JSON.stringify(m.topics[0]!.partitions.map((p) => ({ p: p.partitionId, leader: p.leader, isr: p.isr })))}`,
          (error: Error) => `${topic}: ${error.message}`,
        ),
      ),
    );
    const diagnosis = `victim ${victim}; outbox unpublished: ${JSON.stringify(left[0])}; partitions: ${partitions.join('; ')}; relay log: ${relayLog.join('')}`;
    // 0 lost: each event's 50 changes are all there, and in the order they were made.
    for (const [, ns] of seen) {
      const firsts = ns.filter((n, i) => ns.indexOf(n) === i);
      expect(firsts, diagnosis).toEqual(Array.from({ length: perEvent }, (_, k) => k + 1));
    }
    const caughtUpMs = Date.now() - writtenAt;
    const partial = relayLog.filter((line) => line.includes('no acknowledgement for')).length;
    console.info(
      `${CHANGES} changes relayed past a SIGKILLed broker (node ${victim}); ${updates - CHANGES} redelivered; ` +
        `${relayLog.length} failed relay attempts, ${partial} of them sends kafkajs reported as done without every partition acknowledged; ` +
        `all read back ${caughtUpMs} ms after the last write`,
    );
  });
});
