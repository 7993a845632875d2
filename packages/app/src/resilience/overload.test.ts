import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../../testing/app';

type Reply = Awaited<ReturnType<TestApp['app']['inject']>>;

function expectProblem(res: Reply, status: number, slug: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json() as { type: string; status: number; title: string };
  expect(body.type).toMatch(new RegExp(`/${slug}$`));
  expect(body.status).toBe(status);
  expect(body.title).toBeTruthy();
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1, `retry-after: ${String(res.headers['retry-after'])}`).toBe(true);
  return retryAfter;
}

for (const store of ['in-process', 'Redis'] as const) {
  describe(`rate limiting per user (${store} counters)`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW: '1m', ...(store === 'Redis' ? { REDIS_URL: inject('redisUrl') } : {}) });
      if (store === 'Redis') {
        const client = t.deps.redis!;
        if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      }
    });
    afterAll(() => t?.close());

    it('answers the 6th request of a user with 429 problem and retry-after; another user is not affected', async () => {
      const greedy = await user();
      const other = await user();
      const mine = () => t.app.inject({ method: 'GET', url: '/api/v2/bookings', headers: greedy.auth });

      for (let i = 1; i <= 5; i++) {
        const res = await mine();
        expect(res.statusCode, `request ${i}: ${res.body}`).toBe(200);
      }
      const sixth = await mine();
      const retryAfter = expectProblem(sixth, 429, 'too-many-requests');
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Still limited on the next one, and on another route (the limit is per user, not per route).
      expect((await mine()).statusCode).toBe(429);
      expect((await t.app.inject({ method: 'GET', url: '/api/v2/events', headers: greedy.auth })).statusCode).toBe(429);

      // Another user has a budget of their own.
      for (let i = 1; i <= 5; i++) {
        const res = await t.app.inject({ method: 'GET', url: '/api/v2/bookings', headers: other.auth });
        expect(res.statusCode, `other user's request ${i}: ${res.body}`).toBe(200);
      }
      // Probes are never limited.
      for (let i = 0; i < 10; i++) expect((await t.app.inject({ method: 'GET', url: '/actuator/health/liveness' })).statusCode).toBe(200);
    });
  });
}

describe('rate limiting shared by two replicas (Redis)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const replica = () => startTestApp({ RATE_LIMIT_MAX: '6', RATE_LIMIT_WINDOW: '1m', REDIS_URL: inject('redisUrl') });
    [a, b] = await Promise.all([replica(), replica()]);
    for (const client of [a.deps.redis!, b.deps.redis!]) if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(() => Promise.all([a?.close(), b?.close()]));

  it("counts a user's requests on both replicas against one limit", async () => {
    const greedy = await user();
    const on = (t: TestApp) => t.app.inject({ method: 'GET', url: '/api/v2/bookings', headers: greedy.auth });
    for (const [i, t] of [a, b, a, b, a, b].entries()) expect((await on(t)).statusCode, `request ${i + 1}`).toBe(200);
    // Far below the limit each replica adds its counts to Redis in a batch (every 100 ms).
    await sleep(300);
    expectProblem(await on(a), 429, 'too-many-requests');
    expectProblem(await on(b), 429, 'too-many-requests');
    const keys = await a.deps.redis!.keys('be:rate:*');
    expect(keys.length).toBeGreaterThan(0);
  });
});

describe('load shedding under memory pressure', () => {
  let t: TestApp;

  beforeAll(async () => {
    // 1 byte of heap: always "under pressure" once under-pressure has taken its first sample.
    t = await startTestApp({ OVERLOAD_MAX_HEAP_BYTES: '1', RATE_LIMIT_MAX: '100000' });
  });
  afterAll(() => t?.close());

  it('sheds low-priority lists with 503 overloaded while bookings and probes go through', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { capacity: 3 });

    // under-pressure samples about every second: wait until the list is shed.
    const deadline = Date.now() + 10_000;
    let list: Reply;
    for (;;) {
      list = await t.app.inject({ method: 'GET', url: '/api/v2/events' });
      if (list.statusCode === 503 || Date.now() > deadline) break;
      expect(list.statusCode).toBe(200);
      await sleep(100);
    }
    expectProblem(list, 503, 'overloaded');
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v2/locations' }), 503, 'overloaded');
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}/weather` }), 503, 'overloaded');

    // High-priority work still goes through under the same pressure.
    const booking = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: (await user()).auth, payload: { eventId: event.id } });
    expect(booking.statusCode, booking.body).toBe(201);
    const read = await t.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}` });
    expect(read.statusCode).toBe(200);
    expect((read.json() as { available: number }).available).toBe(2);
    expect((await t.app.inject({ method: 'GET', url: '/actuator/health/liveness' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/actuator/health/readiness' })).statusCode).toBe(200);

    // And the list is still shed afterwards (the pressure has not gone away).
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v2/events' }), 503, 'overloaded');
  });
});
