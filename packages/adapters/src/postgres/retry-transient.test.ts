import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { isDomainError, type TransactionScope } from '@aquastream/domain';
import { migrateToLatest } from '@aquastream/db';
import { freshDatabase } from '../../../../testing/database';
import { anEvent } from '@aquastream/domain/testing';
import { connectPostgres, type DatabaseHandle } from './database';
import { createPgUnitOfWork } from './unit-of-work';

let url: string;
let handle: DatabaseHandle;

beforeAll(async () => {
  url = await freshDatabase('deadlock');
  handle = connectPostgres({ url });
  await migrateToLatest(handle.db);
});
afterAll(() => handle?.close());

const now = () => new Date();
const available = async (id: string) => (await handle.db.selectFrom('events').select('available').where('id', '=', id).executeTakeFirstOrThrow()).available;
const deadlocks = async () =>
  Number((await sql<{ deadlocks: string }>`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`.execute(handle.db)).rows[0]!.deadlocks);

/** Resolves once `n` callers have arrived; every later caller passes at once. */
function barrier(n: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived >= n) open();
    return opened;
  };
}

async function twoEvents(): Promise<[string, string]> {
  const [a, b] = [anEvent({ capacity: 10, available: 10 }), anEvent({ capacity: 10, available: 10 })];
  await createPgUnitOfWork(handle.db).run(async (tx) => {
    await tx.events.insert(a);
    await tx.events.insert(b);
  });
  return [a.id, b.id];
}

/** pg_stat_database counts deadlocks with a delay (the statistics collector): wait for the count to move. */
async function deadlocksAfter(before: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    await sql`SELECT pg_stat_clear_snapshot()`.execute(handle.db);
    const seen = await deadlocks();
    if (seen > before) return seen - before;
    await new Promise((r) => setTimeout(r, 100));
  }
  return 0;
}

describe('a unit of work that dies of a deadlock', () => {
  it('is run again and commits: two transactions taking seats on two events in opposite order both succeed', async () => {
    const [a, b] = await twoEvents();
    const before = await deadlocks();
    const uow = createPgUnitOfWork(handle.db);
    const bothHoldTheirFirstRow = barrier(2);
    const attempts = { ab: 0, ba: 0 };
    const takeInOrder = (first: string, second: string, name: keyof typeof attempts) => async (tx: TransactionScope) => {
      attempts[name]++;
      expect(await tx.events.takeSeats(first, 1, now())).toBe(true);
      await bothHoldTheirFirstRow();
      expect(await tx.events.takeSeats(second, 1, now())).toBe(true);
      return name;
    };

    const results = await Promise.all([uow.run(takeInOrder(a, b, 'ab')), uow.run(takeInOrder(b, a, 'ba'))]);

    expect(results).toEqual(['ab', 'ba']);
    // One of them was the deadlock's victim and ran twice; nothing of its first run was kept.
    expect(attempts.ab + attempts.ba).toBe(3);
    expect(await available(a)).toBe(8);
    expect(await available(b)).toBe(8);
    expect(await deadlocksAfter(before)).toBe(1);
  });

  it('answers DatabaseContentionError (503 with Retry-After) when every try deadlocks, and keeps nothing', async () => {
    const [a, b] = await twoEvents();
    const before = await deadlocks();
    // Another session that deadlocks with every try: it holds b, waits until the try holds a and
    // waits for b, then asks for a. The try waited first, so PostgreSQL aborts it (deadlock_timeout).
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    let tries = 0;
    let previous: Promise<void> = Promise.resolve();
    try {
      const run = createPgUnitOfWork(handle.db).run(async (tx) => {
        tries++;
        await otherHolds(b);
        await tx.events.takeSeats(a, 1, now());
        await tx.events.takeSeats(b, 1, now());
      });
      const failure = await run.then(
        () => null,
        (error: unknown) => error,
      );
      expect(isDomainError(failure)).toBe(true);
      expect(failure).toMatchObject({ code: 'SERVICE.CONTENTION', kind: 'unavailable', details: { retryAfterSeconds: 1 } });
      expect(tries).toBe(4);
    } finally {
      await previous.catch(() => undefined);
      await other.end();
    }
    expect(await available(a)).toBe(10);
    expect(await available(b)).toBe(10);
    expect(await deadlocksAfter(before)).toBe(4);

    /** Starts the other session's deadlocking transaction for one try; returns once it holds `row`. */
    async function otherHolds(row: string): Promise<void> {
      await previous;
      await other.query('BEGIN');
      await other.query('UPDATE events SET available = available WHERE id = $1', [row]);
      previous = (async () => {
        // Until this try's backend waits for the row the other session holds...
        for (;;) {
          const { rows } = await other.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
          );
          if (rows.length > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, 300));
        // ...then, well after it (the backend whose deadlock_timeout expires first aborts itself,
        // and a busy machine may wake one late), ask for the row it holds: a deadlock, of which
        // the try is the victim.
        await other.query('UPDATE events SET available = available WHERE id = $1', [a]);
        await other.query('ROLLBACK');
      })();
    }
  }, 30_000);
});
