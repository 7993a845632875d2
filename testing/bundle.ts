/** The production bundle (build/bundle, what the image ships), built when stale and run as replicas. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './services/free-port';
import { hasExited, onProcessExit, stopProcess } from './services/process';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_DIR = path.join(ROOT, 'build', 'bundle');
export const SERVER_ENTRY = path.join(BUNDLE_DIR, 'server.mjs');

/** Newest non-test source file that is younger than the bundle, if any. */
export function bundleStaleness(): string | undefined {
  const build = path.join(BUNDLE_DIR, 'BUILD');
  if (!existsSync(build)) return undefined;
  const built = statSync(build).mtimeMs;
  let newest: { file: string; mtime: number } | undefined;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const mtime = statSync(full).mtimeMs;
        if (mtime > built && (!newest || mtime > newest.mtime)) newest = { file: path.relative(ROOT, full), mtime };
      }
    }
  };
  for (const dir of ['packages/domain/src', 'packages/adapters/src', 'packages/app/src', 'db'])
    if (existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  return newest ? `${newest.file} changed after the bundle was built` : undefined;
}

/** Builds build/bundle (pnpm bundle) when it is missing or older than a source file. */
export function ensureBundle(log: (line: string) => void = () => undefined): void {
  const missing = !existsSync(SERVER_ENTRY);
  const stale = missing ? undefined : bundleStaleness();
  if (!missing && !stale) return;
  log(`building the production bundle (pnpm bundle)${stale ? `: ${stale}` : ''}`);
  execFileSync('pnpm', ['bundle'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The image's NODE_OPTIONS (heap caps), read from the Dockerfile so replicas run as deployed. */
export function imageNodeOptions(): string {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  return /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1] ?? '';
}

export interface Replica {
  name: string;
  url: string;
  process: ChildProcess;
  output(): string;
  alive(): boolean;
  /** SIGTERM (or the given signal) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts node build/bundle/server.mjs (or the server.mjs of `bundleDir`, e.g. an earlier release's
 * bundle) with `env` on free ports and waits for readiness UP.
 */
export async function startReplica(
  name: string,
  env: Record<string, string>,
  options: { readyWithinMs?: number; nodeArgs?: string[]; bundleDir?: string } = {},
): Promise<Replica> {
  const readyWithinMs = options.readyWithinMs ?? 60_000;
  const bundleDir = options.bundleDir ?? BUNDLE_DIR;
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(bundleDir, 'server.mjs')], {
    cwd: bundleDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      NODE_OPTIONS: imageNodeOptions(),
      ...env,
      PORT: String(port),
      GRPC_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const alive = () => !hasExited(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (!alive()) throw new Error(`${name} exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    const ready = await fetch(`${url}/actuator/health/readiness`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready within ${readyWithinMs} ms:\n${output}`);
    }
    await sleep(50);
  }
  onProcessExit(() => alive() && child.kill('SIGKILL'));
  return {
    name,
    url,
    process: child,
    output: () => output,
    alive,
    async stop(signal = 'SIGTERM') {
      await stopProcess(child, signal, 20_000);
    },
  };
}
