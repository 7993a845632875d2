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

/** How many copies of each partition a topic keeps, and how many must have a write before it is acknowledged. */
export interface TopicDurability {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** Where the wanted durability came from: the settings, or the default for the cluster's size. */
export interface WantedDurability extends TopicDurability {
  source: 'configured' | 'default';
  brokers: number;
}

/**
 * What the service's topics should have on a cluster of `brokers`: the configured values, else
 * 3 copies with 2 in sync on three brokers or more (a broker may die without losing or refusing
 * an acknowledged write), and 1 and 1 below that (development, a single broker).
 */
export function wantedDurability(brokers: number, configured: Partial<TopicDurability> = {}): WantedDurability {
  const big = brokers >= 3;
  const replicationFactor = configured.replicationFactor ?? (big ? 3 : 1);
  const minInsyncReplicas = configured.minInsyncReplicas ?? (big ? Math.min(2, replicationFactor) : 1);
  const source = configured.replicationFactor !== undefined || configured.minInsyncReplicas !== undefined ? 'configured' : 'default';
  return { replicationFactor, minInsyncReplicas, source, brokers };
}

/** A topic that keeps fewer copies, or acknowledges with fewer in sync, than wanted. */
export interface WeakTopic extends TopicDurability {
  topic: string;
}

/** The topics of `found` weaker than `wanted` in either respect. */
export function weakerTopics(found: WeakTopic[], wanted: TopicDurability): WeakTopic[] {
  return found.filter((t) => t.replicationFactor < wanted.replicationFactor || t.minInsyncReplicas < wanted.minInsyncReplicas);
}
