import {
  DEFAULT_CANCELLATION_POLICY,
  DEFAULT_TIME_ZONE,
  DEFAULT_MAX_SEATS_PER_BOOKING,
  type BookingRepository,
  type DomainEvent,
  type Event,
  type EventFilter,
  type EventRepository,
  type Page,
  type PageRequest,
  type SeatStanding,
} from '@aquastream/domain';
import type { Cache } from './cache';
import type { InvalidationChannel } from '../redis/invalidation-channel';

export interface CachedEventsOptions {
  ttlMs: number;
  /** Public list pages cached (1..N); deeper pages always go to the database. */
  listPages?: number;
  /** Events (and as many list pages) kept decoded in memory next to their cached text (default 1,000). */
  decodedEntries?: number;
  /**
   * Announces changes to every replica. With it, each replica keeps its own copy of hot events,
   * list pages and seat standings and serves them without asking the shared cache, for as long as
   * the channel is healthy; without it, every read asks the shared cache.
   */
  channel?: InvalidationChannel;
  /** Whether the shared cache is unreachable (its in-process stand-in cannot see other replicas' changes). */
  sharedCacheDown?: () => boolean;
  /** Reads of who holds what on an event (the database), for refusing bookings on a full event. */
  standings?: Pick<BookingRepository, 'standing' | 'standings'>;
  /** Full events with more standings than this answer each booker from the database (default 20,000). */
  maxStandings?: number;
  /** Reads served from this replica's own copy (the shared cache reports its own lookups). */
  onReplicaHit?: () => void;
}

/** The version of a copy cached by a release that did not keep versions. */
const UNKNOWN_VERSION = 0;

/**
 * The shape of event and list-page entries (`cacheVersion` in each; absent = 1, as 0.1.0 wrote
 * them). Entries only gain fields, so readers of either version read both (docs/releases.md); a
 * change of meaning would need a new version here and readers that know both.
 */
export const CACHE_ENTRY_VERSION = 1;
const encodeEntry = <T extends object>(value: T): string => JSON.stringify({ ...value, cacheVersion: CACHE_ENTRY_VERSION });

const reviveEvent = ({ cacheVersion: _entryVersion, ...e }: Event & { cacheVersion?: number }): Event => ({
  ...e,
  startDate: new Date(e.startDate),
  endDate: new Date(e.endDate),
  createdAt: new Date(e.createdAt),
  updatedAt: new Date(e.updatedAt),
  location: e.location ? { ...e.location, createdAt: new Date(e.location.createdAt) } : null,
  // Copies cached by a version without cancellation policies carry none: theirs is the default.
  cancellationPolicy: e.cancellationPolicy ?? DEFAULT_CANCELLATION_POLICY,
  // Nor, before 0012, a time zone (every event was UTC) or a version: 0, which no stored event has.
  timeZone: e.timeZone ?? DEFAULT_TIME_ZONE,
  version: e.version ?? UNKNOWN_VERSION,
  // Likewise for copies cached before group bookings: one seat per booking's defaults.
  maxSeatsPerBooking: e.maxSeatsPerBooking ?? DEFAULT_MAX_SEATS_PER_BOOKING,
  waitlistAllowsPassing: e.waitlistAllowsPassing ?? false,
  waitlistHeld: e.waitlistHeld ?? 0,
});

/** Copies shared by every reader of a cache entry: a caller that changed one would change them all. */
const frozen = (e: Event): Event => {
  if (e.location) Object.freeze(e.location);
  return Object.freeze(e);
};
const frozenPage = (page: Page<Event>): Page<Event> => {
  page.items.forEach(frozen);
  Object.freeze(page.items);
  return Object.freeze(page);
};

/** Values decoded from cached text, kept next to that text; at most `max` keys, oldest out first. */
function decodedByText<T>(max: number) {
  const entries = new Map<string, { text: string; value: T }>();
  return {
    get(key: string, text: string): T | undefined {
      const known = entries.get(key);
      return known?.text === text ? known.value : undefined;
    },
    set(key: string, text: string, value: T): T {
      if (!entries.has(key) && entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(key, { text, value });
      return value;
    },
  };
}

const LIST_VERSION = 'events:list:version';

/** A list query is cacheable when it is the public view (no drafts of anyone) of an early page. */
const isPublic = (f: EventFilter) => !f.allDrafts && f.draftsOf === undefined;

export interface EventCache {
  /** Read side of the event repository, served from the cache when it can. */
  repository: EventRepository;
  /**
   * Reads for refusing a booking without a transaction: the event and the booker's standing, from
   * the cache while the shared cache is up (no database round trip once an event is known full),
   * from the database while it is down (a replica's own copy could miss another's release).
   */
  seatReads: { events: Pick<EventRepository, 'findById'>; bookings: Pick<BookingRepository, 'standing'> };
  /** Forgets what the committed domain events (or the outbox rows they became) changed, on every replica. */
  invalidate(events: readonly Pick<DomainEvent, 'aggregateType' | 'aggregateId' | 'data'>[]): Promise<void>;
  /** A cached copy regardless of freshness checks, for read-only mode. */
  peek(id: string): Promise<Event | null>;
  close(): void;
}

/** A bounded map, oldest entry out first, entries expiring after `ttlMs`. */
function nearMap<T>(max: number, ttlMs: number) {
  const entries = new Map<string, { value: T; until: number }>();
  return {
    get(key: string): T | undefined {
      const hit = entries.get(key);
      if (!hit) return undefined;
      if (hit.until > Date.now()) return hit.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: T) {
      if (!entries.has(key) && entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, until: Date.now() + ttlMs });
    },
    delete: (key: string) => entries.delete(key),
    clear: () => entries.clear(),
  };
}

