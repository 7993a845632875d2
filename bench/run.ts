/**
 * `pnpm bench`: starts the service in real mode (PostgreSQL, Redis, Kafka), seeds it, loads it with
 * autocannon scenario by scenario, compares with a bare Fastify baseline, checks the bookings,
 * measures start-up and memory, profiles the hot read, and writes bench/results/. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { signToken } from '@aquastream/adapters';
import { freePort, retryWhilePortTaken } from '../testing/services/free-port';
import { startKafka, type KafkaServer } from '../testing/services/kafka';
import { startPostgres, startStandby, type PostgresServer } from '../testing/services/postgres';
import { startRedis, type RedisServer } from '../testing/services/redis';
import { runLoad, type RequestSpec } from './lib/load';
import { openLoop, saturate, type HttpRequest } from './lib/external-load';
import { readMemory, sampleProcess, startChild, waitReady } from './lib/processes';
import { sampleCpuGroups, type CpuGroups } from './lib/cpu';
import { BENCH_ACTUATOR_TOKEN, scrape, summarize, type Samples } from './lib/metrics';
import { samplePgActivity } from './lib/pg-activity';
import { summarizeProfile } from './lib/profile';
import { buildWorkspaceBundle } from './lib/workspace-bundle';
import { bundleStaleness } from '../testing/bundle';
import {
  codes,
  cpuMicrosPerRequest,
  saturatedTable,
  renderMarkdown,
  scenarioTable,
  type OversoldCheck,
  type Results,
  type ScenarioResult,
  type StartupResult,
  type TargetResult,
} from './lib/report';
import { prng, seedEvents, userTokens } from './lib/seed';
import { BENCH_DIR, BUNDLE_DIR, loadSettings, ROOT, SERVER_ENTRY, SOURCE_ENTRY, type Settings } from './lib/settings';

const settings = loadSettings();
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const ORGANIZER_ID = '00000000-0000-4000-8000-00000000be0c';
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------- cleanup, also on failure and ^C
const cleanups: { name: string; fn: () => Promise<unknown> }[] = [];
const onCleanup = (name: string, fn: () => Promise<unknown>) => cleanups.push({ name, fn });
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        log(`cleanup of ${name} failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    log(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });

// ---------------------------------------------------------------- helpers
const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
onCleanup('work dir', async () => {
  if (process.env.BENCH_KEEP === '1') log(`kept ${workDir} (service logs, profiles)`);
  else rmSync(workDir, { recursive: true, force: true });
});

/** The service's environment: the caller's, minus every setting the bench decides itself. */
function serviceEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const owned =
    /^(DATABASE_URL|DB_|REDIS_|KAFKA_|AUTH_|DATA_DIR|PORT|HOST|GRPC_|LOG_LEVEL|JOBS_|RUN_MIGRATIONS|RATE_LIMIT_MAX|CONSUMERS_ENABLED|OTEL_|NODE_OPTIONS|MALLOC_ARENA_MAX|PAYMENT_|PUBLIC_URL|BENCH_)/;
  for (const [k, v] of Object.entries(process.env)) if (!owned.test(k)) env[k] = v;
  env.NODE_ENV = 'production';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

let serviceCount = 0;
/** settings.service 'auto' starts as 'bundle' and falls back to 'workspace-bundle' when the bundle lacks a package. */
let serviceMode: 'bundle' | 'workspace-bundle' | 'source' = settings.service === 'source' ? 'source' : 'bundle';
let serverEntry = SERVER_ENTRY;
/** startOnce, again on fresh ports when a port it was given was taken meanwhile (load generators hold thousands of ephemeral ports). */
async function startService(kind: 'embedded' | 'real', env: Record<string, string | undefined>, nodeArgs: string[] = []) {
  return retryWhilePortTaken({ fixedPort: false, portTaken: (error) => /EADDRINUSE/.test(String((error as Error).message)) }, () =>
    startOnce(kind, env, nodeArgs),
  );
}

async function startOnce(kind: 'embedded' | 'real', env: Record<string, string | undefined>, nodeArgs: string[] = []) {
  const port = await freePort();
  const name = `service-${++serviceCount}-${kind}`;
  const entry = serviceMode === 'source' ? ['--import', 'tsx', SOURCE_ENTRY] : [serverEntry];
  const child = startChild(
    name,
    [...settings.nodeArgs, ...nodeArgs, ...entry],
    serviceEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      GRPC_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      // The metrics on the API port need a token (scrape() sends it).
      ACTUATOR_TOKEN: BENCH_ACTUATOR_TOKEN,
      // The production bundle carries proto/ next to server.mjs; the stand-in uses the package's.
      GRPC_PROTO_DIR: serviceMode === 'workspace-bundle' ? path.join(ROOT, 'packages', 'app', 'proto') : undefined,
      ...env,
    }),
    path.join(workDir, `${name}.log`),
    // From the repository root so `--import tsx` resolves; every path the service writes is set explicitly.
    serviceMode === 'source' ? ROOT : workDir,
    settings.node.binary,
  );
  onCleanup(name, () => child.stop(5_000));
  const base = `http://127.0.0.1:${port}`;
  const readyMs = await waitReady(child, `${base}/actuator/health/readiness`);
  return { child, base, readyMs, idleRssMb: readMemory(child.pid)?.rssMb };
}

