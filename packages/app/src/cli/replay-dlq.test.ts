import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { createKafkaClient, PAYMENT_DLQ_TOPIC, PAYMENT_RETRY_TOPIC, replayDeadLetters, type KafkaClient } from '@aquastream/adapters';
import { startFakePaymentService, type FakePaymentService } from '../../../../testing/fake-payment-service';
import { organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../../testing/app';
import { startWorkers, type Workers } from '../workers/index';

// The DLQ is shared with other test files on the test broker: assertions look at this file's keys.
const brokers = () => inject('kafkaBrokers');
let kafka: KafkaClient;
let payments: FakePaymentService;
let t: TestApp;
let workers: Workers;
const prefix = `replay-${randomUUID()}`;

/** A dead letter as the retry consumer writes it, wrapping a retry request (or garbage). */
function deadLetter(key: string, original: string) {
  const id = `${randomUUID()}.dlq`;
  return {
    topic: PAYMENT_DLQ_TOPIC,
    key,
    headers: { 'x-dlq-reason': 'booking store said no' },
    event: {
      specversion: '1.0' as const,
      id,
      type: 'payment.retry_dead_lettered',
      source: 'test',
      time: new Date().toISOString(),
      subject: key,
      datacontenttype: 'application/json' as const,
      data: { reason: 'booking store said no', original },
    },
  };
}

const retryRequest = (bookingId: string, paymentId: string) =>
  JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    type: 'payment.retry_requested',
    source: 'test',
    time: new Date().toISOString(),
    subject: bookingId,
    datacontenttype: 'application/json',
    data: { paymentId, bookingId, amount: { amount: 2000, currency: 'EUR' } },
  });

/** Messages of the retry queue with this key, read with a fresh group. */
async function onRetryQueue(key: string) {
  const { messages } = await kafka.readUnconsumed(PAYMENT_RETRY_TOPIC, `${prefix}-reader-${randomUUID()}`);
  return messages.filter((m) => m.key === key);
}

beforeAll(async () => {
  kafka = createKafkaClient({ brokers: [brokers()] });
  await kafka.ensureTopics();
  payments = await startFakePaymentService();
  // No relay and no jobs: a queued payment moves only through what the test puts on the queue.
  t = await startTestApp({ KAFKA_BROKERS: brokers(), KAFKA_CONSUMER_GROUP: prefix, PAYMENT_SERVICE_URL: payments.url, OUTBOX_RELAY_ENABLED: 'false' });
  workers = startWorkers(t.deps, pino({ level: 'silent' }));
  await workers.ready;
});

afterAll(async () => {
  await workers?.stop();
  await t?.close();
  await payments?.close();
  await kafka?.close();
});

describe('pnpm payments:replay-dlq', () => {
  it('reports without publishing by default, replays once with --apply, and finds nothing new the second time', async () => {
    const group = `${prefix}.payment-dlq-replay-a`;
    const bookingId = randomUUID();
    const paymentId = randomUUID();
    const good = deadLetter(bookingId, retryRequest(bookingId, paymentId));
    const poisonKey = randomUUID();
    await kafka.publish([good, deadLetter(poisonKey, '{"this is": not json')]);

    const dry = await replayDeadLetters(kafka, { group, apply: false });
    expect(dry.dryRun).toBe(true);
    expect(dry.replayable).toContainEqual(expect.objectContaining({ bookingId, paymentId, reason: 'booking store said no' }));
    expect(dry.unreplayable).toContainEqual(expect.objectContaining({ reason: expect.stringContaining('no payment retry request') }));
    expect(dry.published).toBe(0);
    expect(await onRetryQueue(bookingId)).toEqual([]);

    const applied = await replayDeadLetters(kafka, { group, apply: true });
    expect(applied.replayable).toContainEqual(expect.objectContaining({ bookingId }));
    expect(applied.published).toBe(applied.replayable.length);
    const replayed = await onRetryQueue(bookingId);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.event).toMatchObject({ id: `${good.event.id}.replay`, type: 'payment.retry_requested', data: { bookingId, paymentId } });

    const again = await replayDeadLetters(kafka, { group, apply: true });
    expect(again.replayable.map((r) => r.bookingId)).not.toContain(bookingId);
    expect(await onRetryQueue(bookingId)).toHaveLength(1);
  });

  it('a replayed request is charged and confirms its booking once the cause is fixed', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { price: { amount: 2000, currency: 'EUR' } });
    const booker = await user();
    const booked = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: event.id } });
    await payments.off();
    const paid = await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${booked.json().id}/pay`, headers: booker.auth });
    expect(paid.statusCode).toBe(202);
    await payments.on();
    const bookingId = booked.json().id as string;
    const paymentId = paid.json().paymentId as string;
    await kafka.publish([deadLetter(bookingId, retryRequest(bookingId, paymentId))]);

    const report = await replayDeadLetters(kafka, { group: `${prefix}.payment-dlq-replay-b`, apply: true });
    expect(report.replayable).toContainEqual(expect.objectContaining({ bookingId, paymentId }));

    const db = t.deps.database.db;
    const until = Date.now() + 30_000;
    let status = '';
    while (Date.now() < until) {
      status = (await sql<{ status: string }>`SELECT status FROM bookings WHERE id = ${bookingId}`.execute(db)).rows[0]!.status;
      if (status === 'CONFIRMED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('CONFIRMED');
    expect(payments.chargesPerKey().get(paymentId)).toBe(1);
  });

  it('runs as a pnpm script, a dry run unless --apply is given', () => {
    const run = spawnSync('pnpm', ['--silent', 'payments:replay-dlq'], {
      env: { ...process.env, KAFKA_BROKERS: brokers(), KAFKA_CONSUMER_GROUP: `${prefix}-cli`, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/dead letter\(s\) not replayed before; \d+ replayable, \d+ not; 0 published/);
  });
});
