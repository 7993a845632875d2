import { createHmac, randomUUID } from 'node:crypto';
import { signToken } from '@aquastream/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, user, organizer, TEST_SECRET, type TestApp } from '../../../../testing/app';
import { expectProblem, type InjectResponse } from '../../../../testing/problems';

type Res = InjectResponse;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/**
 * An HS256 JWT built by hand, so a test controls every claim (an `exp` in the past, no `exp`, `alg: none`).
 * jose itself is not a dependency of @aquastream/app, so it cannot be imported from here.
 */
function jwt(secret: string, payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part(header)}.${part(payload)}`;
  return header.alg === 'none' ? `${input}.` : `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (url: string, headers: Record<string, string> = {}): Promise<Res> => t.app.inject({ method: 'GET', url, headers });

describe('unknown routes', () => {
  it('404 problem naming the method and path', async () => {
    const p = expectProblem(await get('/api/v2/nothing-here?x=1'), 404, 'not-found');
    expect(p.detail).toBe('No route GET /api/v2/nothing-here');
    expect(p.instance).toBe('/api/v2/nothing-here?x=1');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v3/events', payload: {} }), 404, 'not-found');
    // A known path with a method it does not answer is a 405 (plugins/problem.test.ts).
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v2/locations' })).headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('authentication', () => {
  it('a hand-built token with the test secret is accepted (control for the cases below)', async () => {
    const token = jwt(TEST_SECRET, { sub: randomUUID(), roles: ['USER'], iat: now(), exp: now() + 600 });
    const res = await get('/api/v2/bookings', bearer(token));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().total).toBe(0);
  });

  it('401 for Authorization: Bearer garbage, even on public GETs', async () => {
    for (const url of ['/api/v2/events', '/api/v2/locations', `/api/v2/events/${randomUUID()}`, '/api/v1/events']) {
      const p = expectProblem(await get(url, { authorization: 'Bearer garbage' }), 401, 'unauthenticated');
      expect(p.detail).toBe('The token is not valid');
    }
    expect((await get('/api/v2/events')).statusCode).toBe(200);
  });

  it('401 for another scheme than Bearer', async () => {
    const p = expectProblem(await get('/api/v2/events', { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'unauthenticated');
    expect(p.detail).toMatch(/Bearer/);
  });

  it('401 for a token signed with another secret', async () => {
    const token = await signToken('another-secret-another-secret-0123456789', { sub: randomUUID(), roles: ['ADMIN'] });
    expectProblem(await get('/api/v2/events', bearer(token)), 401, 'unauthenticated');
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/v2/locations', headers: bearer(token), payload: { name: 'x', address: 'y' } }),
      401,
      'unauthenticated',
    );
  });

  it('401 for an expired token', async () => {
    const token = jwt(TEST_SECRET, { sub: randomUUID(), roles: ['USER'], iat: now() - 7200, exp: now() - 3600 });
    const p = expectProblem(await get('/api/v2/events', bearer(token)), 401, 'unauthenticated');
    expect(p.detail).toBe('The token has expired');
    expectProblem(await get('/api/v2/bookings', bearer(token)), 401, 'unauthenticated');
  });

  it('401 for alg none, no exp, no known role and a subject that is not a uuid', async () => {
    const sub = randomUUID();
    const cases = [
      jwt(TEST_SECRET, { sub, roles: ['ADMIN'], exp: now() + 600 }, { alg: 'none', typ: 'JWT' }),
      jwt(TEST_SECRET, { sub, roles: ['USER'] }),
      jwt(TEST_SECRET, { sub, roles: ['ROOT'], exp: now() + 600 }),
      jwt(TEST_SECRET, { sub, roles: [], exp: now() + 600 }),
      jwt(TEST_SECRET, { sub: 'alice', roles: ['USER'], exp: now() + 600 }),
    ];
    for (const token of cases) expectProblem(await get('/api/v2/events', bearer(token)), 401, 'unauthenticated');
  });

  it('a valid token works on public GETs', async () => {
    const who = await user();
    expect((await get('/api/v2/events', who.auth)).statusCode).toBe(200);
    expect((await get('/api/v2/locations', who.auth)).statusCode).toBe(200);
  });
});

describe('transport errors are problems too', () => {
  it('415 for every body that is not application/json, text/plain and form data included; nothing is created', async () => {
    const who = await organizer();
    const before = (await get('/api/v2/locations')).json().total;
    const send = (method: 'POST' | 'PUT', url: string, type: string, payload: string) =>
      t.app.inject({ method, url, headers: { ...who.auth, 'content-type': type }, payload });
    const json = JSON.stringify({ name: 'Lake', address: 'Shore' });
    expectProblem(await send('POST', '/api/v2/locations', 'application/xml', '<location/>'), 415, 'unsupported-media-type');
    expectProblem(await send('POST', '/api/v2/locations', 'text/plain', json), 415, 'unsupported-media-type');
    expectProblem(await send('POST', '/api/v2/locations', 'text/plain; charset=utf-8', json), 415, 'unsupported-media-type');
    expectProblem(await send('POST', '/api/v2/locations', 'application/x-www-form-urlencoded', 'name=Lake&address=Shore'), 415, 'unsupported-media-type');
    expectProblem(await send('POST', '/api/v2/bookings', 'text/plain', JSON.stringify({ eventId: randomUUID() })), 415, 'unsupported-media-type');
    expectProblem(await send('POST', '/api/v2/events', 'text/plain', '{}'), 415, 'unsupported-media-type');
    expectProblem(await send('PUT', `/api/v1/events/${randomUUID()}`, 'text/plain', '{}'), 415, 'unsupported-media-type');
    expectProblem(await send('POST', '/api/v2/payments/webhook', 'text/plain', '{}'), 415, 'unsupported-media-type');
    expect((await get('/api/v2/locations')).json().total).toBe(before);
    // The same body as JSON (with a charset) is accepted.
    expect((await send('POST', '/api/v2/locations', 'application/json; charset=utf-8', json)).statusCode).toBe(201);
  });

  it('413 for a body over 64 KiB', async () => {
    const who = await organizer();
    const res = await t.app.inject({ method: 'POST', url: '/api/v2/locations', headers: who.auth, payload: { name: 'x'.repeat(70_000), address: 'y' } });
    expectProblem(res, 413, 'payload-too-large');
  });
});

describe('GET /openapi.json', () => {
  it('documents exactly the endpoints these tests cover', async () => {
    const res = await get('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.0.3');
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /actuator/health',
        'GET /actuator/health/liveness',
        'GET /actuator/health/readiness',
        'GET /actuator/info',
        'GET /actuator/prometheus',
        'POST /api/v2/events',
        'GET /api/v2/events',
        'GET /api/v2/events/{id}',
        'GET /api/v2/events/{id}/weather',
        'PUT /api/v2/events/{id}',
        'POST /api/v2/events/{id}/publish',
        'POST /api/v2/events/{id}/cancel',
        'GET /api/v2/events/{id}/bookings',
        'POST /api/v2/events/{id}/waitlist',
        'DELETE /api/v2/events/{id}/waitlist',
        'GET /api/v2/events/{id}/waitlist/me',
        'GET /api/v2/events/{id}/attendees',
        'GET /api/v2/events/{id}/summary',
        'POST /api/v2/events/{id}/categories',
        'GET /api/v2/events/{id}/categories',
        'POST /api/v2/events/{id}/promo-codes',
        'GET /api/v2/events/{id}/promo-codes',
        'GET /api/v2/bookings/{id}/price',
        'POST /api/v2/bookings/{id}/check-in',
        'POST /api/v2/locations',
        'GET /api/v2/locations',
        'GET /api/v2/locations/{id}',
        'POST /api/v2/bookings',
        'GET /api/v2/bookings',
        'GET /api/v2/bookings/{id}',
        'POST /api/v2/bookings/{id}/cancel',
        'POST /api/v2/bookings/{id}/no-show',
        'POST /api/v2/bookings/{id}/reduce',
        'POST /api/v2/bookings/{id}/pay',
        'POST /api/v2/payments/webhook',
        'GET /api/v1/events',
        'GET /api/v1/events/{id}',
        'POST /api/v1/events',
        'PUT /api/v1/events/{id}',
        'DELETE /api/v1/events/{id}',
      ].sort(),
    );
  });
});
