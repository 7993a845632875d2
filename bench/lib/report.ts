/** The results document (JSON) and its Markdown rendering. */
import type { LoadResult } from './load';
import type { ServiceMetrics } from './metrics';
import type { PgActivity } from './pg-activity';
import type { MemoryStats } from './processes';
import type { ProfileSummary } from './profile';

import type { OpenLoopResult, SaturatedResult } from './external-load';

export interface ScenarioResult {
  name: string;
  description: string;
  target: 'baseline' | 'service';
  load: LoadResult;
  memory?: MemoryStats;
  /** From the service's /actuator/prometheus before, in the middle of and after the window. */
  metrics?: ServiceMetrics;
  /** The service's PostgreSQL backends during the window (pg_stat_activity every 50 ms). */
  pgActivity?: PgActivity;
  /** CPU over the window in percent of one core: measured process, bench (autocannon), postgres, redis, kafka. */
  cpuByGroup?: Record<string, number>;
  /** requests/s divided by the baseline's. */
  ratioToBaseline?: number;
  /** CPU time of the measured process per request, µs. */
  cpuMicrosPerRequest?: number;
}

export interface StartupResult {
  mode: 'embedded' | 'real';
  case: string;
  readyMs: number;
  idleRssMb?: number;
}

export interface TargetResult {
  target: string;
  threshold: string;
  measured: string;
  pass: boolean;
}

export interface OversoldCheck {
  event: string;
  eventId: string;
  capacity: number;
  available: number;
  activeBookings: number;
  ok: boolean;
}

export interface Results {
  meta: Record<string, unknown>;
  seed: Record<string, unknown>;
  startup: StartupResult[];
  scenarios: ScenarioResult[];
  extra: ScenarioResult[];
  checks: {
    oversold: OversoldCheck[];
    eventsOverCapacity: number;
    total5xx: number;
    serviceLog: { errorLines: number; warnLines: number; sample: string[] };
    shutdownMs?: number;
  };
  explain: Record<string, { executionMs: number; plan: string }>;
  targets: TargetResult[];
  profiles: Record<string, (ProfileSummary & { title: string; rps: number; p99: number }) | { error: string }>;
  /** Item 1 of #26: CPU per request with each server saturated by wrk in its own process. */
  saturated?: { name: string; description: string; target: 'baseline' | 'service'; result: SaturatedResult; problems?: Record<string, number> }[];
  /** Open-loop runs (vegeta, its own process) at a fixed offered rate. */
  openLoop?: { name: string; description: string; result: OpenLoopResult }[];
  /** #26 item 4: a 20,000-seat event over three replicas against pgbench on the same single-row UPDATE. */
  bigEvent?: {
    result: OpenLoopResult;
    seatsSold: number;
    seatsPerSecond: number;
    /** Seats the database shows sold once the replicas drained (answers the client gave up on included). */
    seatsSoldInDatabase?: number;
    capacity: number;
    eventId: string;
    pgbench: { command: string; tps: number; seatsPerSecond: number };
    /** The same 2,000 bookers each sending one booking, all within 0.1 s, on a fresh event (same replicas). */
    once?: BigEventOnce;
    /** The same sale in the same run with the design before (BOOKING_BATCH_MAX=0: one transaction per booking). */
    before?: { label: string; result: OpenLoopResult; seatsSold: number; seatsPerSecond: number; seatsSoldInDatabase?: number; once?: BigEventOnce };
  };
}

export interface BigEventOnce {
  result: OpenLoopResult;
  seatsSold: number;
  seatsPerSecond: number;
  eventId: string;
}

