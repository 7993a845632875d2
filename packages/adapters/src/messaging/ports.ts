import type { DomainEvent } from '@aquastream/domain';
import type { CloudEvent } from './cloud-events';

export interface OutboundMessage {
  topic: string;
  /** Partitioning key: the aggregate id, so one aggregate's messages stay in order. */
  key: string;
  event: CloudEvent;
  headers?: Record<string, string>;
}

/** Publishes and resolves only once the broker acknowledged every message. */
export interface MessagePublisher {
  publish(messages: readonly OutboundMessage[]): Promise<void>;
}

export interface InboundMessage {
  topic: string;
  key: string | null;
  /** null when the bytes are not a CloudEvent (a poison message). */
  event: CloudEvent | null;
  raw: string;
  headers: Record<string, string>;
}

export interface Subscription {
  stop(): Promise<void>;
}

/**
 * Delivers messages of a topic to a consumer group, one at a time per partition; a handler that
 * throws gets the message again (at-least-once), so handlers are idempotent.
 */
export interface MessageSubscriber {
  subscribe(options: { topic: string; group: string; handle(message: InboundMessage, heartbeat: () => Promise<void>): Promise<void> }): Promise<Subscription>;
}

/** Remembers which messages a consumer has handled, so redelivery has no second effect. */
export interface ProcessedMessageStore {
  seen(consumer: string, messageId: string): Promise<boolean>;
  remember(consumer: string, messageId: string, at: Date): Promise<void>;
}

/** A domain event as the outbox table holds it, waiting for the relay. */
export type OutboxMessage = DomainEvent & {
  seq: string;
  attempts: number;
  /** W3C trace context of the request that wrote the row. */
  traceContext: Record<string, string> | null;
};

export interface OutboxBacklog {
  messages: number;
  oldestAgeSeconds: number;
}

/** The relay's view of the outbox. */
export interface OutboxStore {
  /**
   * Runs `publish` on the oldest unpublished rows while holding a cluster-wide advisory lock, and
   * marks the rows it returns as published in the same transaction. Only one replica relays at a
   * time, which keeps per-key order; the others return 0 at once.
   */
  relayBatch(limit: number, publish: (messages: OutboxMessage[]) => Promise<OutboxMessage[]>): Promise<number>;
  recordFailure(seqs: string[], error: string): Promise<void>;
  backlog(now: Date): Promise<OutboxBacklog>;
}

/** What the relay and the consumers log through (pino's Logger fits); adapters take no logging library. */
export interface MessagingLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}
