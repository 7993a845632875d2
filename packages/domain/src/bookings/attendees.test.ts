import { describe, expect, it } from 'vitest';
import type { Booking } from './booking';
import type { BookingRepository, PaymentGateway } from './ports';
import { PRICE, admin, buildWorld, organizer, user, START, type World, freshInfrastructure } from '../testing/builders';
import { EXPORT_PAGE_SIZE, makeExportAttendees, summarize } from './attendees';

const createWorld = (payments?: PaymentGateway): World => buildWorld(freshInfrastructure(), { payments });

const approvingPayments: PaymentGateway = {
  charge: async () => ({ status: 'SUCCEEDED' }),
  findCharge: async () => null,
  refund: async () => ({ status: 'REFUNDED' }),
};

/** `n` bookings of the event written straight to the store, one second apart, every third one cancelled. */
async function manyBookings(world: World, eventId: string, n: number): Promise<Booking[]> {
  const written: Booking[] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.parse(START) + i * 1000);
    const booking: Booking = {
      id: `b-${String(i).padStart(6, '0')}`,
      eventId,
      userId: `u-${i}`,
      status: i % 3 === 2 ? 'CANCELLED' : 'CONFIRMED',
      seats: 1,
      participants: [],
      partialRefund: null,
      amount: null,
      paymentStatus: 'NOT_REQUIRED',
      paymentId: null,
      expiresAt: null,
      refundDueAt: null,
      checkedInAt: null,
      createdAt: at,
      updatedAt: at,
    };
    await world.store.bookings.insert(booking);
    written.push(booking);
  }
  return written;
}

describe('listAttendees', () => {
  it("lists an event's active bookings, oldest first, paged, for its organizer and admins", async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 10 });
    const bookings = [];
    for (const u of ['u1', 'u2', 'u3']) {
      bookings.push(await world.bookSeat(user(u), { eventId: event.id }));
      world.clock.advance(1000);
    }
    await world.cancelBooking(user('u2'), bookings[1]!.id);

    const page = await world.listAttendees(organizer('org-1'), event.id, { page: 1, size: 1 });
    expect(page).toMatchObject({ total: 2, page: 1, size: 1, totalPages: 2 });
    expect(page.items.map((b) => b.userId)).toEqual(['u1']);
    expect((await world.listAttendees(admin(), event.id, { page: 2, size: 1 })).items.map((b) => b.userId)).toEqual(['u3']);
    expect((await world.listAttendees(admin(), event.id, {})).items.map((b) => b.userId)).toEqual(['u1', 'u3']);
  });

  it('keeps the attendees after the event: completed and no-show bookings stay on the list and in the export', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 10 });
    const came = await world.bookSeat(user('u1'), { eventId: event.id });
    world.clock.advance(1000);
    const missed = await world.bookSeat(user('u2'), { eventId: event.id });
    world.clock.set('2030-06-01T09:00:00Z');
    await world.markNoShow(organizer('org-1'), missed.id);
    world.clock.set('2030-06-01T19:00:00Z');
    await world.completeEvents();

    const listed = (await world.listAttendees(organizer('org-1'), event.id, {})).items;
    expect(listed.map((b) => [b.id, b.status])).toEqual([
      [came.id, 'COMPLETED'],
      [missed.id, 'NO_SHOW'],
    ]);
    const exported: string[] = [];
    for await (const b of (await world.exportAttendees(organizer('org-1'), event.id)).rows) exported.push(b.id);
    expect(exported).toEqual([came.id, missed.id]);
  });

  it('refuses others: AUTH.FORBIDDEN for a user or another organizer, AUTH.UNAUTHENTICATED without a token, EVENT.NOT_FOUND for an unknown event', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await expect(world.listAttendees(user('u1'), event.id, {})).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.listAttendees(organizer('org-2'), event.id, {})).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.listAttendees(null, event.id, {})).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    await expect(world.listAttendees(admin(), 'missing', {})).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });

  it('refuses a page size above the limit with VALIDATION.FAILED', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await expect(world.listAttendees(organizer('org-1'), event.id, { size: 101 })).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });
});

