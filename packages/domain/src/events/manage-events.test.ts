import { describe, expect, it } from 'vitest';
import type { PaymentGateway } from '../bookings/ports';
import type { UnitOfWork } from '../unit-of-work';
import { makeCancelEvent } from './manage-events';
import { PRICE, admin, eventInput, organizer, user, EVENT_START, buildWorld, type World, type WorldOptions, freshInfrastructure } from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

const allEvents = async (world: World) => (await world.store.events.list({ allDrafts: true }, { page: 1, size: 100 })).items;

describe('createEvent', () => {
  it('creates a DRAFT owned by the calling organizer with every seat available', async () => {
    const world = createWorld();
    const event = await world.createEvent(organizer('org-1'), eventInput({ capacity: 12 }));
    expect(event).toMatchObject({ status: 'DRAFT', organizerId: 'org-1', capacity: 12, available: 12, title: 'Rafting on the Katun' });
    expect(await world.storedEvent(event.id)).toEqual(event);
  });

  it('lets an admin create an event', async () => {
    const world = createWorld();
    const event = await world.createEvent(admin('admin-1'), eventInput());
    expect(event.organizerId).toBe('admin-1');
  });

  it('refuses a plain user with AUTH.FORBIDDEN and stores nothing', async () => {
    const world = createWorld();
    await expect(world.createEvent(user(), eventInput())).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect(await allEvents(world)).toHaveLength(0);
    expect(world.outbox()).toHaveLength(0);
  });

  it('refuses an anonymous caller with AUTH.UNAUTHENTICATED', async () => {
    const world = createWorld();
    await expect(world.createEvent(null, eventInput())).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    expect(await allEvents(world)).toHaveLength(0);
  });

  it('refuses an unknown locationId with LOCATION.NOT_FOUND, leaving no event and no outbox row', async () => {
    const world = createWorld();
    await expect(world.createEvent(organizer(), eventInput({ locationId: 'nowhere' }))).rejects.toMatchObject({
      code: 'LOCATION.NOT_FOUND',
      details: { locationId: 'nowhere' },
    });
    expect(await allEvents(world)).toHaveLength(0);
    expect(world.outbox()).toHaveLength(0);
  });

  it('attaches a known location and uses its name as the location text', async () => {
    const world = createWorld();
    const location = await world.createLocation(organizer(), { name: 'Katun river base', address: 'Chemal, Altai' });
    const event = await world.createEvent(organizer(), eventInput({ locationId: location.id }));
    expect(event.location).toEqual(location);
    expect(event.locationText).toBe('Katun river base');
  });

  it("stores v1's free-text location as a location: the existing one of that name, else a new one", async () => {
    const world = createWorld();
    const known = await world.createLocation(organizer(), { name: 'Katun river base', address: 'Chemal, Altai' });
    const reused = await world.createEvent(organizer(), eventInput({ locationText: ' Katun river base ' }));
    expect(reused.location).toEqual(known);
    const created = await world.createEvent(organizer(), eventInput({ locationText: 'Lake Teletskoye' }));
    expect(created.location).toMatchObject({ name: 'Lake Teletskoye', address: 'Lake Teletskoye', coordinates: null });
    expect(created.locationText).toBe('Lake Teletskoye');
    expect(world.outboxOf('location.created').map((row) => row.aggregateId)).toEqual([known.id, created.location!.id]);
    // A v1 update moves the event to the location its new text names; text wins over locationId.
    const moved = await world.updateEvent(organizer(), created.id, eventInput({ locationText: 'Katun river base', locationId: created.location!.id }));
    expect(moved.location).toEqual(known);
    expect(await world.storedEvent(created.id)).toEqual(moved);
  });

  it('refuses invalid fields with VALIDATION.FAILED and writes nothing', async () => {
    const world = createWorld();
    await expect(world.createEvent(organizer(), eventInput({ title: 'ab', capacity: 0 }))).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'title' }), expect.objectContaining({ field: 'capacity' })] },
    });
    expect(await allEvents(world)).toHaveLength(0);
    expect(world.outbox()).toHaveLength(0);
  });

  it('writes event.created to the outbox with the event id as aggregateId', async () => {
    const world = createWorld();
    const event = await world.createEvent(organizer(), eventInput());
    expect(world.outbox()).toEqual([
      expect.objectContaining({ type: 'event.created', aggregateType: 'event', aggregateId: event.id, data: expect.objectContaining({ status: 'DRAFT' }) }),
    ]);
  });

  it('with { publish: true } creates a PUBLISHED event and writes event.created then event.published', async () => {
    const world = createWorld();
    const event = await world.createEvent(organizer(), eventInput(), { publish: true });
    expect(event.status).toBe('PUBLISHED');
    expect((await world.storedEvent(event.id)).status).toBe('PUBLISHED');
    expect(world.outbox().map((r) => [r.type, r.aggregateId])).toEqual([
      ['event.created', event.id],
      ['event.published', event.id],
    ]);
  });

  it('with { publish: true } refuses an event that has already started and stores nothing', async () => {
    const world = createWorld();
    world.clock.set(EVENT_START);
    await expect(world.createEvent(organizer(), eventInput(), { publish: true })).rejects.toMatchObject({ code: 'EVENT.ALREADY_STARTED' });
    expect(await allEvents(world)).toHaveLength(0);
    expect(world.outbox()).toHaveLength(0);
  });
});

