import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../../testing/app';
import { buildApp, VERSION, type App, type AppOptions } from '../../app';
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

describe('GET /actuator/health', () => {
  it('is UP with the db component (PostgreSQL) and the outbox', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health' });
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
      const res = await app.inject({ method: 'GET', url: '/actuator/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'DOWN', components: { db: { status: 'DOWN', details: { error: 'boom' } } } });
      const ready = await app.inject({ method: 'GET', url: '/actuator/health/readiness' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().status).toBe('DOWN');
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
  it('is UP with the critical components only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('UP');
    expect(Object.keys(res.json().components)).toEqual(['db']);
    expect(res.json().components.db.status).toBe('UP');
  });

  it('is 503 OUT_OF_SERVICE once the app stops accepting traffic', async () => {
    await withApp(t.deps, { accepting: () => false }, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/actuator/health/readiness' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'OUT_OF_SERVICE', components: {} });
    });
  });
});

describe('GET /actuator/info', () => {
  it('names the app, its version, mode and runtime', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/actuator/info' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ app: { name: 'backend-event', version: VERSION, mode: 'real' }, runtime: { node: process.version } });
  });
});

describe('GET /actuator/prometheus', () => {
  it('serves the Prometheus text format with the request histogram by route template', async () => {
    await t.app.inject({ method: 'GET', url: '/actuator/health/liveness' });
    const res = await t.app.inject({ method: 'GET', url: '/actuator/prometheus' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^http_server_requests_seconds_count\{method="GET",route="\/actuator\/health\/liveness",status="200"\} [1-9]/m);
  });
});