describe('exportAttendees', () => {
  /** The store's booking repository, counting the export's page reads. */
  function counting(world: World) {
    const reads: number[] = [];
    const bookings: BookingRepository = {
      ...world.store.bookings,
      attendeesOfEventAfter: async (eventId, after, limit) => {
        const page = await world.store.bookings.attendeesOfEventAfter(eventId, after, limit);
        reads.push(page.length);
        return page;
      },
    };
    return { reads, exportAttendees: makeExportAttendees({ bookings, events: world.store.events }) };
  }

  it('streams every active booking once, in booking order, across pages', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    // Two thirds of them active: 2.4 pages.
    const written = await manyBookings(world, event.id, 3.6 * EXPORT_PAGE_SIZE);
    const { reads, exportAttendees } = counting(world);

    const { event: exported, rows } = await exportAttendees(organizer('org-1'), event.id);
    const ids: string[] = [];
    for await (const b of rows) ids.push(b.id);

    expect(exported.id).toBe(event.id);
    expect(ids).toEqual(written.filter((b) => b.status === 'CONFIRMED').map((b) => b.id));
    expect(ids).toHaveLength(2.4 * EXPORT_PAGE_SIZE);
    expect(reads).toEqual([EXPORT_PAGE_SIZE, EXPORT_PAGE_SIZE, 0.4 * EXPORT_PAGE_SIZE]);
  });

  it('reads a page only when the consumer wants its rows', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await manyBookings(world, event.id, 3 * EXPORT_PAGE_SIZE);
    const { reads, exportAttendees } = counting(world);

    const { rows } = await exportAttendees(admin(), event.id);
    expect(reads).toEqual([]);
    const iterator = rows[Symbol.asyncIterator]();
    await iterator.next();
    expect(reads).toEqual([EXPORT_PAGE_SIZE]);
    for (let i = 1; i < EXPORT_PAGE_SIZE; i++) await iterator.next();
    expect(reads).toHaveLength(1);
    await iterator.next();
    expect(reads).toHaveLength(2);
    await iterator.return?.(undefined);
  });

  it('ends an event without bookings after one read', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const { reads, exportAttendees } = counting(world);
    const { rows } = await exportAttendees(organizer('org-1'), event.id);
    const all = [];
    for await (const b of rows) all.push(b);
    expect(all).toEqual([]);
    expect(reads).toEqual([0]);
  });

  it('refuses before anything is read: AUTH.FORBIDDEN, AUTH.UNAUTHENTICATED, EVENT.NOT_FOUND', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    const { reads, exportAttendees } = counting(world);
    await expect(exportAttendees(user('u1'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(exportAttendees(organizer('org-2'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(exportAttendees(null, event.id)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    await expect(exportAttendees(admin(), 'missing')).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
    expect(reads).toEqual([]);
  });
});

describe('summarize', () => {
  it('adds seats by status, active and checked-in seats, and money by payment status and currency', () => {
    const tally = (over: Partial<Parameters<typeof summarize>[1][number]>) => ({
      status: 'CONFIRMED' as const,
      paymentStatus: 'PAID' as const,
      currency: 'EUR',
      checkedIn: false,
      bookings: 1,
      seats: 1,
      amount: 1500,
      ...over,
    });
    const summary = summarize(
      { id: 'e1', capacity: 20, available: 9, waitlistHeld: 2 },
      [
        tally({ bookings: 3, seats: 5, amount: 7500 }),
        tally({ checkedIn: true, bookings: 2, seats: 4, amount: 6000 }),
        tally({ status: 'PENDING', paymentStatus: 'UNPAID', bookings: 1, seats: 2, amount: 3000 }),
        tally({ status: 'COMPLETED', checkedIn: true, bookings: 1, seats: 1, amount: 1500, currency: 'USD' }),
        tally({ status: 'CANCELLED', paymentStatus: 'REFUNDED', bookings: 1, seats: 3, amount: 4500 }),
        tally({ status: 'CANCELLED', paymentStatus: 'REFUNDED', checkedIn: true, bookings: 1, seats: 1, amount: 1500 }),
        tally({ status: 'CONFIRMED', paymentStatus: 'NOT_REQUIRED', currency: null, bookings: 4, seats: 4, amount: 0 }),
      ],
      { waiting: 6, offered: 1, waitingSeats: 9, offeredSeats: 2 },
    );
    expect(summary).toEqual({
      eventId: 'e1',
      capacity: 20,
      available: 9,
      heldForWaitlist: 2,
      booked: 15,
      checkedIn: 5,
      seatsByStatus: { PENDING: 2, CONFIRMED: 13, COMPLETED: 1, CANCELLED: 4, EXPIRED: 0, NO_SHOW: 0 },
      bookings: { active: 10, checkedIn: 3 },
      waitlist: { waiting: 6, offered: 1, waitingSeats: 9, offeredSeats: 2 },
      revenue: [
        { paymentStatus: 'PAID', currency: 'EUR', amount: 13500, bookings: 5 },
        { paymentStatus: 'PAID', currency: 'USD', amount: 1500, bookings: 1 },
        { paymentStatus: 'REFUNDED', currency: 'EUR', amount: 6000, bookings: 2 },
        { paymentStatus: 'UNPAID', currency: 'EUR', amount: 3000, bookings: 1 },
      ],
    });
  });

  it('is all zeros for an event nobody booked', () => {
    expect(summarize({ id: 'e1', capacity: 5, available: 5, waitlistHeld: 0 }, [], { waiting: 0, offered: 0, waitingSeats: 0, offeredSeats: 0 })).toMatchObject(
      {
        booked: 0,
        checkedIn: 0,
        bookings: { active: 0, checkedIn: 0 },
        revenue: [],
      },
    );
  });
});

describe('getEventSummary', () => {
  it('summarizes a full event: seats booked and checked in, the waitlist', async () => {
    const world = createWorld();
    const event = await world.publishedEvent({ capacity: 3 });
    const bookings = [];
    for (const u of ['u1', 'u2', 'u3']) bookings.push(await world.bookSeat(user(u), { eventId: event.id }));
    for (const u of ['u4', 'u5']) await world.joinWaitlist(user(u), event.id);
    world.clock.set('2030-06-01T07:00:00Z');
    await world.checkInBooking(organizer('org-1'), bookings[0]!.id);

    expect(await world.getEventSummary(organizer('org-1'), event.id)).toMatchObject({
      eventId: event.id,
      capacity: 3,
      available: 0,
      booked: 3,
      checkedIn: 1,
      bookings: { active: 3, checkedIn: 1 },
      heldForWaitlist: 0,
      waitlist: { waiting: 2, offered: 0, waitingSeats: 2, offeredSeats: 0 },
      revenue: [],
    });
  });

  it('shows the money of a paid event by payment status', async () => {
    const world = createWorld(approvingPayments);
    const event = await world.publishedEvent({ capacity: 5, price: PRICE });
    const paid = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.payBooking(user('u1'), paid.id);
    await world.bookSeat(user('u2'), { eventId: event.id });
    const refunded = await world.bookSeat(user('u3'), { eventId: event.id });
    await world.payBooking(user('u3'), refunded.id);
    await world.cancelBooking(user('u3'), refunded.id);

    const summary = await world.getEventSummary(admin(), event.id);
    expect(summary).toMatchObject({ booked: 2, seatsByStatus: expect.objectContaining({ PENDING: 1, CONFIRMED: 1, CANCELLED: 1 }) });
    expect(summary.revenue).toEqual([
      { paymentStatus: 'PAID', currency: 'EUR', amount: 1500, bookings: 1 },
      { paymentStatus: 'REFUND_PENDING', currency: 'EUR', amount: 1500, bookings: 1 },
      { paymentStatus: 'UNPAID', currency: 'EUR', amount: 1500, bookings: 1 },
    ]);
  });

  it('is for the organizer and admins only', async () => {
    const world = createWorld();
    const event = await world.publishedEvent();
    await expect(world.getEventSummary(user('u1'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.getEventSummary(organizer('org-2'), event.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    await expect(world.getEventSummary(null, event.id)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    await expect(world.getEventSummary(admin(), 'missing')).rejects.toMatchObject({ code: 'EVENT.NOT_FOUND' });
  });
});
