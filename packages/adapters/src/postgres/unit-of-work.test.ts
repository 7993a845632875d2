import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '@aquastream/db';
import { bookingEvent, type DomainEvent } from '@aquastream/domain';
import { aBooking, anEvent } from '@aquastream/domain/testing';
import { freshDatabase } from '../../../../testing/database';
import { createDependencyPolicy } from '../resilience/dependency-policy';
import { connectPostgres, type DatabaseHandle } from './database';
import { isConnectionError } from './guard';
import { createPgScope, createPgUnitOfWork } from './unit-of-work';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = connectPostgres({ url: await freshDatabase('uow') });
  await migrateToLatest(handle.db);
});
afterAll(() => handle?.close());

let n = 0;
const anOutboxEvent = (aggregateId: string): DomainEvent => ({
  id: `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`,
  type: 'waitlist.left',
  aggregateType: 'waitlist',
  aggregateId,
  occurredAt: new Date(),
  data: { eventId: aggregateId, userId: 'u-1' },
});
const stored = async (aggregateId: string) =>
  (await handle.db.selectFrom('outbox').select('id').where('aggregate_id', '=', aggregateId).execute()).map((r) => r.id);

describe('createPgUnitOfWork', () => {
  it('hands the events a transaction committed to onCommit, after the commit', async () => {
    const seen: { events: DomainEvent[]; visible: string[] }[] = [];
    const uow = createPgUnitOfWork(handle.db, {
      onCommit: async (events) => void seen.push({ events, visible: await stored('agg-commit') }),
    });
    const first = anOutboxEvent('agg-commit');
    const second = anOutboxEvent('agg-commit');

    const result = await uow.run(async (tx) => {
      await tx.outbox.add([first]);
      await tx.outbox.add([second]);
      return 'done';
    });

    expect(result).toBe('done');
    // Once, with both events, and the rows already visible to other connections: committed.
    expect(seen).toEqual([{ events: [first, second], visible: expect.arrayContaining([first.id, second.id]) }]);
  });

  it('hands onCommit the events a booking batch wrote with its seats, and none of a batch that found them gone', async () => {
    const calls: DomainEvent[][] = [];
    const uow = createPgUnitOfWork(handle.db, { onCommit: async (events) => void calls.push(events) });
    const event = anEvent({ capacity: 3, available: 3 });
    await createPgScope(handle.db).events.insert(event);
    const batch = (seats: number) => {
      const booking = aBooking(event.id, { seats });
      const line = { categoryId: event.id, seats, unitPrice: 5000, discount: 0, currency: 'EUR', participants: [] };
      return { booked: [{ booking, lines: [line] }], events: [bookingEvent('booking.created', booking, booking.id, new Date(), { fromWaitlist: false })] };
    };
    const taken = batch(2);
    const gone = batch(2);

    expect(await uow.run((tx) => tx.bookingBatches.write(event.id, 2, new Date(), taken.booked, taken.events))).toBe(true);
    expect(await uow.run((tx) => tx.bookingBatches.write(event.id, 2, new Date(), gone.booked, gone.events))).toBe(false);

    expect(calls).toEqual([taken.events]);
  });

  it('does not call onCommit for a transaction that writes no event, nor for one rolled back', async () => {
    const calls: DomainEvent[][] = [];
    const uow = createPgUnitOfWork(handle.db, { onCommit: async (events) => void calls.push(events) });

    await uow.run(async () => 'nothing written');
    await expect(
      uow.run(async (tx) => {
        await tx.outbox.add([anOutboxEvent('agg-rollback')]);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');

    expect(calls).toEqual([]);
    expect(await stored('agg-rollback')).toEqual([]);
  });

  it('with a guard: a transaction past the time limit answers read-only mode and rolls back, with no onCommit', async () => {
    const policy = createDependencyPolicy('postgres', { timeoutMs: 200, isFailure: isConnectionError, retry: false });
    const calls: DomainEvent[][] = [];
    const uow = createPgUnitOfWork(handle.db, { guard: { policy }, onCommit: async (events) => void calls.push(events) });

    await expect(
      uow.run(async (tx) => {
        await tx.outbox.add([anOutboxEvent('agg-late')]);
        await new Promise((resolve) => setTimeout(resolve, 400));
        return 'too late';
      }),
    ).rejects.toMatchObject({ code: 'SERVICE.READ_ONLY' });

    expect(calls).toEqual([]);
    expect(await stored('agg-late')).toEqual([]);
    policy.dispose();
  });

  it('with a guard: the precheck runs when the work’s turn comes, and its refusal costs no transaction', async () => {
    const policy = createDependencyPolicy('postgres', { isFailure: isConnectionError, retry: false });
    const uow = createPgUnitOfWork(handle.db, { guard: { policy } });
    let ran = false;

    await expect(
      uow.run(
        async () => {
          ran = true;
        },
        { precheck: async () => Promise.reject(new Error('full')) },
      ),
    ).rejects.toThrow('full');

    expect(ran).toBe(false);
    policy.dispose();
  });
});
