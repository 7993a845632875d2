/**
 * Throwaway PostgreSQL server for integration and fault tests.
 *
 * Uses the server binaries of Debian's `postgresql` package (the highest version
 * under /usr/lib/postgresql/<ver>/bin, or POSTGRES_BIN_DIR when set). initdb and
 * postgres refuse to run as root, so as root they run as the `postgres` user
 * through `runuser`; otherwise they run directly.
 *
 * Each server gets its own temporary folder (data directory, Unix socket, log),
 * listens on 127.0.0.1 only, trusts every local connection as user `postgres`,
 * and is tuned for speed over durability (fsync off and so on).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, retryWhilePortTaken } from './free-port';
import { onProcessExit, runCommand, tailFile, type RestartableServer, type RunResult } from './process';

/** stop() is `pg_ctl stop -m fast`; start() keeps the data. */
export interface PostgresServer extends RestartableServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** The cluster's data directory (inside a temporary folder that destroy() removes). */
  dataDir: string;
  /** Runs CREATE DATABASE and returns the new database's URL. */
  createDatabase(name: string): Promise<string>;
  /** SIGKILL of the postmaster and every backend at once, as a machine dies: no shutdown, no checkpoint. */
  kill(): Promise<void>;
  /** `pg_ctl promote` (a standby becomes a primary); resolves once it accepts writes. */
  promote(): Promise<void>;
}

export interface PostgresOptions {
  port?: number;
  /** postgresql.conf settings after the suite's own (later ones win), e.g. synchronous_commit. */
  settings?: Record<string, string>;
}

const ENSURE_HINT = 'run `bash scripts/ensure-system-packages.sh` as root to install it';
const READY_TIMEOUT_SECONDS = 30;
const PG_ROOT = '/usr/lib/postgresql';
const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'psql'] as const;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function findPgBinDir(): string {
  const override = process.env.POSTGRES_BIN_DIR;
  if (override) {
    const missing = REQUIRED_BINARIES.filter((b) => !existsSync(path.join(override, b)));
    if (missing.length > 0) {
      throw new Error(`POSTGRES_BIN_DIR=${override} lacks ${missing.join(', ')}; unset it to use Debian's packages, or ${ENSURE_HINT}.`);
    }
    return override;
  }
  let versions: string[] = [];
  try {
    versions = readdirSync(PG_ROOT);
  } catch {
    // handled below
  }
  const sorted = versions.filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const version of sorted) {
    const bin = path.join(PG_ROOT, version, 'bin');
    if (REQUIRED_BINARIES.every((b) => existsSync(path.join(bin, b)))) return bin;
  }
  throw new Error(
    `PostgreSQL server binaries (${REQUIRED_BINARIES.join(', ')}) not found under ${PG_ROOT}/<version>/bin ` + `(Debian package "postgresql"); ${ENSURE_HINT}.`,
  );
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) {
    throw new Error(
      `Running as root, the PostgreSQL binaries must run as user "postgres", which does not exist ` +
        `(Debian package "postgresql" creates it); ${ENSURE_HINT}.`,
    );
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** True when every folder from `dir` up to / can be traversed by other users (o+x). */
function traversableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * Where the temporary folders go. The Unix socket lives in the folder, and socket
 * paths are limited to ~107 bytes, so a long TMPDIR falls back to /tmp; as root
 * the postgres user must be able to reach the folder.
 */
function pickBaseDir(): string {
  const candidate = tmpdir();
  if (candidate.length <= 60 && (!isRoot || traversableByOthers(candidate))) return candidate;
  return '/tmp';
}

/** Child environment without PG* variables, so a developer's PGHOST etc. cannot interfere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG')) env[key] = value;
  }
  return env;
}

class CommandError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/** Runs a PostgreSQL binary; `asPostgres` switches to the postgres user when running as root. Rejects unless it exits 0. */
async function run(binary: string, args: string[], opts: { asPostgres: boolean; timeoutMs?: number }): Promise<RunResult> {
  const [command, argv] = opts.asPostgres && isRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  const timeoutMs = opts.timeoutMs ?? (READY_TIMEOUT_SECONDS + 30) * 1000;
  const shown = `${path.basename(binary)} ${args.join(' ')}`;
  let result: RunResult;
  try {
    result = await runCommand(command, argv, { cwd: '/', env: cleanEnv(), timeoutMs });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { output?: string };
    if (e.code === 'ENOENT') throw new Error(`Cannot run ${command} (${e.message}); ${ENSURE_HINT}.`);
    if (e.output !== undefined) throw new CommandError(`\`${shown}\` did not finish within ${timeoutMs} ms`, e.output);
    throw err;
  }
  const { code, signal, stdout, stderr } = result;
  if (code === 0) return result;
  const output = `${stdout}${stderr}`.trim();
  throw new CommandError(`\`${shown}\` failed (${signal ?? `exit code ${code}`})${output ? `:\n${output}` : ''}`, output);
}

async function waitForTcp(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`PostgreSQL on 127.0.0.1:${port} did not accept connections within ${timeoutMs} ms`);
    await delay(50);
  }
}

