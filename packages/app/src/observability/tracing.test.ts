import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { buildApp, type App } from '../app';
import { createDeps, type Deps } from '../composition-root';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startWorkers, type Workers } from '../workers/index';
import { createEventServiceClient } from '../../testing/grpc-client';
import { startGrpcServer } from '../grpc/server';
import { freshDatabase } from '../../../../testing/database';
import { startFakePaymentService, type FakePaymentService } from '../../../../testing/fake-payment-service';
import { organizer, publishedEvent, user, TEST_SECRET } from '../../../../testing/app';
import { startTracing, type Tracing } from './tracing';

// One process-wide SDK with an in-memory exporter: every span of this file lands here.
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let deps: Deps;
let app: App;
let workers: Workers;
let payments: FakePaymentService;
const lines: Record<string, unknown>[] = [];

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  tracing = await startTracing({ exporter });
  payments = await startFakePaymentService();
  await payments.off();
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  deps = await createDeps(
    loadConfig({
      DATABASE_URL: await freshDatabase('tracing'),
      AUTH_JWT_SECRET: TEST_SECRET,
      KAFKA_BROKERS: inject('kafkaBrokers'),
      REDIS_URL: inject('redisUrl'),
      KAFKA_CONSUMER_GROUP: `tracing-${randomUUID()}`,
      PAYMENT_SERVICE_URL: payments.url,
      PAYMENT_RETRY_BASE_DELAY: '100ms',
      PAYMENT_RETRY_MAX_DELAY: '300ms',
      OUTBOX_RELAY_INTERVAL: '50ms',
      JOBS_ENABLED: 'false',
    }),
    logger,
  );
  app = await buildApp(deps, { loggerInstance: logger, swaggerUi: false, tracing: true });
  await app.ready();
  workers = startWorkers(deps, logger);
  await workers.ready;
});

afterAll(async () => {
  await workers?.stop();
  await app?.close();
  await deps?.close();
  await payments?.close();
  await tracing?.shutdown();
});

