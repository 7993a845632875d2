import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { freshDatabase } from '../../../testing/database';
import { organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../testing/app';
import { startJobs } from './workers/jobs';

// Two replicas of the service on one PostgreSQL database, reached over real HTTP.
let replicas: TestApp[];
let urls: string[];

beforeAll(async () => {
  const databaseUrl = await freshDatabase('replicas');
  // Default settings, and the shared Redis every deployment of several replicas has.
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: inject('redisUrl') };
  replicas = [await startTestApp(env), await startTestApp(env)];
  urls = await Promise.all(replicas.map((r) => r.app.listen({ host: '127.0.0.1', port: 0 })));
});

afterAll(async () => {
  await Promise.all((replicas ?? []).map((r) => r.close()));
});

describe('booking on two replicas', () => {
  it('never oversells: 200 concurrent users, 10 seats, exactly 10 bookings and 190 problems', async () => {
    const owner = await organizer();
    const event = await publishedEvent(replicas[0]!.app, owner, { capacity: 10, price: { amount: 2500, currency: 'EUR' } });
    const users = await Promise.all(Array.from({ length: 200 }, () => user()));

    let lowest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const row = await sql<{ available: number }>`SELECT available FROM events WHERE id = ${event.id}`.execute(replicas[1]!.deps.database.db);
        lowest = Math.min(lowest, row.rows[0]!.available);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();

    const answers = await Promise.all(
      users.map((u, i) =>
        fetch(`${urls[i % 2]}/api/v2/bookings`, {
          method: 'POST',
          headers: { ...u.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ eventId: event.id }),
        }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as { type?: string } })),
      ),
    );
    sampling = false;
    await sampler;

    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 409);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(190);
    for (const r of refused) {
      expect(r.type).toContain('application/problem+json');
      expect(r.body.type).toMatch(/event-full$/);
    }
    const db = replicas[0]!.deps.database.db;
    const active = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE event_id = ${event.id} AND status IN ('PENDING','CONFIRMED')`.execute(
      db,
    );
    expect(active.rows[0]!.n).toBe(10);
    const after = (await fetch(`${urls[1]}/api/v2/events/${event.id}`).then((r) => r.json())) as { available: number };
    expect(after.available).toBe(0);
    expect(lowest).toBeGreaterThanOrEqual(0);
  });

  it('runs the expiry job on both replicas at once without processing a booking twice', async () => {
    const owner = await organizer();
    const event = await publishedEvent(replicas[0]!.app, owner, { capacity: 30, price: { amount: 1000, currency: 'EUR' } });
    const users = await Promise.all(Array.from({ length: 30 }, () => user()));
    for (const u of users) {
      const r = await replicas[0]!.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: u.auth, payload: { eventId: event.id } });
      expect(r.statusCode).toBe(201);
    }
    const db = replicas[0]!.deps.database.db;
    // Their holds ran out.
    await sql`UPDATE bookings SET expires_at = now() - interval '1 minute' WHERE event_id = ${event.id}`.execute(db);

    const silent = pino({ level: 'silent' });
    const jobs = replicas.map((r) => startJobs(r.deps, silent, { autoStart: false }));
    const [a, b] = await Promise.all(jobs.map((j) => j.tick()));
    expect((a?.expiredBookings ?? 0) + (b?.expiredBookings ?? 0)).toBe(30);

    const expiredEvents = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM outbox WHERE type = 'booking.expired' AND payload->>'eventId' = ${event.id}`.execute(db);
    expect(expiredEvents.rows[0]!.n).toBe(30);
    const after = await replicas[1]!.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}` });
    expect(after.json().available).toBe(30);
  });

  it('deletes expired idempotency keys from both replicas at once, each row once, fresh keys kept', async () => {
    const db = replicas[0]!.deps.database.db;
    const scope = `purge-test-${Date.now()}`;
    const old = new Date(Date.now() - 25 * 3_600_000);
    await sql`INSERT INTO idempotency_keys (scope, key, request_hash, status, response_status, response_body, created_at)
              SELECT ${scope}, 'old-' || i, 'h', 'DONE', 201, '{}', ${old} FROM generate_series(1, 2500) AS i`.execute(db);
    await sql`INSERT INTO idempotency_keys (scope, key, request_hash, status, response_status, response_body, created_at)
              SELECT ${scope}, 'fresh-' || i, 'h', 'DONE', 201, '{}', now() - interval '23 hours' FROM generate_series(1, 5) AS i`.execute(db);

    const silent = pino({ level: 'silent' });
    const jobs = replicas.map((r) => startJobs(r.deps, silent, { autoStart: false }));
    const [a, b] = await Promise.all(jobs.map((j) => j.tick()));
    expect((a?.expiredIdempotencyKeys ?? 0) + (b?.expiredIdempotencyKeys ?? 0)).toBe(2500);
    const left = await sql<{ key: string }>`SELECT key FROM idempotency_keys WHERE scope = ${scope} ORDER BY key`.execute(db);
    expect(left.rows.map((r) => r.key)).toEqual(['fresh-1', 'fresh-2', 'fresh-3', 'fresh-4', 'fresh-5']);
  });
});

describe('conditional changes on two replicas', () => {
  it('each replica answers the ETag of the copy it returns (cached or not); two edits of one version through both: one 200, one 412', async () => {
    const owner = await organizer();
    const event = await publishedEvent(replicas[0]!.app, owner);
    const read = async (i: number, headers: Record<string, string> = {}) => {
      const r = await fetch(`${urls[i]}/api/v2/events/${event.id}`, { headers });
      return {
        status: r.status,
        etag: r.headers.get('etag')!,
        body: r.status === 200 ? ((await r.json()) as { title: string; startDate: string; endDate: string }) : null,
      };
    };
    const first = await read(0);
    // Every ETag any answer carried, with the title stored at that version.
    const stored = new Map([[first.etag, first.body!.title]]);
    expect(await read(1)).toEqual(first); // now cached on both replicas
    expect((await read(1, { 'if-none-match': first.etag })).status).toBe(304);

    const edit = (i: number) =>
      fetch(`${urls[i]}/api/v2/events/${event.id}`, {
        method: 'PUT',
        headers: { ...owner.auth, 'content-type': 'application/json', 'if-match': first.etag },
        body: JSON.stringify({ title: `Edited through replica ${i}`, startDate: first.body!.startDate, endDate: first.body!.endDate, capacity: 10 }),
      });
    const answers = await Promise.all([edit(0), edit(1)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
    const winner = answers.find((a) => a.status === 200)!;
    stored.set(winner.headers.get('etag')!, ((await winner.json()) as { title: string }).title);

    // The change reaches the other replica's copy through Redis; until then it serves its old copy,
    // but always with that copy's own ETag.
    for (const i of [0, 1]) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const r = await read(i);
        expect(stored.get(r.etag), `replica ${i} answered ETag ${r.etag}`).toBe(r.body!.title);
        if (r.etag === winner.headers.get('etag')) break;
        expect(Date.now(), `replica ${i} still serves the version before the edit`).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect((await read(i, { 'if-none-match': first.etag })).status).toBe(200);
    }
  });
});