const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(1));
/** Status codes (or any counts) as `k: n, …`, sorted by key; `–` when there are none. */
export const codes = (c: Record<string, number> = {}) =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`)
    .join(', ') || '–';

/** CPU time the measured process spent per request: insensitive to other load on the machine. */
export function cpuMicrosPerRequest(s: ScenarioResult): number {
  if (!s.memory || s.load.rps <= 0) return Number.NaN;
  return (s.memory.cpuPercent / 100 / s.load.rps) * 1e6;
}

export function scenarioTable(scenarios: ScenarioResult[]): string {
  const rows = [
    '| Scenario | req/s | vs baseline | p50 ms | p95 ms | p99 ms | max ms | requests | status codes | non-2xx by kind | errors / timeouts | RSS max MB | CPU % (1 core) | CPU µs / request | machine busy % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const s of scenarios) {
    const l = s.load;
    const cpuPerRequest = cpuMicrosPerRequest(s);
    rows.push(
      `| ${s.name} | ${f0(l.rps)} | ${s.ratioToBaseline === undefined ? '–' : `${(100 * s.ratioToBaseline).toFixed(0)} %`} | ${f1(l.latencyMs.p50)} | ${f1(l.latencyMs.p95)} | ${f1(l.latencyMs.p99)} | ${f1(l.latencyMs.max)} | ${f0(l.requests)} | ${codes(l.statusCodes)} | ${codes(l.problems)} | ${l.errors} / ${l.timeouts} | ${f0(s.memory?.rssMaxMb)} | ${f0(s.memory?.cpuPercent)} | ${f0(cpuPerRequest)} | ${f0(s.memory?.machineBusyPercent)} |`,
    );
  }
  return rows.join('\n');
}

/**
 * The primary ratio: the bare route's CPU per request divided by the scenario's (1 = as cheap as
 * the bare route; the hot read's target is >= 0.6), and its inverse for the refusal (target <= 4×).
 * The bare route is measured before and after the service in the same run; the ratio uses their mean.
 */
export function saturatedTable(rows: NonNullable<Results['saturated']>): string {
  const bare = rows.filter((r) => r.target === 'baseline').map((r) => r.result.serverCpuMicrosPerRequest);
  const bareMicros = bare.reduce((a, b) => a + b, 0) / Math.max(1, bare.length);
  const bareRps = rows.filter((r) => r.target === 'baseline').reduce((a, r, _i, all) => a + r.result.rps / all.length, 0);
  const out = [
    '| Scenario | server CPU µs / request | bare ÷ this (efficiency) | this ÷ bare (cost) | req/s | req/s vs bare | p50 ms | p99 ms | requests | non-2xx | socket errors | server CPU % (1 core) | wrk CPU % | machine busy % (2 cores) | server-bound? |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const { name, result: x } of rows) {
    const m = x.serverCpuMicrosPerRequest;
    out.push(
      `| ${name} | ${f1(m)} | ${(100 * (bareMicros / m)).toFixed(0)} % | ${(m / bareMicros).toFixed(2)}× | ${f0(x.rps)} | ${(100 * (x.rps / bareRps)).toFixed(0)} % | ${f1(x.latencyMs.p50)} | ${f1(x.latencyMs.p99)} | ${f0(x.requests)} | ${f0(x.non2xx)} | ${f0(x.socketErrors)} | ${f0(x.serverCpuPercent)} | ${f0(x.generatorCpuPercent)} | ${f0(x.machineBusyPercent)} | ${x.serverBound ? 'yes' : '**NO: not saturated, figure suspect**'} |`,
    );
  }
  return out.join('\n');
}

export function openLoopSection(rows: NonNullable<Results['openLoop']>): string {
  const out: string[] = [];
  for (const { name, description, result: x } of rows) {
    out.push(
      `### ${name}`,
      '',
      `${description}. Offered ${f0(x.rate)} req/s for ${f1(x.seconds)} s (until the last answer): ${f0(x.requests)} requests${x.scheduled && x.requests < x.scheduled ? ` of the ${f0(x.scheduled)} scheduled (**vegeta fell behind its schedule**: the offered rate was not reached)` : ''} (${codes(x.statusCodes)}), ${x.count5xx} 5xx, ${x.errors} without an answer${x.errorSample.length ? ` (${x.errorSample.join('; ')})` : ''}; server CPU ${f0(x.serverCpuPercent)} % of a core (${f0(((x.serverCpuPercent / 100) * x.seconds * 1e6) / Math.max(1, x.requests))} µs per request over the mix, background work included), vegeta ${f0(x.generatorCpuPercent)} %, server RSS max ${f0(x.serverRssMaxMb)} MB.`,
      '',
      `Command: \`${x.command}\``,
      '',
      '| Requests | count | status codes | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---:|---|---:|---:|---:|---:|',
      ...Object.entries(x.byKind).map(
        ([k, v]) =>
          `| kind: ${k} | ${f0(v.requests)} | ${codes(v.statusCodes)} | ${f1(v.latencyMs.p50)} | ${f1(v.latencyMs.p95)} | ${f1(v.latencyMs.p99)} | ${f1(v.latencyMs.max)} |`,
      ),
      ...Object.entries(x.byStatus).map(
        ([k, v]) =>
          `| status: ${k} | ${f0(v.requests)} | ${codes(v.statusCodes)} | ${f1(v.latencyMs.p50)} | ${f1(v.latencyMs.p95)} | ${f1(v.latencyMs.p99)} | ${f1(v.latencyMs.max)} |`,
      ),
      '',
    );
    if (x.timeline?.length)
      out.push(
        'Every request by the half second it was sent in (latency ms, p50 / p99 / max): where the tail comes from.',
        '',
        x.timeline.map((t) => `${f1(t.fromSecond)} s: ${f0(t.requests)} req, ${f1(t.p50)} / ${f1(t.p99)} / ${f1(t.max)}`).join(' · '),
        '',
      );
  }
  return out.join('\n');
}

