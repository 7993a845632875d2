import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { PaymentRetryRequest } from '@aquastream/domain';
import { toCloudEvent, type CloudEvent } from './cloud-events';
import type { KafkaClient } from './kafka-client';
import { asRetryRequested } from './payment-retry-request';
import type { InboundMessage, OutboundMessage } from './ports';
import { PAYMENT_DLQ_TOPIC, PAYMENT_RETRY_TOPIC } from './topics';

/**
 * The dead letter of a message the payment retry consumer could not act on: the original bytes and
 * why, under an id derived from the original's (so a redelivered original dead-letters once).
 */
export function deadLetter(message: Pick<InboundMessage, 'raw' | 'key' | 'event'>, reason: string): OutboundMessage {
  const key = message.key ?? 'unknown';
  const id = message.event?.id ? `${message.event.id}.dlq` : `dlq-${randomUUID()}`;
  return {
    topic: PAYMENT_DLQ_TOPIC,
    key,
    headers: { 'x-dlq-reason': reason },
    event: toCloudEvent({ id, type: 'payment.retry_dead_lettered', subject: key, time: new Date(), data: { reason, original: message.raw } }),
  };
}

/** The data of a `payment.retry_dead_lettered` CloudEvent as the consumer writes it. */
const DeadLetterSchema = z.looseObject({
  type: z.literal('payment.retry_dead_lettered'),
  data: z.looseObject({ reason: z.unknown(), original: z.string() }),
});

/** The retry request a dead letter wraps, as it was published (so a replay carries it unchanged), or null. */
function original(deadLetterEvent: unknown): { event: CloudEvent; request: PaymentRetryRequest } | null {
  const parsed = DeadLetterSchema.safeParse(deadLetterEvent);
  if (!parsed.success) return null;
  try {
    const event = JSON.parse(parsed.data.data.original) as CloudEvent;
    const request = asRetryRequested(event)?.data;
    return request ? { event, request } : null;
  } catch {
    return null;
  }
}

export interface ReplayReport {
  dryRun: boolean;
  /** Dead letters not replayed before this run. */
  examined: number;
  /** Payment retry requests put (or, in a dry run, to be put) back on the retry queue. */
  replayable: { partition: number; offset: string; bookingId: string; paymentId: string; reason: string }[];
  /** Dead letters that hold no retry request (poison): left where they are, reported. */
  unreplayable: { partition: number; offset: string; reason: string }[];
  published: number;
}

/** The consumer group whose offsets on the DLQ mark what `replay-dlq --apply` has gone through. */
export const paymentDlqReplayGroup = (consumerGroup: string) => `${consumerGroup}.payment-dlq-replay`;

/**
 * Puts the payment retry requests of the dead-letter topic back on the retry queue, after the cause
 * was fixed. A dry run (the default) only reports. Idempotent: the replay group's offsets on the DLQ
 * are committed after publishing, so a second run finds nothing new; and each replayed message gets
 * an id derived from its dead letter, so a run repeated after a crash between publishing and
 * committing is recognised by the consumer (processed messages) and charges nothing twice.
 */
export async function replayDeadLetters(
  kafka: Pick<KafkaClient, 'readUnconsumed' | 'publish' | 'commitOffsets'>,
  options: { group: string; apply: boolean },
): Promise<ReplayReport> {
  const { messages, ends } = await kafka.readUnconsumed(PAYMENT_DLQ_TOPIC, options.group);
  const report: ReplayReport = { dryRun: !options.apply, examined: messages.length, replayable: [], unreplayable: [], published: 0 };
  const outbound: OutboundMessage[] = [];
  for (const m of messages) {
    const reason = (m.event?.data as { reason?: unknown } | undefined)?.reason;
    const why = typeof reason === 'string' ? reason : (m.headers['x-dlq-reason'] ?? 'unknown');
    const wrapped = original(m.event);
    if (!wrapped || !m.event) {
      report.unreplayable.push({ partition: m.partition, offset: m.offset, reason: `${why} (no payment retry request inside)` });
      continue;
    }
    const { bookingId, paymentId } = wrapped.request;
    report.replayable.push({ partition: m.partition, offset: m.offset, bookingId, paymentId, reason: why });
    outbound.push({
      topic: PAYMENT_RETRY_TOPIC,
      key: m.key ?? bookingId,
      headers: { 'x-replayed-from': `${PAYMENT_DLQ_TOPIC}/${m.partition}/${m.offset}` },
      event: { ...wrapped.event, id: `${m.event.id}.replay`, time: new Date().toISOString() },
    });
  }
  if (!options.apply) return report;
  await kafka.publish(outbound);
  report.published = outbound.length;
  await kafka.commitOffsets(options.group, PAYMENT_DLQ_TOPIC, ends);
  return report;
}
