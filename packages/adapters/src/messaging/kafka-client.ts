import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  type KafkaMessage,
  type LogEntry,
  type PartitionMetadata,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { keyPartition } from './murmur2';
import { exponentialBackoff } from '../resilience/retry-config';
import { consumeInSpan } from '../tracing/spans';
import { CLOUDEVENTS_CONTENT_TYPE, parseCloudEvent } from './cloud-events';
import type { InboundMessage, MessagePublisher, MessageSubscriber, Subscription } from './ports';
import { TOPICS, wantedDurability, weakerTopics, type WantedDurability, type WeakTopic } from './topics';

export interface KafkaOptions {
  brokers: string[];
  clientId?: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  ssl?: boolean;
  partitions?: number;
  /** Copies of each partition of the topics created; default 3 on a cluster of three brokers or more, else 1. */
  replicationFactor?: number;
  /** min.insync.replicas of the topics created; default 2 on a cluster of three brokers or more, else 1. */
  minInsyncReplicas?: number;
  consumerTimings?: Partial<ConsumerTimings>;
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
}

/** What one consumer of this replica is doing, for health and metrics. */
export interface ConsumerState {
  group: string;
  topic: string;
  state: 'starting' | 'running' | 'rebalancing' | 'restarting' | 'stopped';
  /** Partitions of the topic assigned to this replica. */
  partitions: number[];
  /** Since when (ms since epoch) it has held no partition; null while it holds some. */
  withoutPartitionsSince: number | null;
  /** When (ms since epoch) it last handled a message; null before the first. */
  lastMessageAt: number | null;
  /** Crashes it was restarted from. */
  restarts: number;
  lastError: string | null;
}

/** The durability of the service's topics: what is wanted, what was created, what is weaker than wanted. */
export interface TopicsReport {
  wanted: WantedDurability;
  /** Topics this call created (ensureTopics only). */
  created: string[];
  /** Existing topics with fewer replicas or a lower min.insync.replicas than wanted. */
  weak: WeakTopic[];
}

/** How far a consumer group is behind on a topic, in total and per partition. */
export interface ConsumerLag {
  messages: number;
  seconds: number;
  partitions: { partition: number; messages: number; seconds: number }[];
}

/** Consumer group timings: a member that is gone is noticed within the session timeout. */
export interface ConsumerTimings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /** A consumer that has not joined its group this long after starting is recreated. */
  joinWatchdogMs: number;
  restartBackoff: { initialMs: number; maxMs: number };
}

// The broker's default group.min.session.timeout.ms is 6 s: the shortest session it accepts. Short,
// so the member of a consumer that died with the broker is dropped soon after the broker is back.
// Handlers never wait (payments are rescheduled, not slept), so a short rebalance timeout is safe.
export const DEFAULT_CONSUMER_TIMINGS: ConsumerTimings = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  joinWatchdogMs: 60_000,
  restartBackoff: { initialMs: 500, maxMs: 30_000 },
};

