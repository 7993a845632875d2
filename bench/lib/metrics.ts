/** Scrapes the service's /actuator/prometheus (prom-client text format) for heap, pool, cache and GC figures. */

export type Samples = Map<string, number>;

/** `name{labels}` → value, for every sample line of the exposition text. */
export function parsePrometheus(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The static bearer the bench gives the service (ACTUATOR_TOKEN), so it may read the metrics on the API port. */
export const BENCH_ACTUATOR_TOKEN = 'bench-actuator-token-0123456789abcdef';

export async function scrape(base: string): Promise<Samples | undefined> {
  try {
    const res = await fetch(`${base}/actuator/prometheus`, {
      headers: { authorization: `Bearer ${BENCH_ACTUATOR_TOKEN}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (res.status !== 200) return undefined;
    return parsePrometheus(await res.text());
  } catch {
    return undefined;
  }
}

/** Sum of every sample of `name` whose labels contain all of `labels` (e.g. 'result="hit"'). */
export function sum(samples: Samples | undefined, name: string, ...labels: string[]): number {
  if (!samples) return Number.NaN;
  let total = 0;
  let found = false;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const metric = brace < 0 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    if (labels.every((l) => key.includes(l))) {
      total += value;
      found = true;
    }
  }
  return found ? total : Number.NaN;
}

export interface ServiceMetrics {
  /** At the end of the window (and the larger of mid-window and end for heap). */
  heapUsedMb: number;
  heapTotalMb: number;
  rssMb: number;
  eventLoopLagP99Ms: number;
  /** Requests waiting for a database connection, sampled mid-window. */
  dbPoolPendingMid: number;
  dbPoolActiveMid: number;
  /** GC time over the window, seconds. */
  gcSeconds: number;
  /** Cache lookups over the window by "cache result". */
  cache: Record<string, number>;
  cacheHitRatio: number;
}

const MB = 1024 * 1024;

/** Differences between two scrapes (before, after) plus gauges from mid-window and the end. */
export function summarize(before: Samples | undefined, mid: Samples | undefined, after: Samples | undefined): ServiceMetrics | undefined {
  if (!after) return undefined;
  const cache: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!key.startsWith('cache_requests_total{')) continue;
    const c = /cache="([^"]*)"/.exec(key)?.[1] ?? '?';
    const r = /result="([^"]*)"/.exec(key)?.[1] ?? '?';
    const delta = value - (before?.get(key) ?? 0);
    if (delta > 0) cache[`${c} ${r}`] = delta;
  }
  const hits = Object.entries(cache)
    .filter(([k]) => k.endsWith(' hit'))
    .reduce((a, [, v]) => a + v, 0);
  const lookups = Object.values(cache).reduce((a, v) => a + v, 0);
  const heapUsed = Math.max(sum(after, 'nodejs_heap_size_used_bytes'), mid ? sum(mid, 'nodejs_heap_size_used_bytes') : 0);
  return {
    heapUsedMb: heapUsed / MB,
    heapTotalMb: sum(after, 'nodejs_heap_size_total_bytes') / MB,
    rssMb: sum(after, 'process_resident_memory_bytes') / MB,
    eventLoopLagP99Ms: sum(after, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    dbPoolPendingMid: sum(mid, 'db_pool_connections_pending'),
    dbPoolActiveMid: sum(mid, 'db_pool_connections_active'),
    gcSeconds: sum(after, 'nodejs_gc_duration_seconds_sum') - (before ? sum(before, 'nodejs_gc_duration_seconds_sum') : 0),
    cache,
    cacheHitRatio: lookups > 0 ? hits / lookups : Number.NaN,
  };
}
