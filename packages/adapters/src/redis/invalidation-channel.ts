import { randomUUID } from 'node:crypto';
import { duplicateRedis, type RedisClient } from './connect';
import { z } from 'zod';

/** What another replica announces: the ids of the entries it changed. */
const ChangedIds = z.array(z.string());

/**
 * Tells every replica which cached entries changed, so each may keep its own copy of hot entries
 * without asking the shared cache on every read.
 */
export interface InvalidationChannel {
  /** Announces changed ids to every replica, this one included. */
  publish(ids: readonly string[]): Promise<void>;
  /** `ids` on each announcement; `null` when announcements may have been missed (drop everything). */
  subscribe(listener: (ids: readonly string[] | null) => void): void;
  /** True while announcements are known to arrive; copies must not be served otherwise. */
  healthy(): boolean;
  close(): Promise<void>;
}

export interface RedisInvalidationOptions {
  channel?: string;
  /** How often this replica sends itself a heartbeat through the channel. */
  heartbeatMs?: number;
  /** A heartbeat not back within this long means the channel is not delivering. */
  deadAfterMs?: number;
}

/**
 * Redis pub/sub on a dedicated subscriber connection. The channel counts as healthy only while
 * the subscription is confirmed and this replica's own heartbeats come back through it: a closed,
 * reconnecting or silently stalled connection makes it unhealthy at once and tells the listeners to
 * drop everything (they missed whatever was announced meanwhile).
 */
export function createRedisInvalidationChannel(redis: RedisClient, options: RedisInvalidationOptions = {}): InvalidationChannel {
  const channel = options.channel ?? 'be:invalidate';
  const heartbeatMs = options.heartbeatMs ?? 500;
  const deadAfterMs = options.deadAfterMs ?? 2_000;
  const beat = `~${randomUUID()}`;
  const listeners: ((ids: readonly string[] | null) => void)[] = [];
  const subscriber = duplicateRedis(redis, { enableOfflineQueue: true, commandTimeout: undefined, enableAutoPipelining: false });
  let subscribed = false;
  let lastBeat = 0;
  let closed = false;

  const emit = (ids: readonly string[] | null) => {
    for (const listener of listeners) listener(ids);
  };
  const lost = () => {
    if (!subscribed) return;
    subscribed = false;
    emit(null);
  };

  subscriber.on('message', (_channel: string, message: string) => {
    if (message === beat) {
      lastBeat = Date.now();
      return;
    }
    if (message.startsWith('~')) return; // another replica's heartbeat
    // Anything but a list of ids is not understood: forgetting every copy is the safe answer.
    let ids: string[] | null = null;
    try {
      const parsed = ChangedIds.safeParse(JSON.parse(message));
      if (parsed.success) ids = parsed.data;
    } catch {
      // not JSON
    }
    emit(ids);
  });
  subscriber.on('close', lost);
  subscriber.on('end', lost);
  subscriber.on('error', () => undefined); // reconnects by itself; 'close' marked us unhealthy
  subscriber.on('ready', () => {
    void subscriber.subscribe(channel).then(
      () => {
        // Whatever was announced while we were away is lost: start from nothing.
        emit(null);
        lastBeat = Date.now();
        subscribed = true;
      },
      () => lost(),
    );
  });

  const heartbeat = setInterval(() => {
    if (closed) return;
    if (subscribed && Date.now() - lastBeat > deadAfterMs) lost();
    if (redis.status === 'ready') void redis.publish(channel, beat).catch(() => undefined);
    // Back after a stall: the next beat that arrives confirms delivery again.
    if (!subscribed && subscriber.status === 'ready' && Date.now() - lastBeat < heartbeatMs * 2) {
      emit(null);
      subscribed = true;
    }
  }, heartbeatMs);
  heartbeat.unref();

  return {
    async publish(ids) {
      if (ids.length === 0) return;
      await redis.publish(channel, JSON.stringify(ids));
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    healthy: () => subscribed && !closed,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      subscribed = false;
      subscriber.disconnect();
    },
  };
}