async function api(base: string, method: string, url: string, token?: string, body?: unknown): Promise<any> {
  const res = await fetch(base + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function ensureBundle(s: Settings): void {
  const missing = !existsSync(SERVER_ENTRY);
  const stale = missing ? undefined : bundleStaleness();
  if (s.bundle === 'always' || (s.bundle !== 'never' && missing) || (s.bundle === 'stale' && stale)) {
    log(`building the production bundle (pnpm bundle)${stale ? `: ${stale}` : ''}`);
    execFileSync('pnpm', ['bundle'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  } else if (missing) {
    throw new Error(`${SERVER_ENTRY} is missing and BENCH_BUNDLE=never`);
  }
}

/**
 * startKafka formats the storage with a random base64url cluster id; one that starts with "-" is
 * taken for an option by kafka-storage (about 1 start in 64), so try again with a new id.
 */
async function startKafkaWithRetry(): Promise<KafkaServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafka();
    } catch (error) {
      if (attempt >= 3 || !/cluster-id/.test((error as Error).message)) throw error;
      log(`Kafka storage format failed on a cluster id starting with "-"; retrying (${attempt})`);
    }
  }
}

const LIST_QUERIES = [
  '/api/v2/events?status=PUBLISHED&search=rafting&from=2028-03-01T00:00:00Z&page=1&size=20',
  '/api/v2/events?status=PUBLISHED&search=lake&page=2&size=20',
  '/api/v2/events?status=PUBLISHED&from=2028-06-01T00:00:00Z&page=1&size=20',
  '/api/v2/events?status=PUBLISHED&search=kayak&from=2028-01-15T00:00:00Z&to=2028-09-30T00:00:00Z&page=1&size=50',
];

/** The flash-sale scenario's connections, whatever BENCH_CONNECTIONS says for the others. */
const FLASH_CONNECTIONS = Number(process.env.BENCH_FLASH_CONNECTIONS ?? 1_000);
/** Offered rate of the paced flash-sale scenario: 3,000 bookings and 750 reads per second. */
const FLASH_RATE = 3_750;

/** Warm-up (not measured), then the measured run with RSS sampling of `pid`. */
let activityDatabaseUrl: string | undefined;
const cpuGroups: CpuGroups = {};
async function scenario(
  name: string,
  description: string,
  url: string,
  pid: number,
  make: () => () => RequestSpec,
  opts: { amount?: number; warmup?: boolean; target?: 'baseline' | 'service'; connections?: number; rate?: number } = {},
): Promise<ScenarioResult> {
  const common = { url, connections: opts.connections ?? settings.connections, pipelining: settings.pipelining, rate: opts.rate };
  if (opts.warmup !== false && settings.warmup > 0) {
    log(`${name}: warm-up ${settings.warmup} s`);
    await runLoad({ ...common, duration: settings.warmup, next: make() });
  }
  log(`${name}: ${opts.amount ? `${opts.amount} requests` : `${settings.duration} s`} at ${common.connections} connections`);
  const isService = (opts.target ?? 'service') === 'service';
  const before = isService ? await scrape(url) : undefined;
  let mid: Samples | undefined;
  const midTimer = isService ? setTimeout(() => void scrape(url).then((m) => (mid = m)), opts.amount ? 1_000 : (settings.duration * 1000) / 2) : undefined;
  const activity = isService && activityDatabaseUrl ? await samplePgActivity(activityDatabaseUrl) : undefined;
  const memory = sampleProcess(pid);
  const cpu = sampleCpuGroups(cpuGroups, pid);
  const load = await runLoad({ ...common, ...(opts.amount ? { amount: opts.amount } : { duration: settings.duration }), next: make() });
  const cpuByGroup = cpu.stop();
  const mem = memory.stop();
  const pgActivity = await activity?.stop();
  clearTimeout(midTimer);
  const metrics = isService ? summarize(before, mid, await scrape(url)) : undefined;
  log(
    `${name}: ${Math.round(load.rps)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, ${JSON.stringify(load.statusCodes)}, RSS max ${mem ? Math.round(mem.rssMaxMb) : '?'} MB, CPU ${mem ? Math.round(mem.cpuPercent) : '?'} % of a core, machine ${mem ? Math.round(mem.machineBusyPercent) : '?'} % busy${metrics ? `, heap ${Math.round(metrics.heapUsedMb)} MB, cache ${JSON.stringify(metrics.cache)}` : ''}`,
  );
  return { name, description, target: opts.target ?? 'service', load, memory: mem, metrics, pgActivity, cpuByGroup };
}

async function explain(databaseUrl: string): Promise<Results['explain']> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const cols = `e.id, e.title, e.description, e.start_date, e.end_date, e.location_id, e.location_text, e.capacity, e.available, e.status,
      e.organizer_id, e.price_amount, e.price_currency, e.created_at, e.updated_at, l.name, l.address, l.latitude, l.longitude, l.created_at`;
    const where = `e.status <> 'DRAFT' AND e.status = 'PUBLISHED' AND e.start_date >= '2028-03-01T00:00:00Z'
      AND (e.title ILIKE '%rafting%' OR e.description ILIKE '%rafting%' OR e.location_text ILIKE '%rafting%')`;
    const queries: Record<string, string> = {
      'list page (search=rafting, from, page 1 of 20)': `SELECT ${cols} FROM events e LEFT JOIN locations l ON l.id = e.location_id WHERE ${where} ORDER BY e.start_date, e.id LIMIT 20 OFFSET 0`,
      'list total (count for the same filters)': `SELECT count(*) FROM events e LEFT JOIN locations l ON l.id = e.location_id WHERE ${where}`,
    };
    const out: Results['explain'] = {};
    for (const [name, sql] of Object.entries(queries)) {
      const res = await client.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${sql}`);
      const lines = res.rows.map((r: Record<string, string>) => r['QUERY PLAN']!);
      const exec = Number(/Execution Time: ([\d.]+)/.exec(lines.join('\n'))?.[1] ?? Number.NaN);
      out[name] = { executionMs: exec, plan: lines.filter((l) => !/^(Planning|Execution) Time/.test(l)).join('\n') };
    }
    return out;
  } finally {
    await client.end();
  }
}

async function bookingChecks(databaseUrl: string, events: Record<string, string>): Promise<{ oversold: OversoldCheck[]; overCapacity: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const oversold: OversoldCheck[] = [];
    for (const [event, id] of Object.entries(events)) {
      const { rows } = await client.query(
        `SELECT e.capacity, e.available,
                (SELECT coalesce(sum(b.seats), 0)::int FROM bookings b WHERE b.event_id = e.id AND b.status IN ('PENDING', 'CONFIRMED')) AS active
         FROM events e WHERE e.id = $1`,
        [id],
      );
      const r = rows[0] as { capacity: number; available: number; active: number };
      oversold.push({
        event,
        eventId: id,
        capacity: r.capacity,
        available: r.available,
        activeBookings: r.active,
        ok: r.active <= r.capacity && r.capacity - r.available === r.active,
      });
    }
    const over = await client.query(
      `SELECT count(*)::int AS n FROM events e
       WHERE (SELECT coalesce(sum(b.seats), 0) FROM bookings b WHERE b.event_id = e.id AND b.status IN ('PENDING', 'CONFIRMED')) > e.capacity`,
    );
    return { oversold, overCapacity: (over.rows[0] as { n: number }).n };
  } finally {
    await client.end();
  }
}

async function migrationsApplied(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM kysely_migration')).rows[0].n);
  } catch {
    return 0;
  } finally {
    await client.end();
  }
}

function serviceLogStats(files: string[]): Results['checks']['serviceLog'] {
  let errorLines = 0;
  let warnLines = 0;
  const sample: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level >= 50) errorLines++;
      else if (level === 40) warnLines++;
      else continue;
      if (sample.length < 5) sample.push(line);
    }
  }
  return { errorLines, warnLines, sample };
}

function writeResults(results: Results, started: Date): void {
  mkdirSync(settings.outDir, { recursive: true });
  const md = renderMarkdown(results);
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  for (const name of ['latest', stamp]) {
    writeFileSync(path.join(settings.outDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(path.join(settings.outDir, `${name}.md`), `${md}\n`);
  }
  if (results.scenarios.length) process.stdout.write(`\n${scenarioTable(results.scenarios)}\n\n`);
  process.stdout.write(`${md.slice(md.indexOf('## Targets'), md.indexOf('## Start-up'))}`);
  log(`results: ${path.relative(ROOT, path.join(settings.outDir, 'latest.md'))} (and .json, ${stamp}.*); ${Math.round(Number(results.meta.totalSeconds))} s`);
}

// ---------------------------------------------------------------- the run
async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  log(
    `settings: ${JSON.stringify({ ...settings, external: Object.keys(settings.external).filter((k) => (settings.external as Record<string, string | undefined>)[k]) })}`,
  );
  const loadAtStart = os.loadavg();
  if (loadAtStart[0]! > 0.5)
    log(`warning: load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} before the start: other work on this machine makes the numbers noisy`);
  ensureBundle(settings);
  // wrk and vegeta, the generators that run in their own processes (bench/load-tools.sh).
  const vegeta = execFileSync('bash', [path.join(BENCH_DIR, 'load-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', process.stderr] }).trim();
  const stale = bundleStaleness();
  if (stale) log(`warning: ${stale}`);

  // Infrastructure: what the caller gave, or throwaway servers.
  log('starting PostgreSQL, Redis and Kafka (unless given)');
  const infraT0 = performance.now();
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let kafka: KafkaServer | undefined;
  // allSettled: when one fails, the others still finish starting and are registered for cleanup.
  const startedInfra = await Promise.allSettled([
    settings.external.databaseUrl ??
      startPostgres().then((s) => {
        postgres = s;
        onCleanup('postgres', () => s.destroy());
        return s.url;
      }),
    !settings.redis
      ? Promise.resolve('')
      : (settings.external.redisUrl ??
        startRedis().then((s) => {
          redis = s;
          onCleanup('redis', () => s.destroy());
          return s.url;
        })),
    settings.external.kafkaBrokers ??
      startKafkaWithRetry().then((s) => {
        kafka = s;
        onCleanup('kafka', () => s.destroy());
        return s.brokers;
      }),
  ]);
  const failed = startedInfra.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const [pgUrl, redisUrl, kafkaBrokers] = startedInfra.map((r) => (r as PromiseFulfilledResult<string>).value) as [string, string, string];
  const infraMs = performance.now() - infraT0;
  const databaseUrl = postgres ? await postgres.createDatabase('bench') : pgUrl;
  activityDatabaseUrl = databaseUrl;
  Object.assign(cpuGroups, { postgresDataDir: postgres?.dataDir, redisPort: redis?.port, kafkaPort: kafka?.port });
  log(`infrastructure ready in ${Math.round(infraMs)} ms`);

  const realEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl || undefined,
    KAFKA_BROKERS: kafkaBrokers,
    AUTH_JWT_SECRET: SECRET,
    JOBS_ENABLED: String(settings.jobsEnabled),
    DB_POOL_MAX: settings.dbPoolMax === undefined ? undefined : String(settings.dbPoolMax),
    DATA_DIR: path.join(workDir, 'real-data'),
    RATE_LIMIT_MAX: String(settings.rateLimitMax),
    NODE_OPTIONS: settings.nodeOptions,
    MALLOC_ARENA_MAX: settings.mallocArenaMax,
  };
  const serviceEnvShown = {
    LOG_LEVEL: 'warn',
    JOBS_ENABLED: realEnv.JOBS_ENABLED,
    DB_POOL_MAX: realEnv.DB_POOL_MAX ?? '10 (default)',
    RATE_LIMIT_MAX: realEnv.RATE_LIMIT_MAX,
    NODE_OPTIONS: settings.nodeOptions
      ? `${settings.nodeOptions} (${settings.nodeOptionsSource === 'image' ? "the production image's, from the Dockerfile" : 'BENCH_NODE_OPTIONS'})`
      : 'none (V8 sizes the heap for the machine)',
    MALLOC_ARENA_MAX: settings.mallocArenaMax
      ? `${settings.mallocArenaMax} (${process.env.BENCH_MALLOC_ARENA_MAX ? 'BENCH_MALLOC_ARENA_MAX' : "the production image's, from the Dockerfile"})`
      : "none (glibc's default: up to 8 arenas per core)",
    ...(settings.nodeArgs.length ? { 'node arguments': `${settings.nodeArgs.join(' ')} (BENCH_NODE_ARGS, the service only)` } : {}),
  };

  // Start-up: embedded on a fresh DATA_DIR, then again on it; real mode on a fresh database, then migrated.
  const startup: StartupResult[] = [];
  const embeddedDir = path.join(workDir, 'embedded-data');
  let bundleError: string | undefined;
  /** What both result paths (the ratio run and the full run) say of how this run was set up. */
  const runSetup = (alive: boolean) => ({
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memTotalMb: os.totalmem() / 1024 / 1024,
    gitCommit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    gitDirty: git(['status', '--porcelain']).length > 0,
    bundleBuild: existsSync(path.join(BUNDLE_DIR, 'BUILD')) ? readFileSync(path.join(BUNDLE_DIR, 'BUILD'), 'utf8').trim() : 'unknown',
    bundleStale: stale,
    settings: { ...settings, external: undefined },
    infra: {
      postgres: postgres ? 'started by the bench (fsync off)' : 'given by DATABASE_URL',
      redis: !settings.redis ? 'not used (BENCH_REDIS=0)' : redis ? 'started by the bench' : 'given by REDIS_URL',
      kafka: kafka ? 'started by the bench' : 'given by KAFKA_BROKERS',
      startMs: infraMs,
    },
    serviceEnv: serviceEnvShown,
    serviceRunAs: {
      bundle: 'node build/bundle/server.mjs',
      'workspace-bundle': 'node <tmp>/workspace-bundle/server.mjs',
      source: 'node --import tsx packages/app/src/main.ts',
    }[serviceMode],
    bundleError,
    serviceAliveAfterLoad: alive,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg(),
  });
  for (const label of settings.scenarios === 'all' ? ['fresh DATA_DIR (creates PGlite, runs migrations)', 'existing DATA_DIR'] : []) {
    log(`start-up, embedded, ${label}`);
    let s;
    try {
      s = await startService('embedded', { DATA_DIR: embeddedDir });
    } catch (error) {
      const message = (error as Error).message;
      if (!(settings.service === 'auto' && serviceMode === 'bundle' && /ERR_MODULE_NOT_FOUND|Cannot find (package|module)/.test(message))) throw error;
      bundleError = /Error \[ERR_MODULE_NOT_FOUND\]: [^\n]*/.exec(message)?.[0] ?? message.split('\n')[0]!;
      log(`WARNING: the production bundle does not start (${bundleError}); measuring the same esbuild bundle with the workspace's packages linked instead`);
      serviceMode = 'workspace-bundle';
      serverEntry = await buildWorkspaceBundle(path.join(workDir, 'workspace-bundle'));
      rmSync(embeddedDir, { recursive: true, force: true });
      s = await startService('embedded', { DATA_DIR: embeddedDir });
    }
    startup.push({ mode: 'embedded', case: label, readyMs: s.readyMs, idleRssMb: s.idleRssMb });
    await s.child.stop();
  }
  const applied = await migrationsApplied(databaseUrl);
  log(`start-up, real mode, ${applied ? 'already migrated database' : 'fresh database'}`);
  const first = await startService('real', realEnv);
  startup.push({
    mode: 'real',
    case: applied ? `given database (${applied} migrations already applied)` : 'fresh database (runs the migrations)',
    readyMs: first.readyMs,
    idleRssMb: first.idleRssMb,
  });
  await first.child.stop();
  log('start-up, real mode, migrated database (this instance takes the load)');
  const svc = await startService('real', realEnv);
  startup.push({ mode: 'real', case: 'migrated database', readyMs: svc.readyMs, idleRssMb: svc.idleRssMb });
  const serviceLogs = [first.child.log, svc.child.log];

  // Data: 10,000 events by SQL, a few through the API.
  log(`seeding ${settings.events} events`);
  const seeded = await seedEvents(databaseUrl, settings.seed, settings.events);
  log(`seeded ${seeded.events} new events in ${Math.round(seeded.ms)} ms`);
  const organizer = await signToken(SECRET, { sub: ORGANIZER_ID, roles: ['ORGANIZER'] });
  const createPublished = async (body: Record<string, unknown>) => {
    const created = await api(svc.base, 'POST', '/api/v2/events', organizer, body);
    await api(svc.base, 'POST', `/api/v2/events/${created.id}/publish`, organizer);
    return created.id as string;
  };
  const day = (d: string, h: number) => `${d}T${String(h).padStart(2, '0')}:00:00Z`;
  const hotId = await createPublished({
    title: 'Rafting on the Soca: whitewater day',
    description:
      'A full day of rafting through the emerald Soca gorge for beginners and families. Wetsuits, helmets and lunch included; transfer from the camp.',
    startDate: day('2030-06-01', 8),
    endDate: day('2030-06-01', 18),
    capacity: 40,
    price: { amount: 5_000, currency: 'EUR' },
    locationId: seeded.locationIds[0],
  });
  await createPublished({
    title: 'Kayaking on Lake Bled',
    description: 'Sunrise paddle around the island.',
    startDate: day('2030-06-02', 6),
    endDate: day('2030-06-02', 9),
    capacity: 12,
  });
  const rushId = await createPublished({
    title: 'Rush: Tara canyon rafting',
    startDate: day('2030-07-01', 8),
    endDate: day('2030-07-01', 18),
    capacity: settings.rushCapacity,
    price: { amount: 4_500, currency: 'EUR' },
  });
  const mixedId = await createPublished({
    title: 'Mixed: Neretva kayak tour',
    startDate: day('2030-07-02', 8),
    endDate: day('2030-07-02', 18),
    capacity: settings.mixedCapacity,
  });
  const warmId = await createPublished({ title: 'Warm-up: open day', startDate: day('2030-07-03', 8), endDate: day('2030-07-03', 18), capacity: 1_000_000 });

  log(`signing ${settings.users} rush tokens and ${Math.min(1_000, settings.users)} warm-up tokens`);
  const rushUsers = await userTokens(SECRET, settings.seed, 1, settings.users);
  const warmUsers = await userTokens(SECRET, settings.seed, 2, Math.min(1_000, settings.users));

  const hotRes = await fetch(`${svc.base}/api/v2/events/${hotId}`);
  const hotBody = await hotRes.text();
  const bodyFile = path.join(workDir, 'event.json');
  writeFileSync(bodyFile, hotBody);

  // Baseline: bare Fastify, same machine, same settings, own process.
  const basePort = await freePort();
  const baseline = startChild(
    'baseline',
    [path.join(BENCH_DIR, 'baseline-server.mjs')],
    { ...serviceEnv({}), PORT: String(basePort), BODY_FILE: bodyFile },
    path.join(workDir, 'baseline.log'),
    ROOT,
    settings.node.binary,
  );
  onCleanup('baseline', () => baseline.stop(5_000));
  const baseUrl = `http://127.0.0.1:${basePort}`;
  await waitReady(baseline, `${baseUrl}/event`);
  const scenarios: ScenarioResult[] = [];
  const extra: ScenarioResult[] = [];
  const get = (p: string) => (): RequestSpec => ({ kind: 'read', method: 'GET', path: p });

  // ---- Item 1 of #26: CPU per request with each server saturated by wrk in its own process; the
  // bare route before and after the service, so a drift of the machine during the run shows.
  const saturated: NonNullable<Results['saturated']> = [];
  const refusalId = await createPublished({ title: 'Refusal: sold out', startDate: day('2030-07-05', 8), endDate: day('2030-07-05', 18), capacity: 1 });
  const [firstBooker] = await userTokens(SECRET, settings.seed, 4, 1);
  await api(svc.base, 'POST', '/api/v2/bookings', firstBooker!.token, { eventId: refusalId });
  const refusals: HttpRequest[] = rushUsers.map((u) => ({
    kind: 'booking',
    method: 'POST',
    path: '/api/v2/bookings',
    headers: { authorization: `Bearer ${u.token}` },
    body: JSON.stringify({ eventId: refusalId }),
  }));
  const sampleAnswers = async (base: string, reqs: HttpRequest[]) => {
    const out: Record<string, number> = {};
    for (const r of reqs.slice(0, 20)) {
      const res = await fetch(base + r.path, {
        method: r.method,
        headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers },
        body: r.body,
      });
      const text = await res.text();
      let slug = '';
      try {
        const type = (JSON.parse(text) as { type?: string }).type;
        if (typeof type === 'string') slug = ` ${type.slice(type.lastIndexOf('/') + 1)}`;
      } catch {
        // not JSON
      }
      const key = `${res.status}${slug}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };
  const saturatedRuns: { name: string; description: string; target: 'baseline' | 'service'; base: string; pid: number; requests: HttpRequest[] }[] = [
    {
      name: 'bare route (before)',
      description: `GET /event on a bare Fastify, the same ${hotBody.length}-byte JSON`,
      target: 'baseline',
      base: baseUrl,
      pid: baseline.pid,
      requests: [{ kind: 'read', method: 'GET', path: '/event' }],
    },
    {
      name: 'hot read v2',
      description: 'GET /api/v2/events/:id, one published event, warm cache',
      target: 'service',
      base: svc.base,
      pid: svc.child.pid,
      requests: [{ kind: 'read', method: 'GET', path: `/api/v2/events/${hotId}` }],
    },
    {
      name: 'refused booking',
      description: `POST /api/v2/bookings on a sold-out event, ${refusals.length} authenticated bookers in rotation (409 event-full)`,
      target: 'service',
      base: svc.base,
      pid: svc.child.pid,
      requests: refusals,
    },
    {
      name: 'bare route (after)',
      description: 'as before, after the service',
      target: 'baseline',
      base: baseUrl,
      pid: baseline.pid,
      requests: [{ kind: 'read', method: 'GET', path: '/event' }],
    },
  ];
  for (const run of saturatedRuns) {
    const problems = run.requests[0]!.method === 'POST' ? await sampleAnswers(run.base, run.requests) : undefined;
    const common = { url: run.base, serverPid: run.pid, connections: settings.connections, requests: run.requests, workDir, name: run.name };
    if (settings.warmup > 0) await saturate({ ...common, seconds: settings.warmup });
    const result = await saturate({ ...common, seconds: settings.duration });
    log(
      `${run.name} (wrk): ${result.serverCpuMicrosPerRequest.toFixed(1)} µs CPU / request, ${Math.round(result.rps)} req/s, server ${Math.round(result.serverCpuPercent)} % of a core, wrk ${Math.round(result.generatorCpuPercent)} %, machine ${Math.round(result.machineBusyPercent)} % busy, non-2xx ${result.non2xx}${result.serverBound ? '' : ' — NOT server-bound'}${problems ? `, sampled answers ${JSON.stringify(problems)}` : ''}`,
    );
    saturated.push({ name: run.name, description: run.description, target: run.target, result, problems });
  }
  process.stdout.write(`\n${saturatedTable(saturated)}\n\n`);

  // ---- Open loop (vegeta): the flash sale offered at 3,750 req/s over 1,000 connections.
  const openLoopRuns: NonNullable<Results['openLoop']> = [];
  /** A flash sale's event (100 seats) and its mix: 80 % bookings by `users` in rotation, 20 % reads of the event. */
  const flashSale = async (title: string, users: typeof rushUsers, seed: number) => {
    const eventId = await createPublished({
      title,
      startDate: day('2030-07-06', 8),
      endDate: day('2030-07-06', 18),
      capacity: settings.rushCapacity,
      price: { amount: 4_500, currency: 'EUR' },
    });
    const r = prng(seed);
    const targets: HttpRequest[] = users.map((u) =>
      r() < 0.2
        ? { kind: 'read', method: 'GET', path: `/api/v2/events/${eventId}` }
        : {
            kind: 'booking',
            method: 'POST',
            path: '/api/v2/bookings',
            headers: { authorization: `Bearer ${u.token}` },
            body: JSON.stringify({ eventId }),
          },
    );
    return { eventId, targets };
  };
  const openFlash = await flashSale('Open-loop flash sale', rushUsers, settings.seed + 19);
  const openFlashId = openFlash.eventId;
  {
    const targets = openFlash.targets;
    // Warm-up, as every scenario has: the same mix for BENCH_WARMUP s on another 100-seat event by
    // the warm-up users, so the measured sale does not start with the first bookings this process
    // ever made (code not yet compiled), which no replica in production is.
    if (settings.warmup > 0) {
      const { targets: warmTargets } = await flashSale('Open-loop flash sale: warm-up', warmUsers, settings.seed + 23);
      log(`open-loop flash sale warm-up (vegeta): ${FLASH_RATE} req/s, ${settings.warmup} s, not measured`);
      await openLoop({
        vegeta,
        url: svc.base,
        serverPid: svc.child.pid,
        rate: FLASH_RATE,
        seconds: settings.warmup,
        connections: FLASH_CONNECTIONS,
        requests: warmTargets,
        workDir,
        name: 'flash-warmup',
      });
    }
    log(`open-loop flash sale (vegeta): ${FLASH_RATE} req/s over ${FLASH_CONNECTIONS} connections, ${settings.duration} s`);
    const result = await openLoop({
      vegeta,
      url: svc.base,
      serverPid: svc.child.pid,
      rate: FLASH_RATE,
      seconds: settings.duration,
      connections: FLASH_CONNECTIONS,
      requests: targets,
      workDir,
      name: 'flash',
    });
    log(
      `open-loop flash sale: ${JSON.stringify(result.statusCodes)}, booking p99 ${result.byKind.booking?.latencyMs.p99.toFixed(1)} ms, 409 p99 ${result.byStatus['409']?.latencyMs.p99.toFixed(1)} ms, read p99 ${result.byKind.read?.latencyMs.p99.toFixed(1)} ms, server ${Math.round(result.serverCpuPercent)} %, vegeta ${Math.round(result.generatorCpuPercent)} %, RSS max ${Math.round(result.serverRssMaxMb)} MB`,
    );
    openLoopRuns.push({
      name: 'flash sale at 3,750 req/s, open loop',
      description:
        `${rushUsers.length} targets in rotation: 80 % POST /api/v2/bookings by distinct users for a ${settings.rushCapacity}-seat event, 20 % GET of that event; ${FLASH_CONNECTIONS} connections` +
        (settings.warmup > 0
          ? `; after ${settings.warmup} s of the same mix on another ${settings.rushCapacity}-seat event by other users (not measured)`
          : ''),
      result,
    });
  }
  // ---- Open-loop mixed (#26 item 5): reads of many published events with a share of successful
  // bookings by distinct users, offered at the flash sale's rate (BENCH_MIXED_RATE, 3,750 req/s) over
  // its 1,000 connections.
  // The event has more seats than the window can book (every booker books once, one seat), so every
  // booking should be a 201 and the 201 latency is the write path's, not a refusal's.
  const mixedPercent = settings.mixedBookingPercent;
  const mixedName = `mixed ${100 - mixedPercent}/${mixedPercent}`;
  let openMixedId: string | undefined;
  {
    const reads = prng(settings.seed + 23);
    const readIds = Array.from({ length: 1_000 }, () => seeded.publishedIds[Math.floor(reads() * seeded.publishedIds.length)]!);
    /** The window's requests in send order (vegeta goes through them once at rate × seconds), bookers signed in namespace `ns`. */
    const mixedRun = async (title: string, seconds: number, ns: number, seedOffset: number) => {
      const r = prng(settings.seed + seedOffset);
      const total = settings.mixedRate * seconds;
      const isBooking = Array.from({ length: total }, () => r() * 100 < mixedPercent);
      const bookers = await userTokens(SECRET, settings.seed, ns, isBooking.filter(Boolean).length);
      // Sized from rate × duration × share, with a fifth more for the draw's variance: cannot sell out.
      const capacity = Math.max(bookers.length, Math.ceil((1.2 * total * mixedPercent) / 100), 1);
      const eventId = await createPublished({ title, startDate: day('2030-07-09', 8), endDate: day('2030-07-09', 18), capacity });
      let b = 0;
      let j = 0;
      const targets: HttpRequest[] = isBooking.map((booking) =>
        booking
          ? {
              kind: 'booking',
              method: 'POST',
              path: '/api/v2/bookings',
              headers: { authorization: `Bearer ${bookers[b++]!.token}` },
              body: JSON.stringify({ eventId, seats: 1 }),
            }
          : { kind: 'read', method: 'GET', path: `/api/v2/events/${readIds[j++ % readIds.length]}` },
      );
      return { eventId, capacity, bookings: bookers.length, targets };
    };
    const common = { vegeta, url: svc.base, serverPid: svc.child.pid, rate: settings.mixedRate, connections: FLASH_CONNECTIONS, workDir };
    if (settings.warmup > 0) {
      // The successful booking's path has not run yet in this process (the runs above only refuse): warm it on its own event.
      const warm = await mixedRun('Open-loop mixed: warm-up', settings.warmup, 6, 29);
      log(`open-loop ${mixedName} warm-up (vegeta): ${settings.mixedRate} req/s, ${settings.warmup} s, not measured`);
      await openLoop({ ...common, seconds: settings.warmup, requests: warm.targets, name: 'mixed-warmup' });
    }
    const run = await mixedRun('Open-loop mixed: Neretva kayak tour', settings.duration, 5, 31);
    openMixedId = run.eventId;
    log(
      `open-loop ${mixedName} (vegeta): ${settings.mixedRate} req/s over ${FLASH_CONNECTIONS} connections, ${settings.duration} s; ${run.bookings} bookings on an event of ${run.capacity} seats`,
    );
    const result = await openLoop({ ...common, seconds: settings.duration, requests: run.targets, name: 'mixed' });
    log(
      `open-loop ${mixedName}: ${JSON.stringify(result.statusCodes)}, 201 p50 ${result.byStatus['201']?.latencyMs.p50.toFixed(1)} ms / p99 ${result.byStatus['201']?.latencyMs.p99.toFixed(1)} ms, read p99 ${result.byKind.read?.latencyMs.p99.toFixed(1)} ms, server ${Math.round(result.serverCpuPercent)} %, vegeta ${Math.round(result.generatorCpuPercent)} %, RSS max ${Math.round(result.serverRssMaxMb)} MB`,
    );
    openLoopRuns.push({
      name: `${mixedName} at ${settings.mixedRate.toLocaleString('en-US')} req/s, open loop`,
      description:
        `${run.targets.length.toLocaleString('en-US')} requests sent once each in a seeded order: ${100 - mixedPercent} % GET /api/v2/events/:id over 1,000 published events, ` +
        `${mixedPercent} % POST /api/v2/bookings {eventId, seats: 1} (${run.bookings.toLocaleString('en-US')} bookings, each by another user) on an event of ${run.capacity.toLocaleString('en-US')} seats ` +
        `(rate × duration × ${mixedPercent} % plus a fifth: every booker books once, so the event cannot sell out in the window and a booking should be a 201); ${FLASH_CONNECTIONS} connections` +
        (settings.warmup > 0 ? `; after ${settings.warmup} s of the same mix on another event (not measured)` : ''),
      result,
    });
  }
  // ---- A big event at the speed of its hot row (#26 item 4): 20,000 seats, 2,000 bookers of 10 seats
  // each over three replicas (this one and two more), closed loop over 2,000 connections; against
  // pgbench running the same single-row UPDATE ... WHERE available >= n on another event's row.
  let bigEvent: Results['bigEvent'];
  if (settings.bigEvent) {
    try {
      const seatsEach = 10;
      const bookers = rushUsers.slice(0, 2_000);
      // One sale of a fresh 20,000-seat event over three fresh replicas started with `env`.
      const sell = async (label: string, env: Record<string, string>) => {
        const bigId = await createPublished({
          title: `Big event: festival (${label})`,
          startDate: day('2030-07-07', 8),
          endDate: day('2030-07-07', 18),
          capacity: bookers.length * seatsEach,
          maxSeatsPerBooking: seatsEach,
        });
        const replicas = [];
        for (let i = 0; i < 3; i++) {
          const r = await startService('real', { ...realEnv, JOBS_ENABLED: 'false', CONSUMERS_ENABLED: 'false', ...env });
          serviceLogs.push(r.child.log);
          replicas.push(r);
        }
        const bases = replicas.map((r) => r.base);
        const targets: HttpRequest[] = bookers.map((u, i) => ({
          kind: 'booking',
          base: bases[i % bases.length],
          method: 'POST',
          path: '/api/v2/bookings',
          headers: { authorization: `Bearer ${u.token}` },
          body: JSON.stringify({ eventId: bigId, seats: seatsEach }),
        }));
        log(
          `big event (${label}): ${bookers.length * seatsEach} seats, ${bookers.length} bookers of ${seatsEach} seats over ${bases.length} replicas (vegeta, closed loop, ${bookers.length} connections)`,
        );
        const result = await openLoop({
          vegeta,
          url: bases[0]!,
          serverPid: replicas[0]!.child.pid,
          replicaPids: replicas.map((r) => r.child.pid),
          rate: 0,
          seconds: settings.duration,
          connections: bookers.length,
          requests: targets,
          workDir,
          name: `big-event-${label.replace(/\W+/g, '-')}`,
        });
        const sold = (result.statusCodes['201'] ?? 0) * seatsEach;
        // The same sale with each booker sending one booking (a fresh event, the same replicas): all
        // 2,000 scheduled within 0.1 s (open loop), each sent once even when vegeta falls behind,
        // nobody sending again once booked.
        const onceId = await createPublished({
          title: `Big event, each booker once (${label})`,
          startDate: day('2030-07-07', 8),
          endDate: day('2030-07-07', 18),
          capacity: bookers.length * seatsEach,
          maxSeatsPerBooking: seatsEach,
        });
        const once = await openLoop({
          vegeta,
          url: bases[0]!,
          serverPid: replicas[0]!.child.pid,
          replicaPids: replicas.map((r) => r.child.pid),
          rate: bookers.length * 10,
          seconds: 0.1,
          connections: bookers.length,
          // A sender ready for every booker: 100 would not start the rest within the 0.1 s.
          workers: bookers.length,
          eachOnce: true,
          requests: targets.map((t) => ({ ...t, body: JSON.stringify({ eventId: onceId, seats: seatsEach }) })),
          workDir,
          name: `big-event-once-${label.replace(/\W+/g, '-')}`,
        });
        const soldOnce = (once.statusCodes['201'] ?? 0) * seatsEach;
        log(
          `big event, each booker once (${label}): ${soldOnce} seats sold in ${once.lastSuccessAfterSeconds.toFixed(2)} s, 201 p99 ${once.byStatus['201']?.latencyMs.p99.toFixed(1)} ms, ${JSON.stringify(once.statusCodes)}`,
        );
        for (const r of replicas) await r.child.stop();
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        const soldInDb = await client
          .query('SELECT capacity - available AS sold FROM events WHERE id = $1', [bigId])
          .then(({ rows }) => Number((rows[0] as { sold: number }).sold))
          .finally(() => client.end());
        log(
          `big event (${label}): ${sold} seats sold in ${result.lastSuccessAfterSeconds.toFixed(1)} s, 201 p99 ${result.byStatus['201']?.latencyMs.p99.toFixed(1)} ms`,
        );
        return {
          label,
          bigId,
          result,
          sold,
          seatsPerSecond: sold / result.lastSuccessAfterSeconds,
          soldInDb,
          once: { result: once, seatsSold: soldOnce, seatsPerSecond: soldOnce / once.lastSuccessAfterSeconds, eventId: onceId },
        };
      };
      // The design before bookings were decided together (one transaction per booking), then the current one.
      const before = settings.bigEventBefore ? await sell('one transaction per booking, BOOKING_BATCH_MAX=0', { BOOKING_BATCH_MAX: '0' }) : undefined;
      const { bigId, result, sold, soldInDb, once } = await sell('default settings', {});
      // pgbench: the same UPDATE on another event's row, as many clients as the service's three pools.
      const rowId = await createPublished({ title: 'pgbench row', startDate: day('2030-07-08', 8), endDate: day('2030-07-08', 18), capacity: 1_000_000 });
      const script = path.join(workDir, 'hot-row.sql');
      writeFileSync(script, `UPDATE events SET available = available - ${seatsEach} WHERE id = '${rowId}' AND available >= ${seatsEach};\n`);
      const pgbenchBin = readdirSync('/usr/lib/postgresql')
        .map((v) => path.join('/usr/lib/postgresql', v, 'bin', 'pgbench'))
        .find((f) => existsSync(f));
      if (!pgbenchBin) throw new Error('pgbench not found under /usr/lib/postgresql/*/bin');
      const clients = 30;
      const pgArgs = ['-n', '-c', String(clients), '-j', '2', '-T', String(settings.duration), '-f', script, databaseUrl];
      const out = execFileSync(pgbenchBin, pgArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
      bigEvent = {
        result,
        seatsSold: sold,
        seatsPerSecond: sold / result.lastSuccessAfterSeconds,
        seatsSoldInDatabase: soldInDb,
        pgbench: {
          command: `pgbench ${pgArgs
            .slice(0, -1)
            .join(' ')
            .replace(workDir + '/', '')} <database>  # ${readFileSync(script, 'utf8').trim().replace(rowId, '<id>')}`,
          tps,
          seatsPerSecond: tps * seatsEach,
        },
        capacity: bookers.length * seatsEach,
        eventId: bigId,
        once,
        before: before && {
          label: before.label,
          result: before.result,
          seatsSold: before.sold,
          seatsPerSecond: before.seatsPerSecond,
          seatsSoldInDatabase: before.soldInDb,
          once: before.once,
        },
      };
      log(
        `big event: ${sold} seats sold in ${result.lastSuccessAfterSeconds.toFixed(1)} s = ${Math.round(bigEvent.seatsPerSecond)} seats/s (${JSON.stringify(result.statusCodes)}, 201 p99 ${result.byStatus['201']?.latencyMs.p99.toFixed(1)} ms); pgbench ${Math.round(tps)} UPDATEs/s = ${Math.round(tps * seatsEach)} seats/s`,
      );
    } catch (error) {
      log(`big event failed: ${(error as Error).message}`);
    }
  }

  const ratioTargets = (): TargetResult[] => {
    const bare = saturated.filter((x) => x.target === 'baseline').map((x) => x.result.serverCpuMicrosPerRequest);
    const bareMicros = bare.reduce((a, b) => a + b, 0) / bare.length;
    const row = (n: string) => saturated.find((x) => x.name === n)!.result;
    const hot = row('hot read v2');
    const refused = row('refused booking');
    const flag = saturated.every((x) => x.result.serverBound) ? '' : ' (a row was not server-bound: see the table)';
    const fl = openLoopRuns.find((x) => x.name.startsWith('flash sale'))!.result;
    const mx = openLoopRuns.find((x) => x.name.startsWith('mixed'))!.result;
    const mx201 = mx.byStatus['201'];
    const mxBookings = mx.byKind.booking;
    return [
      {
        target: 'hot read efficiency (bare CPU/request ÷ hot read CPU/request)',
        threshold: '>= 60 %',
        measured: `${(100 * (bareMicros / hot.serverCpuMicrosPerRequest)).toFixed(0)} % (${hot.serverCpuMicrosPerRequest.toFixed(1)} µs vs ${bareMicros.toFixed(1)} µs)${flag}`,
        pass: bareMicros / hot.serverCpuMicrosPerRequest >= 0.6,
      },
      {
        target: 'refused booking cost (CPU/request ÷ bare)',
        threshold: '<= 4×',
        measured: `${(refused.serverCpuMicrosPerRequest / bareMicros).toFixed(2)}× (${refused.serverCpuMicrosPerRequest.toFixed(1)} µs vs ${bareMicros.toFixed(1)} µs)${flag}`,
        pass: refused.serverCpuMicrosPerRequest / bareMicros <= 4,
      },
      {
        target: 'open-loop flash sale refusal p99 (409)',
        threshold: '<= 50 ms',
        measured: `${fl.byStatus['409']?.latencyMs.p99.toFixed(1) ?? '?'} ms`,
        pass: (fl.byStatus['409']?.latencyMs.p99 ?? Infinity) <= 50,
      },
      {
        target: 'open-loop flash sale read p99',
        threshold: '<= 25 ms',
        measured: `${fl.byKind.read?.latencyMs.p99.toFixed(1) ?? '?'} ms`,
        pass: (fl.byKind.read?.latencyMs.p99 ?? Infinity) <= 25,
      },
      {
        target: 'open-loop flash sale 5xx and unanswered',
        threshold: '0',
        measured: `${fl.count5xx} 5xx, ${fl.errors} unanswered`,
        pass: fl.count5xx === 0 && fl.errors === 0,
      },
      { target: 'open-loop flash sale RSS', threshold: '<= 150 MB', measured: `${Math.round(fl.serverRssMaxMb)} MB`, pass: fl.serverRssMaxMb <= 150 },
      {
        target: `open-loop ${mixedName}: 201 p99`,
        threshold: '<= 500 ms',
        measured: `${mx201?.latencyMs.p99.toFixed(1) ?? '?'} ms over ${mx201?.requests ?? 0} bookings answered 201 of ${mxBookings?.requests ?? 0} sent (bookings ${codes(mxBookings?.statusCodes)}; 201 p50 ${mx201?.latencyMs.p50.toFixed(1) ?? '?'} ms; reads p99 ${mx.byKind.read?.latencyMs.p99.toFixed(1) ?? '?'} ms)`,
        pass: (mx201?.latencyMs.p99 ?? Infinity) <= 500,
      },
      {
        target: `open-loop ${mixedName}: 5xx and unanswered`,
        threshold: '0',
        measured: `${mx.count5xx} 5xx, ${mx.errors} unanswered`,
        pass: mx.count5xx === 0 && mx.errors === 0,
      },
      ...(bigEvent
        ? [
            {
              target: 'big event: seats sold per second vs pgbench on the same row',
              threshold: '>= 50 % of pgbench',
              measured: `${Math.round(bigEvent.seatsPerSecond)} seats/s vs ${Math.round(bigEvent.pgbench.seatsPerSecond)} (${((100 * bigEvent.seatsPerSecond) / bigEvent.pgbench.seatsPerSecond).toFixed(0)} %); ${bigEvent.seatsSold} of ${bigEvent.capacity} sold`,
              pass: bigEvent.seatsPerSecond >= 0.5 * bigEvent.pgbench.seatsPerSecond,
            },
            {
              target: 'big event: 201 p99',
              threshold: '<= 500 ms',
              measured: `${bigEvent.result.byStatus['201']?.latencyMs.p99.toFixed(1) ?? '?'} ms`,
              pass: (bigEvent.result.byStatus['201']?.latencyMs.p99 ?? Infinity) <= 500,
            },
            ...(bigEvent.once
              ? [
                  {
                    target: 'big event, each booker once: seats sold per second vs pgbench',
                    threshold: '>= 50 % of pgbench',
                    measured: `${Math.round(bigEvent.once.seatsPerSecond)} seats/s vs ${Math.round(bigEvent.pgbench.seatsPerSecond)} (${((100 * bigEvent.once.seatsPerSecond) / bigEvent.pgbench.seatsPerSecond).toFixed(0)} %); ${bigEvent.once.seatsSold} of ${bigEvent.capacity} sold`,
                    pass: bigEvent.once.seatsPerSecond >= 0.5 * bigEvent.pgbench.seatsPerSecond,
                  },
                  {
                    target: 'big event, each booker once: 201 p99',
                    threshold: '<= 500 ms',
                    measured: `${bigEvent.once.result.byStatus['201']?.latencyMs.p99.toFixed(1) ?? '?'} ms`,
                    pass: (bigEvent.once.result.byStatus['201']?.latencyMs.p99 ?? Infinity) <= 500,
                  },
                ]
              : []),
          ]
        : []),
    ];
  };

  if (settings.scenarios === 'ratio') {
    await baseline.stop();
    // The refused booking under --cpu-prof, loaded by wrk as above (a second service instance).
    const ratioProfiles: Results['profiles'] = {};
    if (settings.profile) {
      try {
        log('profiling: refused booking (node --cpu-prof, wrk)');
        const profDir = path.join(workDir, 'prof-refusal');
        mkdirSync(profDir, { recursive: true });
        const p = await startService('real', { ...realEnv, CONSUMERS_ENABLED: 'false' }, ['--cpu-prof', '--cpu-prof-dir', profDir]);
        serviceLogs.push(p.child.log);
        const common = { url: p.base, serverPid: p.child.pid, connections: settings.connections, requests: refusals, workDir, name: 'refusal-profiled' };
        if (settings.warmup > 0) await saturate({ ...common, seconds: settings.warmup });
        const run = await saturate({ ...common, seconds: settings.duration });
        await p.child.stop(30_000);
        const file = readdirSync(profDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => path.join(profDir, f))
          .sort((a, b) => statSync(b).size - statSync(a).size)[0];
        if (!file) throw new Error(`no .cpuprofile written in ${profDir}`);
        mkdirSync(settings.outDir, { recursive: true });
        copyFileSync(file, path.join(settings.outDir, 'latest-refusal.cpuprofile'));
        ratioProfiles['refused booking'] = {
          ...summarizeProfile(file, ROOT),
          title: 'POST /api/v2/bookings on a sold-out event (409), wrk',
          file: path.relative(ROOT, path.join(settings.outDir, 'latest-refusal.cpuprofile')),
          rps: run.rps,
          p99: run.latencyMs.p99,
        };
      } catch (error) {
        ratioProfiles['refused booking'] = { error: (error as Error).message };
        log(`profile of the refusal failed: ${(error as Error).message}`);
      }
    }
    const checks = await bookingChecks(databaseUrl, {
      'open-loop flash sale event': openFlashId,
      ...(openMixedId ? { [`open-loop ${mixedName} event`]: openMixedId } : {}),
      'refusal event': refusalId,
      ...(bigEvent ? { 'big event': bigEvent.eventId } : {}),
      ...(bigEvent?.once ? { 'big event, each booker once': bigEvent.once.eventId } : {}),
    });
    const alive = !svc.child.exited();
    const shutdownMs = alive ? await svc.child.stop() : undefined;
    const targets = [
      ...ratioTargets(),
      {
        target: 'open-loop flash sale: oversold seats',
        threshold: '0',
        measured: `${checks.oversold.filter((o) => !o.ok).length} bad events; ${checks.overCapacity} over capacity`,
        pass: checks.oversold.every((o) => o.ok) && checks.overCapacity === 0,
      },
      ...checks.oversold
        .filter((o) => o.eventId === openMixedId)
        .map((o) => ({
          target: `open-loop ${mixedName}: oversold seats`,
          threshold: '0',
          measured: `${o.activeBookings} seats in active bookings of ${o.capacity}, ${o.available} available: ${o.ok ? 'consistent' : 'OVERSOLD or inconsistent'}${o.available === 0 ? ' (sold out within the window: the capacity was too small)' : ''}`,
          pass: o.ok,
        })),
    ];
    const results: Results = {
      meta: {
        startedAt: started.toISOString(),
        totalSeconds: (performance.now() - t0) / 1000,
        node: `${process.version} (bench); service and bare route: ${settings.node.binary}`,
        ...runSetup(alive),
      },
      seed: {
        ...seeded,
        publishedIds: seeded.publishedIds.length,
        organizerIds: seeded.organizerIds.length,
        hotEventId: hotId,
        hotEventBodyBytes: hotBody.length,
        openLoopMixedEventId: openMixedId,
      },
      startup,
      scenarios: [],
      extra: [],
      checks: {
        oversold: checks.oversold,
        eventsOverCapacity: checks.overCapacity,
        total5xx: openLoopRuns.reduce((a, x) => a + x.result.count5xx, 0) + (bigEvent?.result.count5xx ?? 0) + (bigEvent?.before?.result.count5xx ?? 0),
        serviceLog: serviceLogStats(serviceLogs),
        shutdownMs,
      },
      explain: {},
      targets,
      profiles: ratioProfiles,
      saturated,
      openLoop: openLoopRuns,
      bigEvent,
    };
    writeResults(results, started);
    if (!alive) throw new Error('the service died during the load; see the results');
    return;
  }
  scenarios.push(
    await scenario(
      'baseline: bare Fastify, same JSON',
      `GET /event on a bare Fastify ${hotBody.length}-byte JSON`,
      baseUrl,
      baseline.pid,
      () => get('/event'),
      { target: 'baseline' },
    ),
  );
  await baseline.stop();

  scenarios.push(await scenario('hot read v2', `GET /api/v2/events/:id, one published event`, svc.base, svc.child.pid, () => get(`/api/v2/events/${hotId}`)));
  scenarios.push(await scenario('hot read v1', `GET /api/v1/events/:id, same event`, svc.base, svc.child.pid, () => get(`/api/v1/events/${hotId}`)));
  scenarios.push(
    await scenario(
      'list with filters',
      `GET /api/v2/events rotating ${LIST_QUERIES.length} filter sets over ${settings.events} events`,
      svc.base,
      svc.child.pid,
      () => {
        let i = 0;
        return () => ({ kind: 'read', method: 'GET', path: LIST_QUERIES[i++ % LIST_QUERIES.length]! });
      },
    ),
  );

  const booking = (eventId: string, users: { token: string }[], counter: { i: number }): RequestSpec => ({
    kind: 'booking',
    method: 'POST',
    path: '/api/v2/bookings',
    headers: { authorization: `Bearer ${users[counter.i++ % users.length]!.token}` },
    body: JSON.stringify({ eventId }),
  });
  // JIT warm-up of the booking path on its own event and users, so the rush starts hot.
  const warmCounter = { i: 0 };
  extra.push(
    await scenario(
      'booking warm-up (not a target)',
      `POST /api/v2/bookings, ${warmUsers.length} users, unlimited event`,
      svc.base,
      svc.child.pid,
      () => () => booking(warmId, warmUsers, warmCounter),
      { amount: warmUsers.length, warmup: false },
    ),
  );
  const rushCounter = { i: 0 };
  scenarios.push(
    await scenario(
      'booking rush',
      `POST /api/v2/bookings, ${settings.users} distinct users (one token per request) for ${settings.rushCapacity} seats`,
      svc.base,
      svc.child.pid,
      () => () => booking(rushId, rushUsers, rushCounter),
      {
        amount: settings.users,
        warmup: false,
      },
    ),
  );
  // A popular event opens: 1,000 connections of bookers (every user once, then again: refused as
  // a conflict or as full) while a fifth of the requests keep reading the event.
  const flashId = await createPublished({
    title: 'Flash sale: Chuya rafting',
    startDate: day('2030-07-02', 8),
    endDate: day('2030-07-02', 18),
    capacity: settings.rushCapacity,
    price: { amount: 4_500, currency: 'EUR' },
  });
  const flashCounter = { i: 0 };
  scenarios.push(
    await scenario(
      'flash sale',
      `POST /api/v2/bookings by ${settings.users} rotating users for ${settings.rushCapacity} seats, 20 % GET of the same event, ${FLASH_CONNECTIONS} connections`,
      svc.base,
      svc.child.pid,
      () => {
        const r = prng(settings.seed + 13);
        return () => (r() < 0.2 ? get(`/api/v2/events/${flashId}`)() : booking(flashId, rushUsers, flashCounter));
      },
      { connections: FLASH_CONNECTIONS, warmup: false },
    ),
  );
  // The same event (full by now) at a fixed offered rate: with 1,000 connections always waiting,
  // latency is 1,000 / throughput (Little's law) whatever the service does, so the latency targets
  // are measured at the rate the throughput target names, not at saturation.
  const paced = { i: 0 };
  scenarios.push(
    await scenario(
      'flash sale at 3,750 req/s',
      `as "flash sale", offered at ${FLASH_RATE} req/s (3,000 bookings + 750 reads) over ${FLASH_CONNECTIONS} connections`,
      svc.base,
      svc.child.pid,
      () => {
        const r = prng(settings.seed + 17);
        return () => (r() < 0.2 ? get(`/api/v2/events/${flashId}`)() : booking(flashId, rushUsers, paced));
      },
      { connections: FLASH_CONNECTIONS, warmup: false, rate: FLASH_RATE },
    ),
  );
  const rand = prng(settings.seed + 7);
  const readIds = Array.from({ length: 1_000 }, () => seeded.publishedIds[Math.floor(rand() * seeded.publishedIds.length)]!);
  const mixedCounter = { i: 0 };
  scenarios.push(
    await scenario(
      'mixed 90 % read / 10 % book',
      `GET /api/v2/events/:id over 1,000 published events, ${settings.mixedBookingPercent} % POST /api/v2/bookings (event of ${settings.mixedCapacity} seats, rotating users)`,
      svc.base,
      svc.child.pid,
      () => {
        const r = prng(settings.seed + 11);
        let j = 0;
        return () =>
          r() * 100 < settings.mixedBookingPercent ? booking(mixedId, rushUsers, mixedCounter) : get(`/api/v2/events/${readIds[j++ % readIds.length]}`)();
      },
    ),
  );

  // The cost of synchronous replication (issue #23): the same accepted bookings (every request a
  // commit) with synchronous_commit = on, first on the primary alone, then waiting for a
  // synchronous standby (pg_basebackup of the bench's server). Only with a server the bench started.
  if (postgres) {
    const server = postgres;
    const admin = async (...statements: string[]) => {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        for (const statement of statements) await client.query(statement);
      } finally {
        await client.end();
      }
    };
    const commits = async (name: string, detail: string) => {
      const id = await createPublished({ title: name, startDate: day('2030-07-05', 8), endDate: day('2030-07-05', 18), capacity: 1_000_000 });
      const counter = { i: 0 };
      return scenario(name, detail, svc.base, svc.child.pid, () => () => booking(id, warmUsers, counter), { amount: warmUsers.length, warmup: false });
    };
    log('synchronous replication: commits on the primary alone, then with a synchronous standby');
    await admin(`ALTER SYSTEM SET synchronous_commit = 'on'`, 'SELECT pg_reload_conf()');
    scenarios.push(
      await commits('bookings, synchronous_commit on, no standby', `POST /api/v2/bookings, ${warmUsers.length} users, every one accepted (a commit each)`),
    );
    const standby = await startStandby(server, { name: 'bench_standby' });
    onCleanup('standby', () => standby.destroy());
    await admin(`ALTER SYSTEM SET synchronous_standby_names = 'bench_standby'`, 'SELECT pg_reload_conf()');
    for (let waited = 0; ; waited += 100) {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication');
      await client.end();
      if (rows[0]?.sync_state === 'sync') break;
      if (waited > 20_000) throw new Error('the bench standby did not become synchronous');
      await sleep(100);
    }
    scenarios.push(
      await commits(
        'bookings, synchronous standby',
        `as above, each commit waiting for the synchronous standby (synchronous_standby_names, synchronous_commit on)`,
      ),
    );
    await admin('ALTER SYSTEM RESET synchronous_standby_names', 'ALTER SYSTEM RESET synchronous_commit', 'SELECT pg_reload_conf()');
    await standby.destroy();
  }

  const baseRps = scenarios[0]!.load.rps;
  for (const s of scenarios) if (s.target === 'service') s.ratioToBaseline = s.load.rps / baseRps;
  for (const s of [...scenarios, ...extra]) s.cpuMicrosPerRequest = cpuMicrosPerRequest(s);

  // Correctness after the load.
  log('checking bookings in the database');
  const checks = await bookingChecks(databaseUrl, {
    'rush event': rushId,
    'flash sale event': flashId,
    'mixed event': mixedId,
    'warm-up event': warmId,
    'open-loop flash sale event': openFlashId,
    ...(openMixedId ? { [`open-loop ${mixedName} event`]: openMixedId } : {}),
  });
  const alive = !svc.child.exited();
  const shutdownMs = alive ? await svc.child.stop() : undefined;
  const explained = await explain(databaseUrl).catch((error) => ({ error: { executionMs: Number.NaN, plan: String(error) } }));

  // CPU profiles: the hot read (asked for), and the booking rush (the path furthest from its target).
  const profiles: Results['profiles'] = {};
  const profileUsers = settings.profile ? await userTokens(SECRET, settings.seed, 3, settings.users) : [];
  const profileRuns: { key: string; title: string; file: string; run: (base: string, pid: number) => Promise<ScenarioResult> }[] = [
    {
      key: 'hot read',
      title: 'GET /api/v2/events/:id',
      file: 'latest-hot-read.cpuprofile',
      run: (base, pid) => scenario('hot read v2 (profiled)', 'GET /api/v2/events/:id under --cpu-prof', base, pid, () => get(`/api/v2/events/${hotId}`)),
    },
    {
      key: 'booking rush',
      title: `POST /api/v2/bookings, ${settings.users} users for ${settings.rushCapacity} seats, no warm-up`,
      file: 'latest-booking-rush.cpuprofile',
      run: async (base, pid) => {
        const organizerToken = await signToken(SECRET, { sub: ORGANIZER_ID, roles: ['ORGANIZER'] });
        const created = await api(base, 'POST', '/api/v2/events', organizerToken, {
          title: 'Profiled rush',
          startDate: day('2030-07-04', 8),
          endDate: day('2030-07-04', 18),
          capacity: settings.rushCapacity,
          price: { amount: 4_500, currency: 'EUR' },
        });
        await api(base, 'POST', `/api/v2/events/${created.id}/publish`, organizerToken);
        const counter = { i: 0 };
        return scenario(
          'booking rush (profiled)',
          'POST /api/v2/bookings under --cpu-prof',
          base,
          pid,
          () => () => booking(created.id, profileUsers, counter),
          { amount: settings.users, warmup: false },
        );
      },
    },
  ];
  for (const pr of settings.profile ? profileRuns : []) {
    try {
      log(`profiling: ${pr.key} (node --cpu-prof)`);
      const profDir = path.join(workDir, `prof-${pr.key.replace(/\W+/g, '-')}`);
      mkdirSync(profDir, { recursive: true });
      // Without the Kafka consumer: it adds heartbeats to the profile, and a consumer still joining its
      // group delays the graceful exit (the profile is only written when the process exits).
      const p = await startService('real', { ...realEnv, CONSUMERS_ENABLED: 'false' }, ['--cpu-prof', '--cpu-prof-dir', profDir]);
      serviceLogs.push(p.child.log);
      const run = await pr.run(p.base, p.child.pid);
      extra.push(run);
      // The service forces its own exit after SHUTDOWN_GRACE_MS + 5 s; a SIGKILL before that loses the profile.
      await p.child.stop(30_000);
      // One profile per thread (loader hooks run in their own thread); the main thread's is the largest.
      const files = readdirSync(profDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(profDir, f));
      if (files.length === 0) throw new Error(`no .cpuprofile written in ${profDir}`);
      const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
      const summary = summarizeProfile(file, ROOT);
      mkdirSync(settings.outDir, { recursive: true });
      copyFileSync(file, path.join(settings.outDir, pr.file));
      profiles[pr.key] = {
        ...summary,
        title: pr.title,
        file: path.relative(ROOT, path.join(settings.outDir, pr.file)),
        rps: run.load.rps,
        p99: run.load.latencyMs.p99,
      };
    } catch (error) {
      profiles[pr.key] = { error: (error as Error).message };
      log(`profile of ${pr.key} failed: ${(error as Error).message}`);
    }
  }

  // Targets.
  const byName = (n: string) => scenarios.find((s) => s.name === n)!;
  const v2 = byName('hot read v2');
  const v1 = byName('hot read v1');
  const rush = byName('booking rush');
  const flash = byName('flash sale');
  const pacedFlash = byName('flash sale at 3,750 req/s');
  const flashBookings = flash.load.byKind.booking;
  const flashReads = pacedFlash.load.byKind.read;
  const flashBookingRps = (flashBookings?.requests ?? 0) / flash.load.seconds;
  const serviceScenarios = scenarios.filter((s) => s.target === 'service');
  const rssMax = Math.max(...serviceScenarios.map((s) => s.memory?.rssMaxMb ?? 0));
  const total5xx = serviceScenarios.reduce((a, s) => a + s.load.count5xx, 0) + extra.reduce((a, s) => a + s.load.count5xx, 0);
  const realStarts = startup.filter((s) => s.mode === 'real');
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  const conn = `${settings.connections} connections`;
  const targets: TargetResult[] = [
    {
      target: 'hot read v2 throughput',
      threshold: '>= 75 % of baseline req/s',
      measured: `${Math.round(v2.load.rps)} req/s = ${pct(v2.ratioToBaseline!)} of ${Math.round(baseRps)}`,
      pass: v2.ratioToBaseline! >= 0.75,
    },
    {
      target: 'hot read v1 throughput',
      threshold: '>= 75 % of baseline req/s',
      measured: `${Math.round(v1.load.rps)} req/s = ${pct(v1.ratioToBaseline!)}`,
      pass: v1.ratioToBaseline! >= 0.75,
    },
    {
      target: 'hot read v2 p99',
      threshold: `<= 15 ms at 100 connections`,
      measured: `${v2.load.latencyMs.p99.toFixed(1)} ms at ${conn}`,
      pass: v2.load.latencyMs.p99 <= 15 && settings.connections >= 100,
    },
    {
      target: 'hot read v1 p99',
      threshold: `<= 15 ms at 100 connections`,
      measured: `${v1.load.latencyMs.p99.toFixed(1)} ms at ${conn}`,
      pass: v1.load.latencyMs.p99 <= 15 && settings.connections >= 100,
    },
    {
      target: 'booking rush throughput',
      threshold: '>= 1,000 booking requests/s',
      measured: `${Math.round(rush.load.rps)} req/s (${rush.load.statusCodes['201'] ?? 0} booked, ${rush.load.non2xx} refused)`,
      pass: rush.load.rps >= 1_000,
    },
    {
      target: 'booking rush: oversold seats',
      threshold: '0',
      measured: `${checks.oversold.filter((o) => !o.ok).length} bad events; ${checks.overCapacity} over capacity in the database`,
      pass: checks.oversold.every((o) => o.ok) && checks.overCapacity === 0,
    },
    {
      target: 'booking rush: 5xx',
      threshold: '0',
      measured: `${rush.load.count5xx} (all scenarios: ${total5xx}), ${rush.load.errors} connection errors, ${rush.load.timeouts} timeouts`,
      pass: rush.load.count5xx === 0 && rush.load.errors === 0 && rush.load.timeouts === 0,
    },
    {
      target: 'flash sale throughput',
      threshold: `>= 3,000 booking requests/s at ${FLASH_CONNECTIONS} connections`,
      measured: `${Math.round(flashBookingRps)} booking req/s (${flash.load.statusCodes['201'] ?? 0} booked)`,
      pass: flashBookingRps >= 3_000,
    },
    {
      target: 'flash sale refusal p99 at 3,000 bookings/s',
      threshold: '<= 100 ms',
      measured: `${pacedFlash.load.latencyByStatus['409']?.p99.toFixed(1) ?? '?'} ms (at saturation: ${flash.load.latencyByStatus['409']?.p99.toFixed(1) ?? '?'} ms; ${Math.round(pacedFlash.load.rps)} req/s answered)`,
      pass: (pacedFlash.load.latencyByStatus['409']?.p99 ?? Infinity) <= 100,
    },
    {
      target: 'flash sale reads p99 at 3,000 bookings/s',
      threshold: '<= 50 ms',
      measured: `${flashReads?.latencyMs.p99.toFixed(1) ?? '?'} ms over ${flashReads?.requests ?? 0} reads (${JSON.stringify(flashReads?.statusCodes ?? {})})`,
      pass: (flashReads?.latencyMs.p99 ?? Infinity) <= 50,
    },
    {
      target: 'flash sale: 5xx and oversold',
      threshold: '0',
      measured: `${flash.load.count5xx + pacedFlash.load.count5xx} 5xx, ${flash.load.errors + pacedFlash.load.errors} connection errors; ${checks.oversold.filter((o) => !o.ok).length} bad events`,
      pass: flash.load.count5xx + pacedFlash.load.count5xx === 0 && flash.load.errors + pacedFlash.load.errors === 0 && checks.oversold.every((o) => o.ok),
    },
    { target: 'RSS under load', threshold: '<= 150 MB', measured: `${Math.round(rssMax)} MB max over the service scenarios`, pass: rssMax <= 150 },
    ...realStarts.map((s) => ({
      target: `readiness after start, real mode, ${s.case}`,
      threshold: '<= 1,000 ms',
      measured: `${Math.round(s.readyMs)} ms`,
      pass: s.readyMs <= 1_000,
    })),
  ];

  const totalSeconds = (performance.now() - t0) / 1000;
  const results: Results = {
    meta: {
      startedAt: started.toISOString(),
      totalSeconds,
      node: process.version,
      ...runSetup(alive),
    },
    seed: {
      ...seeded,
      publishedIds: seeded.publishedIds.length,
      organizerIds: seeded.organizerIds.length,
      hotEventId: hotId,
      rushEventId: rushId,
      mixedEventId: mixedId,
      hotEventBodyBytes: hotBody.length,
    },
    startup,
    scenarios,
    extra,
    checks: { oversold: checks.oversold, eventsOverCapacity: checks.overCapacity, total5xx, serviceLog: serviceLogStats(serviceLogs), shutdownMs },
    explain: explained,
    targets: [...ratioTargets(), ...targets],
    profiles,
    saturated,
    openLoop: openLoopRuns,
    bigEvent,
  };

  writeResults(results, started);
  if (!alive) throw new Error('the service died during the load; see the results');
}

main()
  .catch((error) => {
    log(`failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    log('stopping everything');
    await cleanup();
    // Let testing/services' exit hooks run; nothing the bench started survives it.
    await sleep(50);
    process.exit(process.exitCode ?? 0);
  });
