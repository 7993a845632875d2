/**
 * Throwaway Redis server for integration and fault tests.
 *
 * Spawns Debian's `redis-server` (or REDIS_SERVER_BIN when set) as a child process
 * on 127.0.0.1, without persistence, and waits until it answers PING. stop() sends
 * SIGTERM and waits for the process to exit, so the port refuses connections
 * afterwards; start() spawns it again on the same port (with empty data).
 *
 * The replicated topologies of production, from the same packages:
 *   startRedisSentinelGroup()  a master, a replica and three sentinels (Debian's redis-sentinel)
 *   startRedisCluster()        three masters with --cluster-enabled, joined by `redis-cli --cluster create`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, retryWhilePortTaken } from './free-port';
import { hasExited, onProcessExit, runCommand, stopProcess, tailFile, type RestartableServer } from './process';

/** stop() is SIGTERM without a save; start() begins with an empty data set. */
export interface RedisServer extends RestartableServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  /** SIGKILL, as a crashed machine: no goodbye to clients or replicas. Resolves once it is gone. */
  kill(): Promise<void>;
}

export interface StartRedisOptions {
  port?: number;
  /** More command-line settings, e.g. ['--replicaof', '127.0.0.1', '6379'] or ['--cluster-enabled', 'yes']. */
  args?: string[];
  /** Runs a sentinel (Debian's redis-sentinel) with these lines of sentinel.conf instead of a server. */
  sentinel?: string[];
}

const ENSURE_HINT = 'run `bash scripts/ensure-system-packages.sh` as root to install it';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function findBinary(name: 'redis-server' | 'redis-sentinel' | 'redis-cli'): string {
  const override = name === 'redis-server' ? process.env.REDIS_SERVER_BIN : undefined;
  if (override) {
    if (!existsSync(override)) throw new Error(`REDIS_SERVER_BIN=${override} does not exist; unset it to use Debian's redis-server, or ${ENSURE_HINT}.`);
    return override;
  }
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin', '/usr/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  const pkg = name === 'redis-cli' ? 'redis-tools' : name;
  throw new Error(`${name} not found on PATH or in /usr/bin (Debian package "${pkg}"); ${ENSURE_HINT}.`);
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

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = findBinary(opts.sentinel ? 'redis-sentinel' : 'redis-server');
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
    // A sentinel rewrites its configuration file (what it learns of replicas and other sentinels).
    const sentinelConf = path.join(workDir, 'sentinel.conf');
    if (opts.sentinel && !existsSync(sentinelConf)) writeFileSync(sentinelConf, opts.sentinel.join('\n') + '\n');
    const args = [
      ...(opts.sentinel ? [sentinelConf] : []),
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
      ...(opts.args ?? []),
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

    async kill(): Promise<void> {
      const proc = child;
      if (!proc) return;
      child = null;
      await stopProcess(proc, 'SIGKILL', STOP_TIMEOUT_MS);
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

/** Runs redis-cli against 127.0.0.1:`port` and returns its output; a failure throws with the output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const r = await runCommand(findBinary('redis-cli'), ['-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`redis-cli -p ${port} ${args.join(' ')} failed (exit ${r.code ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await delay(100);
  }
}

export interface RedisSentinelGroup {
  /** The master name the sentinels watch. */
  name: string;
  master: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  /** "127.0.0.1:<port>,..." as REDIS_SENTINELS takes it. */
  sentinelList: string;
  /** The port of the server the sentinels currently call the master. */
  currentMasterPort(): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * A master, one replica and three sentinels (quorum 2), as Sentinel runs in production, with
 * short detection times so a test sees a failover in seconds: a master silent for
 * `downAfterMs` is declared down and its replica promoted.
 */
export async function startRedisSentinelGroup(opts: { name?: string; downAfterMs?: number } = {}): Promise<RedisSentinelGroup> {
  const name = opts.name ?? 'mymaster';
  const downAfterMs = opts.downAfterMs ?? 1_000;
  const started: RedisServer[] = [];
  const destroy = () => Promise.all(started.map((s) => s.destroy())).then(() => undefined);
  try {
    const master = await startRedis();
    started.push(master);
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    started.push(replica);
    await waitFor('the replica is in sync with the master', async () => /master_link_status:up/.test(await redisCli(replica.port, 'INFO', 'replication')));
    const sentinels = await Promise.all(
      [0, 1, 2].map(() =>
        startRedis({
          sentinel: [
            `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
            `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
            `sentinel failover-timeout ${name} 10000`,
            `sentinel parallel-syncs ${name} 1`,
          ],
        }),
      ),
    );
    started.push(...sentinels);
    // A sentinel that has not yet met the others or the replica could not vote or promote anyone.
    for (const sentinel of sentinels)
      await waitFor(`sentinel ${sentinel.port} knows the replica and the other two sentinels`, async () => {
        const info = await redisCli(sentinel.port, 'SENTINEL', 'MASTER', name);
        const field = (key: string) => Number(new RegExp(`^${key}\\n(\\d+)$`, 'm').exec(info)?.[1] ?? -1);
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
      });
    return {
      name,
      master,
      replica,
      sentinels,
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      async currentMasterPort() {
        for (const sentinel of sentinels) {
          try {
            const [, port] = (await redisCli(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).trim().split('\n');
            return Number(port);
          } catch {
            // that sentinel is down: ask the next
          }
        }
        throw new Error('no sentinel answers');
      },
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

export interface RedisCluster {
  masters: RedisServer[];
  /** "127.0.0.1:<port>,..." as REDIS_CLUSTER_NODES takes it. */
  nodeList: string;
  destroy(): Promise<void>;
}

/** `masters` (default 3) servers with --cluster-enabled, joined into one cluster covering all 16384 slots. */
export async function startRedisCluster(opts: { masters?: number } = {}): Promise<RedisCluster> {
  const count = opts.masters ?? 3;
  const masters: RedisServer[] = [];
  const destroy = () => Promise.all(masters.map((s) => s.destroy())).then(() => undefined);
  try {
    for (let i = 0; i < count; i++)
      masters.push(await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }));
    const addresses = masters.map((m) => `127.0.0.1:${m.port}`);
    await redisCli(masters[0]!.port, '--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes');
    for (const m of masters)
      await waitFor(`node ${m.port} sees the cluster ok`, async () => /cluster_state:ok/.test(await redisCli(m.port, 'CLUSTER', 'INFO')));
    return { masters, nodeList: addresses.join(','), destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