describe('updateEvent', () => {
  it('lets the owner replace the fields and writes event.updated', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    world.clock.advance(60_000);
    const updated = await world.updateEvent(organizer(), event.id, eventInput({ title: 'Rafting, day two', capacity: 20 }));
    expect(updated).toMatchObject({ title: 'Rafting, day two', capacity: 20, available: 20, updatedAt: world.clock.now() });
    expect(await world.storedEvent(event.id)).toEqual(updated);
    expect(world.outboxOf('event.updated')).toEqual([expect.objectContaining({ aggregateId: event.id })]);
  });

  it('lets an admin update an event of any organizer', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    const updated = await world.updateEvent(admin(), event.id, eventInput({ title: 'Renamed by admin' }));
    expect(updated.title).toBe('Renamed by admin');
    expect(updated.organizerId).toBe('org-1');
  });

  it('refuses another organizer with AUTH.FORBIDDEN and changes nothing', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    const before = world.outbox().length;
    await expect(world.updateEvent(organizer('org-2'), event.id, eventInput({ title: 'Hijacked' }))).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect(await world.storedEvent(event.id)).toEqual(event);
    expect(world.outbox()).toHaveLength(before);
  });

  it('refuses a plain user with AUTH.FORBIDDEN', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await expect(world.updateEvent(user(), event.id, eventInput())).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  });

  it('answers EVENT.NOT_FOUND for an unknown id', async () => {
    const world = createWorld();
    await expect(world.updateEvent(organizer(), 'missing', eventInput())).rejects.toMatchObject({
      code: 'EVENT.NOT_FOUND',
      details: { eventId: 'missing' },
    });
  });

  it('refuses an unknown locationId with LOCATION.NOT_FOUND and keeps the event as it was', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await expect(world.updateEvent(organizer(), event.id, eventInput({ title: 'Moved', locationId: 'nowhere' }))).rejects.toMatchObject({
      code: 'LOCATION.NOT_FOUND',
    });
    expect(await world.storedEvent(event.id)).toEqual(event);
    expect(world.outboxOf('event.updated')).toHaveLength(0);
  });

  it('refuses to drop capacity below the booked seats and rolls back', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 3 });
    await world.bookSeat(user('u1'), { eventId: event.id });
    await world.bookSeat(user('u2'), { eventId: event.id });
    const before = await world.storedEvent(event.id);
    await expect(world.updateEvent(organizer(), event.id, eventInput({ capacity: 1 }))).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    expect(await world.storedEvent(event.id)).toEqual(before);
    expect(world.outboxOf('event.updated')).toHaveLength(0);
  });

  it('refuses to update a cancelled event with EVENT.ILLEGAL_TRANSITION', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await world.cancelEvent(organizer(), event.id);
    await expect(world.updateEvent(organizer(), event.id, eventInput())).rejects.toMatchObject({ code: 'EVENT.ILLEGAL_TRANSITION' });
  });
});

describe('publishEvent', () => {
  it('publishes a draft and writes event.published', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    const published = await world.publishEvent(organizer(), event.id);
    expect(published.status).toBe('PUBLISHED');
    expect((await world.storedEvent(event.id)).status).toBe('PUBLISHED');
    expect(world.outboxOf('event.published')).toEqual([expect.objectContaining({ aggregateId: event.id })]);
  });

  it('refuses an event whose start has passed with EVENT.ALREADY_STARTED and leaves it a DRAFT', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    world.clock.set('2030-06-01T09:00:00Z');
    await expect(world.publishEvent(organizer(), event.id)).rejects.toMatchObject({ code: 'EVENT.ALREADY_STARTED' });
    expect((await world.storedEvent(event.id)).status).toBe('DRAFT');
    expect(world.outboxOf('event.published')).toHaveLength(0);
  });

  it('treats an event starting right now as already started', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    world.clock.set(EVENT_START);
    await expect(world.publishEvent(organizer(), event.id)).rejects.toMatchObject({ code: 'EVENT.ALREADY_STARTED' });
  });

  it('refuses to publish twice with EVENT.ILLEGAL_TRANSITION', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await world.publishEvent(organizer(), event.id);
    await expect(world.publishEvent(organizer(), event.id)).rejects.toMatchObject({
      code: 'EVENT.ILLEGAL_TRANSITION',
      details: { from: 'PUBLISHED', to: 'PUBLISHED' },
    });
    expect(world.outboxOf('event.published')).toHaveLength(1);
  });

  it('refuses another organizer with AUTH.FORBIDDEN', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await expect(world.publishEvent(organizer('org-2'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await world.storedEvent(event.id)).status).toBe('DRAFT');
  });

  it('answers EVENT.NOT_FOUND for an unknown id', async () => {
    const world = createWorld();
    await expect(world.publishEvent(organizer(), 'missing')).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });
});

