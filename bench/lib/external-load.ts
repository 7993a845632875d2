/**
 * Load generators in their own processes, so the figures measure the server and not the bench:
 * - `saturate`: wrk (Debian's package, C, one thread) keeps every connection busy; the server's CPU
 *   per answered request comes from /proc (utime + stime of the server process over the window),
 *   and the same is read for wrk, so a run where wrk and not the server was the bottleneck is flagged.
 * - `openLoop`: vegeta sends at a fixed rate whatever the answers (open loop), so the latency
 *   includes the queueing a burst causes and nothing of the generator's own pacing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface HttpRequest {
  kind: string;
  /** Another server than the run's (vegeta only). */
  base?: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** utime + stime of one process, in CPU seconds (undefined once it is gone). */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function machineBusy(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3]! + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export interface SaturatedResult {
  tool: string;
  command: string;
  requests: number;
  seconds: number;
  rps: number;
  /** Answers that were not 2xx/3xx (wrk's count), and socket errors. */
  non2xx: number;
  socketErrors: number;
  latencyMs: { p50: number; p99: number };
  /** Server CPU seconds / answered requests, in µs. */
  serverCpuMicrosPerRequest: number;
  /** Percent of one core over the window. */
  serverCpuPercent: number;
  generatorCpuPercent: number;
  /** Percent of the whole machine (all cores, everyone's work) busy over the window. */
  machineBusyPercent: number;
  /** The server near one core (>= 85 %) and the generator below it: the server is the bottleneck. */
  serverBound: boolean;
}

/** A Lua string literal; JSON's escapes (\" \\ \n) are Lua's for the ASCII the bench sends. */
const lua = (s: string) => JSON.stringify(s);

/**
 * wrk -t1 over `connections` connections for `seconds`, cycling through `requests` (pre-formatted
 * once in init, so wrk's per-request cost is a table lookup). The measured window is wrk's run.
 */
export async function saturate(opts: {
  url: string;
  serverPid: number;
  connections: number;
  seconds: number;
  requests: HttpRequest[];
  workDir: string;
  name: string;
}): Promise<SaturatedResult> {
  const script = path.join(opts.workDir, `wrk-${opts.name.replace(/\W+/g, '-')}.lua`);
  const lines = opts.requests.map((r) => {
    const headers = { ...(r.body ? { 'content-type': 'application/json' } : {}), ...(r.headers ?? {}) };
    const h = Object.entries(headers)
      .map(([k, v]) => `[${lua(k)}]=${lua(v)}`)
      .join(',');
    return `  wrk.format(${lua(r.method)}, ${lua(r.path)}, {${h}}, ${r.body ? lua(r.body) : 'nil'}),`;
  });
  writeFileSync(
    script,
    [
      'local reqs, i, n',
      'init = function(args)',
      '  reqs = {',
      ...lines,
      '  }',
      '  i, n = 0, #reqs',
      'end',
      'request = function()',
      '  i = i % n + 1',
      '  return reqs[i]',
      'end',
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format("WRK_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"status\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d}\\n",',
      '    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))',
      'end',
      '',
    ].join('\n'),
  );
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '-s', script, opts.url];
  const serverBefore = cpuSecondsOf(opts.serverPid) ?? Number.NaN;
  const machineBefore = machineBusy();
  const t0 = performance.now();
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // The generator's own CPU, read just before it exits (the last sample before the 'exit' event).
  let generatorSeconds = 0;
  const poll = setInterval(() => {
    const s = child.pid ? cpuSecondsOf(child.pid) : undefined;
    if (s !== undefined) generatorSeconds = s;
  }, 200);
  const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  const serverSeconds = (cpuSecondsOf(opts.serverPid) ?? Number.NaN) - serverBefore;
  const machineAfter = machineBusy();
  const json = /WRK_JSON (\{.*\})/.exec(out)?.[1];
  if (code !== 0 || !json) throw new Error(`wrk ${args.join(' ')} exited ${code}: ${err || out}`);
  const r = JSON.parse(json) as Record<string, number>;
  const requests = r.requests!;
  const serverCpuPercent = (100 * serverSeconds) / seconds;
  // The generator's CPU is polled every 200 ms: its last 200 ms may be missed, so scale by the window it covers.
  const generatorCpuPercent = (100 * generatorSeconds) / Math.max(0.2, seconds - 0.2);
  return {
    tool: 'wrk',
    command: `wrk ${args.map((a) => (a === script ? `<${path.basename(script)}: ${opts.requests.length} requests in rotation>` : a)).join(' ')}`,
    requests,
    seconds: r.duration_us! / 1e6,
    rps: requests / (r.duration_us! / 1e6),
    non2xx: r.status!,
    socketErrors: r.connect! + r.read! + r.write! + r.timeout!,
    latencyMs: { p50: r.p50_us! / 1000, p99: r.p99_us! / 1000 },
    serverCpuMicrosPerRequest: (serverSeconds * 1e6) / requests,
    serverCpuPercent,
    generatorCpuPercent,
    machineBusyPercent: (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total),
    serverBound: serverCpuPercent >= 85 && generatorCpuPercent < serverCpuPercent,
  };
}

