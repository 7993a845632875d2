import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import type { CloudEvent, InboundMessage, MessagePublisher, MessageSubscriber, Subscription } from '@aquastream/domain';
import { consumeInSpan } from '../tracing/spans';

export const TOPICS = ['event-events', 'booking-events', 'payment-retry-queue', 'payment-retry-queue.dlq'] as const;

export interface KafkaOptions {
  brokers: string[];
  clientId?: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  ssl?: boolean;
  partitions?: number;
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
}

export interface KafkaClient extends MessagePublisher, MessageSubscriber {
  /** Creates the service's topics when missing (idempotent). */
  ensureTopics(): Promise<void>;
  /** Asks the cluster for its brokers; throws when Kafka cannot be reached. */
  ping(): Promise<{ brokers: number }>;
  /**
   * Messages of a topic not yet consumed by a group, and how far behind in time that group is:
   * the age of the newest message it has handled, while messages are waiting (0 when caught up).
   */
  lag(group: string, topic: string): Promise<{ messages: number; seconds: number }>;
  close(): Promise<void>;
}

// kafkajs is loud about conditions the service handles itself (a broker away, a coordinator still
// loading): one level down keeps real problems visible without flooding the logs.
const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'info',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'debug',
};

function parse(raw: string): CloudEvent | null {
  try {
    const value = JSON.parse(raw) as Partial<CloudEvent>;
    return value && value.specversion === '1.0' && typeof value.id === 'string' && typeof value.type === 'string' ? (value as CloudEvent) : null;
  } catch {
    return null;
  }
}

/**
 * kafkajs behind the messaging ports. The producer is idempotent with one request in flight, so a
 * retried send neither duplicates nor reorders; sends wait for all in-sync replicas. Retries are
 * short: while Kafka is down the outbox keeps the messages, so failing fast is the better answer.
 */
export function createKafkaClient(options: KafkaOptions): KafkaClient {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'backend-event',
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl as never,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      options.log?.(LEVELS[entry.level] ?? 'info', `kafka: ${message}`, { ...extra, namespace: entry.namespace });
    },
  });
  let producer: Producer | undefined;
  let producerReady: Promise<void> | undefined;
  let admin: Admin | undefined;
  const consumers = new Set<Consumer>();
  // Broker timestamp (ms) of the last message each group handled per topic, for lag in seconds.
  const handledAt = new Map<string, number>();

  async function connectedProducer(): Promise<Producer> {
    if (!producer) {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      producer.on(producer.events.DISCONNECT, () => {
        producerReady = undefined;
      });
    }
    producerReady ??= producer.connect().catch((error: unknown) => {
      producerReady = undefined;
      throw error;
    });
    await producerReady;
    return producer;
  }

  async function connectedAdmin(): Promise<Admin> {
    admin ??= kafka.admin();
    await admin.connect();
    return admin;
  }

  return {
    async publish(messages) {
      if (messages.length === 0) return;
      const byTopic = new Map<string, { key: string; value: string; headers?: Record<string, string> }[]>();
      for (const m of messages) {
        const list = byTopic.get(m.topic) ?? [];
        list.push({ key: m.key, value: JSON.stringify(m.event), headers: { 'content-type': 'application/cloudevents+json', ...m.headers } });
        byTopic.set(m.topic, list);
      }
      const p = await connectedProducer();
      await p.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
    },

    async subscribe({ topic, group, handle }): Promise<Subscription> {
      const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 } });
      consumers.add(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      // Resolve once the group is joined, so callers know messages will flow from now on.
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        eachMessage: async ({ message, heartbeat }) => {
          const raw = message.value?.toString('utf8') ?? '';
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '')]));
          const inbound: InboundMessage = { topic, key: message.key?.toString('utf8') ?? null, event: parse(raw), raw, headers };
          await consumeInSpan(topic, group, inbound, () => handle(inbound, heartbeat));
          handledAt.set(`${group} ${topic}`, Number(message.timestamp));
        },
      });
      await joined;
      return {
        async stop() {
          consumers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },

    async ensureTopics() {
      const a = await connectedAdmin();
      const existing = new Set(await a.listTopics());
      const missing = TOPICS.filter((t) => !existing.has(t));
      if (missing.length)
        await a.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: options.partitions ?? 3, replicationFactor: -1 })) });
    },

    async ping() {
      const a = await connectedAdmin();
      const cluster = await a.describeCluster();
      return { brokers: cluster.brokers.length };
    },

    async lag(group, topic) {
      const a = await connectedAdmin();
      const [committed, latest] = await Promise.all([a.fetchOffsets({ groupId: group, topics: [topic] }), a.fetchTopicOffsets(topic)]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      let messages = 0;
      for (const p of latest) {
        const end = Number(p.high);
        const at = done.get(p.partition) ?? -1;
        messages += Math.max(0, end - (at < 0 ? Number(p.low) : at));
      }
      const last = handledAt.get(`${group} ${topic}`);
      const seconds = messages > 0 && last !== undefined ? Math.max(0, (Date.now() - last) / 1000) : 0;
      return { messages, seconds };
    },

    async close() {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()));
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
    },
  };
}
