import type { DomainEvent } from '@aquastream/domain';

/** Payment retry requests queued while the Payment Service was down. */
export const PAYMENT_RETRY_TOPIC = 'payment-retry-queue';
/** Retry requests the consumer could not understand or act on; `pnpm payments:replay-dlq` puts them back. */
export const PAYMENT_DLQ_TOPIC = 'payment-retry-queue.dlq';

/** Every topic the service publishes to or consumes; `ensureTopics` creates the missing ones. */
export const TOPICS = ['event-events', 'booking-events', PAYMENT_RETRY_TOPIC, PAYMENT_DLQ_TOPIC] as const;
export type Topic = (typeof TOPICS)[number];

/**
 * Which topic a domain event goes to: by its aggregate, so a new event of the catalogue needs no
 * line here. Events and locations feed catalogues of events; the rest is about bookings.
 */
export function topicOf(event: Pick<DomainEvent, 'aggregateType' | 'type'>): Topic {
  if (event.type === 'payment.retry_requested') return PAYMENT_RETRY_TOPIC;
  if (event.aggregateType === 'event' || event.aggregateType === 'location') return 'event-events';
  return 'booking-events';
}
