import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { sql } from 'kysely';
import { admin, organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../testing/app';
import { parseMetrics } from '../../../testing/prometheus';

let t: TestApp;

beforeAll(async () => {
  // No consumer runs: messages put on the payment queue stay unconsumed, so the group lags.
  t = await startTestApp({ KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_CONSUMER_GROUP: `metrics-${randomUUID()}`, CONSUMERS_ENABLED: 'false' });
  await t.deps.messaging.kafka!.ensureTopics();
});
afterAll(() => t?.close());

const value = (samples: Map<string, number>, name: string, labels: Record<string, string> = {}) => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, v] of samples) {
    const [metric] = key.split('{');
    if (metric === name && wanted.every((w) => key.includes(w))) return v;
  }
  return undefined;
};

describe('/actuator/prometheus after traffic', () => {
  it('exposes every metric the alerts and the dashboard use, with sane values', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { capacity: 1 });
    const first = await user();
    const second = await user();
    expect((await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: first.auth, payload: { eventId: event.id } })).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: second.auth, payload: { eventId: event.id } })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: first.auth, payload: { eventId: event.id } })).statusCode).toBe(409);
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}` });
    expect((await t.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}/no-such-view` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v2/events/00000000-0000-4000-8000-00000000dead' })).statusCode).toBe(404);

    const producer = new Kafka({ brokers: [inject('kafkaBrokers')], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'payment-retry-queue', messages: [1, 2, 3].map((n) => ({ key: `lag-${n}`, value: '{}' })) });
    await producer.disconnect();

    const res = await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth });
    expect(res.statusCode).toBe(200);
    const m = parseMetrics(res.body);

    expect(value(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(value(m, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value(m, 'nodejs_heap_size_limit_bytes')).toBeGreaterThan(value(m, 'nodejs_heap_size_used_bytes')!);
    expect(value(m, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(m, 'backend_event_memory_limit_bytes')).toBeGreaterThan(value(m, 'process_resident_memory_bytes')!);
    expect(value(m, 'backend_event_cpu_limit_cores')).toBeGreaterThan(0);
    expect(value(m, 'http_server_requests_seconds_count', { method: 'GET', route: '/api/v2/events/:id', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(value(m, 'http_server_requests_seconds_count', { method: 'POST', route: '/api/v2/bookings', status: '409' })).toBe(2);
    // A path no route matches is counted apart; a matched route's 404 under its template.
    expect(value(m, 'http_server_requests_seconds_count', { method: 'GET', route: 'UNMATCHED', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(value(m, 'http_server_requests_seconds_count', { method: 'GET', route: '/api/v2/events/:id', status: '404' })).toBeGreaterThanOrEqual(1);
    expect([...m.keys()].some((k) => k.includes(event.id))).toBe(false); // templates, never raw URLs
    expect(value(m, 'db_pool_connections_max', { pool: 'main' })).toBe(10);
    expect(value(m, 'db_pool_connections_active', { pool: 'main' })).toBeGreaterThanOrEqual(0);
    expect(value(m, 'db_pool_connections_idle', { pool: 'main' })).toBeGreaterThanOrEqual(1);
    expect(value(m, 'db_pool_connections_pending', { pool: 'main' })).toBe(0);
    expect(value(m, 'outbox_backlog_messages')).toBeGreaterThanOrEqual(4); // no relay runs here
    expect(value(m, 'outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(m, 'kafka_consumer_lag_messages', { topic: 'payment-retry-queue' })).toBeGreaterThanOrEqual(3);
    expect(value(m, 'kafka_consumer_lag_seconds', { topic: 'payment-retry-queue' })).toBeGreaterThanOrEqual(0);
    expect(value(m, 'bookings_total', { outcome: 'created' })).toBe(1);
    expect(value(m, 'bookings_total', { outcome: 'confirmed' })).toBe(1); // a free event confirms at once
    expect(value(m, 'bookings_total', { outcome: 'rejected_full' })).toBe(1);
    expect(value(m, 'bookings_total', { outcome: 'conflict' })).toBe(1);
    expect(value(m, 'payment_refunds_total', { outcome: 'refused' })).toBe(0);
    expect(value(m, 'payment_attempts_pending')).toBe(0);
    expect(value(m, 'payment_attempts_overdue_seconds')).toBe(0);
    expect(value(m, 'payment_refunds_failed_bookings')).toBe(0);
    expect(value(m, 'degraded_mode', { mode: 'read_only' })).toBe(0);
    expect(value(m, 'degraded_mode', { mode: 'kafka_buffering' })).toBeDefined();
  });

  it('counts queued payments and how long the most overdue one has waited past its turn', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { price: { amount: 1000, currency: 'EUR' } });
    const booker = await user();
    const booked = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: event.id } });
    const db = t.deps.database.db;
    // A payment attempt ten minutes overdue, as when no replica runs the reconciler; one not due yet.
    await sql`INSERT INTO payment_attempts (payment_id, booking_id, amount, currency, status, next_attempt_at, give_up_at, created_at, updated_at) VALUES
      (${randomUUID()}, ${booked.json().id}, 1000, 'EUR', 'PENDING', now() - interval '10 minutes', now() + interval '1 day', now(), now()),
      (${randomUUID()}, ${booked.json().id}, 1000, 'EUR', 'PENDING', now() + interval '1 minute', now() + interval '1 day', now(), now())`.execute(db);
    // The payment gauges read the table at most every 500 ms.
    await new Promise((r) => setTimeout(r, 600));

    const m = parseMetrics((await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: (await admin()).auth })).body);

    expect(value(m, 'payment_attempts_pending')).toBe(2);
    expect(value(m, 'payment_attempts_overdue_seconds')).toBeGreaterThanOrEqual(600);
    expect(value(m, 'payment_attempts_overdue_seconds')).toBeLessThan(660);
  });
});
