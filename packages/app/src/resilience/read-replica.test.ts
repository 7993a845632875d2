import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { admin, organizer, publishedEvent, redisConnected, startTestApp, user, type TestApp, type TestUser } from '../../../../testing/app';
import { startPostgres, startStandby, type PostgresServer } from '../../../../testing/services/postgres';

// A primary and a streaming standby of this file's own (the shared server has no standby), the
// service with DATABASE_URL at the primary and DATABASE_READ_URL at the standby, every setting at
// its default (DATABASE_READ_MAX_LAG 5 s: a change is read from the primary for 6 s).
let primary: PostgresServer;
let standby: PostgresServer;
let t: TestApp;
let owner: TestUser;

beforeAll(async () => {
  primary = await startPostgres();
  const databaseUrl = await primary.createDatabase('replica');
  standby = await startStandby(primary);
  t = await startTestApp({
    DATABASE_URL: databaseUrl,
    DATABASE_READ_URL: new URL(new URL(databaseUrl).pathname, standby.url).toString(),
    REDIS_URL: inject('redisUrl'),
    RATE_LIMIT_MAX: '100000',
  });
  await redisConnected(t);
  owner = await organizer();
}, 120_000);

afterAll(async () => {
  await t?.close();
  await standby?.destroy();
  await primary?.destroy();
});

const reads = () =>
  t.deps.metrics.render().then(({ body }) => ({
    primary: Number(/^db_reads_total\{server="primary"\} (\d+)/m.exec(body)?.[1] ?? 0),
    replica: Number(/^db_reads_total\{server="replica"\} (\d+)/m.exec(body)?.[1] ?? 0),
  }));
const attendees = (eventId: string) =>
  t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}/attendees`, headers: { ...owner.auth, accept: 'application/json' } });
const book = (eventId: string, who: TestUser) => t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(100);
  }
}

/** The standby has replayed everything the primary wrote so far. */
async function replicaCaughtUp() {
  const client = new pg.Client({ connectionString: primary.url });
  await client.connect();
  try {
    await eventually('the standby to replay the primary', async () => {
      const { rows } = await client.query<{ behind: boolean }>('SELECT bool_or(replay_lsn < pg_current_wal_lsn()) AS behind FROM pg_stat_replication');
      return rows[0]?.behind === false;
    });
  } finally {
    await client.end();
  }
}

describe('DATABASE_READ_URL: a read replica', () => {
  let eventId: string;

  it('the attendee list is read from the primary right after a booking (read-your-writes) and from the replica once the change is old', async () => {
    eventId = (await publishedEvent(t.app, owner, { capacity: 20 })).id;
    const booker = await user();
    expect((await book(eventId, booker)).statusCode).toBe(201);

    // Just written: the replica may not have it yet, so the primary answers, with the booking.
    let before = await reads();
    const fresh = await attendees(eventId);
    expect(fresh.statusCode, fresh.body).toBe(200);
    expect(JSON.stringify(fresh.json())).toContain(booker.id);
    let after = await reads();
    expect(after.primary).toBeGreaterThan(before.primary);
    expect(after.replica).toBe(before.replica);

    // Past the window (DATABASE_READ_MAX_LAG + the probe's second): the replica answers, with the same list.
    await replicaCaughtUp();
    await sleep(6_500);
    before = await reads();
    const later = await attendees(eventId);
    expect(later.statusCode).toBe(200);
    expect(later.json()).toEqual(fresh.json());
    after = await reads();
    expect(after.replica).toBeGreaterThan(before.replica);

    const health = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth });
    const replica = (health.json() as { components: Record<string, { status: string; details: { lagSeconds: number } }> }).components.dbReplica!;
    expect(replica.status).toBe('UP');
    expect(replica.details.lagSeconds).toBeLessThan(5);
    const { body } = await t.deps.metrics.render();
    expect(body).toMatch(/^db_replica_lag_seconds \d/m);
  });

  it('a replica lagging past DATABASE_READ_MAX_LAG is bypassed: reads go to the primary and see every change', async () => {
    const client = new pg.Client({ connectionString: standby.url });
    await client.connect();
    await client.query('SELECT pg_wal_replay_pause()');
    try {
      // Writes the standby receives but does not replay: its lag grows past 5 s.
      const booker = await user();
      expect((await book(eventId, booker)).statusCode).toBe(201);
      await eventually(
        'the lag to pass DATABASE_READ_MAX_LAG',
        async () => {
          expect((await book(eventId, await user())).statusCode).toBe(201);
          return (t.deps.metrics.render().then(({ body }) => Number(/^db_replica_lag_seconds (\S+)/m.exec(body)?.[1] ?? 0)) as Promise<number>).then(
            (lag) => lag > 5,
          );
        },
        20_000,
      );
      await sleep(6_500); // past the bookings' own read-your-writes window
      const before = await reads();
      const res = await attendees(eventId);
      expect(res.statusCode).toBe(200);
      expect(JSON.stringify(res.json())).toContain(booker.id);
      const after = await reads();
      expect(after.replica).toBe(before.replica);
      expect(after.primary).toBeGreaterThan(before.primary);
      const health = await t.app.inject({ method: 'GET', url: '/actuator/health', headers: (await admin()).auth });
      expect((health.json() as { components: Record<string, { status: string }> }).components.dbReplica!.status).toBe('DEGRADED');
    } finally {
      await client.query('SELECT pg_wal_replay_resume()');
      await client.end();
    }
  });

  it('while the primary is down, the whole catalogue is read from the replica (not only cached events); writes get 503 read-only', async () => {
    // Events nobody has read yet: not in any cache.
    const unread = [];
    for (let i = 0; i < 3; i++) unread.push((await publishedEvent(t.app, owner, { title: `Unread ${i}` })).id);
    await replicaCaughtUp();
    await t.deps.redis!.flushdb();

    await primary.stop();
    try {
      for (const id of unread) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v2/events/${id}` });
        expect(res.statusCode, res.body).toBe(200);
        expect((res.json() as { id: string }).id).toBe(id);
      }
      const list = await t.app.inject({ method: 'GET', url: '/api/v2/events', query: { size: '100' } });
      expect(list.statusCode, list.body).toBe(200);
      const listed = (list.json() as { items: { id: string }[] }).items.map((e) => e.id);
      for (const id of unread) expect(listed).toContain(id);
      expect((await attendees(eventId)).statusCode).toBe(200);
      const v1 = await t.app.inject({ method: 'GET', url: `/api/v1/events/${unread[0]}` });
      expect(v1.statusCode, v1.body).toBe(200);

      const refused = await book(unread[0]!, await user());
      expect(refused.statusCode).toBe(503);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await primary.start();
    }
  });
});
