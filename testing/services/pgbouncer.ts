/**
 * A throwaway PgBouncer (Debian's `pgbouncer`) in transaction mode in front of the suite's
 * PostgreSQL, as the chart runs it (deploy/helm/backend-event/templates/pgbouncer.yaml): the service
 * must keep no session state, since two transactions of one client may run on different server
 * connections, and one server connection serves many clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port';
import { onProcessExit, stopProcess } from './process';

export interface PgBouncer {
  port: number;
  /** The database URL given (postgres://user@host:port/db), pointed at PgBouncer. */
  urlFor(databaseUrl: string): string;
  destroy(): Promise<void>;
}

function findPgBouncer(): string {
  for (const candidate of [process.env.PGBOUNCER_BIN, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (candidate && existsSync(candidate)) return candidate;
  throw new Error('pgbouncer not found (Debian package "pgbouncer"); run `bash scripts/ensure-system-packages.sh pgbouncer` as root to install it.');
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/**
 * Starts PgBouncer for every database of the PostgreSQL server at `serverUrl` (trusting local
 * connections, as the suite's server does). `poolSize` server connections per database at most.
 * PgBouncer refuses to run as root: as root it runs as the `postgres` user.
 */
export async function startPgBouncer(serverUrl: string, options: { poolSize: number; maxClientConn?: number }): Promise<PgBouncer> {
  const binary = findPgBouncer();
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'pgbouncer-test-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ini = path.join(dir, 'pgbouncer.ini');
  const users = path.join(dir, 'userlist.txt');
  writeFileSync(users, `"${user}" ""\n`);
  writeFileSync(
    ini,
    `[databases]
* = host=${server.hostname} port=${server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${users}
pool_mode = transaction
default_pool_size = ${options.poolSize}
max_db_connections = ${options.poolSize}
reserve_pool_size = 0
max_client_conn = ${options.maxClientConn ?? 200}
; The chart keeps the client's statement_timeout with track_extra_parameters (PgBouncer 1.20+);
; Debian 12's 1.18 does not know that setting, so here the start-up parameter is only accepted.
ignore_startup_parameters = statement_timeout
`,
  );
  for (const f of [ini, users]) chmodSync(f, 0o644);
  const isRoot = process.getuid?.() === 0;
  const args = isRoot ? ['-u', 'postgres', ini] : [ini];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const forget = onProcessExit(() => child.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on ${port}: ${stderr}`);
    await delay(50);
  }
  return {
    port,
    urlFor(databaseUrl: string) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async destroy() {
      // SIGINT: PgBouncer's safe shutdown (waits for running queries).
      await stopProcess(child, 'SIGINT', 5_000);
      forget();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
