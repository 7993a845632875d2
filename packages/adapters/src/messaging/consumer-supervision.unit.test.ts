import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

// kafkajs replaced by a scripted double: a non-retriable crash (KafkaJSGroupCoordinatorNotFound
// while joining) cannot be provoked on demand on a real broker. The real broker tests are in
// packages/app/src/workers/consumer-healing.test.ts.
type Script = (consumer: FakeConsumer) => Promise<void>;
const scripts: Script[] = [];
const created: FakeConsumer[] = [];

class FakeConsumer extends EventEmitter {
  events = { GROUP_JOIN: 'consumer.group_join', REBALANCING: 'consumer.rebalancing', CRASH: 'consumer.crash' };
  disconnected = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
  }
  async connect() {}
  async subscribe() {}
  async run() {
    await (scripts.shift() ?? (async () => undefined))(this);
  }
  async disconnect() {
    this.disconnected = true;
  }
  join(partitions: number[]) {
    this.emit(this.events.GROUP_JOIN, { payload: { memberAssignment: { 'payment-retry-queue': partitions } } });
  }
  crash(name: string, restart: boolean) {
    const error = Object.assign(new Error('The group coordinator is not available'), { name });
    this.emit(this.events.CRASH, { payload: { error, groupId: 'g', restart } });
  }
}

vi.mock('kafkajs', () => ({
  logLevel: { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 },
  Partitioners: { DefaultPartitioner: () => () => 0 },
  Kafka: class {
    consumer(options: Record<string, unknown>) {
      const consumer = new FakeConsumer(options);
      created.push(consumer);
      return consumer;
    }
  },
}));

const { createKafkaClient, DEFAULT_CONSUMER_TIMINGS } = await import('./kafka-client');
const client = () => createKafkaClient({ brokers: ['127.0.0.1:1'], consumerTimings: { restartBackoff: { initialMs: 10, maxMs: 40 } } });
const subscribe = (kafka: ReturnType<typeof client>) => kafka.subscribe({ topic: 'payment-retry-queue', group: 'g', handle: async () => undefined });

afterEach(() => {
  scripts.length = 0;
  created.length = 0;
});

describe('a supervised consumer', () => {
  it('is replaced by a new consumer after a crash kafkajs will not restart (KafkaJSGroupCoordinatorNotFound)', async () => {
    scripts.push(
      async (c) => c.crash('KafkaJSGroupCoordinatorNotFound', false),
      async (c) => c.join([0, 1, 2]),
    );
    const kafka = client();

    const subscription = await subscribe(kafka);

    expect(created).toHaveLength(2);
    expect(created[0]!.disconnected).toBe(true);
    expect(kafka.consumers()).toEqual([
      expect.objectContaining({
        state: 'running',
        partitions: [0, 1, 2],
        withoutPartitionsSince: null,
        restarts: 1,
        lastError: expect.stringContaining('KafkaJSGroupCoordinatorNotFound'),
      }),
    ]);
    await subscription.stop();
    expect(kafka.consumers()).toEqual([]);
    expect(created[1]!.disconnected).toBe(true);
  });

  it('is replaced when starting it fails, with a growing pause between attempts', async () => {
    const fail: Script = async () => {
      throw Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    };
    scripts.push(fail, fail, fail, async (c) => c.join([1]));
    const kafka = client();
    const started = Date.now();

    await subscribe(kafka);

    expect(created).toHaveLength(4);
    // 5-10 ms, 10-20 ms, 20-40 ms: at least 35 ms in all.
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(kafka.consumers()[0]).toMatchObject({ state: 'running', partitions: [1], restarts: 3 });
  });

  it('leaves a crash kafkajs restarts itself to kafkajs, and shows it without partitions meanwhile', async () => {
    let consumer!: FakeConsumer;
    scripts.push(async (c) => {
      consumer = c;
      c.join([0]);
    });
    const kafka = client();
    await subscribe(kafka);

    consumer.crash('KafkaJSNumberOfRetriesExceeded', true);

    expect(created).toHaveLength(1);
    expect(kafka.consumers()[0]).toMatchObject({ state: 'restarting', partitions: [], withoutPartitionsSince: expect.any(Number), restarts: 1 });
    consumer.join([0, 2]);
    expect(kafka.consumers()[0]).toMatchObject({ state: 'running', partitions: [0, 2], withoutPartitionsSince: null });
  });

  it('stops waiting for a join that never comes when the client closes', async () => {
    scripts.push(async () => undefined);
    const kafka = client();
    const pending = subscribe(kafka);

    await kafka.close();

    await expect(pending).resolves.toEqual({ stop: expect.any(Function) });
    expect(created[0]!.disconnected).toBe(true);
  });

  it('asks the broker for a short session, so a member that died is dropped soon', () => {
    scripts.push(async (c) => c.join([0]));
    void subscribe(client());
    expect(created[0]!.options).toMatchObject({ sessionTimeout: 6_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000 });
    expect(DEFAULT_CONSUMER_TIMINGS.heartbeatIntervalMs * 3).toBeLessThanOrEqual(DEFAULT_CONSUMER_TIMINGS.sessionTimeoutMs);
  });
});
