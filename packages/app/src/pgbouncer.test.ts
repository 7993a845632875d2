import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { organizer, publishedEvent, startTestApp, user, type TestApp, type TestUser } from '../../../testing/app';
import { freshDatabase } from '../../../testing/database';
import { startPgBouncer, type PgBouncer } from '../../../testing/services/pgbouncer';
import { startWorkers, type Workers } from './workers/index';

// The service behind PgBouncer in transaction mode, as the chart runs it (pgbouncer.enabled): two
// replicas with pools of 10 share 3 server connections, so any session state (a session advisory
// lock, a named prepared statement, a SET, a LISTEN) would leak between clients or be lost between
// two transactions of one client. The migrations run directly against PostgreSQL, as the chart's
// migration Job does.
const POOL = 3;
let bouncer: PgBouncer;
let direct: string;
let database: string;
let replicas: TestApp[] = [];
let workers: Workers[] = [];
let owner: TestUser;

const serverConnections = async (): Promise<number> => {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  direct = await freshDatabase('bouncer');
  database = new URL(direct).pathname.slice(1);
  // Migrate directly (the chart's Job bypasses PgBouncer), then serve through it only.
  await (await startTestApp({ DATABASE_URL: direct })).close();
  // Its backends end asynchronously after the close: wait, so that every server connection counted
  // below is one PgBouncer opened.
  for (const deadline = Date.now() + 10_000; (await serverConnections()) > 0 && Date.now() < deadline;) await sleep(50);
  bouncer = await startPgBouncer(inject('postgresUrl'), { poolSize: POOL });
  const env = {
    DATABASE_URL: bouncer.urlFor(direct),
    RUN_MIGRATIONS: 'false',
    DB_POOL_MAX: '10',
    REDIS_URL: inject('redisUrl'),
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_CONSUMER_GROUP: `bouncer-${randomUUID()}`,
    OUTBOX_RELAY_INTERVAL: '50ms',
    JOBS_ENABLED: 'true',
    JOBS_INTERVAL: '200ms',
  };
  replicas = [await startTestApp(env), await startTestApp(env)];
  // Both replicas run the relay (transaction-scoped advisory lock) and the jobs (SKIP LOCKED).
  workers = replicas.map((r) => startWorkers(r.deps, pino({ enabled: false })));
  owner = await organizer();
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(replicas.map((r) => r.close()));
  await bouncer?.destroy();
});

const book = (t: TestApp, who: TestUser, eventId: string) => t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });

describe('through PgBouncer in transaction mode', () => {
  it('serves a booking rush on two replicas with pools of 10 over 3 server connections: seats add up', async () => {
    const event = await publishedEvent(replicas[0]!.app, owner, { capacity: 10 });
    const people = await Promise.all(Array.from({ length: 60 }, () => user()));
    const answers = await Promise.all(people.map((p, i) => book(replicas[i % 2]!, p, event.id)));
    const codes = answers.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c === 409)).toHaveLength(50);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM bookings WHERE event_id = ${event.id} AND status IN ('PENDING', 'CONFIRMED')`.execute(replicas[1]!.deps.database.db);
    expect(rows[0]!.n).toBe(10);
    const read = await replicas[1]!.app.inject({ method: 'GET', url: `/api/v2/events/${event.id}` });
    expect(read.json().available).toBe(0);
    // The replicas held more client connections than PostgreSQL ever saw server connections.
    const clients = replicas.reduce((sum, r) => sum + r.deps.database.poolStats().active + r.deps.database.poolStats().idle, 0);
    expect(clients).toBeGreaterThan(POOL);
    // A server connection PgBouncer closed stays in pg_stat_activity until its backend has exited
    // (as in beforeAll): read again for a moment before counting one too many.
    let servers = await serverConnections();
    for (const deadline = Date.now() + 5_000; servers > POOL && Date.now() < deadline; servers = await serverConnections()) await sleep(50);
    expect(servers).toBeLessThanOrEqual(POOL);
  });

  it('relays the outbox to Kafka with two relays taking turns (a transaction-scoped advisory lock)', async () => {
    const event = await publishedEvent(replicas[1]!.app, owner, { capacity: 20 });
    const people = await Promise.all(Array.from({ length: 20 }, () => user()));
    await Promise.all(people.map((p, i) => book(replicas[i % 2]!, p, event.id)));
    const db = replicas[0]!.deps.database.db;
    const deadline = Date.now() + 30_000;
    let left = -1;
    while (Date.now() < deadline) {
      left = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`.execute(db)).rows[0]!.n;
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(left).toBe(0);
    // This file's database: 2 events and 30 bookings so far, every change relayed.
    const published = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL`.execute(db);
    expect(published.rows[0]!.n).toBeGreaterThanOrEqual(32);
  });
});
