import { propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { OutboxMessage, OutboxStore } from '@aquastream/adapters';
import type { MessagePublisher, OutboundMessage } from '@aquastream/domain';

/** Which topic a domain event goes to. */
export function topicOf(message: Pick<OutboxMessage, 'aggregateType' | 'type'>): string {
  if (message.type === 'payment.retry_requested') return 'payment-retry-queue';
  if (message.aggregateType === 'event' || message.aggregateType === 'location') return 'event-events';
  return 'booking-events';
}

const tracer = trace.getTracer('backend-event.outbox-relay');

export function toOutbound(message: OutboxMessage, source: string, headers?: Record<string, string>): OutboundMessage {
  return {
    topic: topicOf(message),
    key: message.aggregateId,
    headers,
    event: {
      specversion: '1.0',
      id: message.id,
      type: message.type,
      source,
      time: message.occurredAt.toISOString(),
      subject: message.aggregateId,
      datacontenttype: 'application/json',
      data: message.data,
    },
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
  logger: Logger;
  source?: string;
  intervalMs?: number;
  batchSize?: number;
  maxBackoffMs?: number;
  autoStart?: boolean;
  /** Called with every batch the broker acknowledged (failures are ignored: the rows are sent). */
  onRelayed?: (messages: OutboxMessage[]) => Promise<void>;
}): OutboxRelay {
  const { outbox, publisher, logger } = options;
  const source = options.source ?? 'urn:aquastream:backend-event';
  const interval = options.intervalMs ?? 200;
  const batch = options.batchSize ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let stopped = false;
  let failures = 0;
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
        if (sent < batch) return total;
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 50 === 0) logger.warn({ err: error, failures }, 'outbox relay: publishing failed; messages stay in the outbox');
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
    const pause = failures === 0 ? interval : Math.min(maxBackoff, interval * 2 ** Math.min(failures, 10));
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