type Standings = ReadonlyMap<string, SeatStanding>;
const NOBODY: SeatStanding = Object.freeze({ activeBookingId: null, offered: false });

/**
 * Read-through cache of event reads: by id, the first pages of public lists, and the standings of
 * full events. Writes go to the database; committed domain events invalidate the copies (an
 * event's own keys, and every list page at once by bumping a version that is part of the list
 * keys), in the shared cache and, through the channel, in every replica's own copy.
 */
export function createEventCache(inner: EventRepository, cache: Cache, options: CachedEventsOptions): EventCache {
  const listPages = options.listPages ?? 3;
  const maxStandings = options.maxStandings ?? 20_000;
  const key = (id: string) => `event:${id}`;
  const standingsKey = (id: string) => `event:${id}:standings`;
  // Bumped by every invalidation of the event, before its copies are deleted (see load).
  const generation = (id: string) => `event:${id}:generation`;
  // Read on every list: another replica may have bumped it.
  const listVersion = async () => {
    const stored = await cache.get(LIST_VERSION);
    return stored === null ? cache.increment(LIST_VERSION) : Number(stored);
  };
  // The cache stays the single source of freshness (every read asks it); when it answers with the
  // same text as last time, the event decoded then is returned again. Hot reads then skip the
  // parse and revive, and callers can memoise work per event object (the serialised response).
  const decodedEvents = decodedByText<Event>(options.decodedEntries ?? 1_000);
  const decodedPages = decodedByText<Page<Event>>(options.decodedEntries ?? 1_000);
  const decodedStandings = decodedByText<Standings>(options.decodedEntries ?? 1_000);

  // This replica's own copies, served without a round trip while the channel is healthy. `epoch`
  // moves on every announcement: a copy read from the shared cache is kept only when no
  // announcement arrived while it was being read (it might predate the change announced).
  const channel = options.channel;
  const near = {
    events: nearMap<Event>(options.decodedEntries ?? 1_000, options.ttlMs),
    pages: nearMap<Page<Event>>(options.decodedEntries ?? 1_000, options.ttlMs),
    standings: nearMap<Standings>(options.decodedEntries ?? 1_000, options.ttlMs),
  };
  // Concurrent misses of one key share one load: a rush must not read the same row a thousand times.
  // A change forgets the loads in flight, so a read that starts after it never joins an older one.
  const inflight = new Map<string, Promise<unknown>>();
  const once = <T>(k: string, load: () => Promise<T>): Promise<T> => {
    const running = inflight.get(k) as Promise<T> | undefined;
    if (running) return running;
    const started: Promise<T> = load().finally(() => {
      if (inflight.get(k) === started) inflight.delete(k);
    });
    inflight.set(k, started);
    return started;
  };

  let epoch = 0;
  const forget = (ids: readonly string[] | null) => {
    epoch++;
    near.pages.clear();
    if (ids === null) {
      near.events.clear();
      near.standings.clear();
      inflight.clear();
      return;
    }
    for (const id of ids) {
      near.events.delete(id);
      near.standings.delete(id);
      inflight.delete(key(id));
      inflight.delete(standingsKey(id));
    }
  };
  channel?.subscribe(forget);
  const nearUsable = () => channel !== undefined && channel.healthy() && !options.sharedCacheDown?.();
  /** Runs `read`; keeps its result as this replica's copy when nothing was announced meanwhile. */
  const remember = async <T>(read: () => Promise<T>, keep: (value: NonNullable<T>) => void): Promise<T> => {
    const before = epoch;
    const value = await read();
    if (value !== null && value !== undefined && nearUsable() && epoch === before) keep(value);
    return value;
  };

  /**
   * Loads from the database and caches the text. A change committed between our read and our set
   * would leave this stale copy for the whole TTL (its delete came first). Invalidation bumps the
   * generation before deleting, so a change is seen here (and the copy undone) or its delete comes
   * after our set. Returns the value and whether it may be reused.
   */
  const load = async <T>(
    id: string,
    cacheKey: string,
    read: () => Promise<T | null>,
    encode: (value: T) => string = JSON.stringify,
  ): Promise<{ value: T | null; text: string | null }> => {
    const before = await cache.get(generation(id));
    const value = await read();
    if (value === null) return { value, text: null };
    const text = encode(value);
    await cache.set(cacheKey, text, options.ttlMs);
    if ((await cache.get(generation(id))) !== before) {
      await cache.delete([cacheKey]);
      return { value, text: null };
    }
    return { value, text };
  };

  const peek = async (id: string) => {
    const text = await cache.get(key(id));
    if (!text) return null;
    return decodedEvents.get(id, text) ?? decodedEvents.set(id, text, frozen(reviveEvent(JSON.parse(text) as Event)));
  };

  /** This replica's own copy, while it may be used (findById's first answer). */
  const findHeld = (id: string): Event | undefined => {
    if (!nearUsable()) return undefined;
    const mine = near.events.get(id);
    if (mine) options.onReplicaHit?.();
    return mine;
  };

  const findById = async (id: string): Promise<Event | null> => {
    const mine = findHeld(id);
    if (mine) return mine;
    return remember(
      () =>
        once(key(id), async () => {
          const hit = await peek(id);
          // A read answers with its version as the ETag: a copy without one is read again (and
          // replaced), unless the database cannot answer: then it is the best copy there is.
          if (hit && hit.version !== UNKNOWN_VERSION) return hit;
          const { value, text } = await load(id, key(id), () => inner.findById(id), encodeEntry).catch((error: unknown) => {
            if (hit) return { value: hit, text: null };
            throw error;
          });
          if (!value) return null;
          return text ? decodedEvents.set(id, text, frozen(value)) : value;
        }),
      (event) => near.events.set(id, event),
    );
  };

  const toStandings = (rows: { userId: string; activeBookingId: string | null; offered: boolean }[]): Standings =>
    new Map(rows.map((r) => [r.userId, Object.freeze({ activeBookingId: r.activeBookingId, offered: r.offered })]));

  /** Every standing of a full event, cached like the event itself; null when there are too many to keep. */
  const standingsOf = async (eventId: string, source: Pick<BookingRepository, 'standings'>): Promise<Standings | null> => {
    if (nearUsable()) {
      const mine = near.standings.get(eventId);
      if (mine) {
        options.onReplicaHit?.();
        return mine;
      }
    }
    return remember(
      () =>
        once(standingsKey(eventId), async () => {
          const text = await cache.get(standingsKey(eventId));
          if (text) return decodedStandings.get(eventId, text) ?? decodedStandings.set(eventId, text, toStandings(JSON.parse(text)));
          const { value, text: stored } = await load(eventId, standingsKey(eventId), async () => {
            const rows = await source.standings(eventId);
            return rows.length > maxStandings ? null : rows;
          });
          if (!value) return null;
          const map = toStandings(value);
          return stored ? decodedStandings.set(eventId, stored, map) : map;
        }),
      (map) => near.standings.set(eventId, map),
    );
  };

  const repository: EventRepository = {
    ...inner,
    findById,
    findHeld,
    async list(filter: EventFilter, page: PageRequest): Promise<Page<Event>> {
      if (!isPublic(filter) || page.page > listPages) return inner.list(filter, page);
      const query = JSON.stringify([filter, page]);
      if (nearUsable()) {
        const mine = near.pages.get(query);
        if (mine) {
          options.onReplicaHit?.();
          return mine;
        }
      }
      return remember(
        async () => {
          const listKey = `events:list:${await listVersion()}:${query}`;
          const hit = await cache.get(listKey);
          if (hit) {
            const known = decodedPages.get(listKey, hit);
            if (known) return known;
            const { cacheVersion: _entryVersion, ...cached } = JSON.parse(hit) as Page<Event> & { cacheVersion?: number };
            return decodedPages.set(listKey, hit, frozenPage({ ...cached, items: cached.items.map(reviveEvent) }));
          }
          const result = await inner.list(filter, page);
          const text = encodeEntry(result);
          await cache.set(listKey, text, options.ttlMs);
          return decodedPages.set(listKey, text, frozenPage(result));
        },
        (result) => near.pages.set(query, result),
      );
    },
  };

  const standings = options.standings;
  const seatReads: EventCache['seatReads'] = {
    events: { findById: (id) => (options.sharedCacheDown?.() ? inner.findById(id) : findById(id)) },
    bookings: {
      async standing(eventId, userId) {
        if (!standings) throw new Error('createEventCache: seat standings need options.standings');
        if (options.sharedCacheDown?.()) return standings.standing(eventId, userId);
        const all = await standingsOf(eventId, standings);
        return all ? (all.get(userId) ?? NOBODY) : standings.standing(eventId, userId);
      },
    },
  };

  return {
    repository,
    seatReads,
    peek,
    async invalidate(events) {
      // Bookings and waitlist offers change an event's seats and standings, so they invalidate it too.
      const ids = [
        ...new Set(
          events
            .map((e) => (e.aggregateType === 'event' ? e.aggregateId : 'eventId' in e.data ? e.data.eventId : undefined))
            .filter((id): id is string => !!id),
        ),
      ];
      if (ids.length === 0) return;
      // This replica first: its next read must not see its own old copy.
      forget(ids);
      await Promise.all(ids.map((id) => cache.increment(generation(id))));
      await cache.delete(ids.flatMap((id) => [key(id), standingsKey(id)]));
      await cache.increment(LIST_VERSION);
      await channel?.publish(ids).catch(() => undefined);
    },
    close: () => void channel?.close(),
  };
}
