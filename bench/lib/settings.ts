/** Bench settings, all from the environment so runs are reproducible and comparable. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');
export const BUNDLE_DIR = path.join(ROOT, 'build', 'bundle');
export const SERVER_ENTRY = path.join(BUNDLE_DIR, 'server.mjs');
export const SOURCE_ENTRY = path.join(ROOT, 'packages', 'app', 'src', 'main.ts');

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw}: expected an integer >= ${min}`);
  return value;
}

function flag(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  return ['1', 'true', 'yes', 'on'].includes(raw);
}

export interface Settings {
  /** Seconds per measured scenario. */
  duration: number;
  /** Seconds of unmeasured warm-up before each measured scenario. */
  warmup: number;
  connections: number;
  pipelining: number;
  seed: number;
  events: number;
  users: number;
  rushCapacity: number;
  mixedCapacity: number;
  /** Share of bookings in the mixed scenarios (autocannon and open loop), percent. */
  mixedBookingPercent: number;
  /**
   * Offered rate of the open-loop mixed scenario (vegeta), requests/s over all kinds: the flash
   * sale's 3,750 by default (see bench/README.md, the rate of the mixed scenario).
   */
  mixedRate: number;
  profile: boolean;
  /** 'stale' (default): build when build/bundle is missing or older than a source file; 'missing'; 'always'; 'never'. */
  bundle: 'stale' | 'missing' | 'always' | 'never';
  /**
   * RATE_LIMIT_MAX given to the service. All load comes from one IP, and anonymous reads are
   * limited per IP (600/min by default), so the bench raises the threshold; the limiter still runs.
   */
  rateLimitMax: number;
  /**
   * How the service runs: 'bundle' (node build/bundle/server.mjs), 'source' (node --import tsx
   * packages/app/src/main.ts), or 'auto' (default): the bundle, and the sources when the bundle
   * cannot start (a missing package); the results then say so.
   */
  service: 'auto' | 'bundle' | 'source';
  /** DB_POOL_MAX passed to the service; undefined keeps the service default. */
  dbPoolMax: number | undefined;
  jobsEnabled: boolean;
  /**
   * NODE_OPTIONS of the service: the production image's (Dockerfile), so the service runs as it is
   * deployed; BENCH_NODE_OPTIONS replaces them ("none": no options, V8's own heap sizing).
   */
  nodeOptions: string | undefined;
  nodeOptionsSource: 'image' | 'BENCH_NODE_OPTIONS' | 'none';
  /**
   * Experiment knob: BENCH_NODE_ARGS, arguments before the service's entry on its command line
   * (space-separated), for V8 flags Node refuses in NODE_OPTIONS (--memory-saver-mode,
   * --optimize-for-size). The service only: the bare route keeps its defaults.
   */
  nodeArgs: string[];
  /** glibc's MALLOC_ARENA_MAX of the service: the production image's; BENCH_MALLOC_ARENA_MAX replaces it ("none": glibc's default). */
  mallocArenaMax: string | undefined;
  /**
   * The Node binary of the service and of the baseline (both on the same one, so the ratios compare
   * like with like): 'image' (default), the major release of the production image's Dockerfile,
   * fetched by scripts/node24.sh; 'current', the Node running the bench; or a path.
   */
  node: { binary: string; source: 'image' | 'current' | 'BENCH_NODE' };
  /** Experiment knob: BENCH_REDIS=0 runs the service without REDIS_URL (in-process cache and rate-limit counts). */
  redis: boolean;
  /**
   * 'all' (default): every scenario; 'ratio': start-up in real mode, the CPU-per-request ratio
   * (wrk) and the open-loop runs (vegeta) only, no autocannon scenarios and no profiles (about 2 min).
   */
  scenarios: 'all' | 'ratio';
  /** BENCH_BIG_EVENT=0 skips the big event (two more replicas, 2,000 connections, pgbench). */
  bigEvent: boolean;
  /** BENCH_BIG_EVENT_BEFORE=0 skips the big event's "before" sale (BOOKING_BATCH_MAX=0). */
  bigEventBefore: boolean;
  outDir: string;
  external: { databaseUrl?: string; redisUrl?: string; kafkaBrokers?: string };
}

/** The NODE_OPTIONS default of the production image, read from the Dockerfile. */
export function imageNodeOptions(): string | undefined {
  return /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
}

