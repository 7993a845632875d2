import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../testing/app';
import { startNginxProxy, type NginxProxy } from '../../../../testing/services/nginx';

// The service behind a real reverse proxy (nginx, as the ingress controller), trusting it by address.
let service: TestApp;
let proxy: NginxProxy;
let direct: string;

beforeAll(async () => {
  service = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
  direct = await service.app.listen({ host: '127.0.0.1', port: 0 });
  proxy = await startNginxProxy(direct);
});

afterAll(async () => {
  await proxy?.destroy();
  await service?.close();
});

/** An anonymous GET from a given source address (127.0.0.0/8 is all loopback on Linux). */
function get(base: string, from: string, headers: Record<string, string> = {}): Promise<{ status: number; remaining: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v2/locations`, { localAddress: from, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, remaining: Number(res.headers['x-ratelimit-remaining']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('clients behind a trusted reverse proxy', () => {
  it('counts two clients of one proxy apart, and no client can borrow another address', async () => {
    const limit = service.deps.config.RATE_LIMIT_MAX;
    const a = [];
    for (let i = 0; i < 3; i++) a.push(await get(proxy.url, '127.0.0.2'));
    expect(a.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(a.map((r) => r.remaining)).toEqual([limit - 1, limit - 2, limit - 3]);

    // Another client of the same proxy has its own bucket (without trustProxy both are the proxy).
    expect(await get(proxy.url, '127.0.0.3')).toEqual({ status: 200, remaining: limit - 1 });

    // A forged X-Forwarded-For through the proxy: nginx appends the real peer, which is what counts.
    expect(await get(proxy.url, '127.0.0.2', { 'x-forwarded-for': '127.0.0.9' })).toEqual({ status: 200, remaining: limit - 4 });
    expect(await get(proxy.url, '127.0.0.9')).toEqual({ status: 200, remaining: limit - 1 });

    // A client outside the trusted range talking to the service directly cannot claim another address.
    expect(await get(direct, '127.0.0.5', { 'x-forwarded-for': '127.0.0.2' })).toEqual({ status: 200, remaining: limit - 1 });
    expect(await get(direct, '127.0.0.5', { 'x-forwarded-for': '127.0.0.3' })).toEqual({ status: 200, remaining: limit - 2 });
  });
});
