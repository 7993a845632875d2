import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { organizer, publishedEvent, startReplicas, user, type TestApp, type TestUser } from '../../../../testing/app';
import { startJobs } from './jobs';

// The retention job bounds the outbox and the processed-message ids: 200,000 finished rows past
// their retention are deleted by the jobs of two replicas at once, in batches, while bookings go
// on, and the bookings' p99 during the purge stays close to the p99 before it.

const silent = pino({ level: 'silent' });
let a: TestApp;
let b: TestApp;
let owner: TestUser;

beforeAll(async () => {
  [a, b] = (await startReplicas(2, 'retention')) as [TestApp, TestApp];
  owner = await organizer();
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(a.deps.database.db)).rows[0]!.n;
const p99 = (samples: number[]) => [...samples].sort((x, y) => x - y)[Math.ceil(samples.length * 0.99) - 1]!;

/** `n` bookings of one event by `n` new users, `concurrency` at a time, on both replicas; their latencies in ms. */
async function bookings(eventId: string, n: number, concurrency = 6): Promise<number[]> {
  const people = await Promise.all(Array.from({ length: n }, () => user()));
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (next < people.length) {
        const who = people[next++]!;
        const started = performance.now();
        const res = await (lane % 2 ? b : a).app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });
        latencies.push(performance.now() - started);
        expect(res.statusCode).toBe(201);
      }
    }),
  );
  return latencies;
}

describe('retention', () => {
  it(
    'deletes 200,000 finished rows past retention on two replicas at once, keeps the rest, and leaves the booking p99 as it was',
    { timeout: 240_000 },
    async () => {
      const db = a.deps.database.db;
      // 120,000 shipped outbox rows 8-38 days old, 80,000 processed-message ids 8-28 days old (past the
      // 7-day default); kept: 1,000 shipped yesterday, 500 never shipped although 30 days old, 1,000
      // processed ids from yesterday.
      await sql`INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at, published_at)
              SELECT gen_random_uuid(), 'booking', 'b-' || g, 'booking.created', '{"seats":1}', now() - interval '40 days',
                     now() - interval '8 days' - (g % 30) * interval '1 day'
              FROM generate_series(1, 120000) g`.execute(db);
      await sql`INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at, published_at)
              SELECT gen_random_uuid(), 'booking', 'recent-' || g, 'booking.created', '{}', now() - interval '1 day', now() - interval '1 day'
              FROM generate_series(1, 1000) g`.execute(db);
      await sql`INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at)
              SELECT gen_random_uuid(), 'booking', 'unshipped-' || g, 'booking.created', '{}', now() - interval '30 days'
              FROM generate_series(1, 500) g`.execute(db);
      await sql`INSERT INTO processed_messages (consumer, message_id, processed_at)
              SELECT 'payment-retry', 'old-' || g, now() - interval '8 days' - (g % 20) * interval '1 day' FROM generate_series(1, 80000) g`.execute(db);
      await sql`INSERT INTO processed_messages (consumer, message_id, processed_at)
              SELECT 'payment-retry', 'recent-' || g, now() - interval '1 day' FROM generate_series(1, 1000) g`.execute(db);
      await sql`ANALYZE outbox`.execute(db);
      await sql`ANALYZE processed_messages`.execute(db);
      const sizeBefore = await count(sql<{ n: number }>`SELECT (pg_total_relation_size('outbox') + pg_total_relation_size('processed_messages'))::float8 AS n`);

      const event = await publishedEvent(a.app, owner, { capacity: 5_000 });
      const unshipped = sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`;
      const u0 = await count(unshipped);
      await bookings(event.id, 60); // warm-up: connections, caches, JIT
      const perBooking = ((await count(unshipped)) - u0) / 60;
      const before = await bookings(event.id, 400);
      const u1 = await count(unshipped);

      // The jobs of both replicas, tick after tick with no pause (the scheduler waits JOBS_INTERVAL
      // between ticks): harder on the database than production, at the same time as the bookings.
      const jobs = [a, b].map((t) => startJobs(t.deps, silent, { autoStart: false }));
      let purging = true;
      const deleted = { outbox: 0, processed_messages: 0, ticks: 0 };
      const purge = Promise.all(
        jobs.map(async (j) => {
          while (purging) {
            const done = await j.tick();
            deleted.ticks++;
            if (done.retention === 0) break;
          }
        }),
      );
      const started = performance.now();
      const during = await bookings(event.id, 400);
      const bookingsMs = performance.now() - started;
      const overlapped =
        deleted.ticks > 0 && (await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at < now() - interval '7 days'`)) < 120_000;
      await purge;
      purging = false;

      for (const t of [a, b]) {
        const metrics = (await t.deps.metrics.render()).body;
        const deletedOf = (table: string) => Number(new RegExp(`^retention_deleted_rows_total\\{table="${table}"\\} (\\d+)`, 'm').exec(metrics)?.[1]);
        deleted.outbox += deletedOf('outbox');
        deleted.processed_messages += deletedOf('processed_messages');
        expect(metrics).toMatch(/^database_table_size_bytes\{table="outbox"\} \d+/m);
        expect(metrics).toMatch(/^retention_overdue_rows\{table="outbox"\} 0$/m);
        expect(metrics).toMatch(/^retention_overdue_rows\{table="processed_messages"\} 0$/m);
      }
      const ratio = p99(during) / p99(before);
      console.log(
        `retention: deleted ${deleted.outbox} outbox rows and ${deleted.processed_messages} processed ids in ${deleted.ticks} ticks on 2 replicas; ` +
          `booking p99 before ${p99(before).toFixed(1)} ms, during the purge ${p99(during).toFixed(1)} ms (ratio ${ratio.toFixed(2)}); ` +
          `bookings during the purge took ${bookingsMs.toFixed(0)} ms; tables ${(sizeBefore / 1e6).toFixed(1)} MB before`,
      );

      // Every finished row past retention went, exactly once across the two replicas; nothing else did.
      expect(deleted.outbox).toBe(120_000);
      expect(deleted.processed_messages).toBe(80_000);
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL`)).toBe(1_000);
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE aggregate_id LIKE 'unshipped-%'`)).toBe(500);
      // The events of the bookings made during the purge (never shipped here: no relay runs) are all there.
      expect(perBooking).toBeGreaterThanOrEqual(1);
      expect(await count(unshipped)).toBe(u1 + 400 * perBooking);
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM processed_messages`)).toBe(1_000);
      // The purge ran while the bookings did, and they did not slow down beyond noise.
      expect(overlapped).toBe(true);
      expect(ratio).toBeLessThan(3);

      // Bounded: new finished rows past retention are deleted by the next run, so the table stops growing.
      await sql`UPDATE outbox SET published_at = now() - interval '8 days' WHERE aggregate_id LIKE 'recent-%'`.execute(db);
      expect((await jobs[1]!.tick()).retention).toBe(1_000);
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL`)).toBe(0);
    },
  );
});
