import { describe, expect, it } from 'vitest';
import type { UnitOfWork } from '../unit-of-work';
import { makeReplaceLegacyEvent } from './legacy-events';
import { EVENT_END, EVENT_START, PRICE, buildWorld, organizer, user, type World, freshInfrastructure } from '../testing/builders';

const DAY_MS = 86_400_000;
const createWorld = (): World => buildWorld(freshInfrastructure());
const legacy = (over: Record<string, unknown> = {}) => ({ title: 'Old tour', description: null, startDate: EVENT_START, locationText: null, ...over });

describe('createLegacyEvent (the v1 POST)', () => {
  it('publishes at once with 50 seats and a one-day length when neither is given', async () => {
    const world = createWorld();
    const event = await world.createLegacyEvent(organizer(), legacy());
    expect(event).toMatchObject({ status: 'PUBLISHED', capacity: 50, available: 50, price: null });
    expect(event.endDate.getTime() - event.startDate.getTime()).toBe(DAY_MS);
    expect(world.outboxTypes()).toEqual(['event.created', 'event.published']);
  });

  it('honours the end date and the capacity given', async () => {
    const world = createWorld();
    const event = await world.createLegacyEvent(organizer(), legacy({ endDate: EVENT_END, capacity: 8 }));
    expect(event).toMatchObject({ capacity: 8, endDate: EVENT_END });
  });

  it('refuses a derived end past the storable range on end_date and stores nothing', async () => {
    const world = createWorld();
    await expect(world.createLegacyEvent(organizer(), legacy({ startDate: new Date('9999-12-31T12:00:00Z') }))).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'end_date' })] },
    });
    expect(world.outbox()).toEqual([]);
  });
});

describe('replaceLegacyEvent (the v1 PUT)', () => {
  it('keeps the price, the structured location, the capacity and the length the v1 body does not carry', async () => {
    const world = createWorld();
    const location = await world.createLocation(organizer(), { name: 'Chuya', address: 'Aktash' });
    const event = await world.publishedEvent({ price: PRICE, locationId: location.id, capacity: 7 });
    const later = new Date(EVENT_START.getTime() + 10 * DAY_MS);

    const replaced = await world.replaceLegacyEvent(organizer(), event.id, legacy({ title: 'Chuya rafting', startDate: later }));

    expect(replaced).toMatchObject({ title: 'Chuya rafting', price: PRICE, capacity: 7, location: { id: location.id, name: 'Chuya' }, startDate: later });
    expect(replaced.endDate.getTime() - later.getTime()).toBe(EVENT_END.getTime() - EVENT_START.getTime());
    expect(await world.storedEvent(event.id)).toEqual(replaced);
    expect(world.outboxTypes().at(-1)).toBe('event.updated');
  });

  it('gives a legacy event stored without an end (end = start) a one-day length', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await world.store.events.update({ ...event, endDate: event.startDate });

    const replaced = await world.replaceLegacyEvent(organizer(), event.id, legacy({ title: 'Renamed', startDate: event.startDate }));

    expect(replaced.endDate.getTime() - replaced.startDate.getTime()).toBe(DAY_MS);
  });

  it('honours the end date and the capacity given', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const replaced = await world.replaceLegacyEvent(organizer(), event.id, legacy({ endDate: new Date(EVENT_START.getTime() + 3 * DAY_MS), capacity: 12 }));
    expect(replaced).toMatchObject({ capacity: 12, endDate: new Date(EVENT_START.getTime() + 3 * DAY_MS) });
  });

  it('reads and writes the event in one transaction', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    let transactions = 0;
    const counted: UnitOfWork = { run: (work, options) => (transactions++, world.store.run(work, options)) };
    await makeReplaceLegacyEvent({ uow: counted, clock: world.clock, ids: world.ids, waitlistHoldMs: 60_000 })(organizer(), event.id, legacy());
    expect(transactions).toBe(1);
  });

  it("answers EVENT.NOT_FOUND for an event the caller may not see, AUTH.FORBIDDEN for another organizer's; nothing changes", async () => {
    const world = createWorld();
    const draft = await world.draftEvent();
    const published = await world.publishedEvent();
    const outbox = world.outbox();
    await expect(world.replaceLegacyEvent(organizer('org-2'), draft.id, legacy())).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
    await expect(world.replaceLegacyEvent(organizer('org-2'), published.id, legacy())).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.replaceLegacyEvent(user(), published.id, legacy())).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect(await world.storedEvent(published.id)).toEqual(published);
    expect(world.outbox()).toEqual(outbox);
  });

  it('refuses a derived end past the storable range on end_date and changes nothing', async () => {
    const world = createWorld();
    const event = await world.publishedEvent(); // ten hours long
    await expect(world.replaceLegacyEvent(organizer(), event.id, legacy({ startDate: new Date('9999-12-31T20:00:00Z') }))).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'end_date' })] },
    });
    expect(await world.storedEvent(event.id)).toEqual(event);
  });
});
