import { DEFAULT_CANCELLATION_POLICY, type Cache, type DomainEvent, type Event, type EventFilter, type EventRepository, type Page, type PageRequest } from '@aquastream/domain';

export interface CachedEventsOptions {
  ttlMs: number;
  /** Public list pages cached (1..N); deeper pages always go to the database. */
  listPages?: number;
  /** Events (and as many list pages) kept decoded in memory next to their cached text (default 1,000). */
  decodedEntries?: number;
}

const reviveEvent = (e: Event): Event => ({
  ...e,
  startDate: new Date(e.startDate),
  endDate: new Date(e.endDate),
  createdAt: new Date(e.createdAt),
  updatedAt: new Date(e.updatedAt),
  location: e.location ? { ...e.location, createdAt: new Date(e.location.createdAt) } : null,
  // Copies cached by a version without cancellation policies carry none: theirs is the default.
  cancellationPolicy: e.cancellationPolicy ?? DEFAULT_CANCELLATION_POLICY,
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
  /** Forgets what the committed domain events changed. */
  invalidate(events: readonly DomainEvent[]): Promise<void>;
  /** A cached copy regardless of freshness checks, for read-only mode. */
  peek(id: string): Promise<Event | null>;
}

/**
 * Read-through cache of event reads: by id, and the first pages of public lists. Writes go to the
 * database; committed domain events invalidate the copies (an event's own key, and every list
 * page at once by bumping a version that is part of the list keys).
 */
export function createEventCache(inner: EventRepository, cache: Cache, options: CachedEventsOptions): EventCache {
  const listPages = options.listPages ?? 3;
  const key = (id: string) => `event:${id}`;
  // Bumped by every invalidation of the event, before its copy is deleted (see findById).
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
  const peek = async (id: string) => {
    const text = await cache.get(key(id));
    if (!text) return null;
    return decodedEvents.get(id, text) ?? decodedEvents.set(id, text, frozen(reviveEvent(JSON.parse(text) as Event)));
  };

  const repository: EventRepository = {
    ...inner,
    async findById(id) {
      const hit = await peek(id);
      if (hit) return hit;
      const before = await cache.get(generation(id));
      const event = await inner.findById(id);
      if (!event) return null;
      const text = JSON.stringify(event);
      await cache.set(key(id), text, options.ttlMs);
      // A change committed between our read and our set would leave this stale copy for the whole
      // TTL (its delete came first). Invalidation bumps the generation before deleting, so a
      // change is seen here (and the copy undone) or its delete comes after our set.
      if ((await cache.get(generation(id))) !== before) {
        await cache.delete([key(id)]);
        return event;
      }
      return decodedEvents.set(id, text, frozen(event));
    },
    async list(filter: EventFilter, page: PageRequest): Promise<Page<Event>> {
      if (!isPublic(filter) || page.page > listPages) return inner.list(filter, page);
      const listKey = `events:list:${await listVersion()}:${JSON.stringify([filter, page])}`;
      const hit = await cache.get(listKey);
      if (hit) {
        const known = decodedPages.get(listKey, hit);
        if (known) return known;
        const cached = JSON.parse(hit) as Page<Event>;
        return decodedPages.set(listKey, hit, frozenPage({ ...cached, items: cached.items.map(reviveEvent) }));
      }
      const result = await inner.list(filter, page);
      const text = JSON.stringify(result);
      await cache.set(listKey, text, options.ttlMs);
      return decodedPages.set(listKey, text, frozenPage(result));
    },
  };

  return {
    repository,
    peek,
    async invalidate(events) {
      // Bookings change an event's available seats, so they invalidate it too.
      const ids = new Set(events.map((e) => (e.aggregateType === 'event' ? e.aggregateId : (e.data.eventId as string | undefined))).filter((id): id is string => !!id));
      if (ids.size === 0) return;
      await Promise.all([...ids].map((id) => cache.increment(generation(id))));
      await cache.delete([...ids].map(key));
      await cache.increment(LIST_VERSION);
    },
  };
}