describe('cancelEvent', () => {
  it('cancels a published event and writes event.cancelled', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const cancelled = await world.cancelEvent(organizer(), event.id);
    expect(cancelled.status).toBe('CANCELLED');
    expect((await world.storedEvent(event.id)).status).toBe('CANCELLED');
    expect(world.outboxOf('event.cancelled')).toEqual([expect.objectContaining({ aggregateId: event.id })]);
  });

  it('cancels a draft', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    expect((await world.cancelEvent(organizer(), event.id)).status).toBe('CANCELLED');
  });

  it("cancels the event's active bookings (PENDING and CONFIRMED) and leaves other events' bookings alone", async () => {
    const payments: PaymentGateway = {
      charge: async () => ({ status: 'SUCCEEDED' }),
      findCharge: async () => null,
      refund: async () => ({ status: 'REFUNDED' }),
    };
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ price: PRICE });
    const other = await world.publishedEvent({ title: 'Free kayak tour' });
    const pending = await world.bookSeat(user('u1'), { eventId: event.id });
    const confirmed = await world.bookSeat(user('u2'), { eventId: event.id });
    await world.payBooking(user('u2'), confirmed.id);
    const elsewhere = await world.bookSeat(user('u1'), { eventId: other.id });
    expect((await world.storedBooking(pending.id)).status).toBe('PENDING');
    expect((await world.storedBooking(confirmed.id)).status).toBe('CONFIRMED');

    await world.cancelEvent(organizer(), event.id);

    expect((await world.storedBooking(pending.id)).status).toBe('CANCELLED');
    expect((await world.storedBooking(confirmed.id)).status).toBe('CANCELLED');
    expect((await world.storedBooking(elsewhere.id)).status).toBe('CONFIRMED');
    expect(world.outboxOf('booking.cancelled').map((r) => [r.aggregateId, r.data.reason])).toEqual([
      [pending.id, 'event-cancelled'],
      [confirmed.id, 'event-cancelled'],
    ]);
  });

  it('marks a paid booking of a cancelled event for refund', async () => {
    const payments: PaymentGateway = {
      charge: async () => ({ status: 'SUCCEEDED' }),
      findCharge: async () => null,
      refund: async () => ({ status: 'REFUNDED' }),
    };
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ price: PRICE });
    const booking = await world.bookSeat(user(), { eventId: event.id });
    await world.payBooking(user(), booking.id);

    await world.cancelEvent(organizer(), event.id);

    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_PENDING' });
  });

  it('closes the waitlist of the cancelled event', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    await world.bookSeat(user('u1'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);

    await world.cancelEvent(organizer(), event.id);

    expect(await world.getMyWaitlistEntry(user('w1'), event.id)).toMatchObject({ status: 'EXPIRED', position: null });
  });

  it('refuses to cancel twice with EVENT.ILLEGAL_TRANSITION', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await world.cancelEvent(organizer(), event.id);
    await expect(world.cancelEvent(organizer(), event.id)).rejects.toMatchObject({ code: 'EVENT.ILLEGAL_TRANSITION' });
    expect(world.outboxOf('event.cancelled')).toHaveLength(1);
  });

  it('refuses another organizer with AUTH.FORBIDDEN and keeps the bookings', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const booking = await world.bookSeat(user(), { eventId: event.id });
    await expect(world.cancelEvent(organizer('org-2'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await world.storedEvent(event.id)).status).toBe('PUBLISHED');
    expect((await world.storedBooking(booking.id)).status).toBe('CONFIRMED');
  });

  it('cascades by itself: makeCancelEvent alone, without any wiring, cancels the bookings in its transaction', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const booking = await world.bookSeat(user(), { eventId: event.id });
    const cancelEvent = makeCancelEvent({ uow: world.store, clock: world.clock, ids: world.ids });

    await cancelEvent(organizer(), event.id);

    expect((await world.storedBooking(booking.id)).status).toBe('CANCELLED');
    expect(world.outboxTypes().slice(-2)).toEqual(['event.cancelled', 'booking.cancelled']);
  });

  it('rolls everything back, outbox included, when the cascade fails after cancelling the bookings', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const booking = await world.bookSeat(user(), { eventId: event.id });
    const outboxBefore = world.outbox();
    // The waitlist is closed last, after the bookings were cancelled: failing there must undo them.
    const failingWaitlist: UnitOfWork = {
      run: (work, options) =>
        world.store.run((tx) => work({ ...tx, waitlist: { ...tx.waitlist, closeAll: () => Promise.reject(new Error('waitlist store down')) } }), options),
    };
    const cancelEvent = makeCancelEvent({ uow: failingWaitlist, clock: world.clock, ids: world.ids });

    await expect(cancelEvent(organizer(), event.id)).rejects.toThrow('waitlist store down');

    expect((await world.storedEvent(event.id)).status).toBe('PUBLISHED');
    expect((await world.storedBooking(booking.id)).status).toBe('CONFIRMED');
    expect(world.outbox()).toEqual(outboxBefore);
  });
});

