import type { KafkaClient } from '@aquastream/adapters';
import type { CloudEvent, OutboundMessage } from '@aquastream/domain';
import { asRequest, PAYMENT_DLQ_TOPIC, PAYMENT_RETRY_TOPIC } from '../workers/payment-retry-consumer';

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

function original(deadLetter: CloudEvent | null): CloudEvent | null {
  if (deadLetter?.type !== 'payment.retry_dead_lettered') return null;
  const raw = (deadLetter.data as { original?: unknown }).original;
  if (typeof raw !== 'string') return null;
  try {
    const event = JSON.parse(raw) as CloudEvent;
    return event?.specversion === '1.0' && event.type === 'payment.retry_requested' && asRequest(event.data) ? event : null;
  } catch {
    return null;
  }
}

/**
 * Puts the payment retry requests of the dead-letter topic back on the retry queue, after the cause
 * was fixed. A dry run (the default) only reports. Idempotent: the replay group's offsets on the DLQ
 * are committed after publishing, so a second run finds nothing new; and each replayed message gets
 * an id derived from its dead letter, so a run repeated after a crash between publishing and
 * committing is recognised by the consumer (processed messages) and charges nothing twice.
 */
export async function replayDeadLetters(kafka: KafkaClient, options: { group: string; apply: boolean }): Promise<ReplayReport> {
  const { messages, ends } = await kafka.readUnconsumed(PAYMENT_DLQ_TOPIC, options.group);
  const report: ReplayReport = { dryRun: !options.apply, examined: messages.length, replayable: [], unreplayable: [], published: 0 };
  const outbound: OutboundMessage[] = [];
  for (const m of messages) {
    const reason = (m.event?.data as { reason?: unknown } | undefined)?.reason;
    const why = typeof reason === 'string' ? reason : (m.headers['x-dlq-reason'] ?? 'unknown');
    const request = original(m.event);
    if (!request || !m.event) {
      report.unreplayable.push({ partition: m.partition, offset: m.offset, reason: `${why} (no payment retry request inside)` });
      continue;
    }
    const { bookingId, paymentId } = asRequest(request.data)!;
    report.replayable.push({ partition: m.partition, offset: m.offset, bookingId, paymentId, reason: why });
    outbound.push({
      topic: PAYMENT_RETRY_TOPIC,
      key: m.key ?? bookingId,
      headers: { 'x-replayed-from': `${PAYMENT_DLQ_TOPIC}/${m.partition}/${m.offset}` },
      event: { ...request, id: `${m.event.id}.replay`, time: new Date().toISOString() },
    });
  }
  if (!options.apply) return report;
  await kafka.publish(outbound);
  report.published = outbound.length;
  await kafka.commitOffsets(options.group, PAYMENT_DLQ_TOPIC, ends);
  return report;
}

export function formatReport(report: ReplayReport): string {
  const lines = [
    ...report.replayable.map(
      (r) =>
        `${report.dryRun ? 'would replay' : 'replayed'}  ${PAYMENT_DLQ_TOPIC}/${r.partition}/${r.offset}  booking ${r.bookingId} payment ${r.paymentId}  (${r.reason})`,
    ),
    ...report.unreplayable.map((r) => `left         ${PAYMENT_DLQ_TOPIC}/${r.partition}/${r.offset}  ${r.reason}`),
    `${report.examined} dead letter(s) not replayed before; ${report.replayable.length} replayable, ${report.unreplayable.length} not; ${report.published} published`,
  ];
  if (report.dryRun && report.replayable.length > 0) lines.push('dry run: nothing was published; run again with --apply to replay');
  return lines.join('\n');
}
