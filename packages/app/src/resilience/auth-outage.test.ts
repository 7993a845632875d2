import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { signToken } from '@aquastream/adapters';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inDays, startTestApp, TEST_SECRET, user, type TestApp } from '../../../../testing/app';
import { startFakeAuthService, type FakeAuthService } from '../../../../testing/fake-auth-service';

// The app asks a real (fake) Auth Service over HTTP, remembers its answers in the shared Redis, and
// checks tokens locally with AUTH_JWT_SECRET when the service cannot answer.
let auth: FakeAuthService;
let redis: Redis;
let t: TestApp;

beforeAll(async () => {
  auth = await startFakeAuthService(TEST_SECRET);
  redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  t = await startTestApp({ ACTUATOR_TOKEN, AUTH_SERVICE_URL: auth.url, AUTH_JWT_SECRET: TEST_SECRET, REDIS_URL: inject('redisUrl'), RATE_LIMIT_MAX: '100000' });
  await redisReady(t);
});

/** The app's Redis client connects in the background; until it is ready, answers are remembered in process only. */
async function redisReady(app: TestApp): Promise<void> {
  const client = app.deps.redis!;
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}

afterAll(async () => {
  await t?.close();
  redis?.disconnect();
  await auth?.close();
});

const OTHER_SECRET = 'another-secret-another-secret-another-0123456';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const myBookings = (token: string) => t.app.inject({ method: 'GET', url: '/api/v2/bookings', headers: bearer(token) });
const keyOf = (token: string) => `be:auth:${createHash('sha256').update(token).digest('hex')}`;

function expectUnauthenticated(res: Awaited<ReturnType<typeof myBookings>>) {
  expect(res.statusCode, res.body).toBe(401);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect((res.json() as { type: string }).type).toMatch(/\/unauthenticated$/);
}

// The metrics are read with the static actuator token: an ADMIN JWT would itself go through the
// token checks this test watches.
const ACTUATOR_TOKEN = 'auth-outage-actuator-token-0123456789';

async function authFallbackMetric(): Promise<number | undefined> {
  const body = (await t.app.inject({ method: 'GET', url: '/actuator/prometheus', headers: { authorization: `Bearer ${ACTUATOR_TOKEN}` } })).body;
  const line = body.split('\n').find((l) => l.startsWith('degraded_mode{') && l.includes('mode="auth_fallback"'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Auth Service outage', () => {
  const tokens: string[] = [];
  let known: Awaited<ReturnType<typeof user>>;
  let revoked: Awaited<ReturnType<typeof user>>;

  it('while it is up: the service decides (a valid token works, a revoked one is refused)', async () => {
    known = await user();
    revoked = await user();
    tokens.push(known.token, revoked.token);

    const ok = await myBookings(known.token);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(auth.introspected).toContain(known.token);
    // Its answer is remembered under a hash of the token.
    const remembered = await redis.get(keyOf(known.token));
    expect(remembered).not.toBeNull();
    expect(JSON.parse(remembered!)).toMatchObject({ active: true, sub: known.id, roles: ['USER'] });

    expect((await myBookings(revoked.token)).statusCode).toBe(200);
    auth.revoke(revoked.token);
    expectUnauthenticated(await myBookings(revoked.token));

    // A forged token fails the local check and is refused without asking the service.
    const asked = auth.introspected.length;
    const forged = await signToken(OTHER_SECRET, { sub: known.id, roles: ['ADMIN'] });
    tokens.push(forged);
    expectUnauthenticated(await myBookings(forged));
    expect(auth.introspected.length).toBe(asked);
    expect(await authFallbackMetric()).toBe(0);
  });

  it('while it is down: known and validly signed tokens still work; forged and expired ones are refused', async () => {
    await auth.off();

    // Known token: the remembered answer (or the local check) lets it through.
    const ok = await myBookings(known.token);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await authFallbackMetric()).toBe(1);

    // Forged (another secret) and expired tokens are still refused.
    const forged = await signToken(OTHER_SECRET, { sub: known.id, roles: ['USER'] });
    const expired = await signToken(TEST_SECRET, { sub: known.id, roles: ['USER'] }, '-1h');
    tokens.push(forged, expired);
    expectUnauthenticated(await myBookings(forged));
    expectUnauthenticated(await myBookings(expired));

    // A token never seen before but validly signed works through the local check, roles included.
    const fresh = await user();
    const organizer = await user(['ORGANIZER']);
    tokens.push(fresh.token, organizer.token);
    const freshOk = await myBookings(fresh.token);
    expect(freshOk.statusCode, freshOk.body).toBe(200);
    expect(await redis.exists(keyOf(fresh.token))).toBe(0); // nothing to remember: the service never answered
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v2/events',
      headers: organizer.auth,
      payload: { title: 'Auth outage trip', startDate: inDays(3), endDate: inDays(4), capacity: 2 },
    });
    expect(created.statusCode, created.body).toBe(201);
    // A USER token does not become an organizer one through the fallback.
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v2/events',
      headers: fresh.auth,
      payload: { title: 'Not allowed', startDate: inDays(3), endDate: inDays(4), capacity: 2 },
    });
    expect(refused.statusCode).toBe(403);
  });

  it('back up: the service decides again (the revoked token is refused again) and the fallback metric clears', async () => {
    await auth.on();
    const asked = auth.introspected.length;
    expectUnauthenticated(await myBookings(revoked.token));
    expect(auth.introspected.length).toBeGreaterThan(asked);
    const ok = await myBookings(known.token);
    expect(ok.statusCode, ok.body).toBe(200);
    // The service answers again: the fallback is no longer in effect (docs/auth-service.md,
    // deploy/observability/README.md: 1 only *while* auth_fallback is active).
    expect(await authFallbackMetric()).toBe(0);
  });

  it('never stores a raw token in Redis, in keys or in values', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', 'be:auth:*', 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    expect(keys).toContain(keyOf(known.token));
    for (const key of keys) {
      expect(key).toMatch(/^be:auth:[0-9a-f]{64}$/);
      const value = (await redis.get(key)) ?? '';
      for (const token of tokens) {
        expect(key.includes(token)).toBe(false);
        expect(value.includes(token)).toBe(false);
        // Nor the signature part alone.
        expect(value.includes(token.split('.')[2]!)).toBe(false);
      }
    }
  });
});

describe('Auth Service outage without a local key (remembered answers only)', () => {
  let service: FakeAuthService;
  let app: TestApp;

  beforeAll(async () => {
    service = await startFakeAuthService(TEST_SECRET);
    // AUTH_JWT_SECRET empty: no local check at all, only the service and its remembered answers.
    app = await startTestApp({ AUTH_SERVICE_URL: service.url, AUTH_JWT_SECRET: '', REDIS_URL: inject('redisUrl'), RATE_LIMIT_MAX: '100000' });
    await redisReady(app);
  });

  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  const get = (token: string) => app.app.inject({ method: 'GET', url: '/api/v2/bookings', headers: bearer(token) });

  it('accepts a token the service vouched for from Redis, and refuses tokens it never saw', async () => {
    const known = await user();
    expect((await get(known.token)).statusCode).toBe(200);
    expect(await redis.exists(keyOf(known.token))).toBe(1);

    await service.off();
    const cached = await get(known.token);
    expect(cached.statusCode, cached.body).toBe(200);
    const unknown = await user();
    expectUnauthenticated(await get(unknown.token));

    await service.on();
    expect((await get(unknown.token)).statusCode).toBe(200);
  });
});
