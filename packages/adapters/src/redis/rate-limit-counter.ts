import type { RedisClient } from './connect';

export interface WindowCount {
  /** Requests counted in the current window, this one included. */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

export interface SharedRateCounter {
  /** Counts one request for `key`; `callback` gets the count (synchronously while far below `max`). */
  incr(key: string, windowMs: number, max: number, callback: (error: Error | null, count?: WindowCount) => void): void;
  /**
   * Counts one request for `key` locally when it is far below `max` (at most half), and returns the
   * count without allocating: the object returned is the key's own, updated by its next request, so
   * read it before that. Returns undefined (nothing counted) when the count must come from Redis: call `incr`.
   */
  incrLocal(key: string, windowMs: number, max: number): Readonly<WindowCount> | undefined;
  /** Sends the counts not yet in Redis. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface SharedRateCounterOptions {
  /** Prefix of the Redis keys. */
  prefix: string;
  /** How often local counts are added to Redis (default 100 ms). */
  flushMs?: number;
}

interface Entry {
  /** The Redis count at the last answer, which includes every batch of ours answered so far. */
  shared: number;
  /** Sent, not answered yet. */
  inFlight: number;
  /** Counted here, not sent yet. */
  pending: number;
  windowEnd: number;
  /** The last answer of the local path (incrLocal), reused so that counting allocates nothing. */
  current: number;
  ttl: number;
}

// INCRBY the batch; the first increment of a window sets its expiry. Returns the count and the window's TTL.
const ADD_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}`;

// The same for many keys in one call (the periodic flush): ARGV holds n and the window per key, in
// KEYS' order; returns count and TTL per key, flat.
const ADD_MANY_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, ARGV[2 * i - 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
    ttl = tonumber(ARGV[2 * i])
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out`;

/** Keys per flush call: bounds the time one script holds Redis (a few hundred INCRBY, well under a millisecond). */
const FLUSH_BATCH = 500;

