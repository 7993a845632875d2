import { createServer, type AddressInfo } from 'node:net';

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago (the OS picked it).
 * Another process can still take it before the caller binds it, so servers that
 * are started on a picked port retry with a fresh one when the bind fails.
 */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the bound port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** `count` distinct free ports: each is held open until all are picked, then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    for (const server of servers) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

/**
 * Runs `start` (given its attempt number, from 1) again while it fails because the port it was
 * given was taken: a port picked a moment ago can be bound by another process first. Three
 * attempts at most; one when the caller fixed the port, since another would not change it.
 */
export async function retryWhilePortTaken<T>(
  options: { fixedPort: boolean; portTaken(error: unknown): boolean },
  start: (attempt: number) => Promise<T>,
): Promise<T> {
  const attempts = options.fixedPort ? 1 : 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      if (attempt >= attempts || !options.portTaken(err)) throw err;
    }
  }
}
