import { describe, expect, it } from 'vitest';
import type { Cache, DomainEvent, Event, EventRepository } from '@aquastream/domain';
import { createEventCache } from './cached-event-repository';

const event = (over: Partial<Event> = {}): Event => ({
  id: 'e-1',
  organizerId: 'org-1',
  title: 'Rafting',
  description: null,
  startDate: new Date('2030-06-01T08:00:00Z'),
  endDate: new Date('2030-06-01T18:00:00Z'),
  location: { id: 'l-1', name: 'Lake', address: 'Shore 1', coordinates: null, createdAt: new Date('2029-01-01T00:00:00Z') },
  locationText: 'Lake',
  capacity: 10,
  available: 10,
  price: null,
  cancellationPolicy: { refundUntilHoursBeforeStart: 24 },
  status: 'PUBLISHED',
  createdAt: new Date('2029-01-01T00:00:00Z'),
  updatedAt: new Date('2029-01-01T00:00:00Z'),
  ...over,
});

/** A cache shared by "replicas": the text is the only thing they exchange. */
function mapCache(): Cache & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    async get(key) {
      return map.get(key) ?? null;
    },
    async set(key, value) {
      map.set(key, value);
    },
    async delete(keys) {
      for (const k of keys) map.delete(k);
    },
    async increment(key) {
      const next = Number(map.get(key) ?? 0) + 1;
      map.set(key, String(next));
      return next;
    },
  };
}

function database(initial: Event) {
  let row = initial;
  let reads = 0;
  const repository = {
    async findById() {
      reads++;
      return structuredClone(row);
    },
  } as unknown as EventRepository;
  return { repository, reads: () => reads, write: (next: Event) => (row = next) };
}

const seatTaken: DomainEvent = { id: 'd-1', type: 'booking.created', aggregateType: 'booking', aggregateId: 'b-1', occurredAt: new Date(), data: { eventId: 'e-1' } } as DomainEvent;

describe('event cache: decoded copies', () => {
  it('returns the same frozen object while the cached text is unchanged, and a new one after a change', async () => {
    const db = database(event());
    const shared = mapCache();
    const cache = createEventCache(db.repository, shared, { ttlMs: 60_000 });

    const first = await cache.repository.findById('e-1');
    const second = await cache.repository.findById('e-1');
    expect(db.reads()).toBe(1);
    expect(second).toBe(first);
    expect(second!.startDate).toBeInstanceOf(Date);
    expect(second!.startDate.toISOString()).toBe('2030-06-01T08:00:00.000Z');
    expect(Object.isFrozen(second)).toBe(true);
    expect(Object.isFrozen(second!.location)).toBe(true);
    expect(() => {
      (second as { available: number }).available = 0;
    }).toThrow(TypeError);

    // Another replica books a seat: the database changes and the cached text is dropped.
    db.write(event({ available: 9 }));
    await createEventCache(db.repository, shared, { ttlMs: 60_000 }).invalidate([seatTaken]);
    const third = await cache.repository.findById('e-1');
    expect(third).not.toBe(first);
    expect(third!.available).toBe(9);
    expect(await cache.peek('e-1')).toBe(third);
  });

  it('returns the same frozen public list page while its cached text is unchanged', async () => {
    const db = database(event());
    const shared = mapCache();
    let listed = 0;
    const inner = { ...db.repository, list: async () => (listed++, { items: [event()], total: 1, page: 1, size: 20, totalPages: 1 }) } as EventRepository;
    const cache = createEventCache(inner, shared, { ttlMs: 60_000 });
    const query = [{ status: 'PUBLISHED' as const }, { page: 1, size: 20 }] as const;
    const first = await cache.repository.list(...query);
    const second = await cache.repository.list(...query);
    expect(listed).toBe(1);
    expect(second).toBe(first);
    expect(Object.isFrozen(second) && Object.isFrozen(second.items) && Object.isFrozen(second.items[0])).toBe(true);
    await cache.invalidate([seatTaken]); // bumps the list version: a new key, read from the database
    const third = await cache.repository.list(...query);
    expect(listed).toBe(2);
    expect(third).not.toBe(first);
    expect(third).toEqual(first);
  });

  it('never keeps a copy read before a change that was committed and invalidated during the read', async () => {
    let row = event({ available: 6 });
    let readStarted!: () => void;
    const started = new Promise<void>((resolve) => (readStarted = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const inner = {
      async findById() {
        const seen = structuredClone(row); // read before the change commits
        readStarted();
        await released;
        return seen;
      },
    } as unknown as EventRepository;
    const shared = mapCache();
    const cache = createEventCache(inner, shared, { ttlMs: 60_000 });

    const slowRead = cache.repository.findById('e-1');
    await started;
    // Another replica books the last seats: commit, then invalidate.
    row = event({ available: 0 });
    await createEventCache(inner, shared, { ttlMs: 60_000 }).invalidate([seatTaken]);
    release();
    expect((await slowRead)!.available).toBe(6); // that request saw the old row, as a read may
    expect(shared.map.has('event:e-1')).toBe(false); // but its copy is not kept
  });

  it('keeps at most decodedEntries events decoded', async () => {
    const db = database(event());
    const shared = mapCache();
    const cache = createEventCache({ ...db.repository, findById: async (id: string) => event({ id }) } as EventRepository, shared, { ttlMs: 60_000, decodedEntries: 2 });
    const a = await cache.repository.findById('a');
    await cache.repository.findById('a');
    await cache.repository.findById('b');
    await cache.repository.findById('c'); // evicts 'a'
    expect(shared.map.has('event:a')).toBe(true);
    expect(await cache.repository.findById('a')).not.toBe(a);
    expect(await cache.repository.findById('a')).toEqual(a);
  });
});
