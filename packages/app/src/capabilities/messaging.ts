import type { Logger } from 'pino';
import {
  createInProcessBus,
  createKafkaClient,
  createPgOutboxStore,
  createPgProcessedMessages,
  systemClock,
  type DatabaseHandle,
  type KafkaClient,
  type KafkaOptions,
  type MessagePublisher,
  type MessageSubscriber,
  type OutboxStore,
  type ProcessedMessageStore,
} from '@aquastream/adapters';
import type { Config } from '../config';
import { consumersHealth, timed, type HealthChecks, type HealthComponent } from './health';

export interface Messaging {
  kind: 'kafka' | 'in-process';
  publisher: MessagePublisher;
  subscriber: MessageSubscriber;
  /** Kafka only: create topics, check the cluster, read consumer lag. */
  kafka?: KafkaClient;
  close(): Promise<void>;
}

/** The Kafka client's settings from the configuration (KAFKA_BROKERS must be set). */
export function kafkaOptions(config: Config & { KAFKA_BROKERS: string }, logger?: Logger): KafkaOptions {
  return {
    brokers: config.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    ssl: config.KAFKA_SSL,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
    sasl:
      config.KAFKA_USERNAME && config.KAFKA_PASSWORD
        ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_USERNAME, password: config.KAFKA_PASSWORD }
        : undefined,
    log: logger ? (level, message, extra) => logger[level === 'error' ? 'warn' : level]({ kafka: extra }, message) : undefined,
  };
}

/** Kafka at KAFKA_BROKERS, or an in-process bus without it (embedded mode, tests). */
export function createMessaging(config: Config, logger?: Logger): Messaging {
  if (!config.KAFKA_BROKERS) {
    const bus = createInProcessBus();
    return { kind: 'in-process', publisher: bus, subscriber: bus, close: async () => undefined };
  }
  const kafka = createKafkaClient(kafkaOptions({ ...config, KAFKA_BROKERS: config.KAFKA_BROKERS }, logger));
  return { kind: 'kafka', publisher: kafka, subscriber: kafka, kafka, close: () => kafka.close() };
}

export interface MessagingCapability {
  messaging: Messaging;
  /** Domain events written with the data, published by the relay. */
  outbox: OutboxStore;
  /** Messages already handled, so redelivered ones change nothing. */
  processed: ProcessedMessageStore;
  health: HealthChecks;
}

/** The broker, the outbox that feeds it and the record of handled messages. */
export function createMessagingCapability(config: Config, database: DatabaseHandle, logger?: Logger): MessagingCapability {
  const messaging = createMessaging(config, logger);
  const outbox = createPgOutboxStore(database.db);
  const kafka = messaging.kafka;
  return {
    messaging,
    outbox,
    processed: createPgProcessedMessages(database.db),
    health: {
      outbox: { critical: false, check: () => timed(async () => ({ ...(await outbox.backlog(systemClock.now())), broker: messaging.kind })) },
      ...(kafka
        ? {
            kafka: { critical: false, check: () => kafkaHealth(kafka) },
            consumers: { critical: false, check: async () => consumersHealth(kafka.consumers(), Date.now()) },
          }
        : {}),
    },
  };
}

/**
 * The cluster's brokers and the durability of the service's topics: DEGRADED while a topic keeps
 * fewer replicas or a lower min.insync.replicas than wanted (losing one broker could then lose or
 * refuse acknowledged messages).
 */
async function kafkaHealth(kafka: KafkaClient): Promise<HealthComponent> {
  const component = await timed(async () => ({ ...(await kafka.ping()) }));
  if (component.status !== 'UP') return component;
  try {
    const { wanted, weak } = await kafka.topicsReport();
    const topics = { replicationFactor: wanted.replicationFactor, minInsyncReplicas: wanted.minInsyncReplicas, source: wanted.source, weak };
    return { status: weak.length ? 'DEGRADED' : 'UP', details: { ...component.details, topics } };
  } catch (error) {
    return { status: 'DEGRADED', details: { ...component.details, topics: { error: (error as Error).message } } };
  }
}