/**
 * Where the machine's CPU went during a run over several replicas: when its cores were busy all the
 * time, the sale was bounded by the CPU the replicas, PostgreSQL and vegeta share, not by the row.
 * The rest is the busy time no measured process accounts for: PostgreSQL's backends (which may exit
 * before they can be read), Redis, Kafka, the bench and the kernel.
 */
function cpuShares(x: OpenLoopResult, cores: number): string {
  const replicas = x.replicasCpuPercent ?? x.serverCpuPercent;
  const rest = x.machineBusyPercent * cores - replicas - x.generatorCpuPercent;
  const who = x.replicasCpuPercent === undefined ? 'the first replica' : 'the replicas together';
  return `CPU in percent of one core: ${who} ${f0(replicas)} %, vegeta ${f0(x.generatorCpuPercent)} %, the rest (PostgreSQL, Redis, Kafka, the bench, the kernel) ${f0(rest)} %; the machine's ${cores} cores ${f0(x.machineBusyPercent)} % busy`;
}

export function renderMarkdown(r: Results): string {
  const m = r.meta as Record<string, any>;
  const out: string[] = [];
  out.push(`# Benchmark results — ${m.startedAt}`, '');
  out.push(
    `Machine: ${m.cpus}× ${m.cpuModel}, ${f0(m.memTotalMb)} MB RAM, Node ${m.node}. Commit ${m.gitCommit}${m.gitDirty ? ' (work tree has uncommitted changes)' : ''}; bundle: ${m.bundleBuild}${m.bundleStale ? ` — **stale**: ${m.bundleStale}` : ''}.`,
    `Settings: ${m.settings.duration} s per scenario after ${m.settings.warmup} s warm-up, ${m.settings.connections} connections, pipelining ${m.settings.pipelining}, seed ${m.settings.seed}, ${m.settings.events.toLocaleString('en-US')} seeded events, ${m.settings.users.toLocaleString('en-US')} users, rush capacity ${m.settings.rushCapacity}. ` +
      `Service: \`${m.serviceRunAs}\`, real mode (PostgreSQL ${m.infra.postgres}, Redis ${m.infra.redis}, Kafka ${m.infra.kafka}), ${Object.entries(
        m.serviceEnv as Record<string, string>,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}. ` +
      `autocannon runs in the bench process on the same 2 cores as the service and PostgreSQL. Run took ${f0(m.totalSeconds)} s; load average before it ${(m.loadAverageAtStart as number[]).map((l) => l.toFixed(2)).join(' ')}.`,
    '',
  );
  if (m.bundleError)
    out.push(
      `> **The production bundle did not start** (\`${m.bundleError}\`): a package the bundled code imports is not in build/bundle/node_modules. The bench measured the same esbuild bundle of packages/app/src/main.ts with the workspace's packages linked next to it instead (bench/lib/workspace-bundle.ts): same code and runtime, only package resolution differs.`,
      '',
    );
  if (r.saturated?.length) {
    out.push(
      '## CPU per request, each server saturated (the primary ratio)',
      '',
      saturatedTable(r.saturated),
      '',
      `wrk (Debian's package, one thread) runs as its own process and keeps ${m.settings.connections} connections busy; the server's CPU is utime + stime of its process from /proc over wrk's run, divided by the answered requests. "bare ÷ this" is the primary ratio (the bare route's CPU per request over the scenario's: 100 % = as cheap as the bare route); the bare route is measured before and after the service, and the ratio uses the mean of both. A row is server-bound when the server used at least 85 % of a core and wrk less than the server; otherwise the generator or the machine (other work on its 2 cores) limited it and the figure is flagged. req/s depends on how much CPU the machine leaves the server, so it is the second column only. ${m.settings.duration} s per row after ${m.settings.warmup} s of warm-up.`,
      '',
      'Commands (the URL is the server under test):',
      '',
      ...r.saturated.map((x) => `- ${x.name} (${x.description}): \`${x.result.command}\`${x.problems ? `; sampled answers: ${codes(x.problems)}` : ''}`),
      '',
    );
  }
  if (r.openLoop?.length) out.push('## Open loop at a fixed rate (vegeta, its own process)', '', openLoopSection(r.openLoop), '');
  if (r.bigEvent) {
    const b = r.bigEvent;
    out.push(
      '## Big event: the hot row (vegeta closed loop over three replicas, and pgbench)',
      '',
      `${f0(b.seatsSold)} of ${f0(b.capacity)} seats sold in ${f1(b.result.lastSuccessAfterSeconds)} s (first request to last 201): **${f0(b.seatsPerSecond)} seats/s**; pgbench on the same single-row UPDATE of another event's row in the same run: ${f0(b.pgbench.tps)} UPDATEs/s = **${f0(b.pgbench.seatsPerSecond)} seats/s** (service ${((100 * b.seatsPerSecond) / b.pgbench.seatsPerSecond).toFixed(0)} % of it). Seats sold in the database once the replicas drained (including bookings whose answer came after vegeta's 10 s timeout): ${f0(b.seatsSoldInDatabase)}. Answers: ${codes(b.result.statusCodes)}; ${cpuShares(b.result, m.cpus)}.`,
      '',
      `Commands: \`${b.result.command}\`; \`${b.pgbench.command}\``,
      '',
      '| Requests | count | status codes | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---:|---|---:|---:|---:|---:|',
      ...Object.entries(b.result.byStatus).map(
        ([k, v]) =>
          `| status: ${k} | ${f0(v.requests)} | ${codes(v.statusCodes)} | ${f1(v.latencyMs.p50)} | ${f1(v.latencyMs.p95)} | ${f1(v.latencyMs.p99)} | ${f1(v.latencyMs.max)} |`,
      ),
      '',
    );
    const onceLine = (o: BigEventOnce) =>
      `${f0(o.seatsSold)} seats sold in ${o.result.lastSuccessAfterSeconds.toFixed(2)} s = **${f0(o.seatsPerSecond)} seats/s** (${((100 * o.seatsPerSecond) / b.pgbench.seatsPerSecond).toFixed(0)} % of pgbench), 201 p50 ${f1(o.result.byStatus['201']?.latencyMs.p50)} ms, p99 ${f1(o.result.byStatus['201']?.latencyMs.p99)} ms, answers ${codes(o.result.statusCodes)}; vegeta sent them over ${o.result.sentOverSeconds.toFixed(2)} s; ${cpuShares(o.result, m.cpus)}`;
    if (b.once)
      out.push(
        `Each booker once (the 2,000 bookings scheduled within 0.1 s, open loop, each sent once, nobody sending again once booked; a fresh event on the same replicas): ${onceLine(b.once)}. Command: \`${b.once.result.command}\``,
        '',
      );
    if (b.before) {
      const x = b.before;
      if (x.once) out.push(`Each booker once with ${x.label}: ${onceLine(x.once)}.`, '');
      out.push(
        `Before and after, same run (three fresh replicas each, a fresh event each): with ${x.label}, ${f0(x.seatsSold)} seats sold in ${f1(x.result.lastSuccessAfterSeconds)} s = **${f0(x.seatsPerSecond)} seats/s** (${((100 * x.seatsPerSecond) / b.pgbench.seatsPerSecond).toFixed(0)} % of pgbench), 201 p99 ${f1(x.result.byStatus['201']?.latencyMs.p99)} ms, ${f0(x.seatsSoldInDatabase)} sold in the database once drained, answers ${codes(x.result.statusCodes)}; with the default settings (above) **${f0(b.seatsPerSecond)} seats/s**, ${(b.seatsPerSecond / Math.max(1, x.seatsPerSecond)).toFixed(1)}× as many.`,
        '',
      );
    }
  }
  if (r.scenarios.length) {
    out.push('## Throughput and latency (autocannon, in the bench process)', '');
    out.push(scenarioTable(r.scenarios), '');
    // The autocannon scenarios' notes and tables (none in a BENCH_SCENARIOS=ratio run).
    out.push(
      "Latency percentiles are over every response (2xx and non-2xx). \"vs baseline\" is requests/s divided by the baseline's. RSS is the measured process's VmRSS sampled every 100 ms during the measured window (heap: see the next table). CPU % is the measured process's CPU time over the window (100 = one core), and CPU µs / request that time divided by the requests: the process's own cost per request, which other load on the machine barely changes (unlike req/s); machine busy % covers both cores (autocannon, PostgreSQL, Kafka and anything else running).",
      '',
    );
    out.push(
      `### Where the CPU went (percent of one core over the window; ${m.cpus} cores = ${100 * Number(m.cpus)} %)`,
      '',
      '| Scenario | measured process | bench + autocannon | PostgreSQL | Redis | Kafka | other processes | idle |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of r.scenarios) {
      const c = s.cpuByGroup;
      if (!c) continue;
      const total = ['measured', 'bench', 'postgres', 'redis', 'kafka'].reduce((a, k) => a + (c[k] ?? 0), 0);
      const cores = Number(m.cpus) || 1;
      const busy = s.memory ? s.memory.machineBusyPercent * cores : Number.NaN;
      out.push(
        `| ${s.name} | ${f0(c.measured)} | ${f0(c.bench)} | ${f0(c.postgres)} | ${f0(c.redis)} | ${f0(c.kafka)} | ${f0(Math.max(0, busy - total))} | ${f0(100 * cores - busy)} |`,
      );
    }
    out.push(
      '',
      '"Other processes" is the machine\'s busy time minus the groups (other work on the machine, the kernel, servers given by DATABASE_URL / REDIS_URL / KAFKA_BROKERS); when it is large, the run was disturbed.',
      '',
    );
    out.push(
      '### Inside the service (from /actuator/prometheus)',
      '',
      '| Scenario | heap used MB | heap total MB | RSS MB (end) | event-loop lag p99 ms | DB pool active / waiting (mid-run) | GC s | cache lookups | hit % |',
      '|---|---:|---:|---:|---:|---|---:|---|---:|',
    );
    for (const s of r.scenarios) {
      const x = s.metrics;
      if (!x) continue;
      out.push(
        `| ${s.name} | ${f0(x.heapUsedMb)} | ${f0(x.heapTotalMb)} | ${f0(x.rssMb)} | ${f1(x.eventLoopLagP99Ms)} | ${f0(x.dbPoolActiveMid)} / ${f0(x.dbPoolPendingMid)} | ${f1(x.gcSeconds)} | ${codes(x.cache)} | ${Number.isFinite(x.cacheHitRatio) ? (100 * x.cacheHitRatio).toFixed(0) : '–'} |`,
      );
    }
    out.push('');
    out.push(
      "PostgreSQL backends of the service during each window (pg_stat_activity every 50 ms; average number of connections per state and wait event — `idle in transaction Client:ClientRead` means PostgreSQL waits for the service to send the next statement of an open transaction, `Lock:*` means waiting for another transaction's row lock):",
      '',
    );
    for (const s of r.scenarios) {
      if (!s.pgActivity) continue;
      const top = Object.entries(s.pgActivity.backends)
        .slice(0, 5)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ');
      out.push(`- ${s.name}: ${top || 'no service connections seen'} (${s.pgActivity.samples} samples)`);
    }
    out.push('');
    for (const s of r.scenarios) {
      const statuses = Object.entries(s.load.latencyByStatus ?? {});
      if (statuses.length > 1)
        out.push(`${s.name} latency by status: ` + statuses.map(([c, l]) => `${c} p50 ${f1(l.p50)} / p99 ${f1(l.p99)} ms`).join('; ') + '.', '');
    }
    for (const s of r.scenarios) {
      const kinds = Object.entries(s.load.byKind);
      if (kinds.length > 1)
        out.push(
          `${s.name} by kind: ` +
            kinds
              .map(([k, v]) => `${k} ${f0(v.requests)} requests (${codes(v.statusCodes)}; p50 ${f1(v.latencyMs.p50)} ms, p99 ${f1(v.latencyMs.p99)} ms)`)
              .join('; ') +
            '.',
          '',
        );
    }
  }
  out.push('## Targets', '', '| Target | Threshold | Measured | Result |', '|---|---|---|---|');
  for (const t of r.targets) out.push(`| ${t.target} | ${t.threshold} | ${t.measured} | ${t.pass ? 'PASS' : '**FAIL**'} |`);
  out.push('');
  out.push('## Start-up (spawn → readiness UP)', '', '| Mode | Case | Ready after ms | RSS when ready MB |', '|---|---|---:|---:|');
  for (const s of r.startup) out.push(`| ${s.mode} | ${s.case} | ${f0(s.readyMs)} | ${f0(s.idleRssMb)} |`);
  out.push('');
  out.push('## Correctness', '');
  for (const o of r.checks.oversold)
    out.push(
      `- ${o.event}: capacity ${o.capacity}, seats of active bookings ${o.activeBookings}, available ${o.available} — ${o.ok ? 'not oversold, counts consistent' : '**OVERSOLD or inconsistent**'}`,
    );
  out.push(`- Events with more seats in active bookings than capacity (whole database): ${r.checks.eventsOverCapacity}`);
  out.push(`- 5xx answers over all service scenarios: ${r.checks.total5xx}`);
  out.push(
    `- Service log (LOG_LEVEL=warn): ${r.checks.serviceLog.errorLines} error lines, ${r.checks.serviceLog.warnLines} warn lines${r.checks.shutdownMs !== undefined ? `; graceful shutdown after load took ${f0(r.checks.shutdownMs)} ms` : ''}`,
  );
  for (const line of r.checks.serviceLog.sample) out.push(`  - \`${line.slice(0, 300).replace(/`/g, "'")}\``);
  out.push('');
  if (Object.keys(r.explain).length) {
    out.push('## Query plans (EXPLAIN ANALYZE of the list query, equivalent SQL)', '');
    for (const [name, e] of Object.entries(r.explain)) out.push(`${name}: ${f1(e.executionMs)} ms`, '', '```', e.plan, '```', '');
  }
  for (const [key, p] of Object.entries(r.profiles ?? {})) {
    out.push(`## CPU profile: ${key}`, '');
    if ('error' in p) {
      out.push(`Profile failed: ${p.error}`, '');
      continue;
    }
    out.push(
      `\`node --cpu-prof ${String(m.serviceRunAs).replace(/^node /, '')}\` (Kafka consumer off) under ${p.title}: ${f0(p.rps)} req/s, p99 ${f1(p.p99)} ms while profiling; ${f0(p.totalMs)} ms sampled, ${f0(p.idleMs)} ms idle, ${f0(p.busyMs)} ms busy. Percentages are of busy time; bundled frames are mapped back to their TypeScript source with the source map. Full profile: \`${p.file}\` (Chrome DevTools or speedscope).`,
      '',
      '| Package / area | self ms | % busy |',
      '|---|---:|---:|',
      ...p.categories.slice(0, 15).map((c) => `| ${c.category} | ${f0(c.selfMs)} | ${f1(c.percent)} |`),
      '',
      '| Function (top self time) | Where | self ms | % busy |',
      '|---|---|---:|---:|',
      ...p.top.map((t) => `| \`${t.function}\` | ${t.location || t.category} | ${f0(t.selfMs)} | ${f1(t.percent)} |`),
      '',
    );
  }
  return out.join('\n');
}