describe('conditional changes (If-Match)', () => {
  it('applies an update that names the current version, and returns the stored event with its new version', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    const updated = await world.updateEvent(organizer(), event.id, eventInput({ title: 'Edited' }), { ifVersion: [event.version] });
    expect(updated).toMatchObject({ title: 'Edited', version: event.version + 1 });
    expect(await world.storedEvent(event.id)).toEqual(updated);
  });

  it('refuses a stale version with EVENT.PRECONDITION_FAILED and changes nothing: the second of two editors cannot overwrite the first', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await world.updateEvent(organizer(), event.id, eventInput({ title: 'First editor' }), { ifVersion: [event.version] });
    const before = world.outbox().length;
    await expect(world.updateEvent(organizer(), event.id, eventInput({ title: 'Second editor' }), { ifVersion: [event.version] })).rejects.toMatchObject({
      code: 'EVENT.PRECONDITION_FAILED',
      details: { eventId: event.id },
    });
    expect((await world.storedEvent(event.id))!.title).toBe('First editor');
    expect(world.outbox()).toHaveLength(before);
  });

  it('counts a booking as a change: a version read before a seat was taken no longer matches', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await world.bookSeat(user('u-1'), { eventId: event.id });
    const booked = await world.storedEvent(event.id);
    expect(booked!.version).toBeGreaterThan(event.version);
    await expect(world.cancelEvent(organizer(), event.id, { ifVersion: [event.version] })).rejects.toMatchObject({ code: 'EVENT.PRECONDITION_FAILED' });
    expect((await world.storedEvent(event.id))!.status).toBe('PUBLISHED');
    const cancelled = await world.cancelEvent(organizer(), event.id, { ifVersion: [booked!.version] });
    expect(cancelled.status).toBe('CANCELLED');
  });

  it('publishes under a matching version only', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await expect(world.publishEvent(organizer(), event.id, { ifVersion: [event.version + 1] })).rejects.toMatchObject({ code: 'EVENT.PRECONDITION_FAILED' });
    expect((await world.storedEvent(event.id))!.status).toBe('DRAFT');
    expect((await world.publishEvent(organizer(), event.id, { ifVersion: [event.version] })).status).toBe('PUBLISHED');
  });

  it('checks who may change the event and whether it exists before the precondition', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await expect(world.updateEvent(organizer('org-2'), event.id, eventInput(), { ifVersion: [] })).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.publishEvent(organizer(), 'missing', { ifVersion: [] })).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });

  it('checks the precondition before the transition: a stale cancel of a cancelled event is a precondition failure', async () => {
    const world = createWorld();
    const event = await world.draftEvent();
    await world.cancelEvent(organizer(), event.id);
    await expect(world.cancelEvent(organizer(), event.id, { ifVersion: [event.version] })).rejects.toMatchObject({ code: 'EVENT.PRECONDITION_FAILED' });
  });

  it('sets and keeps the time zone through updates, and carries it in the event.updated payload', async () => {
    const world = createWorld();
    const event = await world.createEvent(organizer(), eventInput({ timeZone: 'Asia/Barnaul' }));
    expect(event.timeZone).toBe('Asia/Barnaul');
    const updated = await world.updateEvent(organizer(), event.id, eventInput({ title: 'No zone given' }));
    expect(updated.timeZone).toBe('Asia/Barnaul');
    expect(world.outboxOf('event.updated')[0]!.data).toMatchObject({ timeZone: 'Asia/Barnaul' });
  });
});