// ---------------------------------------------------------------- vegeta, open loop

export interface OpenLoopKind {
  requests: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export interface OpenLoopResult {
  tool: string;
  command: string;
  rate: number;
  seconds: number;
  requests: number;
  /** Requests the schedule called for (rate × duration; 0 in a closed-loop run): fewer sent means vegeta fell behind. */
  scheduled: number;
  statusCodes: Record<string, number>;
  /** Latency per kind of request (e.g. "read", "booking") and per status (e.g. "409"). */
  byKind: Record<string, OpenLoopKind>;
  byStatus: Record<string, OpenLoopKind>;
  count5xx: number;
  /** Requests that got no HTTP answer (status 0: timeout, refused, reset). */
  errors: number;
  errorSample: string[];
  serverCpuPercent: number;
  generatorCpuPercent: number;
  /** Every core's busy time over the run (100 = all cores busy all the time), whoever used it. */
  machineBusyPercent: number;
  /** With `replicaPids`: the replicas' CPU together, percent of one core. */
  replicasCpuPercent?: number;
  serverRssMaxMb: number;
  /** Seconds from the first request sent to the last one sent: more than the duration when vegeta fell behind. */
  sentOverSeconds: number;
  /** Seconds from the first request sent to the last 2xx answer received (NaN without any). */
  lastSuccessAfterSeconds: number;
  /** Latency of every request by the half second it was sent in (p50, p99, max): where a tail comes from. */
  timeline: { fromSecond: number; requests: number; p50: number; p99: number; max: number }[];
}

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stats(rows: { code: string; ms: number }[]): OpenLoopKind {
  const sorted = Float64Array.from(rows.map((r) => r.ms)).sort();
  const statusCodes: Record<string, number> = {};
  for (const r of rows) statusCodes[r.code] = (statusCodes[r.code] ?? 0) + 1;
  return {
    requests: rows.length,
    statusCodes,
    latencyMs: { p50: pct(sorted, 50), p95: pct(sorted, 95), p99: pct(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN },
  };
}

function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * vegeta attack at `rate` requests/s for `seconds` over up to `connections` connections, its own
 * process; the results are decoded with `vegeta encode --to json` and split by kind (the request's
 * method and path) and by status.
 */
export async function openLoop(opts: {
  vegeta: string;
  /** Base URL of the server; a request with its own `base` goes there instead (several replicas). */
  url: string;
  serverPid: number;
  rate: number;
  seconds: number;
  connections: number;
  requests: HttpRequest[];
  workDir: string;
  name: string;
  /** Senders started before the first request (default: up to 100; vegeta adds more as the rate needs). */
  workers?: number;
  /** Every replica serving the run (several replicas): their CPU is reported together. */
  replicaPids?: number[];
  /**
   * Each request sent exactly once, at `rate`, however long that takes (vegeta -lazy, no duration):
   * with a duration, vegeta stops at its end and the requests it had not sent by then are never
   * sent (a busy machine once sent 514 of 2,000 bookings in the 0.1 s).
   */
  eachOnce?: boolean;
}): Promise<OpenLoopResult> {
  const base = path.join(opts.workDir, `vegeta-${opts.name.replace(/\W+/g, '-')}`);
  const kindOf = new Map<string, string>();
  const targets = opts.requests.map((r) => {
    const url = `${r.base ?? opts.url}${r.path}`;
    kindOf.set(`${r.method} ${url}`, r.kind);
    const header: Record<string, string[]> = {};
    for (const [k, v] of Object.entries({ ...(r.body ? { 'content-type': 'application/json' } : {}), ...(r.headers ?? {}) })) header[k] = [v];
    return JSON.stringify({ method: r.method, url, header, ...(r.body ? { body: Buffer.from(r.body).toString('base64') } : {}) });
  });
  writeFileSync(`${base}.targets`, `${targets.join('\n')}\n`);
  // -connections/-max-connections: up to `connections` open connections to the server, as a client
  // pool would have. No -max-workers: vegeta starts a sender per request the schedule calls for
  // while the others wait, so the rate is kept (open loop) and a request that waits for a free
  // connection counts that wait in its latency, as a real client's would.
  const args = [
    'attack',
    '-format=json',
    `-targets=${base}.targets`,
    // rate 0: as fast as `connections` senders get answers (closed loop), for a throughput run.
    ...(opts.rate > 0 ? [`-rate=${opts.rate}/s`] : ['-rate=0', `-max-workers=${opts.connections}`]),
    ...(opts.eachOnce ? ['-lazy', '-duration=0'] : [`-duration=${opts.seconds}s`]),
    `-connections=${opts.connections}`,
    `-max-connections=${opts.connections}`,
    `-workers=${opts.workers ?? (opts.rate > 0 ? Math.min(opts.connections, 100) : opts.connections)}`,
    '-timeout=10s',
    `-output=${base}.bin`,
  ];
  const serverBefore = cpuSecondsOf(opts.serverPid) ?? Number.NaN;
  const replicasSeconds = () => (opts.replicaPids ?? []).reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? Number.NaN), 0);
  const replicasBefore = replicasSeconds();
  const machineBefore = machineBusy();
  const t0 = performance.now();
  const child = spawn(opts.vegeta, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let generatorSeconds = 0;
  let rssMax = 0;
  const poll = setInterval(() => {
    const s = child.pid ? cpuSecondsOf(child.pid) : undefined;
    if (s !== undefined) generatorSeconds = s;
    rssMax = Math.max(rssMax, rssMb(opts.serverPid) ?? 0);
  }, 200);
  const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  const serverSeconds = (cpuSecondsOf(opts.serverPid) ?? Number.NaN) - serverBefore;
  const replicasCpuPercent = opts.replicaPids ? (100 * (replicasSeconds() - replicasBefore)) / seconds : undefined;
  const machineAfter = machineBusy();
  if (code !== 0) throw new Error(`vegeta ${args.join(' ')} exited ${code}: ${err}`);
  const encoded = execFileSync(opts.vegeta, ['encode', '--to', 'json', `${base}.bin`], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const rows: { kind: string; code: string; ms: number; error: string; sent: number }[] = [];
  let firstSent = Infinity;
  let lastSent = -Infinity;
  let lastSuccess = -Infinity;
  for (const line of encoded.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { code: number; latency: number; error: string; method: string; url: string; timestamp: string };
    // -lazy: each sender that finds the targets used up reports it once; nothing was sent.
    if (opts.eachOnce && r.code === 0 && !r.url && r.error === 'no targets to attack') continue;
    const sent = Date.parse(r.timestamp);
    rows.push({ kind: kindOf.get(`${r.method} ${r.url}`) ?? 'other', code: String(r.code), ms: r.latency / 1e6, error: r.error, sent });
    firstSent = Math.min(firstSent, sent);
    lastSent = Math.max(lastSent, sent);
    if (r.code >= 200 && r.code < 300) lastSuccess = Math.max(lastSuccess, sent + r.latency / 1e6);
  }
  const group = (key: (r: (typeof rows)[number]) => string) => {
    const m = new Map<string, typeof rows>();
    for (const r of rows) {
      const k = key(r);
      if (!m.has(k)) m.set(k, []);
      m.get(k)!.push(r);
    }
    return Object.fromEntries([...m].map(([k, v]) => [k, stats(v)]));
  };
  const all = stats(rows);
  const failed = rows.filter((r) => r.code === '0');
  return {
    tool: 'vegeta',
    command: `${path.basename(opts.vegeta)} ${args.map((a) => a.replace(opts.workDir + '/', '')).join(' ')}  # ${opts.requests.length} targets ${opts.eachOnce ? 'each sent once' : 'in rotation'}`,
    rate: opts.rate,
    seconds,
    requests: rows.length,
    scheduled: opts.eachOnce ? opts.requests.length : opts.rate > 0 ? opts.rate * opts.seconds : 0,
    statusCodes: all.statusCodes,
    byKind: group((r) => r.kind),
    byStatus: group((r) => r.code),
    count5xx: rows.filter((r) => r.code.startsWith('5')).length,
    errors: failed.length,
    errorSample: [...new Set(failed.map((r) => r.error))].slice(0, 3),
    serverCpuPercent: (100 * serverSeconds) / seconds,
    generatorCpuPercent: (100 * generatorSeconds) / Math.max(0.2, seconds - 0.2),
    machineBusyPercent: (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total),
    ...(replicasCpuPercent === undefined ? {} : { replicasCpuPercent }),
    serverRssMaxMb: rssMax,
    sentOverSeconds: rows.length ? (lastSent - firstSent) / 1000 : Number.NaN,
    lastSuccessAfterSeconds: lastSuccess > firstSent ? (lastSuccess - firstSent) / 1000 : Number.NaN,
    timeline: timeline(rows, firstSent),
  };
}

function timeline(rows: { ms: number; sent: number }[], firstSent: number): OpenLoopResult['timeline'] {
  const halves = new Map<number, number[]>();
  for (const r of rows) {
    const half = Math.floor((r.sent - firstSent) / 500);
    if (!halves.has(half)) halves.set(half, []);
    halves.get(half)!.push(r.ms);
  }
  return [...halves]
    .sort(([a], [b]) => a - b)
    .map(([half, ms]) => {
      const sorted = Float64Array.from(ms).sort();
      return { fromSecond: half / 2, requests: ms.length, p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted[sorted.length - 1]! };
    });
}
