import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '@aquastream/domain';
import { createDependencyPolicy, type DependencyPolicy } from '../resilience/dependency-policy';
import { createOutboundHttp } from './outbound';

// An in-process HTTP server whose answer each test picks by path: no service outside the test.
let server: Server;
let base: string;
let hits = 0;
beforeAll(async () => {
  server = createServer((request, response) => {
    hits++;
    const status = Number(request.url?.split('/')[1]);
    if (request.url === '/slow') return void setTimeout(() => response.end('{}'), 800);
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      response.writeHead(status || 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ method: request.method, body, idempotencyKey: request.headers['idempotency-key'] ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
// fetch keeps its connections alive for seconds; close them rather than wait.
afterAll(() => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())));

// The policies of these tests are their own (not the service's): two failures in a row open them.
const policies: DependencyPolicy[] = [];
const policy = (name: string) => {
  const created = createDependencyPolicy(name, {
    timeoutMs: 300,
    retry: false,
    breaker: { minimumCalls: 2, windowSize: 2, failureRateThreshold: 0.5, openDurationMs: 60_000 },
  });
  policies.push(created);
  return created;
};
afterAll(() => policies.forEach((p) => p.dispose()));
const unavailable = (dependency: string, message: RegExp) => (error: unknown) => {
  expect(isDomainError(error) && error.code).toBe('DEPENDENCY.UNAVAILABLE');
  expect(isDomainError(error) && error.details).toMatchObject({ dependency });
  expect((error as Error).message).toMatch(message);
  return true;
};

describe('createOutboundHttp', () => {
  it('hands answers below 500 to the handler, the JSON body sent with its headers', async () => {
    const http = createOutboundHttp({ dependency: 'payment-service', title: 'Payment Service', baseUrl: `${base}/`, policy: policy('a') });
    const answer = await http.call((send) => send('/402', { method: 'POST', json: { amount: 5 }, headers: { 'idempotency-key': 'k-1' } }), {
      idempotent: false,
    });
    expect(answer).toMatchObject({ status: 402, ok: false });
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', body: '{"amount":5}', idempotencyKey: 'k-1' });
  });

  it('turns 5xx and 429 into DependencyUnavailableError, which counts against the breaker until it opens', async () => {
    const p = policy('b');
    const http = createOutboundHttp({ dependency: 'auth-service', title: 'Auth Service', baseUrl: base, policy: p });
    await expect(http.call((send) => send('/503'), { idempotent: true })).rejects.toSatisfy(unavailable('auth-service', /^Auth Service answered 503$/));
    await expect(http.call((send) => send('/429'), { idempotent: true })).rejects.toSatisfy(unavailable('auth-service', /^Auth Service answered 429$/));
    expect(p.state()).toBe('open');

    const before = hits;
    await expect(http.call((send) => send('/200'), { idempotent: true })).rejects.toSatisfy(
      unavailable('auth-service', /^Auth Service unavailable: Circuit breaker 'b' is open/),
    );
    expect(hits).toBe(before);
  });

  it('turns a network error and a timeout into DependencyUnavailableError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = createOutboundHttp({ dependency: 'weather', title: 'Weather API', baseUrl: `http://127.0.0.1:${port}`, policy: policy('c') });
    await expect(refused.call((send) => send('/200'), { idempotent: true })).rejects.toSatisfy(unavailable('weather', /^Weather API unreachable: /));

    const slow = createOutboundHttp({ dependency: 'weather', title: 'Weather API', baseUrl: base, policy: policy('d') });
    await expect(slow.call((send) => send('/slow'), { idempotent: true })).rejects.toSatisfy(
      unavailable('weather', /^Weather API (did not answer in time|unreachable: )/),
    );

    const noPolicy = createOutboundHttp({ dependency: 'payment-service', title: 'Payment Service', baseUrl: base, timeoutMs: 300 });
    await expect(noPolicy.call((send) => send('/slow'), { idempotent: false })).rejects.toSatisfy(
      unavailable('payment-service', /^Payment Service unreachable: /),
    );
  });
});
