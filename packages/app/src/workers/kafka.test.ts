import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { sql } from 'kysely';
import pino from 'pino';
import { inject } from 'vitest';
import { freshDatabase } from '../../../../testing/database';
import { startFakePaymentService, type FakePaymentService } from '../../../../testing/fake-payment-service';
import { admin, organizer, publishedEvent, startTestApp, user, inDays, type TestApp } from '../../../../testing/app';
import { startKafka, type KafkaServer } from '../../../../testing/services/kafka';
import { startWorkers, type Workers } from './index';

const silent = pino({ level: 'silent' });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Read {
  key: string;
  id: string;
  type: string;
  partition: number;
  offset: number;
}

/** Reads every message of the topics from the beginning with a fresh consumer group. */
async function readAll(brokers: string, topics: string[], expected: number, match: (r: Read) => boolean): Promise<Read[]> {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const seen: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const event = JSON.parse(message.value!.toString()) as { id: string; type: string };
      const read = { key: message.key!.toString(), id: event.id, type: event.type, partition, offset: Number(message.offset) };
      if (match(read)) seen.push(read);
    },
  });
  try {
    await waitFor(`${expected} messages (have ${seen.length})`, async () => seen.length >= expected);
    await new Promise((r) => setTimeout(r, 500)); // would catch duplicates arriving late
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('outbox relay with the broker down', () => {
  let kafka: KafkaServer;
  let t: TestApp;
  let workers: Workers;

  beforeAll(async () => {
    kafka = await startKafka();
    t = await startTestApp({ KAFKA_BROKERS: kafka.brokers, OUTBOX_RELAY_INTERVAL: '100ms', KAFKA_CONSUMER_GROUP: `g-${randomUUID()}` });
    workers = startWorkers(t.deps, silent);
    await workers.ready;
    await waitFor('the topics', async () => (await t.deps.messaging.kafka!.ping()).brokers === 1);
    await t.deps.messaging.kafka!.ensureTopics();
  });

  afterAll(async () => {
    await workers?.stop();
    await t?.close();
    await kafka?.destroy();
  });

  it('keeps answering while Kafka is down, loses nothing, and delivers every message once, in order per event', async () => {
    const owner = await organizer();
    await kafka.stop();

    const ids: string[] = [];
    for (let i = 0; i < 250; i++) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v2/events',
        headers: owner.auth,
        payload: { title: `Hike ${i}`, startDate: inDays(5), endDate: inDays(6), capacity: 5 },
      });
      expect(created.statusCode).toBe(201);
      ids.push(created.json().id);
    }
    for (const [i, id] of ids.entries()) {
      const updated = await t.app.inject({
        method: 'PUT',
        url: `/api/v2/events/${id}`,
        headers: owner.auth,
        payload: { title: `Hike ${i} (longer)`, startDate: inDays(5), endDate: inDays(6), capacity: 6 },
      });
      expect(updated.statusCode).toBe(200);
    }
    const backlog = await t.deps.outbox.backlog(new Date());
    expect(backlog.messages).toBeGreaterThanOrEqual(500);
    const health = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth });
    expect(health.json()).toMatchObject({ status: 'DEGRADED', components: { kafka: { status: 'DOWN' }, db: { status: 'UP' } } });

    await kafka.start();
    await waitFor('the backlog to drain', async () => (await t.deps.outbox.backlog(new Date())).messages === 0);

    const mine = new Set(ids);
    const read = await readAll(kafka.brokers, ['event-events'], 500, (r) => mine.has(r.key));
    expect(read).toHaveLength(500);
    expect(new Set(read.map((r) => r.id)).size).toBe(500);
    const byKey = new Map<string, Read[]>();
    for (const r of read) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    for (const [key, messages] of byKey) {
      messages.sort((a, b) => a.offset - b.offset);
      expect(new Set(messages.map((m) => m.partition)).size, key).toBe(1);
      expect(
        messages.map((m) => m.type),
        key,
      ).toEqual(['event.created', 'event.updated']);
    }
  });
});

describe('payment retry queue', () => {
  let payments: FakePaymentService;
  let replicas: TestApp[];
  let workers: Workers[];
  const brokers = () => inject('kafkaBrokers');

  beforeAll(async () => {
    payments = await startFakePaymentService();
    const databaseUrl = await freshDatabase('payments');
    const env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers(),
      KAFKA_CONSUMER_GROUP: `g-${randomUUID()}`,
      PAYMENT_SERVICE_URL: payments.url,
      PAYMENT_RETRY_BASE_DELAY: '100ms',
      PAYMENT_RETRY_MAX_DELAY: '500ms',
      OUTBOX_RELAY_INTERVAL: '50ms',
      // The reconciler makes the retries after the queue's first one.
      JOBS_ENABLED: 'true',
      JOBS_INTERVAL: '200ms',
    };
    replicas = [await startTestApp(env), await startTestApp(env)];
    await replicas[0]!.deps.messaging.kafka!.ensureTopics();
    workers = replicas.map((r) => startWorkers(r.deps, silent));
    await Promise.all(workers.map((w) => w.ready));
  });

  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.stop()));
    await Promise.all((replicas ?? []).map((r) => r.close()));
    await payments?.close();
  });

  it('queues payments while the Payment Service is down and confirms each booking exactly once when it is back, on two replicas', async () => {
    const owner = await organizer();
    const event = await publishedEvent(replicas[0]!.app, owner, { capacity: 20, price: { amount: 3000, currency: 'EUR' } });
    await payments.off();
    const bookings: string[] = [];
    for (let i = 0; i < 8; i++) {
      const u = await user();
      const app = replicas[i % 2]!.app;
      const booked = await app.inject({ method: 'POST', url: '/api/v2/bookings', headers: u.auth, payload: { eventId: event.id } });
      const paid = await app.inject({ method: 'POST', url: `/api/v2/bookings/${booked.json().id}/pay`, headers: u.auth });
      expect(paid.statusCode).toBe(202);
      expect(paid.json()).toMatchObject({
        status: 'PENDING',
        paymentId: expect.any(String),
        message: 'Payment service unavailable. Your payment will be processed later.',
        booking: { status: 'PENDING', paymentStatus: 'PROCESSING' },
      });
      bookings.push(booked.json().id);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    await payments.on();

    const db = replicas[0]!.deps.database.db;
    await waitFor('every booking confirmed', async () => {
      const rows = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM bookings WHERE id = ANY(${bookings}) AND status = 'CONFIRMED' AND payment_status = 'PAID'`.execute(db);
      return rows.rows[0]!.n === bookings.length;
    });
    const confirmed = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM outbox WHERE type = 'booking.confirmed' AND aggregate_id = ANY(${bookings})`.execute(db);
    expect(confirmed.rows[0]!.n).toBe(bookings.length);
    const charged = new Map<string, number>();
    for (const c of payments.charges) charged.set(c.paymentId, (charged.get(c.paymentId) ?? 0) + 1);
    expect(charged.size).toBe(bookings.length);
    expect([...charged.values()].every((n) => n === 1)).toBe(true);
  });

  it('sends a poison message to the dead-letter topic', async () => {
    const key = randomUUID();
    const kafka = new Kafka({ brokers: [brokers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'payment-retry-queue', messages: [{ key, value: '{"this is": not json' }] });
    await producer.disconnect();
    const dead = await readAll(brokers(), ['payment-retry-queue.dlq'], 1, (r) => r.key === key);
    expect(dead).toEqual([expect.objectContaining({ key, type: 'payment.retry_dead_lettered' })]);
  });
});
