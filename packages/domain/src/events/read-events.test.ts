import { describe, expect, it } from 'vitest';
import { admin, organizer, user, START, buildWorld, type World, type WorldOptions, freshInfrastructure } from '../testing/builders';
import { createMemoryStore, fixedClock, sequentialIds } from '../testing/index';
import { makeGetHeldEvent, makeListEvents } from './read-events';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

const at = (iso: string) => new Date(iso);
const day = (d: number) => ({
  startDate: at(`2030-06-${String(d).padStart(2, '0')}T08:00:00Z`),
  endDate: at(`2030-06-${String(d).padStart(2, '0')}T18:00:00Z`),
});

describe('getHeldEvent', () => {
  it('answers with a copy the repository holds when the caller may see it, and leaves the rest to getEvent', async () => {
    const world = createWorld();
    const published = await world.publishedEvent();
    const draft = await world.draftEvent();
    const held = new Map([
      [published.id, published],
      [draft.id, draft],
    ]);
    const getHeld = makeGetHeldEvent({ events: { findHeld: (id) => held.get(id) } });
    expect(getHeld(null, published.id)).toBe(published);
    expect(getHeld(organizer('org-1'), draft.id)).toBe(draft);
    // Not for another caller: getEvent answers EVENT.NOT_FOUND, as for any draft.
    expect(getHeld(user(), draft.id)).toBeUndefined();
    expect(getHeld(null, draft.id)).toBeUndefined();
    expect(getHeld(null, 'no-such-event')).toBeUndefined();
    // A repository without an in-process copy.
    expect(makeGetHeldEvent({ events: {} })(null, published.id)).toBeUndefined();
  });
});

describe('getEvent', () => {
  it('shows a published event to anyone, anonymous included', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    expect(await world.getEvent(null, event.id)).toEqual(event);
    expect(await world.getEvent(user(), event.id)).toEqual(event);
  });

  it('shows a draft to its organizer', async () => {
    const world = createWorld();
    const draft = await world.draftEvent();
    expect(await world.getEvent(organizer('org-1'), draft.id)).toEqual(draft);
  });

  it('shows a draft to an admin', async () => {
    const world = createWorld();
    const draft = await world.draftEvent();
    expect(await world.getEvent(admin(), draft.id)).toEqual(draft);
  });

  it.each([
    ['another organizer', organizer('org-2')],
    ['a user', user()],
    ['an anonymous caller', null],
  ])('hides a draft from %s with EVENT.NOT_FOUND', async (_who, actor) => {
    const world = createWorld();
    const draft = await world.draftEvent();
    await expect(world.getEvent(actor, draft.id)).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND', details: { eventId: draft.id } });
  });

  it('answers EVENT.NOT_FOUND for an unknown id', async () => {
    const world = createWorld();
    await expect(world.getEvent(admin(), 'missing')).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });
});

describe('listEvents visibility', () => {
  async function mixedWorld() {
    const world = createWorld();
    const published = await world.publishedEvent({ title: 'Published trip', ...day(1) });
    const mine = await world.draftEvent({ title: 'My draft', ...day(2) }, organizer('org-1'));
    const theirs = await world.draftEvent({ title: 'Their draft', ...day(3) }, organizer('org-2'));
    return { world, published, mine, theirs };
  }
  const titles = (page: { items: { title: string }[] }) => page.items.map((e) => e.title);

  it('shows anonymous callers and users no drafts', async () => {
    const { world } = await mixedWorld();
    expect(titles(await world.listEvents(null, {}))).toEqual(['Published trip']);
    expect(titles(await world.listEvents(user(), {}))).toEqual(['Published trip']);
  });

  it("shows an organizer their own drafts but not other organizers' drafts", async () => {
    const { world } = await mixedWorld();
    expect(titles(await world.listEvents(organizer('org-1'), {}))).toEqual(['Published trip', 'My draft']);
  });

  it('shows an admin every draft', async () => {
    const { world } = await mixedWorld();
    expect(titles(await world.listEvents(admin(), {}))).toEqual(['Published trip', 'My draft', 'Their draft']);
  });
});

