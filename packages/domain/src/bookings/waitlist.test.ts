import { describe, expect, it } from 'vitest';
import { WAITLIST_HOLD_MS, organizer, user, buildWorld, type World, type WorldOptions, freshInfrastructure } from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

/** A full one-seat event: `holder` booked it, w1, w2 and w3 wait in that order. */
async function fullEventWithLine() {
  const world = createWorld();
  const event = await world.publishedEvent({ capacity: 1 });
  const holding = await world.bookSeat(user('holder'), { eventId: event.id });
  const w1 = await world.joinWaitlist(user('w1'), event.id);
  const w2 = await world.joinWaitlist(user('w2'), event.id);
  const w3 = await world.joinWaitlist(user('w3'), event.id);
  return { world, event, holding, w1, w2, w3 };
}

const entryOf = (world: World, userId: string, eventId: string) => world.getMyWaitlistEntry(user(userId), eventId);

describe('joinWaitlist', () => {
  it('puts waiting users in line at positions 1, 2, 3', async () => {
    const { world, event, w1, w2, w3 } = await fullEventWithLine();
    expect([w1, w2, w3].map((e) => [e.userId, e.status, e.position])).toEqual([
      ['w1', 'WAITING', 1],
      ['w2', 'WAITING', 2],
      ['w3', 'WAITING', 3],
    ]);
    expect(world.outboxOf('waitlist.joined').map((r) => r.data.userId)).toEqual(['w1', 'w2', 'w3']);
    expect((await entryOf(world, 'w3', event.id)).position).toBe(3);
  });

  it('refuses to join while seats are left with WAITLIST.CONFLICT', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 2 });
    await world.bookSeat(user('u1'), { eventId: event.id });
    await expect(world.joinWaitlist(user('w1'), event.id)).rejects.toMatchObject({ code: 'WAITLIST.CONFLICT', details: { eventId: event.id } });
    await expect(entryOf(world, 'w1', event.id)).rejects.toMatchObject({ code: 'WAITLIST.NOT_FOUND' });
  });

  it('refuses to join twice with WAITLIST.CONFLICT', async () => {
    const { world, event } = await fullEventWithLine();
    await expect(world.joinWaitlist(user('w1'), event.id)).rejects.toMatchObject({ code: 'WAITLIST.CONFLICT' });
    expect(world.outboxOf('waitlist.joined')).toHaveLength(3);
  });

  it('refuses the holder of a booking with WAITLIST.CONFLICT', async () => {
    const { world, event } = await fullEventWithLine();
    await expect(world.joinWaitlist(user('holder'), event.id)).rejects.toMatchObject({ code: 'WAITLIST.CONFLICT' });
  });

  it('refuses an ORGANIZER-only token with AUTH.FORBIDDEN', async () => {
    const { world, event } = await fullEventWithLine();
    await expect(world.joinWaitlist(organizer('org-2'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  });

  it('answers EVENT.NOT_FOUND for a draft', async () => {
    const world = createWorld();
    const draft = await world.draftEvent({ capacity: 1 });
    await expect(world.joinWaitlist(user('w1'), draft.id)).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });

  it('lets a user who left join again, at the back of the line', async () => {
    const { world, event } = await fullEventWithLine();
    await world.leaveWaitlist(user('w1'), event.id);
    world.clock.advance(1000);
    const again = await world.joinWaitlist(user('w1'), event.id);
    expect(again).toMatchObject({ status: 'WAITING', position: 3 });
    expect((await entryOf(world, 'w2', event.id)).position).toBe(1);
  });
});

describe('a released seat goes to the line, first come first served', () => {
  it('offers the seat to the first in line for the hold period and keeps it out of available', async () => {
    const { world, event, holding } = await fullEventWithLine();
    world.clock.advance(5000);
    await world.cancelBooking(user('holder'), holding.id);

    expect(await entryOf(world, 'w1', event.id)).toMatchObject({
      status: 'OFFERED',
      position: null,
      offerExpiresAt: new Date(world.clock.now().getTime() + WAITLIST_HOLD_MS),
    });
    expect((await world.storedEvent(event.id)).available).toBe(0);
    expect(world.outboxOf('waitlist.offered')).toEqual([
      expect.objectContaining({ aggregateType: 'waitlist', data: expect.objectContaining({ eventId: event.id, userId: 'w1' }) }),
    ]);
  });

  it('moves the others up the line', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);
    expect((await entryOf(world, 'w2', event.id)).position).toBe(1);
    expect((await entryOf(world, 'w3', event.id)).position).toBe(2);
  });

  it('refuses the held seat to someone further back in line with BOOKING.EVENT_FULL', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);
    await expect(world.bookSeat(user('w2'), { eventId: event.id })).rejects.toMatchObject({ code: 'BOOKING.EVENT_FULL' });
  });

  it('refuses the held seat to someone not in line with BOOKING.EVENT_FULL', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);
    await expect(world.bookSeat(user('outsider'), { eventId: event.id })).rejects.toMatchObject({ code: 'BOOKING.EVENT_FULL' });
  });

  it('lets the offered user claim the seat with bookSeat', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);

    const booking = await world.bookSeat(user('w1'), { eventId: event.id });

    expect(booking).toMatchObject({ userId: 'w1', status: 'CONFIRMED' });
    expect(await entryOf(world, 'w1', event.id)).toMatchObject({ status: 'CLAIMED', offerExpiresAt: null });
    expect((await world.storedEvent(event.id)).available).toBe(0);
    expect(world.outboxOf('booking.created').at(-1)).toMatchObject({ aggregateId: booking.id, data: { fromWaitlist: true } });
  });

  it('passes a lapsed offer on to the second in line', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);
    world.clock.advance(WAITLIST_HOLD_MS);

    expect(await world.expireWaitlistOffers()).toBe(1);

    expect((await entryOf(world, 'w1', event.id)).status).toBe('EXPIRED');
    expect(await entryOf(world, 'w2', event.id)).toMatchObject({
      status: 'OFFERED',
      offerExpiresAt: new Date(world.clock.now().getTime() + WAITLIST_HOLD_MS),
    });
    expect((await entryOf(world, 'w3', event.id)).position).toBe(1);
    expect((await world.storedEvent(event.id)).available).toBe(0);
    expect(world.outboxOf('waitlist.offer_expired')).toEqual([expect.objectContaining({ data: { eventId: event.id, userId: 'w1' } })]);
  });

  it('keeps an offer that has not lapsed yet', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);
    world.clock.advance(WAITLIST_HOLD_MS - 1);
    expect(await world.expireWaitlistOffers()).toBe(0);
    expect((await entryOf(world, 'w1', event.id)).status).toBe('OFFERED');
  });

  it('does not let the first in line claim a lapsed offer', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);
    world.clock.advance(WAITLIST_HOLD_MS);
    await expect(world.bookSeat(user('w1'), { eventId: event.id })).rejects.toMatchObject({ code: 'BOOKING.EVENT_FULL' });
  });

  it('returns the seat to available when nobody waits', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.cancelBooking(user('u1'), booking.id);
    expect((await world.storedEvent(event.id)).available).toBe(1);
    expect(world.outboxOf('waitlist.offered')).toHaveLength(0);
  });

  it('returns the seat to available when the last offer lapses with nobody else waiting', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);
    await world.cancelBooking(user('u1'), booking.id);
    world.clock.advance(WAITLIST_HOLD_MS);
    await world.expireWaitlistOffers();
    expect((await world.storedEvent(event.id)).available).toBe(1);
  });
});

