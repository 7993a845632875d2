import { propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { exponentialBackoff } from '../resilience/retry-config';
import { SOURCE, toCloudEvent } from './cloud-events';
import type { MessagePublisher, MessagingLogger, OutboundMessage, OutboxMessage, OutboxStore } from './ports';
import { topicOf } from './topics';

const tracer = trace.getTracer('backend-event.outbox-relay');

/** An outbox row as the broker gets it: a CloudEvent on its aggregate's topic, keyed by the aggregate. */
export function toOutbound(message: OutboxMessage, source: string, headers?: Record<string, string>): OutboundMessage {
  return {
    topic: topicOf(message),
    key: message.aggregateId,
    headers,
    event: toCloudEvent({ id: message.id, type: message.type, subject: message.aggregateId, time: message.occurredAt, data: message.data }, source),
  };
}

export interface OutboxRelay {
  /** Relays until the outbox is empty or the publisher fails; returns how many were sent. */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Ships outbox rows to the broker in commit order. A row is marked sent only after the broker
 * acknowledged it; while the broker is down rows wait in the database (nothing is lost) and the
 * relay retries with growing pauses. One replica relays at a time (advisory lock), which keeps
 * the order per key when many replicas run.
 */
export function startOutboxRelay(options: {
  outbox: OutboxStore;
  publisher: MessagePublisher;
  logger: MessagingLogger;
  source?: string;
  intervalMs?: number;
  batchSize?: number;
  maxBackoffMs?: number;
  autoStart?: boolean;
  /** Called with every batch the broker acknowledged (failures are ignored: the rows are sent). */
  onRelayed?: (messages: OutboxMessage[]) => Promise<void>;
}): OutboxRelay {
  const { outbox, publisher, logger } = options;
  const source = options.source ?? SOURCE;
  const interval = options.intervalMs ?? 200;
  const batch = options.batchSize ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  // The pause after the n-th failure in a row: interval * 2^n, up to maxBackoffMs.
  const pauses = exponentialBackoff({ initialDelayMs: interval * 2, maxDelayMs: maxBackoff, jitter: 'none' });
  let stopped = false;
  let failures = 0;
  let lastLogged: string | undefined;
  let pause = interval;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function flush(): Promise<number> {
    let total = 0;
    for (;;) {
      let attempted: OutboxMessage[] = [];
      try {
        const sent = await outbox.relayBatch(batch, async (messages) => {
          attempted = messages;
          // Each message's publish span continues the trace of the request that wrote it.
          const spans = messages.map((m) => {
            const parent = m.traceContext ? propagation.extract(ROOT_CONTEXT, m.traceContext) : ROOT_CONTEXT;
            const span = tracer.startSpan(
              `${topicOf(m)} publish`,
              { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topicOf(m), 'messaging.message.id': m.id } },
              parent,
            );
            const headers: Record<string, string> = {};
            propagation.inject(trace.setSpan(parent, span), headers);
            return { span, message: toOutbound(m, source, headers) };
          });
          try {
            await publisher.publish(spans.map((s) => s.message));
          } finally {
            for (const { span } of spans) span.end();
          }
          return messages;
        });
        total += sent;
        if (sent > 0) await options.onRelayed?.(attempted).catch(() => undefined);
        if (failures > 0) logger.info({ afterFailures: failures }, 'outbox relay: broker reachable again, flushing the backlog');
        failures = 0;
        lastLogged = undefined;
        pauses.reset();
        pause = interval;
        if (sent < batch) return total;
      } catch (error) {
        failures++;
        pause = pauses.next();
        // The first failure, every 50th, and any whose reason differs from the last one logged: a
        // broker away says the same thing each time, a new cause is news.
        const reason = (error as Error).message;
        if (failures === 1 || failures % 50 === 0 || reason !== lastLogged) {
          lastLogged = reason;
          logger.warn({ err: error, failures }, 'outbox relay: publishing failed; messages stay in the outbox');
        }
        await outbox
          .recordFailure(
            attempted.map((m) => m.seq),
            (error as Error).message,
          )
          .catch(() => undefined);
        throw error;
      }
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = flush()
        .catch(() => undefined)
        .finally(schedule);
    }, pause);
    timer.unref();
  };
  if (options.autoStart !== false) schedule();

  return {
    flush,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
