import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './services/free-port';
import { onProcessExit } from './services/process';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The real service (packages/app/src/main.ts) in its own Node process, for tests that kill it
 * (SIGKILL: no shutdown hook runs) and start it again on the same ports and database.
 */
export interface ServiceProcess {
  readonly url: string;
  start(): Promise<void>;
  /** Sends the signal and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The process output so far, to show when a test fails. */
  output(): string;
  /** True while the process runs (a crash makes it false). */
  alive(): boolean;
}

export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const grpcPort = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const url = `http://127.0.0.1:${port}`;

  async function start() {
    if (child) throw new Error('the service is already running');
    const spawned = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'packages/app/src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port), GRPC_PORT: String(grpcPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    spawned.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    spawned.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    spawned.once('exit', () => {
      if (child === spawned) child = undefined;
    });
    const until = Date.now() + 60_000;
    for (;;) {
      if (child !== spawned) throw new Error(`the service exited during start-up:\n${output}`);
      const ready = await fetch(`${url}/actuator/health/readiness`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      if (Date.now() > until) throw new Error(`the service was not ready within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function kill(signal: NodeJS.Signals = 'SIGKILL') {
    const running = child;
    if (!running) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await gone;
  }

  // A test that fails before kill() must not leave the service running.
  onProcessExit(() => child?.kill('SIGKILL'));
  await start();
  return { url, start, kill, output: () => output, alive: () => child !== undefined };
}
