import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { admin, organizer, startTestApp, user, type TestApp } from '../../../../../testing/app';
import { expectProblem } from '../../../../../testing/problems';
import { buildApp, buildManagementApp, VERSION, type App, type AppOptions } from '../../app';
import type { Deps } from '../../composition-root';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** A second app on the same deps, for options startTestApp does not take. */
async function withApp(deps: Deps, options: AppOptions, run: (app: App) => Promise<void>) {
  const app = await buildApp(deps, { swaggerUi: false, ...options });
  try {
    await app.ready();
    await run(app);
  } finally {
    await app.close();
  }
}

const asAdmin = async () => (await admin()).auth;

describe('GET /actuator/health', () => {
  it('tells an anonymous caller the status and nothing else', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'UP' });
  });

  it('shows no details to USER or ORGANIZER tokens, nor to a token that does not verify', async () => {
    for (const headers of [(await user()).auth, (await organizer()).auth, { authorization: 'Bearer garbage' }, { authorization: 'Basic YWRtaW46YWRtaW4=' }]) {
      const res = await t.app.inject({ method: 'GET', url: '/actuator/health', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'UP' });
    }
  });

  it('is UP with the db component (PostgreSQL) and the outbox for an ADMIN token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: await asAdmin() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body.status).toBe('UP');
    expect(body.components.db).toMatchObject({ status: 'UP', details: { database: 'PostgreSQL', pool: expect.objectContaining({ max: expect.any(Number) }) } });
    expect(body.components.outbox.status).toBe('UP');
  });

  it('ignores the Authorization header (probes carry none, a stale one must not fail them)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: { authorization: 'Bearer garbage' } });
    expect(res.statusCode).toBe(200);
  });

  it('is 503 DOWN when a critical component is down, DEGRADED (200) when only a non-critical one is', async () => {
    const down = async () => ({ status: 'DOWN' as const, details: { error: 'boom' } });
    await withApp({ ...t.deps, health: { ...t.deps.health, db: { critical: true, check: down } } }, {}, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/actuator/health', headers: await asAdmin() });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'DOWN', components: { db: { status: 'DOWN', details: { error: 'boom' } } } });
      const anonymous = await app.inject({ method: 'GET', url: '/actuator/health' });
      expect(anonymous.statusCode).toBe(503);
      expect(anonymous.json()).toEqual({ status: 'DOWN' });
      const ready = await app.inject({ method: 'GET', url: '/actuator/health/readiness' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'DOWN' });
      // liveness never depends on dependencies
      expect((await app.inject({ method: 'GET', url: '/actuator/health/liveness' })).json()).toEqual({ status: 'UP' });
    });
    await withApp({ ...t.deps, health: { ...t.deps.health, outbox: { critical: false, check: down } } }, {}, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/actuator/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('DEGRADED');
      expect((await app.inject({ method: 'GET', url: '/actuator/health/readiness' })).json().status).toBe('UP');
    });
  });
});

describe('GET /actuator/health/liveness', () => {
  it('is UP', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health/liveness' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'UP' });
  });
});

describe('GET /actuator/health/readiness', () => {
  it('is UP; an anonymous probe gets the status only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'UP' });
  });

  it('shows an ADMIN token the critical components only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health/readiness', headers: await asAdmin() });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('UP');
    expect(Object.keys(res.json().components)).toEqual(['db']);
    expect(res.json().components.db.status).toBe('UP');
  });

  it('is 503 OUT_OF_SERVICE once the app stops accepting traffic', async () => {
    await withApp(t.deps, { accepting: () => false }, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/actuator/health/readiness' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'OUT_OF_SERVICE' });
    });
  });
});

describe('GET /actuator/info', () => {
  it('names the app, its version, mode and runtime', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/info', headers: await asAdmin() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ app: { name: 'backend-event', version: VERSION, mode: 'real' }, runtime: { node: process.version } });
  });
});

describe('GET /actuator/prometheus', () => {
  it('serves the Prometheus text format with the request histogram by route template', async () => {
    await t.app.inject({ method: 'GET', url: '/actuator/health/liveness' });
    const res = await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: await asAdmin() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^http_server_requests_seconds_count\{method="GET",route="\/actuator\/health\/liveness",status="200"\} [1-9]/m);
  });
});

