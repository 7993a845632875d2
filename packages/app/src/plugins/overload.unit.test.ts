import Fastify, { type FastifyRequest } from 'fastify';
import rateLimitPlugin from '@fastify/rate-limit';
import { afterEach, describe, expect, it } from 'vitest';
import { fallbackStore, rateLimitHook } from './overload';

// Without Redis the counts are the plugin's own local store: the same counter under both hooks.
const keyOf = (request: FastifyRequest) => `user:${String(request.headers['x-user'] ?? request.ip)}`;
const exempt = (request: FastifyRequest) => request.url.startsWith('/actuator');
const refusal = (request: FastifyRequest, context: { max: number; after: string; ttl: number }) => ({
  type: 'too-many-requests',
  detail: `At most ${context.max} requests per ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`,
  instance: request.url,
  statusCode: 429,
});

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function appWith(kind: 'plugin' | 'hook', max: number, timeWindow: number) {
  const app = Fastify();
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => reply.code(error.statusCode ?? 500).send(error));
  if (kind === 'plugin') {
    await app.register(rateLimitPlugin, {
      global: true,
      hook: 'preHandler',
      max,
      timeWindow,
      store: class {
        constructor() {
          return fallbackStore(undefined, undefined);
        }
      } as never,
      keyGenerator: keyOf,
      allowList: exempt,
      errorResponseBuilder: refusal,
    });
  } else {
    const hook = rateLimitHook({ max, timeWindow, store: fallbackStore(undefined, undefined), keyOf, exempt, refusal });
    app.addHook('onRoute', (route) => {
      const own = route.preHandler;
      route.preHandler = own === undefined ? [hook] : Array.isArray(own) ? [...own, hook] : [own, hook];
    });
  }
  app.get('/a', async () => ({ ok: true }));
  app.post('/b', async (request) => ({ got: request.body }));
  app.get('/actuator/health', async () => ({ status: 'UP' }));
  apps.push(app);
  return app;
}

const shape = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => ({
  status: res.statusCode,
  headers: Object.fromEntries(Object.entries(res.headers).filter(([k]) => k.startsWith('x-ratelimit') || k === 'retry-after' || k === 'content-type')),
  body: res.body,
});

describe('the rate-limit hook', () => {
  it('answers every request as @fastify/rate-limit did: headers, refusals, exemptions, per key', async () => {
    const plugin = await appWith('plugin', 3, 60_000);
    const hook = await appWith('hook', 3, 60_000);
    const requests = [
      ...Array.from({ length: 5 }, () => ({ method: 'GET' as const, url: '/a', headers: { 'x-user': 'u1' } })),
      { method: 'POST' as const, url: '/b', headers: { 'x-user': 'u1', 'content-type': 'application/json' }, payload: '{"n":1}' },
      { method: 'GET' as const, url: '/actuator/health', headers: { 'x-user': 'u1' } },
      ...Array.from({ length: 4 }, () => ({
        method: 'POST' as const,
        url: '/b',
        headers: { 'x-user': 'u2', 'content-type': 'application/json' },
        payload: '{}',
      })),
      { method: 'GET' as const, url: '/missing', headers: { 'x-user': 'u3' } },
      { method: 'GET' as const, url: '/a' },
    ];
    const seen: ReturnType<typeof shape>[] = [];
    for (const request of requests) {
      const [a, b] = [shape(await plugin.inject(request)), shape(await hook.inject(request))];
      expect(b, `${request.method} ${request.url} ${JSON.stringify(request.headers)}`).toEqual(a);
      seen.push(b);
    }
    // The comparison covered both outcomes and the exemption.
    expect(seen.map((s) => s.status)).toEqual([200, 200, 200, 429, 429, 429, 200, 200, 200, 200, 429, 404, 200]);
    expect(seen[0]!.headers).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-reset': '60',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(seen[3]!.headers).toMatchObject({ 'x-ratelimit-remaining': '0', 'retry-after': '60' });
    expect(JSON.parse(seen[3]!.body)).toMatchObject({ detail: 'At most 3 requests per 1 minute; retry after 60 s' });
    expect(seen[6]!.headers).not.toHaveProperty('x-ratelimit-limit');
  });

  it('runs after the route’s own preHandler hooks, as the plugin did', async () => {
    const hook = await appWith('hook', 1, 1_000);
    const calls: string[] = [];
    hook.get('/order', { preHandler: (_request, _reply, done) => (calls.push('own'), done()) }, async () => {
      calls.push('handler');
      return {};
    });
    const refused = await hook
      .inject({ method: 'GET', url: '/order', headers: { 'x-user': 'o' } })
      .then(() => hook.inject({ method: 'GET', url: '/order', headers: { 'x-user': 'o' } }));
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ detail: 'At most 1 requests per 1 second; retry after 1 s' });
    expect(calls).toEqual(['own', 'handler', 'own']);
  });
});
