/**
 * TCP proxy for fault tests: listens on 127.0.0.1:<port> and forwards every
 * connection to a target (a PostgreSQL or Redis server of this folder, say).
 *
 * Modes:
 * - forward (initial, and after restore()): bytes flow both ways.
 * - cut(): every live connection is reset (the client sees ECONNRESET at once) and
 *   new connections are accepted and reset immediately.
 * - blackhole(): connections stay open but nothing moves: live ones stop
 *   forwarding, new ones are accepted and left hanging (no upstream connection,
 *   no answer), like a hung peer or a silent network partition. restore() lets
 *   the held bytes flow again (new connections then get their upstream).
 * - loseAnswers(match): bytes flow both ways, but an answer from the target that `match` picks is
 *   dropped and its connection reset: the request reached the server and was carried out, and the
 *   client never hears of it (a COMMIT in doubt, say). restore() ends it.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Returns `base` with its host:port replaced by the proxy's, e.g. for a database or Redis URL. */
  url(base: string): string;
  /** Destroy all live connections and refuse (immediately close) new ones. */
  cut(): void;
  /** Accept but never forward or answer (simulates a hung peer). */
  blackhole(): void;
  /** Drop every answer from the target that `match` picks, and reset its connection. */
  loseAnswers(match: (chunk: Buffer) => boolean): void;
  /** Back to normal forwarding. */
  restore(): void;
  /**
   * Forwards new connections to another server from now on and resets the live ones, as a
   * Service moved to a promoted standby (connections to the old primary are gone with it).
   */
  retarget(target: { host: string; port: number }): void;
  close(): Promise<void>;
}

type Mode = 'forward' | 'cut' | 'blackhole';

interface Connection {
  client: Socket;
  upstream: Socket | null;
}

/** Closes a socket with a TCP RST, so the peer fails at once; falls back to destroy(). */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export async function startTcpProxy(initialTarget: { host: string; port: number }): Promise<TcpProxy> {
  let target = initialTarget;
  let mode: Mode = 'forward';
  let loseAnswer: ((chunk: Buffer) => boolean) | null = null;
  const connections = new Set<Connection>();

  const drop = (conn: Connection): void => {
    connections.delete(conn);
    reset(conn.client);
    if (conn.upstream) reset(conn.upstream);
  };

  /** Copies src to dst while in forward mode, with backpressure. */
  const pipe = (src: Socket, dst: Socket, conn: Connection): void => {
    let waitingForDrain = false;
    src.on('data', (chunk: Buffer) => {
      if (src === conn.upstream && loseAnswer?.(chunk)) {
        drop(conn);
        return;
      }
      if (!dst.write(chunk) && !waitingForDrain) {
        waitingForDrain = true;
        src.pause();
        dst.once('drain', () => {
          waitingForDrain = false;
          if (mode === 'forward' && connections.has(conn)) src.resume();
        });
      }
    });
    src.on('end', () => dst.end());
    // A reset on one side is passed on as a reset to the other.
    src.on('error', () => drop(conn));
    src.on('close', () => {
      if (!dst.destroyed) dst.end();
      if (conn.client.destroyed && (conn.upstream === null || conn.upstream.destroyed)) connections.delete(conn);
    });
  };

  const connectUpstream = (conn: Connection): void => {
    const upstream = connect({ host: target.host, port: target.port });
    conn.upstream = upstream;
    upstream.setNoDelay(true);
    // Target down: the client sees its connection reset.
    upstream.on('error', () => drop(conn));
    upstream.once('connect', () => {
      if (!connections.has(conn) || conn.client.destroyed) {
        upstream.destroy();
        return;
      }
      pipe(conn.client, upstream, conn);
      pipe(upstream, conn.client, conn);
      if (mode === 'forward') {
        conn.client.resume();
      } else {
        upstream.pause();
        conn.client.pause();
      }
    });
  };

  // pauseOnConnect: nothing is read from a client until its upstream is connected.
  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (mode === 'cut') {
      client.on('error', () => {});
      reset(client);
      return;
    }
    client.setNoDelay(true);
    const conn: Connection = { client, upstream: null };
    connections.add(conn);
    client.on('error', () => drop(conn));
    client.once('close', () => {
      if (conn.upstream === null) connections.delete(conn);
    });
    if (mode === 'forward') connectUpstream(conn);
    // blackhole: stays paused without an upstream until restore().
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Do not keep the process alive just for the proxy (live connections still do).
  server.unref();
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startTcpProxy: could not read the bound port');
  const port = address.port;

  return {
    port,

    url(base: string): string {
      try {
        const parsed = new URL(base);
        parsed.hostname = '127.0.0.1';
        parsed.port = String(port);
        return parsed.toString();
      } catch {
        // Not a URL: replace a bare host:port.
        return base.replace(/^[^/:@]+:\d+/, `127.0.0.1:${port}`);
      }
    },

    cut(): void {
      mode = 'cut';
      for (const conn of [...connections]) drop(conn);
    },

    blackhole(): void {
      mode = 'blackhole';
      for (const conn of connections) {
        conn.client.pause();
        conn.upstream?.pause();
      }
    },

    loseAnswers(match: (chunk: Buffer) => boolean): void {
      loseAnswer = match;
    },

    restore(): void {
      mode = 'forward';
      loseAnswer = null;
      for (const conn of connections) {
        if (conn.upstream === null) {
          connectUpstream(conn);
        } else if (!conn.upstream.connecting) {
          conn.client.resume();
          conn.upstream.resume();
        }
      }
    },

    retarget(next: { host: string; port: number }): void {
      target = next;
      for (const conn of [...connections]) drop(conn);
      mode = 'forward';
    },

    async close(): Promise<void> {
      mode = 'cut';
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of [...connections]) drop(conn);
      await closed;
    },
  };
}