function quoteConf(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  return launch(opts, async ({ bin, dataDir, workDir }) => {
    await run(bin('initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { asPostgres: true });
    // Settings that stay the same across stop()/start(); the port is passed on the command line.
    // initdb's pg_hba.conf already trusts local replication connections (pg_basebackup, standbys).
    appendSettings(path.join(dataDir, 'postgresql.conf'), {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: workDir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '200',
      ...opts.settings,
    });
  });
}

/**
 * A streaming-replication standby of `primary` (pg_basebackup -R: a copy of its data directory that
 * follows its WAL), named `name` for the primary's synchronous_standby_names. Reads only, until promote().
 */
export async function startStandby(primary: PostgresServer, opts: { name?: string; port?: number } = {}): Promise<PostgresServer> {
  const name = opts.name ?? 'standby1';
  return launch({ port: opts.port }, async ({ bin, dataDir, workDir }) => {
    await run(
      bin('pg_basebackup'),
      ['-D', dataDir, '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-X', 'stream', '-R', '--no-sync', '-c', 'fast'],
      {
        asPostgres: true,
      },
    );
    appendSettings(path.join(dataDir, 'postgresql.conf'), {
      unix_socket_directories: workDir,
      hot_standby: 'on',
      // Answers about what it has replayed go back at once, so the primary's synchronous commits do not wait.
      wal_receiver_status_interval: '1s',
    });
    // After pg_basebackup's own line in postgresql.auto.conf (the last one wins): the standby's name.
    appendSettings(path.join(dataDir, 'postgresql.auto.conf'), {
      primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}`,
    });
  });
}

function appendSettings(file: string, settings: Record<string, string>): void {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${/^[0-9]+$|^(on|off)$/.test(v) ? v : quoteConf(v)}`);
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n# testing/services/postgres.ts\n${lines.join('\n')}\n`);
}

/** Pids of the processes whose parent is `pid` (a postmaster's backends and workers), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

type Init = (ctx: { bin: (name: (typeof REQUIRED_BINARIES)[number] | 'pg_basebackup') => string; dataDir: string; workDir: string }) => Promise<void>;

async function launch(opts: { port?: number }, init: Init): Promise<PostgresServer> {
  const binDir = findPgBinDir();
  const bin = (name: (typeof REQUIRED_BINARIES)[number] | 'pg_basebackup'): string => path.join(binDir, name);
  const owner = isRoot ? postgresUser() : undefined;

  const workDir = mkdtempSync(path.join(pickBaseDir(), 'pg-test-'));
  const dataDir = path.join(workDir, 'data');
  const logFile = path.join(workDir, 'server.log');
  let port = opts.port ?? (await freePort());
  let running = false;
  let destroyed = false;

  // Servers started by pg_ctl are daemons that outlive this process: one a test forgot to destroy()
  // is stopped and removed when the process exits.
  const cleanupAtExit = (): void => {
    if (existsSync(path.join(dataDir, 'postmaster.pid'))) {
      const args = ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'];
      const [command, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin('pg_ctl'), ...args]] : [bin('pg_ctl'), args];
      spawnSync(command, argv, { cwd: '/', env: cleanEnv(), stdio: 'ignore', timeout: 15_000 });
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  const forgetCleanup = onProcessExit(cleanupAtExit);

  const pgCtlStart = async (): Promise<void> => {
    try {
      await run(bin('pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', `-p ${port}`, '-w', '-t', String(READY_TIMEOUT_SECONDS), 'start'], { asPostgres: true });
    } catch (err) {
      const log = tailFile(logFile);
      const message = err instanceof Error ? err.message : String(err);
      throw new CommandError(`PostgreSQL did not start on port ${port}: ${message}${log ? `\nserver log:\n${log}` : ''}`, log);
    }
    running = true;
    await waitForTcp(port, READY_TIMEOUT_SECONDS * 1000);
  };

  try {
    if (owner) chownSync(workDir, owner.uid, owner.gid);
    await init({ bin, dataDir, workDir });

    await retryWhilePortTaken(
      {
        fixedPort: opts.port !== undefined,
        portTaken: (err) => err instanceof CommandError && /Address already in use|could not create any TCP\/IP sockets/.test(err.output),
      },
      async (attempt) => {
        if (attempt > 1) port = await freePort();
        await pgCtlStart();
      },
    );
  } catch (err) {
    cleanupAtExit();
    forgetCleanup();
    throw err;
  }

  const baseUrl = (): string => `postgres://postgres@127.0.0.1:${port}`;

  const server: PostgresServer = {
    url: `${baseUrl()}/postgres`,
    port,
    dataDir,

    async createDatabase(name: string): Promise<string> {
      if (!running) throw new Error('createDatabase: the PostgreSQL server is stopped');
      await run(
        bin('psql'),
        [
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-c',
          `CREATE DATABASE ${quoteIdent(name)}`,
        ],
        { asPostgres: false },
      );
      return `${baseUrl()}/${encodeURIComponent(name)}`;
    },

    async kill(): Promise<void> {
      if (!running) return;
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const backends = childrenOf(pid);
      for (const p of [pid, ...backends]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const until = Date.now() + 10_000;
      const alive = (p: number) => {
        try {
          return !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z ');
        } catch {
          return false;
        }
      };
      while ([pid, ...backends].some(alive)) {
        if (Date.now() > until) throw new Error(`PostgreSQL on port ${port} still running 10 s after SIGKILL`);
        await delay(20);
      }
      // A killed postmaster leaves its pid file: start() after this is crash recovery, as after a real crash.
      running = false;
    },

    async promote(): Promise<void> {
      await run(bin('pg_ctl'), ['-D', dataDir, '-w', '-t', String(READY_TIMEOUT_SECONDS), 'promote'], { asPostgres: true });
    },

    async stop(): Promise<void> {
      if (!running) return;
      try {
        await run(bin('pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', String(READY_TIMEOUT_SECONDS), 'stop'], {
          asPostgres: true,
        });
      } catch (err) {
        // Already gone (killed from outside): nothing left to stop.
        if (existsSync(path.join(dataDir, 'postmaster.pid'))) throw err;
      }
      running = false;
    },

    async start(): Promise<void> {
      if (destroyed) throw new Error('start: this PostgreSQL server was destroyed');
      if (running) return;
      await pgCtlStart();
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
