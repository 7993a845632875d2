import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { signToken } from '@aquastream/adapters';
import { ensureBundle, startReplica, type Replica } from '../../../testing/bundle';
import { freshDatabase } from '../../../testing/database';
import { TEST_SECRET } from '../../../testing/app';
import { randomUUID } from 'node:crypto';
import type { Role } from '@aquastream/domain';

// A popular event opens: three replicas of the production bundle on one PostgreSQL, Redis and
// Kafka, every setting at its default, thousands of distinct people pressing "book" at once while
// others keep reading the event.
const REPLICAS = 3;
const USERS = 3_000;
const SEATS = 100;
const READERS = 12;

let databaseUrl: string;
const replicas: Replica[] = [];
let db: pg.Pool;

beforeAll(async () => {
  ensureBundle();
  databaseUrl = await freshDatabase('flash');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    KAFKA_BROKERS: inject('kafkaBrokers'),
    AUTH_JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'warn',
  };
  // FLASH_PROFILE_DIR=<dir>: CPU profiles of the replicas, written when they stop.
  const nodeArgs = process.env.FLASH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLASH_PROFILE_DIR}`] : [];
  // The first one migrates; the others start on the migrated database, as the chart's replicas do.
  replicas.push(await startReplica('replica-1', env, { nodeArgs }));
  replicas.push(
    ...(await Promise.all(Array.from({ length: REPLICAS - 1 }, (_, i) => startReplica(`replica-${i + 2}`, { ...env, RUN_MIGRATIONS: 'false' }, { nodeArgs })))),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await db?.end();
});

const bearer = async (roles: Role[], sub = randomUUID()) => `Bearer ${await signToken(TEST_SECRET, { sub, roles })}`;

async function publishedEvent(capacity: number): Promise<string> {
  const owner = await bearer(['ORGANIZER']);
  const start = Date.now() + 10 * 86_400_000;
  const created = await fetch(`${replicas[0]!.url}/api/v2/events`, {
    method: 'POST',
    headers: { authorization: owner, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'Opening day rafting',
      startDate: new Date(start).toISOString(),
      endDate: new Date(start + 3_600_000).toISOString(),
      capacity,
      price: { amount: 4900, currency: 'EUR' },
    }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await fetch(`${replicas[0]!.url}/api/v2/events/${id}/publish`, { method: 'POST', headers: { authorization: owner } })).status).toBe(200);
  return id;
}

interface Answer {
  replica: number;
  status: number;
  type?: string;
  bookingId?: string;
}

/** Every booker at once, spread over the replicas; connection errors (a killed replica) come back as status 0. */
function rush(eventId: string, tokens: string[], pick: (i: number) => number): Promise<Answer[]> {
  return Promise.all(
    tokens.map((token, i) => {
      const replica = pick(i);
      return fetch(`${replicas[replica]!.url}/api/v2/bookings`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: JSON.stringify({ eventId }),
      }).then(
        async (r) => {
          const body = (await r.json()) as { id?: string; type?: string };
          return { replica, status: r.status, type: body.type, bookingId: r.status === 201 ? body.id : undefined };
        },
        () => ({ replica, status: 0 }),
      );
    }),
  );
}

/**
 * Readers that keep reading the event (one read every few ms each) until told to stop; each read's
 * replica and status. `started` resolves once every reader has its token and has read once, so the
 * reads that follow overlap whatever starts after it (a sale takes well under a second).
 */
function readWhile(eventId: string, targets: () => number[]) {
  let reading = true;
  const reads: { replica: number; status: number }[] = [];
  let firstReads = 0;
  let allStarted!: () => void;
  const started = new Promise<void>((resolve) => (allStarted = resolve));
  const loops = Array.from({ length: READERS }, async (_, r) => {
    const token = await bearer(['USER']);
    for (let n = 0; reading; n++) {
      if (n === 1 && ++firstReads === READERS) allStarted();
      const live = targets();
      const replica = live[(r + n) % live.length]!;
      const status = await fetch(`${replicas[replica]!.url}/api/v2/events/${eventId}`, { headers: { authorization: token } }).then(
        async (res) => (await res.arrayBuffer(), res.status),
        () => 0,
      );
      reads.push({ replica, status });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  return {
    started,
    async stop() {
      reading = false;
      await Promise.all(loops);
      return reads;
    },
  };
}

async function activeBookings(eventId: string): Promise<{ ids: Set<string>; available: number }> {
  const rows = await db.query<{ id: string }>(`SELECT id FROM bookings WHERE event_id = $1 AND status IN ('PENDING', 'CONFIRMED')`, [eventId]);
  const event = await db.query<{ available: number }>('SELECT available FROM events WHERE id = $1', [eventId]);
  return { ids: new Set(rows.rows.map((r) => r.id)), available: event.rows[0]!.available };
}

async function breakerStates(replica: Replica): Promise<string[]> {
  const text = await (await fetch(`${replica.url}/actuator/prometheus`, { headers: { authorization: await bearer(['ADMIN']) } })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('resilience_circuit_breaker_state{') && l.endsWith(' 1'))
    .map((l) => /name="([^"]+)",state="([^"]+)"/.exec(l)!.slice(1).join('='));
}

describe('flash sale on three replicas with default settings', () => {
  it(`${USERS} people for ${SEATS} seats: exactly ${SEATS} booked, everyone else 409, no 5xx, every read 200, no breaker open`, async () => {
    const eventId = await publishedEvent(SEATS);
    const tokens = await Promise.all(Array.from({ length: USERS }, () => bearer(['USER'])));
    const readers = readWhile(eventId, () => replicas.map((_, i) => i));
    await readers.started;

    const answers = await rush(eventId, tokens, (i) => i % REPLICAS);
    const reads = await readers.stop();

    const byStatus: Record<string, Answer[]> = {};
    for (const a of answers) (byStatus[a.status] ??= []).push(a);
    const counts = Object.fromEntries(Object.entries(byStatus).map(([status, list]) => [status, list.length]));
    expect(Object.keys(byStatus).sort(), `answers by status: ${JSON.stringify(counts)}`).toEqual(['201', '409']);
    expect(byStatus['201']).toHaveLength(SEATS);
    expect(byStatus['409']!.every((a) => a.type?.endsWith('/event-full'))).toBe(true);
    expect(reads.length).toBeGreaterThan(READERS);
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);

    const stored = await activeBookings(eventId);
    expect(stored.ids.size).toBe(SEATS);
    expect(stored.available).toBe(0);
    for (const a of byStatus['201']!) expect(stored.ids.has(a.bookingId!)).toBe(true);
    for (const replica of replicas) expect((await breakerStates(replica)).filter((s) => !s.endsWith('=closed'))).toEqual([]);
  });

  it('one replica killed (SIGKILL) mid-rush: nothing oversold, every 201 a client got is stored, the others keep answering', async () => {
    const eventId = await publishedEvent(SEATS);
    const tokens = await Promise.all(Array.from({ length: USERS }, () => bearer(['USER'])));
    const victim = REPLICAS - 1;
    const survivors = replicas.map((_, i) => i).filter((i) => i !== victim);
    const readers = readWhile(eventId, () => (replicas[victim]!.alive() ? replicas.map((_, i) => i) : survivors));
    await readers.started;

    const rushing = rush(eventId, tokens, (i) => i % REPLICAS);
    // Mid-flight: the victim has accepted its share and is working through it.
    await new Promise((r) => setTimeout(r, 150));
    await replicas[victim]!.stop('SIGKILL');
    const answers = await rushing;
    const reads = await readers.stop();

    const fromSurvivors = answers.filter((a) => a.replica !== victim);
    expect(fromSurvivors.filter((a) => a.status !== 201 && a.status !== 409)).toEqual([]);
    // Reads of the victim that raced its death are the client's to retry; every survivor answered.
    expect(reads.filter((r) => r.replica !== victim && r.status !== 200)).toEqual([]);

    const stored = await activeBookings(eventId);
    expect(stored.ids.size).toBeLessThanOrEqual(SEATS);
    expect(stored.ids.size + stored.available).toBe(SEATS);
    const created = answers.filter((a) => a.status === 201);
    for (const a of created) expect(stored.ids.has(a.bookingId!)).toBe(true);
    // Seats the victim took but never answered for are still bookings, not lost seats.
    expect(stored.ids.size).toBeGreaterThanOrEqual(created.length);
    for (const i of survivors) expect((await breakerStates(replicas[i]!)).filter((s) => !s.endsWith('=closed'))).toEqual([]);
  });
});
