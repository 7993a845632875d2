import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../testing/app';
import { expectProblem } from '../../../testing/problems';

// A booking whose transaction dies of a real deadlock on PostgreSQL: another session holds the
// outbox table (the booking's last write) and then asks for the event row the booking holds. The
// booking waited first, so PostgreSQL aborts it (after deadlock_timeout) and the other goes on.
let t: TestApp;
let other: pg.Client;

beforeAll(async () => {
  t = await startTestApp();
  other = new pg.Client({ connectionString: t.databaseUrl });
  await other.connect();
});
afterAll(async () => {
  await other?.end();
  await t?.close();
});

/** Waits until some other backend of this database waits for a lock the other session holds. */
async function aBackendWaits(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await other.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no backend ever waited for the lock');
}

/** Deadlocks the booking's transaction `times` times in a row, then lets it through. */
async function deadlock(eventId: string, times: number): Promise<void> {
  await other.query('BEGIN');
  await other.query('LOCK TABLE outbox IN EXCLUSIVE MODE');
  return (async () => {
    for (let i = 0; i < times; i++) {
      await aBackendWaits();
      // Well after it: the backend whose deadlock_timeout expires first aborts itself, and a busy
      // machine may wake one late.
      await new Promise((r) => setTimeout(r, 300));
      // Rolling back to the savepoint gives the row up again but keeps the outbox locked for the next try.
      await other.query('SAVEPOINT row');
      await other.query('UPDATE events SET available = available WHERE id = $1', [eventId]);
      await other.query('ROLLBACK TO SAVEPOINT row');
    }
    await other.query('ROLLBACK');
  })();
}

// A booking by line has a transaction of its own that takes the event's row before it writes the
// outbox, the order this deadlock needs. (Plain bookings decided together write the outbox before
// they take the row, so this interleaving cannot deadlock them; their transaction goes through the
// same retry.)
const book = (eventId: string, auth: { authorization: string }) =>
  t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: auth, payload: { eventId, lines: [{ categoryId: eventId, seats: 1 }] } });
const activeBookings = async (eventId: string) =>
  Number((await other.query(`SELECT count(*) FROM bookings WHERE event_id = $1 AND status IN ('PENDING', 'CONFIRMED')`, [eventId])).rows[0].count);
const availableSeats = async (eventId: string) => Number((await other.query('SELECT available FROM events WHERE id = $1', [eventId])).rows[0].available);

describe('a booking that dies of a deadlock', () => {
  it('is run again and answers 201, once', async () => {
    const event = await publishedEvent(t.app, await organizer());
    const booker = await user();
    const contention = deadlock(event.id, 1);
    const res = await book(event.id, booker.auth);
    await contention;
    expect(res.statusCode).toBe(201);
    expect(await activeBookings(event.id)).toBe(1);
    expect(await availableSeats(event.id)).toBe(event.capacity - 1);
  });

  it('answers 503 database-contention with Retry-After when every try deadlocks, never 500, and books nothing', async () => {
    const event = await publishedEvent(t.app, await organizer());
    const booker = await user();
    const contention = deadlock(event.id, 4);
    const res = await book(event.id, booker.auth);
    await contention;
    expectProblem(res, 503, 'database-contention');
    expect(res.headers['retry-after']).toBe('1');
    expect(await activeBookings(event.id)).toBe(0);
    expect(await availableSeats(event.id)).toBe(event.capacity);
    // Nothing was done: the same booking goes through once the contention is gone.
    expect((await book(event.id, booker.auth)).statusCode).toBe(201);
  });
});