export interface KafkaClient extends MessagePublisher, MessageSubscriber {
  /** The state of each consumer this client runs. */
  consumers(): ConsumerState[];
  /**
   * Every message of `topic` the group has not consumed yet, up to the end of the topic as it is
   * now, read without committing anything; `ends` is where the group stands once they are done.
   */
  readUnconsumed(
    topic: string,
    group: string,
  ): Promise<{ messages: (InboundMessage & { partition: number; offset: string })[]; ends: { partition: number; offset: string }[] }>;
  /** Moves the group to these offsets of the topic (the group must have no running member). */
  commitOffsets(group: string, topic: string, offsets: { partition: number; offset: string }[]): Promise<void>;
  /**
   * Creates the service's topics when missing (idempotent), replicated as wanted, and reports (log
   * and answer) the existing ones that are weaker: it never changes an existing topic.
   */
  ensureTopics(): Promise<TopicsReport>;
  /** The same report without creating anything; checked at most once a minute. */
  topicsReport(): Promise<TopicsReport>;
  /** Asks the cluster for its brokers; throws when Kafka cannot be reached. */
  ping(): Promise<{ brokers: number }>;
  /**
   * Messages of a topic not yet consumed by a group, and how far behind in time it is: per
   * partition, the age of the oldest message waiting (the one at the group's committed offset; 0
   * when caught up), read from the broker whether or not any consumer of the group runs.
   * `seconds` is the largest of them.
   */
  lag(group: string, topic: string): Promise<ConsumerLag>;
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

/**
 * The timestamp of the message at `offset` of a partition, without consuming it: Kafka answers
 * "the first offset whose timestamp is at least T" (ListOffsets by time, exact: the broker scans
 * the segment after its time index), so the largest T whose answer is still at or before `offset`
 * is that message's timestamp (or a later one of an earlier message, if producers' clocks
 * disagreed: the age is then read low, never high). Found by doubling the age from one second,
 * then halving the interval to within 1 % of the age (at least 100 ms): about 2 log2(age in s)
 * round trips, once per committed offset. Ages beyond 30 days are reported as 30 days.
 */
async function timestampAt(admin: Admin, topic: string, partition: number, offset: bigint, now: number): Promise<number> {
  const reachesOffset = async (timestamp: number) => {
    const answer = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    const found = answer.find((p) => p.partition === partition);
    return found !== undefined && BigInt(found.offset) <= offset;
  };
  if (await reachesOffset(now)) return now;
  const horizon = 30 * 86_400_000;
  let newer = now; // reachesOffset(newer) is false
  let older = now - 1_000;
  while (!(await reachesOffset(older))) {
    newer = older;
    const age = now - older;
    if (age >= horizon) return now - horizon;
    older = now - Math.min(horizon, age * 2);
  }
  // reachesOffset(older) is true: the timestamp lies in [older, newer).
  while (newer - older > Math.max(100, (now - newer) / 100)) {
    const middle = Math.floor((older + newer) / 2);
    if (await reachesOffset(middle)) older = middle;
    else newer = middle;
  }
  return older;
}

/** A record as handlers see it: text, headers as strings, the envelope checked. */
function inbound(topic: string, message: KafkaMessage): InboundMessage {
  const raw = message.value?.toString('utf8') ?? '';
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '')]));
  return { topic, key: message.key?.toString('utf8') ?? null, event: parseCloudEvent(raw), raw, headers };
}

