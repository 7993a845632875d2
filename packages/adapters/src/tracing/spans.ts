import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { InboundMessage } from '../messaging/ports';
import type { LogEvent } from 'kysely';

// Without an SDK registered these are OpenTelemetry's no-op spans: tracing off costs nothing.
const tracer = trace.getTracer('backend-event.adapters');

/** Runs a consumer's handler in a span that continues the producer's trace (W3C headers). */
export async function consumeInSpan(topic: string, group: string, message: InboundMessage, handle: () => Promise<void>): Promise<void> {
  const parent = propagation.extract(ROOT_CONTEXT, message.headers);
  const span = tracer.startSpan(
    `${topic} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': group,
        'messaging.message.id': message.event?.id ?? '',
      },
    },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), handle);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Kysely's log hook, called after each query in the caller's async context: records the query as
 * a client span of the current trace (statement text only, never the parameters). For PGlite (the
 * embedded mode) only: it has no OpenTelemetry instrumentation; PostgreSQL's queries are traced by
 * @opentelemetry/instrumentation-pg.
 */
export function traceQuery(event: LogEvent): void {
  const parent = context.active();
  if (!trace.getSpan(parent)) return;
  const end = Date.now();
  const statement = event.query.sql;
  const span = tracer.startSpan(
    statement.split(/\s+/, 1)[0]!.toUpperCase(),
    {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: { 'db.system.name': 'postgresql', 'db.query.text': statement.slice(0, 2_000) },
    },
    parent,
  );
  if (event.level === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: String((event.error as Error)?.message ?? event.error) });
  span.end(end);
}