type WithAdd = RedisClient & {
  rateLimitAdd(key: string, n: number, windowMs: number): Promise<[number, number]>;
  rateLimitAddMany(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
};

/**
 * A fixed-window request counter shared by every replica through Redis, with one Redis round trip
 * per request only near the limit. While a key is at or below half its limit, requests are counted
 * here and added to Redis every `flushMs`, all keys in one script call; past half, every request waits for
 * Redis' own count, so the limit itself is enforced on the shared number. What another replica
 * counted in its last `flushMs` is seen late, which matters only in the first half of a window.
 * Rejects (the caller counts locally) when Redis cannot answer.
 */
export function createSharedRateCounter(redis: RedisClient, options: SharedRateCounterOptions): SharedRateCounter {
  const flushMs = options.flushMs ?? 100;
  const client = redis as WithAdd;
  if (typeof client.rateLimitAdd !== 'function') redis.defineCommand('rateLimitAdd', { numberOfKeys: 1, lua: ADD_SCRIPT });
  if (typeof client.rateLimitAddMany !== 'function') redis.defineCommand('rateLimitAddMany', { lua: ADD_MANY_SCRIPT });
  const entries = new Map<string, Entry>();
  const dirty = new Map<string, number>(); // key -> window length
  let timer: NodeJS.Timeout | undefined;
  let lastSweep = Date.now();

  const sending = new Set<Promise<unknown>>();
  const send = (key: string, entry: Entry, n: number, windowMs: number): Promise<WindowCount> => {
    const sent = add(key, entry, n, windowMs);
    const settled = sent.catch(() => undefined);
    sending.add(settled);
    void settled.then(() => sending.delete(settled));
    return sent;
  };
  const add = async (key: string, entry: Entry, n: number, windowMs: number): Promise<WindowCount> => {
    entry.inFlight += n;
    try {
      const [count, ttl] = await client.rateLimitAdd(options.prefix + key, n, windowMs);
      entry.inFlight -= n;
      entry.shared = count;
      entry.windowEnd = Date.now() + ttl;
      return { current: count, ttl };
    } catch (error) {
      // Keep the requests counted here for the next flush, while their window lasts.
      entry.inFlight -= n;
      if (Date.now() < entry.windowEnd) {
        entry.pending += n;
        markDirty(key, windowMs);
      }
      throw error;
    }
  };

  const track = (sent: Promise<unknown>): Promise<unknown> => {
    const settled = sent.catch(() => undefined);
    sending.add(settled);
    void settled.then(() => sending.delete(settled));
    return sent;
  };
  // A Redis Cluster refuses a script over keys of several slots: there, one call per key as before.
  const cluster = (redis as { isCluster?: boolean }).isCluster === true;
  const addMany = async (batch: { key: string; entry: Entry; n: number; windowMs: number }[]): Promise<void> => {
    if (cluster) {
      await Promise.all(batch.map((b) => add(b.key, b.entry, b.n, b.windowMs)));
      return;
    }
    const args: (string | number)[] = batch.map((b) => options.prefix + b.key);
    for (const b of batch) {
      b.entry.inFlight += b.n;
      args.push(b.n, b.windowMs);
    }
    try {
      const out = await client.rateLimitAddMany(batch.length, ...args);
      const now = Date.now();
      batch.forEach((b, i) => {
        b.entry.inFlight -= b.n;
        b.entry.shared = Number(out[2 * i]);
        b.entry.windowEnd = now + Number(out[2 * i + 1]);
      });
    } catch (error) {
      // Keep the requests counted here for the next flush, while their window lasts.
      for (const b of batch) {
        b.entry.inFlight -= b.n;
        if (Date.now() < b.entry.windowEnd) {
          b.entry.pending += b.n;
          markDirty(b.key, b.windowMs);
        }
      }
      throw error;
    }
  };

  const flush = async () => {
    timer = undefined;
    const now = Date.now();
    const work: Promise<unknown>[] = [];
    // Every key counted since the last flush goes in one script call (per FLUSH_BATCH keys), not one
    // command per key: in a rush of distinct users nearly every request is its own key.
    let batch: { key: string; entry: Entry; n: number; windowMs: number }[] = [];
    for (const [key, windowMs] of dirty) {
      const entry = entries.get(key);
      if (!entry || entry.pending === 0) continue;
      const n = entry.pending;
      entry.pending = 0;
      batch.push({ key, entry, n, windowMs });
      if (batch.length === FLUSH_BATCH) {
        work.push(track(addMany(batch)));
        batch = [];
      }
    }
    if (batch.length > 0) work.push(track(addMany(batch)));
    dirty.clear();
    if (now - lastSweep >= 1_000) {
      lastSweep = now;
      for (const [key, entry] of entries) if (now >= entry.windowEnd && entry.pending === 0 && entry.inFlight === 0) entries.delete(key);
    }
    // Also waits for what earlier flushes and requests sent, so a flush ends with Redis up to date.
    await Promise.allSettled([...work, ...sending]);
  };

  function markDirty(key: string, windowMs: number) {
    dirty.set(key, windowMs);
    timer ??= setTimeout(() => void flush(), flushMs).unref();
  }

  const entryOf = (key: string, windowMs: number, now: number): Entry => {
    let entry = entries.get(key);
    if (!entry || (now >= entry.windowEnd && entry.inFlight === 0)) {
      entry = { shared: 0, inFlight: 0, pending: 0, windowEnd: now + windowMs, current: 0, ttl: 0 };
      entries.set(key, entry);
    }
    return entry;
  };
  // The local path: far below the limit, count here (one entry per key and window, nothing per request).
  const countLocally = (key: string, entry: Entry, windowMs: number, max: number, now: number): Entry | undefined => {
    const estimate = entry.shared + entry.inFlight + entry.pending + 1;
    if (estimate * 2 > max) return undefined;
    entry.pending++;
    markDirty(key, windowMs); // a Map.set of a key already there and a timer already set: no allocation
    entry.current = estimate;
    entry.ttl = Math.max(0, entry.windowEnd - now);
    return entry;
  };

  return {
    incrLocal(key, windowMs, max) {
      const now = Date.now();
      return countLocally(key, entryOf(key, windowMs, now), windowMs, max, now);
    },
    incr(key, windowMs, max, callback) {
      const now = Date.now();
      const entry = entryOf(key, windowMs, now);
      const local = countLocally(key, entry, windowMs, max, now);
      if (local) {
        callback(null, { current: local.current, ttl: local.ttl });
        return;
      }
      const n = entry.pending + 1;
      entry.pending = 0;
      // Redis counts everything sent before this batch first, so its answer is the shared count.
      send(key, entry, n, windowMs).then(
        (count) => callback(null, count),
        (error: Error) => callback(error),
      );
    },
    flush,
    async close() {
      if (timer) clearTimeout(timer);
      await flush().catch(() => undefined);
    },
  };
}