function nodeOptions(): Pick<Settings, 'nodeOptions' | 'nodeOptionsSource'> {
  const raw = process.env.BENCH_NODE_OPTIONS?.trim();
  if (raw === 'none') return { nodeOptions: undefined, nodeOptionsSource: 'none' };
  if (raw) return { nodeOptions: raw, nodeOptionsSource: 'BENCH_NODE_OPTIONS' };
  const image = imageNodeOptions();
  return image ? { nodeOptions: image, nodeOptionsSource: 'image' } : { nodeOptions: undefined, nodeOptionsSource: 'none' };
}

/** An ENV value the production image sets (Dockerfile), e.g. MALLOC_ARENA_MAX. */
export function imageEnv(name: string): string | undefined {
  return new RegExp(`^\\s*(?:ENV\\s+)?${name}=("?)([^"\\s\\\\]*)\\1`, 'm').exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[2];
}

function mallocArenaMax(): string | undefined {
  const raw = process.env.BENCH_MALLOC_ARENA_MAX?.trim();
  if (raw === 'none') return undefined;
  return raw || imageEnv('MALLOC_ARENA_MAX');
}

/** The production image's Node major release (ARG NODE_VERSION in the Dockerfile). */
function imageNodeMajor(): string | undefined {
  return /ARG NODE_VERSION=(\d+)/.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
}

function nodeBinary(): Settings['node'] {
  const raw = process.env.BENCH_NODE?.trim() || 'image';
  if (raw === 'current') return { binary: process.execPath, source: 'current' };
  if (raw !== 'image') return { binary: raw, source: 'BENCH_NODE' };
  const major = imageNodeMajor();
  if (major === process.versions.node.split('.')[0]) return { binary: process.execPath, source: 'image' };
  if (major !== '24')
    throw new Error(`the Dockerfile's Node ${major ?? '?'} has no fetch script (scripts/node24.sh fetches 24): set BENCH_NODE=current or a path`);
  const binary = execFileSync('bash', [path.join(ROOT, 'scripts', 'node24.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { binary, source: 'image' };
}

export function loadSettings(): Settings {
  const bundle = (process.env.BENCH_BUNDLE ?? 'stale').trim();
  if (!['stale', 'missing', 'always', 'never'].includes(bundle)) throw new Error(`BENCH_BUNDLE=${bundle}: expected stale, missing, always or never`);
  const pool = process.env.BENCH_DB_POOL_MAX;
  return {
    duration: int('BENCH_DURATION', 10, 1),
    warmup: int('BENCH_WARMUP', 2, 0),
    connections: int('BENCH_CONNECTIONS', 100, 1),
    pipelining: int('BENCH_PIPELINING', 1, 1),
    seed: int('BENCH_SEED', 42),
    events: int('BENCH_EVENTS', 10_000, 100),
    users: int('BENCH_USERS', 5_000, 10),
    rushCapacity: int('BENCH_RUSH_CAPACITY', 100, 1),
    mixedCapacity: int('BENCH_MIXED_CAPACITY', 1_000, 1),
    mixedBookingPercent: int('BENCH_MIXED_BOOKING_PERCENT', 10, 0),
    mixedRate: int('BENCH_MIXED_RATE', 3_750, 1),
    profile: flag('BENCH_PROFILE', true),
    bundle: bundle as Settings['bundle'],
    service: (['auto', 'bundle', 'source'].includes(process.env.BENCH_SERVICE ?? '') ? process.env.BENCH_SERVICE : 'auto') as Settings['service'],
    rateLimitMax: int('BENCH_RATE_LIMIT_MAX', 1_000_000_000, 1),
    dbPoolMax: pool && pool.trim() !== '' ? int('BENCH_DB_POOL_MAX', 10, 1) : undefined,
    jobsEnabled: flag('BENCH_JOBS_ENABLED', true),
    redis: flag('BENCH_REDIS', true),
    scenarios: process.env.BENCH_SCENARIOS?.trim() === 'ratio' ? 'ratio' : 'all',
    bigEvent: flag('BENCH_BIG_EVENT', true),
    bigEventBefore: flag('BENCH_BIG_EVENT_BEFORE', true),
    ...nodeOptions(),
    mallocArenaMax: mallocArenaMax(),
    nodeArgs: process.env.BENCH_NODE_ARGS?.trim().split(/\s+/).filter(Boolean) ?? [],
    node: nodeBinary(),
    outDir: path.resolve(ROOT, process.env.BENCH_OUT ?? 'bench/results'),
    external: {
      databaseUrl: process.env.DATABASE_URL?.trim() || undefined,
      redisUrl: process.env.REDIS_URL?.trim() || undefined,
      kafkaBrokers: process.env.KAFKA_BROKERS?.trim() || undefined,
    },
  };
}
