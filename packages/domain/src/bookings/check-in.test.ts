import { describe, expect, it } from 'vitest';
import { PRICE, admin, buildWorld, organizer, user, EVENT_END, EVENT_START, type World, freshInfrastructure } from '../testing/builders';
import { checkInWindow } from './check-in';

const createWorld = (): World => buildWorld(freshInfrastructure());
const d = (iso: string) => new Date(iso);

describe('checkInWindow', () => {
  it('opens at the start of the first day and closes at the end of the last day, in UTC by default', () => {
    expect(checkInWindow({ startDate: EVENT_START, endDate: EVENT_END })).toEqual({
      opensAt: d('2030-06-01T00:00:00Z'),
      closesAt: d('2030-06-02T00:00:00Z'),
      timeZone: 'UTC',
    });
  });

  it('spans every day of a multi-day event', () => {
    expect(checkInWindow({ startDate: d('2030-06-01T08:00:00Z'), endDate: d('2030-06-03T12:00:00Z'), timeZone: null })).toMatchObject({
      opensAt: d('2030-06-01T00:00:00Z'),
      closesAt: d('2030-06-04T00:00:00Z'),
    });
  });

  it("follows the event's time zone: its calendar day, not UTC's", () => {
    // 01:30 on June 1 in Moscow (UTC+3) is still May 31 in UTC.
    expect(checkInWindow({ startDate: d('2030-05-31T22:30:00Z'), endDate: d('2030-06-01T15:00:00Z'), timeZone: 'Europe/Moscow' })).toEqual({
      opensAt: d('2030-05-31T21:00:00Z'),
      closesAt: d('2030-06-01T21:00:00Z'),
      timeZone: 'Europe/Moscow',
    });
    // 20:00 on June 1 in Los Angeles (UTC-7 in summer) is June 2 in UTC.
    expect(checkInWindow({ startDate: d('2030-06-02T03:00:00Z'), endDate: d('2030-06-02T05:00:00Z'), timeZone: 'America/Los_Angeles' })).toMatchObject({
      opensAt: d('2030-06-01T07:00:00Z'),
      closesAt: d('2030-06-02T07:00:00Z'),
    });
  });

  it('keeps calendar days across a daylight-saving change (a 23-hour day)', () => {
    // New York springs forward at 02:00 on 2030-03-10: midnight is -05:00, the next one -04:00.
    expect(checkInWindow({ startDate: d('2030-03-10T14:00:00Z'), endDate: d('2030-03-10T18:00:00Z'), timeZone: 'America/New_York' })).toMatchObject({
      opensAt: d('2030-03-10T05:00:00Z'),
      closesAt: d('2030-03-11T04:00:00Z'),
    });
  });

  it('starts a day whose midnight a daylight-saving change skips at the change itself', () => {
    // Santiago moved from -04:00 to -03:00 at midnight starting 2023-09-03: that day began at 01:00 local.
    expect(checkInWindow({ startDate: d('2023-09-03T15:00:00Z'), endDate: d('2023-09-03T20:00:00Z'), timeZone: 'America/Santiago' })).toMatchObject({
      opensAt: d('2023-09-03T04:00:00Z'),
      closesAt: d('2023-09-04T03:00:00Z'),
    });
  });
});

/** A free event of org-1 (EVENT_START..EVENT_END, 2030-06-01 UTC) with u1's CONFIRMED booking. */
async function booked() {
  const world = createWorld();
  const event = await world.publishedEvent({ capacity: 5 });
  const booking = await world.bookSeat(user('u1'), { eventId: event.id });
  return { world, event, booking };
}

