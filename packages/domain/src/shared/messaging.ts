/** A CloudEvents 1.0 envelope (JSON format), the shape of every message this service publishes. */
export interface CloudEvent<T = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: T;
}

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