describe('info and metrics on the API port without MANAGEMENT_PORT', () => {
  it('are refused (401) to anonymous callers, USER and ORGANIZER tokens and tokens that do not verify', async () => {
    for (const headers of [{}, (await user()).auth, (await organizer()).auth, { authorization: 'Bearer garbage' }])
      for (const url of ['/actuator/prometheus', '/actuator/info']) {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expectProblem(res, 401, 'unauthenticated');
        expect(res.body).not.toMatch(/http_server_requests|backend-event/);
      }
  });

  it('are served to ACTUATOR_TOKEN (a static bearer for a scrape config), and it shows health details too', async () => {
    const token = 'scrape-token-0123456789abcdefghij';
    const deps = { ...t.deps, config: { ...t.deps.config, ACTUATOR_TOKEN: token } };
    await withApp(deps, {}, async (app) => {
      const headers = { authorization: `Bearer ${token}` };
      expect((await app.inject({ method: 'GET', url: '/actuator/prometheus', headers })).body).toMatch(/^http_server_requests_seconds_count\{/m);
      expect((await app.inject({ method: 'GET', url: '/actuator/info', headers })).json().app.name).toBe('backend-event');
      expect((await app.inject({ method: 'GET', url: '/actuator/health', headers })).json().components.db.status).toBe('UP');
      expectProblem(await app.inject({ method: 'GET', url: '/actuator/prometheus', headers: { authorization: `Bearer ${token}x` } }), 401, 'unauthenticated');
      expect((await app.inject({ method: 'GET', url: '/actuator/prometheus', headers: await asAdmin() })).statusCode).toBe(200);
    });
  });
});

describe('MANAGEMENT_PORT', () => {
  it('takes info and metrics off the API port; health there stays, status only unless ADMIN', async () => {
    const deps = { ...t.deps, config: { ...t.deps.config, MANAGEMENT_PORT: 18081 } };
    await withApp(deps, {}, async (app) => {
      expectProblem(await app.inject({ method: 'GET', url: '/actuator/prometheus' }), 404, 'not-found');
      expectProblem(await app.inject({ method: 'GET', url: '/actuator/info' }), 404, 'not-found');
      expectProblem(await app.inject({ method: 'GET', url: '/actuator/prometheus', headers: await asAdmin() }), 404, 'not-found');
      expect((await app.inject({ method: 'GET', url: '/actuator/health' })).json()).toEqual({ status: 'UP' });
      expect((await app.inject({ method: 'GET', url: '/actuator/health/readiness' })).json()).toEqual({ status: 'UP' });
      expect((await app.inject({ method: 'GET', url: '/actuator/health/liveness' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/actuator/health', headers: await asAdmin() })).json().components.db.status).toBe('UP');
    });
  });

  it('serves every actuator endpoint with details and no token on its own listener, and nothing else', async () => {
    const deps = { ...t.deps, config: { ...t.deps.config, MANAGEMENT_PORT: 18081 } };
    const management = await buildManagementApp(deps);
    try {
      const base = await management.listen({ host: '127.0.0.1', port: 0 });
      const health = await fetch(`${base}/actuator/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; components: Record<string, { status: string; details?: Record<string, unknown> }> };
      expect(body.status).toBe('UP');
      expect(body.components.db).toMatchObject({ status: 'UP', details: { database: 'PostgreSQL' } });
      expect(body.components.circuitBreakers?.details).toHaveProperty('postgres');
      expect(((await (await fetch(`${base}/actuator/health/readiness`)).json()) as { components: object }).components).toHaveProperty('db');
      const metrics = await fetch(`${base}/actuator/prometheus`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^resilience_circuit_breaker_state\{/m);
      expect(((await (await fetch(`${base}/actuator/info`)).json()) as { app: { name: string } }).app.name).toBe('backend-event');
      // The API is not there.
      const api = await fetch(`${base}/api/v2/events`);
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      // Framework errors are problems on this listener too.
      const port = Number(new URL(base).port);
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(`GET /actuator/health HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
        let data = '';
        socket.on('data', (c) => (data += c.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 431 /);
      expect(raw).toMatch(/content-type: application\/problem\+json/i);
    } finally {
      await management.close();
    }
  });
});