describe('listEvents filters', () => {
  it('filters by status', async () => {
    const world = createWorld();
    const open = await world.publishedEvent({ title: 'Still open', ...day(1) });
    const cancelled = await world.publishedEvent({ title: 'Called off', ...day(2) });
    await world.cancelEvent(organizer(), cancelled.id);

    const page = await world.listEvents(null, { status: 'CANCELLED' });
    expect(page.items.map((e) => e.id)).toEqual([cancelled.id]);
    expect((await world.listEvents(null, { status: 'PUBLISHED' })).items.map((e) => e.id)).toEqual([open.id]);
  });

  it('keeps events starting within from..to, both ends inclusive', async () => {
    const world = createWorld();
    const e1 = await world.publishedEvent({ title: 'June 1', ...day(1) });
    const e2 = await world.publishedEvent({ title: 'June 2', ...day(2) });
    const e3 = await world.publishedEvent({ title: 'June 3', ...day(3) });
    const e4 = await world.publishedEvent({ title: 'June 4', ...day(4) });

    const page = await world.listEvents(null, { from: e2.startDate, to: e3.startDate });
    expect(page.items.map((e) => e.id)).toEqual([e2.id, e3.id]);
    expect((await world.listEvents(null, { from: at('2030-06-03T00:00:00Z') })).items.map((e) => e.id)).toEqual([e3.id, e4.id]);
    expect((await world.listEvents(null, { to: at('2030-06-01T23:59:59Z') })).items.map((e) => e.id)).toEqual([e1.id]);
  });

  it('searches the title case-insensitively', async () => {
    const world = createWorld();
    const rafting = await world.publishedEvent({ title: 'Rafting on the Katun', description: null, ...day(1) });
    await world.publishedEvent({ title: 'Mountain hike', description: null, ...day(2) });
    expect((await world.listEvents(null, { search: 'RAFTING' })).items.map((e) => e.id)).toEqual([rafting.id]);
  });

  it('searches the description case-insensitively', async () => {
    const world = createWorld();
    await world.publishedEvent({ title: 'Mountain hike', description: 'Easy trail', ...day(1) });
    const kayak = await world.publishedEvent({ title: 'Evening tour', description: 'By KAYAK along the shore', ...day(2) });
    expect((await world.listEvents(null, { search: 'kayak' })).items.map((e) => e.id)).toEqual([kayak.id]);
  });

  it('ignores a blank search', async () => {
    const world = createWorld();
    await world.publishedEvent({ ...day(1) });
    await world.publishedEvent({ ...day(2) });
    expect((await world.listEvents(null, { search: '   ' })).total).toBe(2);
  });

  it('filters by locationId', async () => {
    const world = createWorld();
    const river = await world.createLocation(organizer(), { name: 'River base', address: 'Chemal' });
    const lake = await world.createLocation(organizer(), { name: 'Lake camp', address: 'Teletskoye' });
    const atRiver = await world.publishedEvent({ locationId: river.id, ...day(1) });
    await world.publishedEvent({ locationId: lake.id, ...day(2) });
    await world.publishedEvent({ ...day(3) });
    expect((await world.listEvents(null, { locationId: river.id })).items.map((e) => e.id)).toEqual([atRiver.id]);
  });

  it('lists the soonest start first', async () => {
    const world = createWorld();
    const late = await world.publishedEvent({ ...day(9) });
    const early = await world.publishedEvent({ ...day(2) });
    const middle = await world.publishedEvent({ ...day(5) });
    expect((await world.listEvents(null, {})).items.map((e) => e.id)).toEqual([early.id, middle.id, late.id]);
  });
});

describe('listEvents paging', () => {
  async function fiveEvents() {
    const world = createWorld();
    const ids: string[] = [];
    for (let d = 1; d <= 5; d++) ids.push((await world.publishedEvent({ ...day(d) })).id);
    return { world, ids };
  }

  it('reports items, total, page, size and totalPages', async () => {
    const { world, ids } = await fiveEvents();
    const second = await world.listEvents(null, { page: 2, size: 2 });
    expect(second).toMatchObject({ total: 5, page: 2, size: 2, totalPages: 3 });
    expect(second.items.map((e) => e.id)).toEqual([ids[2], ids[3]]);
    const last = await world.listEvents(null, { page: 3, size: 2 });
    expect(last.items.map((e) => e.id)).toEqual([ids[4]]);
  });

  it('defaults to page 1 of size 20', async () => {
    const { world } = await fiveEvents();
    expect(await world.listEvents(null, {})).toMatchObject({ page: 1, size: 20, total: 5, totalPages: 1 });
  });

  it('returns an empty page past the end', async () => {
    const { world } = await fiveEvents();
    expect(await world.listEvents(null, { page: 4, size: 2 })).toMatchObject({ items: [], total: 5, totalPages: 3 });
  });

  it('accepts size 100', async () => {
    const { world } = await fiveEvents();
    expect((await world.listEvents(null, { size: 100 })).size).toBe(100);
  });

  it('refuses size 101 with VALIDATION.FAILED', async () => {
    const world = createWorld();
    await expect(world.listEvents(null, { size: 101 })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'size' })] },
    });
  });

  it('refuses page 0 with VALIDATION.FAILED', async () => {
    const world = createWorld();
    await expect(world.listEvents(null, { page: 0 })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'page' })] },
    });
  });

  it('refuses from after to with VALIDATION.FAILED', async () => {
    const world = createWorld();
    await expect(world.listEvents(null, { from: at('2030-06-05T00:00:00Z'), to: at('2030-06-01T00:00:00Z') })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'to' })] },
    });
  });

  it('accepts from equal to to', async () => {
    const world = createWorld();
    const e = await world.publishedEvent({ ...day(1) });
    expect((await world.listEvents(null, { from: e.startDate, to: e.startDate })).items.map((x) => x.id)).toEqual([e.id]);
  });
});

describe('listEvents with hidden organizers (the synthetic flow)', () => {
  it("leaves their events out for everyone but them and admins; a draft stays its organizer's", async () => {
    const store = createMemoryStore();
    const world = buildWorld({ store, clock: fixedClock(START), ids: sequentialIds() });
    await world.publishedEvent({ title: 'Public trip', ...day(1) });
    await world.publishedEvent({ title: 'Synthetic check', ...day(2) }, organizer('synthetic'));
    const list = makeListEvents({ events: store.events, hiddenOrganizers: ['synthetic'] });
    const titles = (page: { items: { title: string }[] }) => page.items.map((e) => e.title);
    expect(titles(await list(null, {}))).toEqual(['Public trip']);
    expect(titles(await list(user(), {}))).toEqual(['Public trip']);
    expect(titles(await list(organizer('org-1'), {}))).toEqual(['Public trip']);
    expect(titles(await list(organizer('synthetic'), {}))).toEqual(['Public trip', 'Synthetic check']);
    expect(titles(await list(admin(), {}))).toEqual(['Public trip', 'Synthetic check']);
    // Without hidden organizers nothing changes.
    expect(titles(await makeListEvents({ events: store.events })(null, {}))).toEqual(['Public trip', 'Synthetic check']);
  });
});
