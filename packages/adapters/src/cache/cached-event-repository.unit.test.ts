import { describe, expect, it } from 'vitest';
import type { BookingRepository, DomainEvent, Event, EventRepository, UserStanding } from '@aquastream/domain';
import type { Cache } from './cache';
import type { InvalidationChannel } from '../redis/invalidation-channel';
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
  timeZone: 'UTC',
  maxSeatsPerBooking: 10,
  waitlistAllowsPassing: false,
  waitlistHeld: 0,
  status: 'PUBLISHED',
  version: 1,
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

const seatTaken: DomainEvent = {
  id: 'd-1',
  type: 'booking.created',
  aggregateType: 'booking',
  aggregateId: 'b-1',
  occurredAt: new Date(),
  data: { eventId: 'e-1' },
} as DomainEvent;

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

  it('returns each copy with the version it was read at; a copy cached without one (an older release) is read again and replaced', async () => {
    const db = database(event({ version: 7, timeZone: 'Europe/Moscow' }));
    const shared = mapCache();
    const { version: _version, timeZone: _timeZone, ...older } = event({ available: 3 });
    shared.map.set('event:e-1', JSON.stringify(older));
    const cache = createEventCache(db.repository, shared, { ttlMs: 60_000 });

    // Read-only mode may still serve the old copy: it says so with a version no event has.
    expect(await cache.peek('e-1')).toMatchObject({ available: 3, version: 0, timeZone: 'UTC' });
    const read = await cache.repository.findById('e-1');
    expect(read).toMatchObject({ available: 10, version: 7, timeZone: 'Europe/Moscow' });
    expect(db.reads()).toBe(1);
    expect(JSON.parse(shared.map.get('event:e-1')!)).toMatchObject({ version: 7, timeZone: 'Europe/Moscow' });

    db.write(event({ available: 9, version: 8, timeZone: 'Europe/Moscow' }));
    expect((await cache.repository.findById('e-1'))!.version).toBe(7); // the cached copy: its own version
    await cache.invalidate([seatTaken]);
    expect(await cache.repository.findById('e-1')).toMatchObject({ available: 9, version: 8 });
  });

  it("writes entries with their cacheVersion, and reads 0.1.0's (none) and a later release's (unknown fields) as events", async () => {
    const db = database(event({ available: 3, version: 7 }));
    const shared = mapCache();
    const cache = createEventCache(db.repository, shared, { ttlMs: 60_000 });
    expect(await cache.repository.findById('e-1')).toEqual(event({ available: 3, version: 7 }));
    const stored = JSON.parse(shared.map.get('event:e-1')!) as Record<string, unknown>;
    expect(stored.cacheVersion).toBe(1);

    const { cacheVersion: _entryVersion, ...written010 } = stored;
    shared.map.set('event:e-1', JSON.stringify(written010));
    expect(await cache.repository.findById('e-1')).toEqual(event({ available: 3, version: 7 }));
    shared.map.set('event:e-1', JSON.stringify({ ...stored, cacheVersion: 2, categories: [{ name: 'kayak' }] }));
    const later = await cache.repository.findById('e-1');
    expect(later).toMatchObject({ id: 'e-1', available: 3, version: 7 });
    expect(later).not.toHaveProperty('cacheVersion');
    expect(db.reads()).toBe(1);
  });

  it('still serves a copy cached without a version while the database cannot answer (read-only mode)', async () => {
    const shared = mapCache();
    const { version: _version, ...older } = event({ available: 3 });
    shared.map.set('event:e-1', JSON.stringify(older));
    const down = {
      async findById() {
        throw new Error('connection refused');
      },
    } as unknown as EventRepository;
    const cache = createEventCache(down, shared, { ttlMs: 60_000 });
    expect(await cache.repository.findById('e-1')).toMatchObject({ available: 3, version: 0 });
    shared.map.delete('event:e-1');
    await expect(cache.repository.findById('e-1')).rejects.toThrow('connection refused');
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
    const cache = createEventCache({ ...db.repository, findById: async (id: string) => event({ id }) } as EventRepository, shared, {
      ttlMs: 60_000,
      decodedEntries: 2,
    });
    const a = await cache.repository.findById('a');
    await cache.repository.findById('a');
    await cache.repository.findById('b');
    await cache.repository.findById('c'); // evicts 'a'
    expect(shared.map.has('event:a')).toBe(true);
    expect(await cache.repository.findById('a')).not.toBe(a);
    expect(await cache.repository.findById('a')).toEqual(a);
  });
});

