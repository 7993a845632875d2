/**
 * Throwaway Redis server for integration and fault tests.
 *
 * Spawns Debian's `redis-server` (or REDIS_SERVER_BIN when set) as a child process
 * on 127.0.0.1, without persistence, and waits until it answers PING. stop() sends
 * SIGTERM and waits for the process to exit, so the port refuses connections
 * afterwards; start() spawns it again on the same port (with empty data).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, retryWhilePortTaken } from './free-port';
import { hasExited, onProcessExit, stopProcess, tailFile, type RestartableServer } from './process';

/** stop() is SIGTERM without a save; start() begins with an empty data set. */
export interface RedisServer extends RestartableServer {
  /** redis://127.0.0.1:<port> */
  url: string;
}

const ENSURE_HINT = 'run `bash scripts/ensure-system-packages.sh` as root to install it';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function findRedisServer(): string {
  const override = process.env.REDIS_SERVER_BIN;
  if (override) {
    if (!existsSync(override)) throw new Error(`REDIS_SERVER_BIN=${override} does not exist; unset it to use Debian's redis-server, or ${ENSURE_HINT}.`);
    return override;
  }
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin', '/usr/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'redis-server');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`redis-server not found on PATH or in /usr/bin (Debian package "redis-server"); ${ENSURE_HINT}.`);
}

/** Sends PING in raw RESP and resolves with the first reply line (e.g. "+PONG"). */
function ping(port: number, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed before a reply'));
    });
  });
}

// A server a test forgot to destroy() is killed when this process exits (onProcessExit).
class StartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

export async function startRedis(opts: { port?: number } = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  const workDir = mkdtempSync(path.join(tmpdir(), 'redis-test-'));
  const logFile = path.join(workDir, 'redis.log');
  let port = opts.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let destroyed = false;

  const cleanupAtExit = (): void => {
    if (child && !hasExited(child)) child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  };
  const forgetCleanup = onProcessExit(cleanupAtExit);

  const spawnServer = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      workDir,
      '--logfile',
      logFile,
    ];
    const proc = spawn(binary, args, { cwd: workDir, stdio: 'ignore' });
    proc.unref();
    child = proc;
    const spawned: { error: NodeJS.ErrnoException | null } = { error: null };
    proc.once('error', (err: NodeJS.ErrnoException) => (spawned.error = err));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (spawned.error) {
        child = null;
        const err = spawned.error;
        throw new Error(err.code === 'ENOENT' ? `Cannot run ${binary} (${err.message}); ${ENSURE_HINT}.` : `Cannot run ${binary}: ${err.message}`);
      }
      if (hasExited(proc)) {
        child = null;
        const log = tailFile(logFile);
        throw new StartError(
          `redis-server exited (${proc.signalCode ?? `exit code ${proc.exitCode}`}) before answering PING on port ${port}` + (log ? `\nlog:\n${log}` : ''),
          /Address already in use/i.test(log),
        );
      }
      try {
        const reply = await ping(port, 1000);
        if (reply === '+PONG') return;
        // e.g. "-LOADING": not ready yet.
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stopProcess(proc, 'SIGKILL', STOP_TIMEOUT_MS);
        child = null;
        const log = tailFile(logFile);
        throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms${log ? `\nlog:\n${log}` : ''}`);
      }
      await delay(20);
    }
  };

  try {
    await retryWhilePortTaken({ fixedPort: opts.port !== undefined, portTaken: (err) => err instanceof StartError && err.portTaken }, async (attempt) => {
      if (attempt > 1) port = await freePort();
      await spawnServer();
    });
  } catch (err) {
    cleanupAtExit();
    forgetCleanup();
    throw err;
  }

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,

    async stop(): Promise<void> {
      const proc = child;
      if (!proc) return;
      child = null;
      await stopProcess(proc, 'SIGTERM', STOP_TIMEOUT_MS);
    },

    async start(): Promise<void> {
      if (destroyed) throw new Error('start: this Redis server was destroyed');
      if (child && !hasExited(child)) return;
      await spawnServer();
    },

    async destroy(): Promise<void> {
      if (destroyed) return;
      await server.stop();
      destroyed = true;
      forgetCleanup();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
  return server;
}
