import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that tests switch off (connections refused) and on again on the
 * same port: the fake external services are built on it.
 */
export interface SwitchableServer {
  readonly url: string;
  /**
   * `cut` (default): connections refused and open ones cut, answers in flight lost. `refuse`: new
   * connections refused, requests already in flight still answered (a service going away cleanly).
   */
  off(mode?: 'cut' | 'refuse'): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

export async function startSwitchableServer(handler: RequestListener): Promise<SwitchableServer> {
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(handler);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = (mode: 'cut' | 'refuse' = 'cut') =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      if (mode === 'refuse') {
        s.close();
        s.closeIdleConnections();
        return resolve();
      }
      s.close(() => resolve());
      s.closeAllConnections();
    });
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    off: stop,
    on: () => (server ? Promise.resolve() : listen()),
    close: () => stop(),
  };
}