/** An in-process stand-in for the Redis channel: every replica hears every announcement at once. */
function localChannel() {
  const listeners: ((ids: readonly string[] | null) => void)[] = [];
  const state = { healthy: true };
  const channel = (): InvalidationChannel => ({
    async publish(ids) {
      for (const l of listeners) l(ids);
    },
    subscribe: (listener) => void listeners.push(listener),
    healthy: () => state.healthy,
    close: async () => undefined,
  });
  return { channel, state, reset: () => listeners.forEach((l) => l(null)) };
}

function standingsOf(rows: UserStanding[]) {
  let reads = 0;
  let perUser = 0;
  const source: Pick<BookingRepository, 'standing' | 'standings'> = {
    async standings() {
      reads++;
      return structuredClone(rows);
    },
    async standing(_eventId, userId) {
      perUser++;
      const row = rows.find((r) => r.userId === userId);
      return { activeBookingId: row?.activeBookingId ?? null, offered: row?.offered ?? false };
    },
  };
  return { source, reads: () => reads, perUser: () => perUser, set: (next: UserStanding[]) => (rows = next) };
}

describe('event cache: refusing bookers of a full event', () => {
  const full = event({ available: 0 });
  const holders: UserStanding[] = [
    { userId: 'u-booked', activeBookingId: 'b-1', offered: false },
    { userId: 'u-offered', activeBookingId: null, offered: true },
  ];

  it('answers every booker from one read of the standings: a conflict with its booking, an offer, or nothing', async () => {
    const db = database(full);
    const people = standingsOf(holders);
    const cache = createEventCache(db.repository, mapCache(), { ttlMs: 60_000, standings: people.source });
    expect(await cache.seatReads.bookings.standing('e-1', 'u-booked')).toEqual({ activeBookingId: 'b-1', offered: false });
    expect(await cache.seatReads.bookings.standing('e-1', 'u-offered')).toEqual({ activeBookingId: null, offered: true });
    for (let i = 0; i < 50; i++) expect(await cache.seatReads.bookings.standing('e-1', `u-${i}`)).toEqual({ activeBookingId: null, offered: false });
    expect(people.reads()).toBe(1);
    expect(people.perUser()).toBe(0);
  });

  it('reads the standings again after any change of the event, on another replica too', async () => {
    const db = database(full);
    const shared = mapCache();
    const people = standingsOf(holders);
    const a = createEventCache(db.repository, shared, { ttlMs: 60_000, standings: people.source });
    const b = createEventCache(db.repository, shared, { ttlMs: 60_000, standings: people.source });
    expect(await b.seatReads.bookings.standing('e-1', 'u-new')).toEqual({ activeBookingId: null, offered: false });
    // u-new takes a seat released by another booker: committed, then announced by replica A.
    people.set([...holders, { userId: 'u-new', activeBookingId: 'b-2', offered: false }]);
    await a.invalidate([seatTaken]);
    expect(await b.seatReads.bookings.standing('e-1', 'u-new')).toEqual({ activeBookingId: 'b-2', offered: false });
    expect(people.reads()).toBe(2);
  });

  it('asks the database per booker while the shared cache is down (a local copy could miss a release elsewhere)', async () => {
    const db = database(full);
    const people = standingsOf(holders);
    let down = false;
    const cache = createEventCache(db.repository, mapCache(), { ttlMs: 60_000, standings: people.source, sharedCacheDown: () => down });
    await cache.seatReads.events.findById('e-1');
    down = true;
    await cache.seatReads.events.findById('e-1');
    await cache.seatReads.bookings.standing('e-1', 'u-booked');
    expect(db.reads()).toBe(2);
    expect(people.perUser()).toBe(1);
    expect(people.reads()).toBe(0);
  });

  it('keeps no standings for an event with more holders than maxStandings', async () => {
    const people = standingsOf(holders);
    const cache = createEventCache(database(full).repository, mapCache(), { ttlMs: 60_000, standings: people.source, maxStandings: 1 });
    expect(await cache.seatReads.bookings.standing('e-1', 'u-booked')).toEqual({ activeBookingId: 'b-1', offered: false });
    expect(people.perUser()).toBe(1);
  });
});