describe('tracing and logs', () => {
  it('follows one payment from the HTTP request through the database and Kafka to the consumer in one trace', async () => {
    const owner = await organizer();
    const event = await publishedEvent(app, owner, { price: { amount: 1500, currency: 'EUR' } });
    const booker = await user();
    const booking = (await app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: event.id } })).json();
    exporter.reset();

    const paid = await app.inject({ method: 'POST', url: `/api/v2/bookings/${booking.id}/pay`, headers: booker.auth });
    expect(paid.statusCode).toBe(202);
    await payments.on();

    const spans = () => exporter.getFinishedSpans();
    const server = await waitFor(() => spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /api/v2/bookings/:id/pay'));
    const traceId = server.spanContext().traceId;
    const inTrace = (s: ReadableSpan) => s.spanContext().traceId === traceId;
    const consumer = await waitFor(() => spans().find((s) => inTrace(s) && s.kind === SpanKind.CONSUMER && s.name === 'payment-retry-queue process'));
    const producer = spans().find((s) => inTrace(s) && s.kind === SpanKind.PRODUCER && s.name === 'payment-retry-queue publish');
    const queries = spans().filter((s) => inTrace(s) && s.kind === SpanKind.CLIENT && s.instrumentationScope.name === '@opentelemetry/instrumentation-pg');

    expect(producer).toBeDefined();
    expect(consumer.parentSpanContext?.spanId).toBe(producer!.spanContext().spanId);
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.some((q) => q.parentSpanContext?.spanId === server.spanContext().spanId)).toBe(true);
    // The consumer's own database work (the retried charge settling the booking) is in the trace too.
    expect(queries.some((q) => q.startTime[0] * 1e3 + q.startTime[1] / 1e6 >= consumer.startTime[0] * 1e3 + consumer.startTime[1] / 1e6)).toBe(true);

    // The calls to the Payment Service are client spans of this trace (instrumentation-undici): the
    // refused one inside the request, the successful retry inside the consumer, which carried the
    // trace to the service in its traceparent header.
    const calls = spans().filter(
      (s) =>
        inTrace(s) && s.kind === SpanKind.CLIENT && s.attributes['http.request.method'] === 'POST' && String(s.attributes['url.full']).startsWith(payments.url),
    );
    expect(calls.some((c) => c.parentSpanContext?.spanId === server.spanContext().spanId && c.status.code === SpanStatusCode.ERROR)).toBe(true);
    const retried = calls.find((c) => c.parentSpanContext?.spanId === consumer.spanContext().spanId && c.attributes['http.response.status_code'] === 201);
    expect(retried).toBeDefined();
    const charge = payments.charges.find((c) => c.paymentId === paid.json().paymentId);
    expect(charge?.traceparent).toBe(`00-${traceId}-${retried!.spanContext().spanId}-01`);

    const logged = lines.find((l) => l.message === 'request completed' && (l.url as { path: string })?.path === `/api/v2/bookings/${booking.id}/pay`);
    expect(logged).toMatchObject({
      trace: { id: traceId },
      route: '/api/v2/bookings/:id/pay',
      http: { response: { status_code: 202 } },
      'ecs.version': expect.any(String),
    });
  });

  it('traces queries, Redis commands and gRPC calls through the instrumentation packages', async () => {
    const event = await publishedEvent(app, await organizer());
    exporter.reset();
    const spans = () => exporter.getFinishedSpans();
    const by = (scope: string) => (s: ReadableSpan) => s.instrumentationScope.name === `@opentelemetry/instrumentation-${scope}`;

    // An HTTP read continuing the caller's trace: its cache lookups and queries are children.
    const traceId = randomUUID().replace(/-/g, '');
    const callerSpanId = randomUUID().replace(/-/g, '').slice(0, 16);
    const read = await app.inject({ method: 'GET', url: `/api/v2/events/${event.id}`, headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    expect(read.statusCode).toBe(200);
    const server = await waitFor(() => spans().find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId));
    expect(server.parentSpanContext?.spanId).toBe(callerSpanId);
    const children = spans().filter((s) => s.parentSpanContext?.spanId === server.spanContext().spanId);
    expect(children.filter(by('ioredis')).map((s) => s.kind)).toContain(SpanKind.CLIENT);
    expect(children.filter(by('pg')).map((s) => s.attributes['db.statement'] ?? s.attributes['db.query.text'])).toContainEqual(
      expect.stringMatching(/^select/i),
    );

    // gRPC: the caller's client span and the service's server span, one trace.
    const grpc = await startGrpcServer(deps, { port: 0, host: '127.0.0.1' });
    const client = createEventServiceClient(`127.0.0.1:${grpc.port}`);
    try {
      const caller = trace.getTracer('test').startSpan('caller');
      const answer = await context.with(trace.setSpan(context.active(), caller), () => client.getEvent({ event_id: event.id }));
      caller.end();
      expect(answer).toMatchObject({ title: 'Rafting on the Katun' });
      const callTrace = caller.spanContext().traceId;
      const grpcServer = await waitFor(() => spans().find((s) => by('grpc')(s) && s.kind === SpanKind.SERVER && s.spanContext().traceId === callTrace));
      const grpcClient = spans().find((s) => by('grpc')(s) && s.kind === SpanKind.CLIENT && s.spanContext().traceId === callTrace);
      expect(grpcServer.name).toContain('EventService/GetEvent');
      expect(grpcClient?.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
      expect(grpcServer.parentSpanContext?.spanId).toBe(grpcClient!.spanContext().spanId);
    } finally {
      client.close();
      await grpc.shutdown(1_000);
    }
  });

  it('never writes the bearer token to the logs', async () => {
    const booker = await user();
    await app.inject({ method: 'GET', url: '/api/v2/bookings', headers: booker.auth });
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(text).toContain('/api/v2/bookings');
    expect(text).not.toContain(booker.token);
    expect(text).not.toContain(booker.token.split('.')[2]!);
  });
});
