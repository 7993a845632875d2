/** One load scenario with autocannon: per-request rotation of paths, tokens and bodies, exact percentiles. */
import autocannon from 'autocannon';

export interface RequestSpec {
  /** Label for per-kind statistics in mixed scenarios ("read", "booking"). */
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  pipelining: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Stop after this many responses (e.g. one per pre-signed user). */
  amount?: number;
  /** Requests per second offered over all connections (autocannon's overallRate); unset: as fast as answered. */
  rate?: number;
  /** Called once per request, in send order across all connections. */
  next: () => RequestSpec;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface KindStats {
  requests: number;
  statusCodes: Record<string, number>;
  latencyMs: Latency;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Over every response, whatever its status. */
  latencyMs: Latency;
  statusCodes: Record<string, number>;
  /** Non-2xx answers by "<status> <problem type slug>" (RFC 7807 `type`), e.g. "409 event-full". */
  problems: Record<string, number>;
  byKind: Record<string, KindStats>;
  /** Latency per HTTP status (e.g. 201 against 409 in the rush). */
  latencyByStatus: Record<string, Latency>;
  /** Connection errors (refused, reset...) and timeouts, counted by autocannon. */
  errors: number;
  timeouts: number;
  non2xx: number;
  count5xx: number;
  avgBodyBytes: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function latencyOf(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: values.length ? sum / values.length : Number.NaN,
  };
}

function slugOf(body: string): string {
  try {
    const type = (JSON.parse(body) as { type?: unknown }).type;
    return typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : 'no-problem-type';
  } catch {
    return 'not-json';
  }
}

/**
 * Runs autocannon. Per-request rotation uses `setupRequest`; with pipelining 1 each connection
 * has one request in flight, so the kind stored in the connection's context in setupRequest
 * is the kind of the response that onResponse sees next.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const statusCodes: Record<string, number> = {};
  const problems: Record<string, number> = {};
  const latencies: number[] = [];
  const perKind = new Map<string, { statusCodes: Record<string, number>; latencies: number[] }>();
  let currentKind = 'all';
  let currentStatus = '0';
  const perStatus = new Map<string, number[]>();
  let bodyBytes = 0;
  let bodies = 0;

  const request: autocannon.Request = {
    setupRequest: (req, context) => {
      const spec = options.next();
      (context as { kind?: string }).kind = spec.kind;
      return {
        ...req,
        method: spec.method,
        path: spec.path,
        headers: { ...(req.headers ?? {}), ...(spec.body ? { 'content-type': 'application/json' } : {}), ...(spec.headers ?? {}) },
        body: spec.body ?? Buffer.alloc(0),
      } as autocannon.Request;
    },
    onResponse: (status, body, context) => {
      currentKind = (context as { kind?: string }).kind ?? 'all';
      const code = String(status);
      currentStatus = code;
      statusCodes[code] = (statusCodes[code] ?? 0) + 1;
      if (status < 200 || status >= 300) {
        const key = `${status} ${slugOf(body)}`;
        problems[key] = (problems[key] ?? 0) + 1;
      }
      let k = perKind.get(currentKind);
      if (!k) perKind.set(currentKind, (k = { statusCodes: {}, latencies: [] }));
      k.statusCodes[code] = (k.statusCodes[code] ?? 0) + 1;
      bodyBytes += Buffer.byteLength(body);
      bodies++;
    },
  };

  return new Promise<LoadResult>((resolve, reject) => {
    const t0 = performance.now();
    let lastResponseAt = 0;
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: options.pipelining,
        ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
        ...(options.rate ? { overallRate: options.rate } : {}),
        timeout: 10,
        requests: [request],
      },
      (err, result) => {
        if (err) return reject(err);
        // A fixed amount ends at its last response; autocannon calls back on its next 1 s tick,
        // which would round the run up to whole seconds (5,000 requests in 2.2 s read as 3 s).
        const seconds = ((options.amount && lastResponseAt > t0 ? lastResponseAt : performance.now()) - t0) / 1000;
        const total = latencies.length;
        const byKind: Record<string, KindStats> = {};
        for (const [kind, k] of perKind) byKind[kind] = { requests: k.latencies.length, statusCodes: k.statusCodes, latencyMs: latencyOf(k.latencies) };
        const count5xx = Object.entries(statusCodes)
          .filter(([c]) => c.startsWith('5'))
          .reduce((a, [, n]) => a + n, 0);
        const non2xx = Object.entries(statusCodes)
          .filter(([c]) => !c.startsWith('2'))
          .reduce((a, [, n]) => a + n, 0);
        resolve({
          requests: total,
          seconds,
          rps: total / seconds,
          latencyMs: latencyOf(latencies),
          statusCodes,
          problems,
          byKind,
          latencyByStatus: Object.fromEntries([...perStatus].map(([code, values]) => [code, latencyOf(values)])),
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx,
          count5xx,
          avgBodyBytes: bodies ? bodyBytes / bodies : 0,
        });
      },
    );
    // Emitted synchronously right after onResponse for the same response.
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      lastResponseAt = performance.now();
      latencies.push(responseTime);
      perKind.get(currentKind)?.latencies.push(responseTime);
      let st = perStatus.get(currentStatus);
      if (!st) perStatus.set(currentStatus, (st = []));
      st.push(responseTime);
    });
  });
}
