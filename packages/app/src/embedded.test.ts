import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '@aquastream/adapters';
import { buildApp, type App } from './app';
import { createDeps, type Deps } from './composition-root';
import { loadConfig } from './config';

// The embedded default: no DATABASE_URL, no secret, no servers at all.
let dataDir: string;
let deps: Deps;
let app: App;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'embedded-'));
  deps = await createDeps(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', JOBS_ENABLED: 'false' }));
  app = await buildApp(deps, { swaggerUi: false });
});

afterAll(async () => {
  await app?.close();
  await deps?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded mode', () => {
  it('runs on PGlite with a generated dev secret and reports ready', async () => {
    expect(deps.mode).toBe('embedded');
    expect(deps.database.kind).toBe('pglite');
    expect(deps.devSecret).toMatch(/^[0-9a-f]{64}$/);
    const adminToken = `Bearer ${await signToken(deps.devSecret!, { sub: '00000000-0000-4000-8000-0000000000c1', roles: ['ADMIN'] })}`;
    const ready = await app.inject({ method: 'GET', url: '/actuator/health/readiness', headers: { authorization: adminToken } });
    expect(ready.json()).toMatchObject({ status: 'UP', components: { db: { status: 'UP', details: { database: 'PGlite (embedded)' } } } });
  });

  it('supports the whole flow: create, publish, book, pay in the sandbox, cancel with a refund', async () => {
    const organizer = { authorization: `Bearer ${await signToken(deps.devSecret!, { sub: '00000000-0000-4000-8000-0000000000a1', roles: ['ORGANIZER'] })}` };
    const booker = { authorization: `Bearer ${await signToken(deps.devSecret!, { sub: '00000000-0000-4000-8000-0000000000b1', roles: ['USER'] })}` };
    const start = new Date(Date.now() + 7 * 86_400_000);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/events',
      headers: organizer,
      payload: {
        title: 'Kayak day',
        startDate: start.toISOString(),
        endDate: new Date(start.getTime() + 3_600_000).toISOString(),
        capacity: 2,
        price: { amount: 4200, currency: 'EUR' },
      },
    });
    expect(created.statusCode).toBe(201);
    const eventId = created.json().id;
    expect((await app.inject({ method: 'POST', url: `/api/v2/events/${eventId}/publish`, headers: organizer })).statusCode).toBe(200);

    const booked = await app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker, payload: { eventId } });
    expect(booked.json()).toMatchObject({ status: 'PENDING', amount: { amount: 4200, currency: 'EUR' } });
    const paid = await app.inject({ method: 'POST', url: `/api/v2/bookings/${booked.json().id}/pay`, headers: booker });
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'SUCCEEDED', booking: { status: 'CONFIRMED', paymentStatus: 'PAID' } });

    const cancelled = await app.inject({ method: 'POST', url: `/api/v2/bookings/${booked.json().id}/cancel`, headers: booker });
    expect(cancelled.json()).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_PENDING' });
    expect(await deps.useCases.processRefunds()).toMatchObject({ refunded: 1 });
    const after = await app.inject({ method: 'GET', url: `/api/v2/bookings/${booked.json().id}`, headers: booker });
    expect(after.json().paymentStatus).toBe('REFUNDED');
    expect((await app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` })).json().available).toBe(2);
  });

  it('books ticket categories with a promo code limited to one of them on PGlite too', async () => {
    const organizer = { authorization: `Bearer ${await signToken(deps.devSecret!, { sub: '00000000-0000-4000-8000-0000000000a2', roles: ['ORGANIZER'] })}` };
    const booker = { authorization: `Bearer ${await signToken(deps.devSecret!, { sub: '00000000-0000-4000-8000-0000000000b2', roles: ['USER'] })}` };
    const start = new Date(Date.now() + 7 * 86_400_000);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/events',
      headers: organizer,
      payload: {
        title: 'Hike',
        startDate: start.toISOString(),
        endDate: new Date(start.getTime() + 3_600_000).toISOString(),
        capacity: 5,
        price: { amount: 5000, currency: 'RUB' },
      },
    });
    const eventId = created.json().id;
    await app.inject({ method: 'POST', url: `/api/v2/events/${eventId}/publish`, headers: organizer });
    const category = (payload: object) => app.inject({ method: 'POST', url: `/api/v2/events/${eventId}/categories`, headers: organizer, payload });
    const adult = (await category({ name: 'Adult', price: { amount: 5000, currency: 'RUB' } })).json().id;
    const child = (await category({ name: 'Child', price: { amount: 3000, currency: 'RUB' }, quota: 1 })).json().id;
    const code = await app.inject({
      method: 'POST',
      url: `/api/v2/events/${eventId}/promo-codes`,
      headers: organizer,
      payload: { code: 'KIDS', percentOff: 50, categoryIds: [child] },
    });
    expect(code.json()).toMatchObject({ categoryIds: [child], maxUses: null });
    const booked = await app.inject({
      method: 'POST',
      url: '/api/v2/bookings',
      headers: booker,
      payload: {
        eventId,
        promoCode: 'kids',
        lines: [
          { categoryId: adult, seats: 1 },
          { categoryId: child, seats: 1 },
        ],
      },
    });
    expect(booked.json()).toMatchObject({ seats: 2, amount: { amount: 6500, currency: 'RUB' } });
    const categories = await app.inject({ method: 'GET', url: `/api/v2/events/${eventId}/categories` });
    expect(categories.json().items.map((c: { available: number | null }) => c.available)).toEqual([null, 0]);
  });
});