describe("event cache: each replica's own copy", () => {
  it('serves repeated reads without asking the shared cache, and drops the copy when another replica announces a change', async () => {
    const db = database(event());
    const shared = mapCache();
    let sharedReads = 0;
    const counted: Cache = { ...shared, get: (k) => (sharedReads++, shared.get(k)) };
    const bus = localChannel();
    const a = createEventCache(db.repository, counted, { ttlMs: 60_000, channel: bus.channel() });
    const b = createEventCache(db.repository, counted, { ttlMs: 60_000, channel: bus.channel() });

    expect(b.repository.findHeld!('e-1')).toBeUndefined();
    const first = await b.repository.findById('e-1');
    const asked = sharedReads;
    for (let i = 0; i < 10; i++) expect(await b.repository.findById('e-1')).toBe(first);
    // The copy findById answers with, without a promise.
    expect(b.repository.findHeld!('e-1')).toBe(first);
    expect(sharedReads).toBe(asked);

    db.write(event({ available: 3 }));
    await a.invalidate([seatTaken]);
    expect(b.repository.findHeld!('e-1')).toBeUndefined();
    expect((await b.repository.findById('e-1'))!.available).toBe(3);
    expect(b.repository.findHeld!('e-1')!.available).toBe(3);
  });

  it('serves nothing of its own while the channel is unhealthy, and starts afresh after missed announcements', async () => {
    const db = database(event());
    const bus = localChannel();
    const shared = mapCache();
    const b = createEventCache(db.repository, shared, { ttlMs: 60_000, channel: bus.channel() });
    await b.repository.findById('e-1');

    // The channel stalls: a change made meanwhile is never announced to b.
    bus.state.healthy = false;
    expect(b.repository.findHeld!('e-1')).toBeUndefined();
    db.write(event({ available: 1 }));
    shared.map.delete('event:e-1');
    expect((await b.repository.findById('e-1'))!.available).toBe(1);

    // Back: b dropped everything it held (reset) and reads through again.
    bus.reset();
    bus.state.healthy = true;
    db.write(event({ available: 0 }));
    shared.map.delete('event:e-1');
    expect((await b.repository.findById('e-1'))!.available).toBe(0);
  });

  it('shares one database read between concurrent misses, and never hands a read that began before a change to a reader that came after it', async () => {
    const releases: (() => void)[] = [];
    let reads = 0;
    let row = event({ available: 1 });
    const inner = {
      async findById() {
        reads++;
        const seen = structuredClone(row);
        await new Promise<void>((resolve) => releases.push(resolve));
        return seen;
      },
    } as unknown as EventRepository;
    const cache = createEventCache(inner, mapCache(), { ttlMs: 60_000, channel: localChannel().channel() });
    const together = [cache.repository.findById('e-1'), cache.repository.findById('e-1'), cache.repository.findById('e-1')];
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(1);
    // The last seat is released and announced while that read is in flight.
    row = event({ available: 2 });
    await cache.invalidate([seatTaken]);
    const after = cache.repository.findById('e-1');
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(2);
    for (const release of releases) release();
    expect((await Promise.all(together)).map((e) => e!.available)).toEqual([1, 1, 1]);
    expect((await after)!.available).toBe(2);
  });
});
