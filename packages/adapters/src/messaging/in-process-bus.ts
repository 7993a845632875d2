import { consumeInSpan } from '../tracing/spans';
import { parseCloudEvent } from './cloud-events';
import type { InboundMessage, MessagePublisher, MessageSubscriber, OutboundMessage } from './ports';

interface Group {
  name: string;
  queue: OutboundMessage[];
  handle: (message: InboundMessage, heartbeat: () => Promise<void>) => Promise<void>;
  draining: boolean;
  stopped: boolean;
}

/**
 * The embedded default's broker: the outbox relay publishes here and consumers subscribe, in the
 * same process, with Kafka's delivery contract (per consumer group, in order, redelivered until
 * the handler succeeds). Messages live in memory only after the outbox marked them sent.
 */
export function createInProcessBus(options: { retryDelayMs?: number } = {}): MessagePublisher & MessageSubscriber & { published: OutboundMessage[] } {
  const groups = new Map<string, Map<string, Group>>();
  const published: OutboundMessage[] = [];
  const retryDelay = options.retryDelayMs ?? 1_000;

  async function drain(group: Group) {
    if (group.draining) return;
    group.draining = true;
    try {
      while (!group.stopped && group.queue.length > 0) {
        const next = group.queue[0]!;
        const raw = JSON.stringify(next.event);
        const inbound: InboundMessage = { topic: next.topic, key: next.key, event: parseCloudEvent(raw), raw, headers: next.headers ?? {} };
        try {
          await consumeInSpan(next.topic, group.name, inbound, () => group.handle(inbound, async () => undefined));
          group.queue.shift();
        } catch {
          await new Promise((r) => setTimeout(r, retryDelay));
        }
      }
    } finally {
      group.draining = false;
    }
  }

  return {
    published,
    async publish(messages) {
      for (const m of messages) {
        published.push(m);
        for (const group of groups.get(m.topic)?.values() ?? []) {
          group.queue.push(m);
          void drain(group);
        }
      }
    },
    async subscribe({ topic, group: name, handle }) {
      const byName = groups.get(topic) ?? new Map<string, Group>();
      groups.set(topic, byName);
      const group: Group = { name, queue: [], handle, draining: false, stopped: false };
      byName.set(name, group);
      return {
        async stop() {
          group.stopped = true;
          byName.delete(name);
        },
      };
    },
  };
}