describe('checkInBooking', () => {
  it("lets the event's organizer check a CONFIRMED booking in on the event's day, writing booking.checked_in", async () => {
    const { world, event, booking } = await booked();
    world.clock.set('2030-06-01T07:45:00Z');

    const checkedIn = await world.checkInBooking(organizer('org-1'), booking.id);

    expect(checkedIn).toEqual({ ...booking, checkedInAt: d('2030-06-01T07:45:00Z'), updatedAt: d('2030-06-01T07:45:00Z') });
    expect(await world.storedBooking(booking.id)).toEqual(checkedIn);
    expect(world.outboxOf('booking.checked_in')).toEqual([
      expect.objectContaining({
        aggregateType: 'booking',
        aggregateId: booking.id,
        occurredAt: d('2030-06-01T07:45:00Z'),
        data: expect.objectContaining({ bookingId: booking.id, eventId: event.id, userId: 'u1', status: 'CONFIRMED', checkedInAt: '2030-06-01T07:45:00.000Z' }),
      }),
    ]);
  });

  it('is idempotent: a second check-in answers the first one unchanged and writes no second event', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T07:45:00Z');
    const first = await world.checkInBooking(organizer('org-1'), booking.id);
    world.clock.set('2030-06-01T09:00:00Z');

    expect(await world.checkInBooking(organizer('org-1'), booking.id)).toEqual(first);
    expect(await world.checkInBooking(admin(), booking.id)).toEqual(first);
    // Even once the window has closed: the answer is the record, not a new decision.
    world.clock.set('2030-06-05T00:00:00Z');
    expect(await world.checkInBooking(organizer('org-1'), booking.id)).toEqual(first);
    expect(world.outboxOf('booking.checked_in')).toHaveLength(1);
  });

  it('lets an admin check in', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T10:00:00Z');
    expect(await world.checkInBooking(admin(), booking.id)).toMatchObject({ checkedInAt: d('2030-06-01T10:00:00Z') });
  });

  it('is open from the first instant of the first day to the last instant of the last day, and closed outside', async () => {
    const { world, booking } = await booked();
    for (const at of ['2030-05-31T23:59:59.999Z', '2030-06-02T00:00:00.000Z']) {
      world.clock.set(at);
      await expect(world.checkInBooking(organizer('org-1'), booking.id)).rejects.toMatchObject({
        code: 'BOOKING.CHECK_IN_CLOSED',
        details: { bookingId: booking.id, opensAt: '2030-06-01T00:00:00.000Z', closesAt: '2030-06-02T00:00:00.000Z', timeZone: 'UTC' },
      });
    }
    expect(await world.storedBooking(booking.id)).toEqual(booking);
    expect(world.outboxOf('booking.checked_in')).toEqual([]);

    world.clock.set('2030-06-01T00:00:00.000Z');
    await expect(world.checkInBooking(organizer('org-1'), booking.id)).resolves.toMatchObject({ checkedInAt: d('2030-06-01T00:00:00.000Z') });
  });

  it("follows the event's time zone when it has one", async () => {
    const { world, event, booking } = await booked();
    // Yekaterinburg is UTC+5: the event (08:00-18:00 UTC) runs 13:00-23:00 local on June 1, whose
    // day is 2030-05-31T19:00Z..2030-06-01T19:00Z.
    await world.store.events.update(Object.assign(await world.storedEvent(event.id), { timeZone: 'Asia/Yekaterinburg' }));
    world.clock.set('2030-06-01T19:30:00Z');
    await expect(world.checkInBooking(organizer('org-1'), booking.id)).rejects.toMatchObject({
      code: 'BOOKING.CHECK_IN_CLOSED',
      details: { opensAt: '2030-05-31T19:00:00.000Z', closesAt: '2030-06-01T19:00:00.000Z', timeZone: 'Asia/Yekaterinburg' },
    });
    world.clock.set('2030-05-31T20:00:00Z');
    await expect(world.checkInBooking(organizer('org-1'), booking.id)).resolves.toMatchObject({ checkedInAt: d('2030-05-31T20:00:00Z') });
  });

  it('accepts the last instant of the last day', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T23:59:59.999Z');
    await expect(world.checkInBooking(organizer('org-1'), booking.id)).resolves.toMatchObject({ checkedInAt: d('2030-06-01T23:59:59.999Z') });
  });

  it('refuses a booking that is not CONFIRMED with BOOKING.CHECK_IN_NOT_ALLOWED and changes nothing', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ price: PRICE });
    const pending = await world.bookSeat(user('u1'), { eventId: event.id });
    const cancelled = await world.cancelBooking(user('u2'), (await world.bookSeat(user('u2'), { eventId: event.id })).id);
    world.clock.set('2030-06-01T08:30:00Z');

    await expect(world.checkInBooking(organizer('org-1'), pending.id)).rejects.toMatchObject({
      code: 'BOOKING.CHECK_IN_NOT_ALLOWED',
      details: { bookingId: pending.id, bookingStatus: 'PENDING' },
    });
    await expect(world.checkInBooking(organizer('org-1'), cancelled.id)).rejects.toMatchObject({
      code: 'BOOKING.CHECK_IN_NOT_ALLOWED',
      details: { bookingStatus: 'CANCELLED' },
    });
    expect(await world.storedBooking(pending.id)).toEqual(pending);
    expect(world.outboxOf('booking.checked_in')).toEqual([]);
  });

  it('refuses the booker with AUTH.FORBIDDEN, hides the booking from strangers, and asks for a token', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T08:30:00Z');
    await expect(world.checkInBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.checkInBooking(user('u2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    await expect(world.checkInBooking(organizer('org-2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    await expect(world.checkInBooking(null, booking.id)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    await expect(world.checkInBooking(organizer('org-1'), 'missing')).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    expect(await world.storedBooking(booking.id)).toEqual(booking);
    expect(world.outboxOf('booking.checked_in')).toEqual([]);
  });

  it('keeps the check-in when the event completes', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T08:30:00Z');
    await world.checkInBooking(organizer('org-1'), booking.id);
    world.clock.set('2030-06-01T19:00:00Z');
    await world.completeEvents();
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'COMPLETED', checkedInAt: d('2030-06-01T08:30:00Z') });
  });

  it("checks in a booking the event's end made COMPLETED while the window is still open, and not after it closes", async () => {
    const { world, booking } = await booked();
    const late = await world.bookSeat(user('u2'), { eventId: booking.eventId });
    world.clock.set('2030-06-01T19:00:00Z');
    await world.completeEvents();

    world.clock.set('2030-06-01T23:59:00Z');
    expect(await world.checkInBooking(organizer('org-1'), booking.id)).toMatchObject({ status: 'COMPLETED', checkedInAt: d('2030-06-01T23:59:00Z') });
    world.clock.set('2030-06-02T00:00:00Z');
    await expect(world.checkInBooking(organizer('org-1'), late.id)).rejects.toMatchObject({ code: 'BOOKING.CHECK_IN_CLOSED' });
    expect(await world.storedBooking(late.id)).toMatchObject({ status: 'COMPLETED', checkedInAt: null });
  });
});

