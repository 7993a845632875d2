import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { organizer, startTestApp, user, type TestApp } from '../../../testing/app';
import { createEventClient, ok, ProblemError } from './client';
import { walkReadmeFlow } from './flow';

const here = new URL('..', import.meta.url).pathname;

describe('generated TypeScript client', () => {
  it('is generated from the committed openapi.json (`pnpm openapi` regenerates both)', async () => {
    // The root typecheck compiles client.ts and flow.ts against this file, so a document change
    // that breaks the client fails there once the file is regenerated, and here until it is.
    const dir = mkdtempSync(join(tmpdir(), 'openapi-typescript-'));
    try {
      const fresh = join(dir, 'schema.d.ts');
      await promisify(execFile)(join(here, 'node_modules/.bin/openapi-typescript'), ['../../openapi.json', '--output', fresh], { cwd: here });
      expect(readFileSync(fresh, 'utf8')).toBe(readFileSync(join(here, 'src/schema.d.ts'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('generated TypeScript client against the running service (PostgreSQL, Redis, Kafka)', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp({
      REDIS_URL: inject('redisUrl'),
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_CONSUMER_GROUP: `client-${randomUUID()}`,
      CONSUMERS_ENABLED: 'false',
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("walks the README's flow: create, publish, book, pay, join the waitlist, read v1", async () => {
    const [owner, booker, waiter] = [await organizer(), await user(), await user()];
    const flow = await walkReadmeFlow(baseUrl, { organizer: owner.token, booker: booker.token, waiter: waiter.token });

    expect(flow.event).toMatchObject({ status: 'PUBLISHED', capacity: 1, organizerId: owner.id, price: { amount: 5000, currency: 'EUR' } });
    expect(flow.booking).toMatchObject({ eventId: flow.event.id, userId: booker.id, status: 'PENDING', amount: { amount: 5000, currency: 'EUR' } });
    expect(flow.payment).toMatchObject({ status: 'SUCCEEDED', booking: { id: flow.booking.id, status: 'CONFIRMED', paymentStatus: 'PAID' } });
    expect(flow.waitlistEntry).toMatchObject({ eventId: flow.event.id, userId: waiter.id, status: 'WAITING', position: 1 });
    expect(flow.eventV1).toEqual({ id: flow.event.id, title: 'Rafting on the Katun', description: null, start_date: flow.event.startDate, location: null });
    expect(flow.v1Deprecation).toBe('true');

    // What the flow left, read back through the client: the seat is taken and the waiter in line.
    const anonymous = createEventClient(baseUrl);
    expect(ok(await anonymous.GET('/api/v2/events/{id}', { params: { path: { id: flow.event.id } } })).available).toBe(0);
    const mine = ok(await createEventClient(baseUrl, booker.token).GET('/api/v2/bookings', { params: { query: { status: 'CONFIRMED' } } }));
    expect(mine.items.map((b) => b.id)).toEqual([flow.booking.id]);
    expect(
      ok(await createEventClient(baseUrl, waiter.token).GET('/api/v2/events/{id}/waitlist/me', { params: { path: { id: flow.event.id } } })),
    ).toMatchObject({
      status: 'WAITING',
      position: 1,
    });
  });

  it('hands the RFC 7807 problem of a refused request to the caller, typed', async () => {
    const [owner, booker] = [await organizer(), await user()];
    const flow = await walkReadmeFlow(baseUrl, { organizer: owner.token, booker: booker.token, waiter: (await user()).token });
    const again = await createEventClient(baseUrl, (await user()).token).POST('/api/v2/bookings', { body: { eventId: flow.event.id } });
    expect(again.data).toBeUndefined();
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get('content-type')).toContain('application/problem+json');
    expect(again.error).toMatchObject({ status: 409, type: expect.stringMatching(/\/event-full$/) });
    expect(() => ok(again)).toThrow(ProblemError);

    const anonymous = await createEventClient(baseUrl).POST('/api/v2/bookings', { body: { eventId: flow.event.id } });
    expect(anonymous.response.status).toBe(401);
  });
});
