// The public surface of messaging: what the app wires and the CLI runs; the rest stays inside.
export type {
  InboundMessage,
  MessagePublisher,
  MessageSubscriber,
  MessagingLogger,
  OutboundMessage,
  OutboxBacklog,
  OutboxMessage,
  OutboxStore,
  ProcessedMessageStore,
  Subscription,
} from './ports';
export { toCloudEvent, type CloudEvent } from './cloud-events';
export {
  PAYMENT_DLQ_TOPIC,
  PAYMENT_RETRY_TOPIC,
  TOPICS,
  topicOf,
  wantedDurability,
  weakerTopics,
  type Topic,
  type TopicDurability,
  type WantedDurability,
  type WeakTopic,
} from './topics';
export {
  createKafkaClient,
  leadersElected,
  DEFAULT_CONSUMER_TIMINGS,
  type ConsumerLag,
  type ConsumerState,
  type ConsumerTimings,
  type KafkaClient,
  type KafkaOptions,
  type TopicsReport,
} from './kafka-client';
export { createInProcessBus } from './in-process-bus';
export { startOutboxRelay, type OutboxRelay } from './outbox-relay';
export { startPaymentRetryConsumer, type PaymentRetryOptions } from './payment-retry-consumer';
export { paymentDlqReplayGroup, replayDeadLetters, type ReplayReport } from './dead-letters';