/**
 * kafkajs behind the messaging ports. The producer has one request in flight per broker, so a
 * retried send does not reorder (it may store a message twice); sends wait for all in-sync
 * replicas. Retries are short: while Kafka is down the outbox keeps the messages, so failing fast is the better answer.
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
  const supervised = new Set<ConsumerState>();
  const running = new Set<() => Promise<void>>();
  const timings: ConsumerTimings = { ...DEFAULT_CONSUMER_TIMINGS, ...options.consumerTimings };
  // Timestamp of the message at a partition's committed offset, per group, topic and partition:
  // found again only when the group moves (a message's timestamp never changes).
  const waitingSince = new Map<string, { offset: bigint; timestamp: number }>();

  async function connectedProducer(): Promise<Producer> {
    if (!producer) {
      // Not kafkajs' idempotent producer: it asks for the metadata of every topic in the cluster
      // when it starts (InitProducerId), and kafkajs fails a metadata answer whole when any partition
      // in it has no leader, so a dead broker holding some other single-replica topic kept it from
      // starting again, and the outbox waited as long as that broker was away (the three-broker
      // topology test saw it). What it would add, no duplicate on a retried send, the outbox does
      // not promise anyway: it delivers at least once and consumers drop a CloudEvent id they have seen.
      producer = kafka.producer({
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
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

  /**
   * Runs one consumer and keeps it running: kafkajs restarts a consumer after a retriable crash by
   * itself, but gives up for good on a non-retriable one (KafkaJSGroupCoordinatorNotFound at start-up,
   * for one) and its run() resolves without the group ever being joined. Here any crash kafkajs will
   * not restart, a failed start, and a consumer that has not joined within the watchdog time are
   * answered by a new consumer, after an exponential backoff (cockatiel's, half jitter). Resolves once the group is
   * first joined (or the subscription is stopped).
   */
  async function supervise({ topic, group, handle }: Parameters<MessageSubscriber['subscribe']>[0]): Promise<Subscription> {
    const status: ConsumerState = {
      group,
      topic,
      state: 'starting',
      partitions: [],
      withoutPartitionsSince: Date.now(),
      lastMessageAt: null,
      restarts: 0,
      lastError: null,
    };
    supervised.add(status);
    let stopped = false;
    let current: Consumer | undefined;
    let timer: NodeJS.Timeout | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    const restartPauses = exponentialBackoff({ initialDelayMs: timings.restartBackoff.initialMs, maxDelayMs: timings.restartBackoff.maxMs, jitter: 'half' });
    let joined!: () => void;
    const firstJoin = new Promise<void>((resolve) => (joined = resolve));
    const unassigned = () => {
      status.partitions = [];
      status.withoutPartitionsSince ??= Date.now();
    };

    const relaunch = (consumer: Consumer, reason: string) => {
      if (stopped || current !== consumer) return;
      current = undefined;
      clearTimeout(watchdog);
      unassigned();
      status.state = 'restarting';
      status.restarts++;
      status.lastError = reason;
      const delay = restartPauses.next();
      options.log?.('warn', `kafka: consumer of ${topic} (${group}) restarts in ${delay} ms`, { reason, restarts: status.restarts });
      // disconnect() leaves the group when the broker is reachable, so the partitions move at once.
      void consumer.disconnect().catch(() => undefined);
      timer = setTimeout(() => void launch(), delay);
      timer.unref();
    };

    async function launch() {
      if (stopped) return;
      status.state = 'starting';
      const consumer = kafka.consumer({
        groupId: group,
        allowAutoTopicCreation: false,
        sessionTimeout: timings.sessionTimeoutMs,
        heartbeatInterval: timings.heartbeatIntervalMs,
        rebalanceTimeout: timings.rebalanceTimeoutMs,
        // Stopping waits for the fetch in flight before leaving the group: a short long-poll keeps
        // a shutdown (and the partitions' move to the other replicas) within about a second.
        maxWaitTimeInMs: 1_000,
        retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
      });
      current = consumer;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        restartPauses.reset();
        clearTimeout(watchdog);
        status.state = 'running';
        status.partitions = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
        status.withoutPartitionsSince = status.partitions.length > 0 ? null : (status.withoutPartitionsSince ?? Date.now());
        joined();
      });
      consumer.on(consumer.events.REBALANCING, () => {
        status.state = 'rebalancing';
        unassigned();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        unassigned();
        status.lastError = `${payload.error.name}: ${payload.error.message}`;
        if (payload.restart) {
          // kafkajs starts this consumer again itself; the watchdog checks that it joins.
          status.state = 'restarting';
          status.restarts++;
          clearTimeout(watchdog);
          watchdog = setTimeout(() => relaunch(consumer, `no group join within ${timings.joinWatchdogMs} ms of a restart`), timings.joinWatchdogMs);
          watchdog.unref();
          return;
        }
        relaunch(consumer, status.lastError);
      });
      watchdog = setTimeout(() => relaunch(consumer, `no group join within ${timings.joinWatchdogMs} ms`), timings.joinWatchdogMs);
      watchdog.unref();
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          partitionsConsumedConcurrently: 3,
          eachMessage: async ({ message, heartbeat }) => {
            const received = inbound(topic, message);
            await consumeInSpan(topic, group, received, () => handle(received, heartbeat));
            status.lastMessageAt = Date.now();
          },
        });
      } catch (error) {
        relaunch(consumer, `${(error as Error).name}: ${(error as Error).message}`);
      }
    }

    let stopSignal!: () => void;
    const stopRequested = new Promise<void>((resolve) => (stopSignal = resolve));
    async function stop() {
      stopped = true;
      stopSignal();
      clearTimeout(timer);
      clearTimeout(watchdog);
      status.state = 'stopped';
      unassigned();
      supervised.delete(status);
      running.delete(stop);
      const consumer = current;
      current = undefined;
      // Leaves the group, so the other replicas take the partitions without waiting for the session to
      // end. During a rebalance kafkajs may not leave in time (tulios/kafkajs#1462): past a session
      // timeout the broker drops the member anyway, so the stop goes on instead of outliving the
      // shutdown grace.
      if (consumer) {
        let giveUp: NodeJS.Timeout | undefined;
        const sessionOver = new Promise<void>((resolve) => (giveUp = setTimeout(resolve, timings.sessionTimeoutMs)));
        await Promise.race([consumer.disconnect().catch(() => undefined), sessionOver]).finally(() => clearTimeout(giveUp));
      }
    }
    running.add(stop);
    void launch();
    await Promise.race([firstJoin, stopRequested]);
    return { stop };
  }

  async function connectedAdmin(): Promise<Admin> {
    admin ??= kafka.admin();
    await admin.connect();
    return admin;
  }

  const partitionFor = Partitioners.DefaultPartitioner();
  const partitionCache = new Map<string, { at: number; partitions: PartitionMetadata[] }>();
  /** A topic's partitions, asked again every 30 s and after any failed send. */
  async function partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    const cached = partitionCache.get(topic);
    if (cached && Date.now() - cached.at < 30_000) return cached.partitions;
    const a = await connectedAdmin();
    const { topics } = await a.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`kafka: topic ${topic} has no partitions`);
    partitionCache.set(topic, { at: Date.now(), partitions });
    return partitions;
  }

  let lastReport: { at: number; report: TopicsReport } | undefined;
  let announced = false;
  /** The durability wanted on this cluster; said once in the log, with where the numbers come from. */
  async function wantedFor(a: Admin): Promise<WantedDurability> {
    const { brokers } = await a.describeCluster();
    const wanted = wantedDurability(brokers.length, { replicationFactor: options.replicationFactor, minInsyncReplicas: options.minInsyncReplicas });
    if (!announced) {
      announced = true;
      options.log?.(
        'info',
        wanted.source === 'default'
          ? `kafka: topics get ${wanted.replicationFactor} replica(s) and min.insync.replicas ${wanted.minInsyncReplicas}, the default for a cluster of ${wanted.brokers} broker(s) (KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS to choose)`
          : `kafka: topics get ${wanted.replicationFactor} replica(s) and min.insync.replicas ${wanted.minInsyncReplicas} (KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS)`,
        { ...durabilityLog(wanted) },
      );
    }
    return wanted;
  }

  return {
    async publish(messages) {
      if (messages.length === 0) return;
      const byTopic = new Map<string, { key: string; value: string; partition: number; headers?: Record<string, string> }[]>();
      const expected = new Set<string>();
      for (const m of messages) {
        const list = byTopic.get(m.topic) ?? [];
        const message = { key: m.key, value: JSON.stringify(m.event), headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ...m.headers } };
        // The partition kafkajs' default partitioner would choose (murmur2 of the key), chosen here
        // so that every partition of the batch can be checked for its acknowledgement below.
        const partitionMetadata = await partitionsOf(m.topic);
        const partition =
          message.key === null || message.key === undefined
            ? partitionFor({ topic: m.topic, partitionMetadata, message })
            : keyPartition(message.key, partitionMetadata.length);
        list.push({ ...message, partition });
        byTopic.set(m.topic, list);
        expected.add(`${m.topic}/${partition}`);
      }
      const p = await connectedProducer();
      let acknowledged: RecordMetadata[];
      try {
        acknowledged = await p.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
      } catch (error) {
        partitionCache.clear(); // leaders or partitions may have changed
        throw error;
      }
      // kafkajs 2.2.4 retries a send only to the brokers that have not answered yet: partitions whose
      // leader moved (a broker died) to a broker that had answered are never sent, and the send
      // still resolves (tulios/kafkajs#1303). Such a batch counts as failed, so the outbox sends it again.
      for (const r of acknowledged) expected.delete(`${r.topicName}/${r.partition}`);
      if (expected.size > 0) {
        partitionCache.clear();
        throw new Error(`kafka: no acknowledgement for ${[...expected].join(', ')} (a leader moved during the send); the batch is sent again`);
      }
    },

    subscribe: (options) => supervise(options),

    consumers: () => [...supervised].map((c) => ({ ...c, partitions: [...c.partitions] })),

    async readUnconsumed(topic, group) {
      const a = await connectedAdmin();
      const [latest, committed] = await Promise.all([a.fetchTopicOffsets(topic), a.fetchOffsets({ groupId: group, topics: [topic] })]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      const ends = latest.map((p) => ({ partition: p.partition, offset: p.high }));
      // Where reading starts and stops per partition; -1 (nothing committed) means the earliest message.
      const wanted = new Map(
        latest
          .map((p) => {
            const from = done.get(p.partition) ?? -1n;
            return [p.partition, { from: from < 0n ? BigInt(p.low) : from, to: BigInt(p.high) }] as const;
          })
          .filter(([, range]) => range.from < range.to),
      );
      const messages: (InboundMessage & { partition: number; offset: string })[] = [];
      if (wanted.size === 0) return { messages, ends };
      const consumer = kafka.consumer({
        groupId: group,
        allowAutoTopicCreation: false,
        sessionTimeout: timings.sessionTimeoutMs,
        heartbeatInterval: timings.heartbeatIntervalMs,
      });
      const remaining = new Set(wanted.keys());
      let finished!: () => void;
      const allRead = new Promise<void>((resolve) => (finished = resolve));
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const range = wanted.get(partition);
            const offset = BigInt(message.offset);
            if (!range || offset >= range.to || offset < range.from) return;
            messages.push({ ...inbound(topic, message), partition, offset: message.offset });
            if (offset === range.to - 1n) {
              remaining.delete(partition);
              if (remaining.size === 0) finished();
            }
          },
        });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach the end within 60 s`)), 60_000);
        });
        await Promise.race([allRead, timeout]).finally(() => clearTimeout(timer));
      } finally {
        await consumer.disconnect().catch(() => undefined);
      }
      messages.sort((x, y) => x.partition - y.partition || Number(BigInt(x.offset) - BigInt(y.offset)));
      return { messages, ends };
    },

    async commitOffsets(group, topic, offsets) {
      const a = await connectedAdmin();
      await a.setOffsets({ groupId: group, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset })) });
    },

    async ensureTopics() {
      const a = await connectedAdmin();
      const wanted = await wantedFor(a);
      const existing = new Set(await a.listTopics());
      const missing = TOPICS.filter((t) => !existing.has(t));
      if (missing.length) {
        await a.createTopics({
          // kafkajs' own wait asks one broker, which on a cluster may not know the new topic yet
          // (UNKNOWN_TOPIC_OR_PARTITION) and throws: leadersElected waits for them instead.
          waitForLeaders: false,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: options.partitions ?? 3,
            replicationFactor: wanted.replicationFactor,
            configEntries: [{ name: 'min.insync.replicas', value: String(wanted.minInsyncReplicas) }],
          })),
        });
        await leadersElected(a, missing);
        options.log?.('info', `kafka: created topics ${missing.join(', ')}`, { ...durabilityLog(wanted) });
      }
      const present = TOPICS.filter((t) => existing.has(t));
      const weak = present.length ? weakerTopics(await inspectTopics(a, present), wanted) : [];
      const report: TopicsReport = { wanted, created: missing, weak };
      lastReport = { at: Date.now(), report };
      if (weak.length)
        options.log?.(
          'warn',
          `kafka: ${weak.length} existing topic(s) weaker than wanted (${wanted.replicationFactor} replicas, min.insync.replicas ${wanted.minInsyncReplicas}): ` +
            weak.map((w) => `${w.topic} has ${w.replicationFactor} replica(s), min.insync.replicas ${w.minInsyncReplicas}`).join('; ') +
            '. A broker lost may lose or refuse acknowledged messages; see docs/operations.md (Kafka topics).',
          { ...durabilityLog(wanted), weak },
        );
      else if (!missing.length) options.log?.('info', 'kafka: topics replicated as wanted', { ...durabilityLog(wanted) });
      return report;
    },

    async topicsReport() {
      if (lastReport && Date.now() - lastReport.at < 60_000) return { ...lastReport.report, created: [] };
      const a = await connectedAdmin();
      const wanted = await wantedFor(a);
      const existing = new Set(await a.listTopics());
      const present = TOPICS.filter((t) => existing.has(t));
      const report: TopicsReport = { wanted, created: [], weak: present.length ? weakerTopics(await inspectTopics(a, present), wanted) : [] };
      lastReport = { at: Date.now(), report };
      return report;
    },

    async ping() {
      const a = await connectedAdmin();
      const cluster = await a.describeCluster();
      return { brokers: cluster.brokers.length };
    },

    async lag(group, topic) {
      const a = await connectedAdmin();
      const [committed, latest] = await Promise.all([a.fetchOffsets({ groupId: group, topics: [topic] }), a.fetchTopicOffsets(topic)]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      const now = Date.now();
      const partitions = await Promise.all(
        latest.map(async (p) => {
          const low = BigInt(p.low);
          const high = BigInt(p.high);
          const at = done.get(p.partition) ?? -1n;
          // The first message the group has not handled (-1: nothing committed, the earliest kept).
          const next = at < low ? low : at;
          const messages = Number(high > next ? high - next : 0n);
          if (messages === 0) return { partition: p.partition, messages, seconds: 0 };
          const key = `${group} ${topic} ${p.partition}`;
          let known = waitingSince.get(key);
          if (known?.offset !== next) {
            known = { offset: next, timestamp: await timestampAt(a, topic, p.partition, next, now) };
            waitingSince.set(key, known);
          }
          return { partition: p.partition, messages, seconds: Math.max(0, (now - known.timestamp) / 1000) };
        }),
      );
      return {
        messages: partitions.reduce((sum, p) => sum + p.messages, 0),
        seconds: partitions.reduce((max, p) => Math.max(max, p.seconds), 0),
        partitions: partitions.sort((x, y) => x.partition - y.partition),
      };
    },

    async close() {
      await Promise.allSettled([...running].map((stop) => stop()));
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
    },
  };
}

function durabilityLog(wanted: WantedDurability) {
  return { replicationFactor: wanted.replicationFactor, minInsyncReplicas: wanted.minInsyncReplicas, brokers: wanted.brokers, source: wanted.source };
}

// ConfigResourceTypes.TOPIC: kafkajs is CommonJS and Node's ESM loader does not see that enum by name.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** Each topic's replica count (its least replicated partition) and min.insync.replicas. */
async function inspectTopics(a: Admin, topics: string[]): Promise<WeakTopic[]> {
  const [metadata, configs] = await whileTopicsPropagate(() =>
    Promise.all([
      a.fetchTopicMetadata({ topics }),
      a.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['min.insync.replicas'] })),
      }),
    ]),
  );
  const minInsync = new Map(
    configs.resources.map((r) => [r.resourceName, Number(r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue ?? 1)]),
  );
  return metadata.topics.map((t) => ({
    topic: t.name,
    replicationFactor: Math.min(...t.partitions.map((p) => p.replicas.length)),
    minInsyncReplicas: minInsync.get(t.name) ?? 1,
  }));
}

/** Runs `request` again while the broker asked does not know a topic yet (it was created a moment ago). */
async function whileTopicsPropagate<T>(request: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      const type = (error as { type?: string }).type;
      if ((type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') || Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Resolves once every partition of `topics` has a leader, asking again while the broker asked does
 * not know a topic yet (metadata reaches the brokers of a cluster one by one).
 */
export async function leadersElected(a: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await a.fetchTopicMetadata({ topics });
      if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw error;
    }
    if (Date.now() > deadline) throw new Error(`kafka: the partitions of ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
