import { connect, type ClientHttp2Session } from 'node:http2';
import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../composition-root';
import { startGrpcServer, type GrpcServerHandle } from './server';

// Only the health service is called here: EventService's dependencies are never reached.
const deps = { useCases: {}, verifier: {} } as unknown as Pick<Deps, 'useCases' | 'verifier'>;
const HealthClient = makeGenericClientConstructor(healthService as never, 'Health');
const opened: { close(): unknown }[] = [];
const servers: GrpcServerHandle[] = [];

afterEach(async () => {
  for (const o of opened.splice(0)) o.close();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(200)));
});

async function server(options: Partial<Parameters<typeof startGrpcServer>[1]>) {
  const handle = await startGrpcServer(deps, { host: '127.0.0.1', ...options, port: 0 });
  servers.push(handle);
  return handle;
}

/** A bare HTTP/2 connection to the server, and when (ms after connecting) it got GOAWAY, if it did within `waitMs`. */
async function goawayWithin(port: number, waitMs: number): Promise<number | undefined> {
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  opened.push(session);
  session.on('error', () => undefined);
  const started = Date.now();
  await new Promise((resolve) => session.once('connect', resolve));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    session.once('goaway', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

/** grpc.health.v1 Check of the whole server, through a client that reconnects on its own. */
function healthCheck(port: number): () => Promise<string> {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure()) as Client & Record<string, (...args: unknown[]) => void>;
  opened.push(client);
  return () =>
    new Promise<string>((resolve, reject) =>
      client.Check!({ service: '' }, (error: ServiceError | null, res: { status: string }) => (error ? reject(error) : resolve(res.status))),
    );
}

describe('gRPC max connection age', () => {
  it('sends GOAWAY to a connection older than the age, so the caller reconnects (and rebalances)', async () => {
    const handle = await server({ maxConnectionAgeMs: 400, maxConnectionAgeGraceMs: 200 });
    const after = await goawayWithin(handle.port, 5_000);
    expect(after).toBeDefined();
    // grpc-js applies ±10 % of jitter to the age.
    expect(after!).toBeGreaterThanOrEqual(300);
  });

  it('keeps a connection without an age forever (the setting is what moves connections)', async () => {
    const handle = await server({ maxConnectionAgeMs: 0 });
    expect(await goawayWithin(handle.port, 1_500)).toBeUndefined();
  });

  it('serves calls before and after the connection is recycled', async () => {
    const handle = await server({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 200 });
    const check = healthCheck(handle.port);
    expect(await check()).toBe('SERVING');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await check()).toBe('SERVING');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await check()).toBe('SERVING');
  });
});