describe('leaveWaitlist', () => {
  it('passes the seat on when an OFFERED user leaves', async () => {
    const { world, event, holding } = await fullEventWithLine();
    await world.cancelBooking(user('holder'), holding.id);

    await world.leaveWaitlist(user('w1'), event.id);

    expect((await entryOf(world, 'w1', event.id)).status).toBe('LEFT');
    expect((await entryOf(world, 'w2', event.id)).status).toBe('OFFERED');
    expect((await world.storedEvent(event.id)).available).toBe(0);
    expect(world.outboxOf('waitlist.left')).toEqual([expect.objectContaining({ data: { eventId: event.id, userId: 'w1' } })]);
  });

  it('gives the seat back to the event when the only OFFERED user leaves', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 1 });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.joinWaitlist(user('w1'), event.id);
    await world.cancelBooking(user('u1'), booking.id);

    await world.leaveWaitlist(user('w1'), event.id);

    expect((await world.storedEvent(event.id)).available).toBe(1);
  });

  it('offers nothing when a WAITING user leaves, and the line closes up', async () => {
    const { world, event } = await fullEventWithLine();
    await world.leaveWaitlist(user('w1'), event.id);
    expect(world.outboxOf('waitlist.offered')).toHaveLength(0);
    expect((await entryOf(world, 'w2', event.id)).position).toBe(1);
    expect((await entryOf(world, 'w3', event.id)).position).toBe(2);
    expect((await world.storedEvent(event.id)).available).toBe(0);
  });

  it('answers WAITLIST.NOT_FOUND to someone not in line', async () => {
    const { world, event } = await fullEventWithLine();
    await expect(world.leaveWaitlist(user('outsider'), event.id)).rejects.toMatchObject({ code: 'WAITLIST.NOT_FOUND' });
  });

  it('answers WAITLIST.NOT_FOUND when leaving twice', async () => {
    const { world, event } = await fullEventWithLine();
    await world.leaveWaitlist(user('w1'), event.id);
    await expect(world.leaveWaitlist(user('w1'), event.id)).rejects.toMatchObject({ code: 'WAITLIST.NOT_FOUND' });
  });
});