describe('cancelling after check-in', () => {
  it('refuses the booker with BOOKING.CHECKED_IN before the start too, and changes nothing; an admin still cancels', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T07:30:00Z');
    const checkedIn = await world.checkInBooking(organizer('org-1'), booking.id);
    world.clock.set('2030-06-01T07:40:00Z');
    await expect(world.cancelBooking(user('u1'), booking.id)).rejects.toMatchObject({
      code: 'BOOKING.CHECKED_IN',
      details: { bookingId: booking.id, checkedInAt: '2030-06-01T07:30:00.000Z' },
    });
    expect(await world.storedBooking(booking.id)).toEqual(checkedIn);
    expect(world.outboxOf('booking.cancelled')).toEqual([]);

    await expect(world.cancelBooking(admin(), booking.id)).resolves.toMatchObject({ status: 'CANCELLED' });
  });
});

describe('markNoShow after check-in', () => {
  it('refuses to mark a checked-in booking a no-show with BOOKING.CHECKED_IN and keeps it', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T07:30:00Z');
    const checkedIn = await world.checkInBooking(organizer('org-1'), booking.id);
    world.clock.set('2030-06-01T09:00:00Z');
    await expect(world.markNoShow(organizer('org-1'), booking.id)).rejects.toMatchObject({
      code: 'BOOKING.CHECKED_IN',
      details: { bookingId: booking.id, checkedInAt: '2030-06-01T07:30:00.000Z' },
    });
    expect(await world.storedBooking(booking.id)).toEqual(checkedIn);
    expect(world.outboxOf('booking.no_show')).toEqual([]);
  });

  it('still marks a booking that was not checked in', async () => {
    const { world, booking } = await booked();
    world.clock.set('2030-06-01T09:00:00Z');
    await expect(world.markNoShow(organizer('org-1'), booking.id)).resolves.toMatchObject({ status: 'NO_SHOW', checkedInAt: null });
  });
});
