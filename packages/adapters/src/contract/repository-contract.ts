import { beforeEach, describe, expect, it } from 'vitest';
import {
  bookingEvent,
  eventDomainEvent,
  type BookingLine,
  type TicketCategory,
  type DomainEvent,
  BookingConflictError,
  type Booking,
  type Event,
  type PaymentAttempt,
  type TransactionScope,
  type UnitOfWork,
} from '@aquastream/domain';
import { aBooking, aLocation, anEntry, anEvent, anId as id } from '@aquastream/domain/testing';

/** What each backend under test provides: repositories outside a transaction, and a unit of work. */
export interface ContractSubject {
  scope: TransactionScope;
  uow: UnitOfWork;
  /** Domain events committed so far. */
  outboxTypes(): Promise<string[]>;
}

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/**
 * One behavioural contract for every implementation of the repository ports, run against the
 * in-memory store, PGlite and a real PostgreSQL server: the fakes the domain tests trust must
 * behave like the real thing.
 */
export function describeRepositoryContract(name: string, subject: () => Promise<ContractSubject>) {
  describe(`repository contract: ${name}`, () => {
    let s: ContractSubject;
    beforeEach(async () => {
      s = await subject();
    });

    describe('locations', () => {
      it('stores and finds a location with its coordinates', async () => {
        const l = aLocation();
        await s.scope.locations.insert(l);
        expect(await s.scope.locations.findById(l.id)).toEqual(l);
        expect(await s.scope.locations.findById(id())).toBeNull();
      });

      it('lists by name with search and paging', async () => {
        for (const name of ['Beta camp', 'Alpha lake', 'Gamma falls']) await s.scope.locations.insert(aLocation({ name }));
        const page = await s.scope.locations.list({ page: 1, size: 2 });
        expect(page.items.map((l) => l.name)).toEqual(['Alpha lake', 'Beta camp']);
        expect(page).toMatchObject({ total: 3, totalPages: 2 });
        expect((await s.scope.locations.list({ page: 1, size: 10, search: 'FALLS' })).items.map((l) => l.name)).toEqual(['Gamma falls']);
      });

      it('finds the oldest location of exactly a name (v1 free text)', async () => {
        const older = aLocation({ name: 'Teletskoye', createdAt: at(1) });
        const newer = aLocation({ name: 'Teletskoye', createdAt: at(2) });
        await s.scope.locations.insert(newer);
        await s.scope.locations.insert(older);
        await s.scope.locations.insert(aLocation({ name: 'teletskoye', createdAt: at(0) }));
        expect(await s.scope.locations.findByName('Teletskoye')).toEqual(older);
        expect(await s.scope.locations.findByName('Teletsk')).toBeNull();
      });
    });

    describe('events', () => {
      it('round-trips every field, the location joined', async () => {
        const location = aLocation();
        await s.scope.locations.insert(location);
        const e = anEvent({ location, description: null });
        await s.scope.events.insert(e);
        expect(await s.scope.events.findById(e.id)).toEqual(e);
        expect(await s.scope.events.findByIdForUpdate(e.id)).toEqual(e);
      });

      it('round-trips the group booking settings and the seats held for the waitlist', async () => {
        const e = anEvent({ capacity: 8, available: 3, waitlistHeld: 2, maxSeatsPerBooking: 4, waitlistAllowsPassing: true });
        await s.scope.events.insert(e);
        expect(await s.scope.events.findById(e.id)).toEqual(e);
        const changed = { ...e, available: 5, waitlistHeld: 0, maxSeatsPerBooking: 1, waitlistAllowsPassing: false, updatedAt: at(3) };
        await s.scope.events.update(changed);
        expect(await s.scope.events.findById(e.id)).toEqual({ ...changed, version: e.version + 1 });
      });

      it('updates an event', async () => {
        const e = anEvent();
        await s.scope.events.insert(e);
        const changed = {
          ...e,
          title: 'Rafting, longer',
          capacity: 5,
          available: 5,
          price: null,
          status: 'CANCELLED' as const,
          timeZone: 'Asia/Novosibirsk',
          updatedAt: at(5),
        };
        expect(await s.scope.events.update(changed)).toBe(true);
        expect(await s.scope.events.findById(e.id)).toEqual({ ...changed, version: 2 });
      });

      it('moves the version forward on every change, seats included, whatever version the caller sends', async () => {
        const e = anEvent({ capacity: 2, available: 2 });
        await s.scope.events.insert(e);
        const version = async () => (await s.scope.events.findById(e.id))!.version;
        expect(await version()).toBe(1);
        await s.scope.events.takeSeats(e.id, 2, at(1));
        expect(await version()).toBe(2);
        await s.scope.events.update({ ...e, title: 'Renamed', available: 1, version: 1 });
        expect(await version()).toBe(3);
        expect((await s.scope.events.findByIdForUpdate(e.id))!.version).toBe(3);
      });

      it('updates under an expected version only while the event has it (compare-and-set), changing nothing otherwise', async () => {
        const e = anEvent();
        await s.scope.events.insert(e);
        expect(await s.scope.events.update({ ...e, title: 'First edit' }, { expectedVersion: 1 })).toBe(true);
        // A second writer that read version 1 too.
        expect(await s.scope.events.update({ ...e, title: 'Second edit' }, { expectedVersion: 1 })).toBe(false);
        expect(await s.scope.events.findById(e.id)).toMatchObject({ title: 'First edit', version: 2 });
        expect(await s.scope.events.update({ ...e, title: 'Second edit' }, { expectedVersion: 2 })).toBe(true);
        expect(await s.scope.events.findById(e.id)).toMatchObject({ title: 'Second edit', version: 3 });
        expect(await s.scope.events.update(anEvent(), { expectedVersion: 1 })).toBe(false);
      });

      it('takes seats down to zero and never below', async () => {
        const e = anEvent({ capacity: 2, available: 2 });
        await s.scope.events.insert(e);
        expect(await s.scope.events.takeSeats(e.id, 1, at(1))).toBe(true);
        expect(await s.scope.events.takeSeats(e.id, 1, at(1))).toBe(true);
        expect(await s.scope.events.takeSeats(e.id, 1, at(1))).toBe(false);
        expect((await s.scope.events.findById(e.id))!.available).toBe(0);
      });

      it('takes a group’s seats all or none', async () => {
        const e = anEvent({ capacity: 5, available: 5 });
        await s.scope.events.insert(e);
        expect(await s.scope.events.takeSeats(e.id, 3, at(1))).toBe(true);
        expect(await s.scope.events.takeSeats(e.id, 3, at(1))).toBe(false);
        expect((await s.scope.events.findById(e.id))!.available).toBe(2);
        expect(await s.scope.events.takeSeats(e.id, 2, at(1))).toBe(true);
        expect(await s.scope.events.findById(e.id)).toMatchObject({ available: 0, updatedAt: at(1) });
      });

      it('lists by start date with filters, hiding other organizers’ drafts', async () => {
        const me = '10000000-0000-4000-8000-0000000000aa';
        const location = aLocation();
        await s.scope.locations.insert(location);
        const late = anEvent({ title: 'Late hike', startDate: at(5000), endDate: at(5100) });
        const early = anEvent({ title: 'Early rafting', startDate: at(100), endDate: at(200), location });
        const myDraft = anEvent({ title: 'My draft', status: 'DRAFT', organizerId: me });
        const theirDraft = anEvent({ title: 'Their draft', status: 'DRAFT' });
        for (const e of [late, early, myDraft, theirDraft]) await s.scope.events.insert(e);
        const page1 = { page: 1, size: 10 };
        expect((await s.scope.events.list({}, page1)).items.map((e) => e.title)).toEqual(['Early rafting', 'Late hike']);
        expect((await s.scope.events.list({ draftsOf: me }, page1)).items.map((e) => e.title)).toContain('My draft');
        expect((await s.scope.events.list({ draftsOf: me }, page1)).items.map((e) => e.title)).not.toContain('Their draft');
        expect((await s.scope.events.list({ allDrafts: true }, page1)).total).toBe(4);
        expect((await s.scope.events.list({ from: at(1000) }, page1)).items.map((e) => e.title)).toEqual(['Late hike']);
        expect((await s.scope.events.list({ to: at(1000) }, page1)).items.map((e) => e.title)).toEqual(['Early rafting']);
        expect((await s.scope.events.list({ search: 'RAFT' }, page1)).items.map((e) => e.title)).toEqual(['Early rafting']);
        expect((await s.scope.events.list({ search: 'katun RIVER' }, page1)).items.map((e) => e.title)).toEqual(['Early rafting']);
        expect((await s.scope.events.list({ search: '100%_' }, page1)).total).toBe(0);
        expect((await s.scope.events.list({ locationId: location.id }, page1)).items.map((e) => e.title)).toEqual(['Early rafting']);
        expect((await s.scope.events.list({ status: 'PUBLISHED' }, { page: 2, size: 1 })).items.map((e) => e.title)).toEqual(['Late hike']);
      });

      it('finds published events that have ended', async () => {
        const ended = anEvent({ startDate: at(-120), endDate: at(-60) });
        const running = anEvent({ startDate: at(-120), endDate: at(60) });
        const cancelled = anEvent({ startDate: at(-120), endDate: at(-60), status: 'CANCELLED' });
        for (const e of [ended, running, cancelled]) await s.scope.events.insert(e);
        expect(await s.scope.events.findEnded(T0, 10)).toEqual([ended.id]);
      });
    });

    describe('bookings', () => {
      let event: Event;
      beforeEach(async () => {
        event = anEvent();
        await s.scope.events.insert(event);
      });

      it('round-trips a booking and finds the active one of a user', async () => {
        const b = aBooking(event.id);
        await s.scope.bookings.insert(b);
        expect(await s.scope.bookings.findById(b.id)).toEqual(b);
        expect(await s.scope.bookings.findActive(event.id, b.userId)).toEqual(b);
        await s.scope.bookings.update({ ...b, status: 'CANCELLED', expiresAt: null, updatedAt: at(1) });
        expect(await s.scope.bookings.findActive(event.id, b.userId)).toBeNull();
      });

      it('round-trips a group booking: seats, participants and a partial refund owed', async () => {
        const b = aBooking(event.id, {
          status: 'CONFIRMED',
          seats: 3,
          participants: [{ name: 'Anna' }, { name: 'Boris', email: 'boris@example.org', phone: '+7 900 000-00-00' }, { name: 'Вера «Ёж»' }],
          amount: { amount: 15000, currency: 'EUR' },
          paymentStatus: 'PAID',
          paymentId: id(),
          expiresAt: null,
        });
        await s.scope.bookings.insert(b);
        expect(await s.scope.bookings.findById(b.id)).toEqual(b);
        const reduced = {
          ...b,
          seats: 1,
          participants: [{ name: 'Anna' }],
          amount: { amount: 5000, currency: 'EUR' },
          partialRefund: { amount: { amount: 10000, currency: 'EUR' }, idempotencyKey: `reduce-${b.id}-1` },
          updatedAt: at(2),
        };
        await s.scope.bookings.update(reduced);
        expect(await s.scope.bookings.findById(b.id)).toEqual(reduced);
        expect((await s.scope.bookings.list({ eventId: event.id }, { page: 1, size: 10 })).items).toEqual([reduced]);
      });

      it('refuses a second active booking of the same user and event', async () => {
        const b = aBooking(event.id);
        await s.scope.bookings.insert(b);
        await expect(s.scope.bookings.insert(aBooking(event.id, { userId: b.userId }))).rejects.toBeInstanceOf(BookingConflictError);
        await s.scope.bookings.update({ ...b, status: 'CANCELLED', updatedAt: at(1) });
        await expect(s.scope.bookings.insert(aBooking(event.id, { userId: b.userId }))).resolves.toBeUndefined();
      });

      it('finds a booking by its payment id', async () => {
        const paymentId = id();
        const b = aBooking(event.id, { paymentId, paymentStatus: 'PROCESSING' });
        await s.scope.bookings.insert(b);
        expect((await s.scope.bookings.findByPaymentIdForUpdate(paymentId))?.id).toBe(b.id);
      });

      it('locks only PENDING bookings past their hold whose payment is not in flight', async () => {
        const due = aBooking(event.id, { expiresAt: at(-1) });
        const notYet = aBooking(event.id, { expiresAt: at(10) });
        const paying = aBooking(event.id, { expiresAt: at(-1), paymentStatus: 'PROCESSING', paymentId: id() });
        const confirmed = aBooking(event.id, { status: 'CONFIRMED', expiresAt: null, paymentStatus: 'PAID' });
        for (const b of [due, notYet, paying, confirmed]) await s.scope.bookings.insert(b);
        const locked = await s.uow.run((tx) => tx.bookings.lockExpired(T0, 10));
        expect(locked.map((b) => b.id)).toEqual([due.id]);
      });

      it('lists newest first, filtered by user, event and status', async () => {
        const userId = id();
        const other = anEvent();
        await s.scope.events.insert(other);
        const first = aBooking(event.id, { userId, createdAt: at(1) });
        const second = aBooking(other.id, { userId, createdAt: at(2), status: 'CONFIRMED', expiresAt: null });
        for (const b of [first, second, aBooking(event.id)]) await s.scope.bookings.insert(b);
        const page = await s.scope.bookings.list({ userId }, { page: 1, size: 10 });
        expect(page.items.map((b) => b.id)).toEqual([second.id, first.id]);
        expect((await s.scope.bookings.list({ userId, status: 'CONFIRMED' }, { page: 1, size: 10 })).total).toBe(1);
        expect((await s.scope.bookings.list({ eventId: event.id }, { page: 1, size: 10 })).total).toBe(2);
      });

      it('keeps when a booking was checked in', async () => {
        const b = aBooking(event.id, { status: 'CONFIRMED', expiresAt: null, paymentStatus: 'PAID', paymentId: id() });
        await s.scope.bookings.insert(b);
        const checkedIn = { ...b, checkedInAt: at(90), updatedAt: at(90) };
        await s.scope.bookings.update(checkedIn);
        expect(await s.scope.bookings.findById(b.id)).toEqual(checkedIn);
      });

      it("lists an event's attendee bookings (active, completed, no-show) oldest first, paged, and pages through them by keyset", async () => {
        const other = anEvent();
        await s.scope.events.insert(other);
        // Two share a creation time: the id orders them.
        const [x, y] = [id(), id()].sort();
        const active = [
          aBooking(event.id, { createdAt: at(1) }),
          aBooking(event.id, { id: y, createdAt: at(2), status: 'CONFIRMED', expiresAt: null }),
          aBooking(event.id, { id: x, createdAt: at(2) }),
          aBooking(event.id, { createdAt: at(3), status: 'COMPLETED', expiresAt: null, checkedInAt: at(4) }),
          aBooking(event.id, { createdAt: at(5), status: 'NO_SHOW', expiresAt: null }),
        ];
        const inactive = [
          aBooking(event.id, { createdAt: at(0), status: 'CANCELLED', expiresAt: null }),
          aBooking(event.id, { createdAt: at(4), status: 'EXPIRED', expiresAt: null }),
          aBooking(other.id, { createdAt: at(1) }),
        ];
        for (const b of [...active, ...inactive]) await s.scope.bookings.insert(b);
        const inOrder = [active[0]!, active[2]!, active[1]!, active[3]!, active[4]!];

        const first = await s.scope.bookings.listAttendeesOfEvent(event.id, { page: 1, size: 3 });
        expect(first).toMatchObject({ total: 5, totalPages: 2 });
        expect(first.items).toEqual(inOrder.slice(0, 3));
        expect((await s.scope.bookings.listAttendeesOfEvent(event.id, { page: 2, size: 3 })).items).toEqual(inOrder.slice(3));

        const start = await s.scope.bookings.attendeesOfEventAfter(event.id, null, 2);
        expect(start).toEqual(inOrder.slice(0, 2));
        const next = await s.scope.bookings.attendeesOfEventAfter(event.id, start[1]!, 2);
        expect(next).toEqual(inOrder.slice(2, 4));
        const last = await s.scope.bookings.attendeesOfEventAfter(event.id, next[1]!, 2);
        expect(last).toEqual(inOrder.slice(4));
        expect(await s.scope.bookings.attendeesOfEventAfter(event.id, last[0]!, 2)).toEqual([]);
      });

      it('tallies every booking of an event by status, payment status, currency and check-in', async () => {
        const other = anEvent();
        await s.scope.events.insert(other);
        const paid = { status: 'CONFIRMED' as const, expiresAt: null, paymentStatus: 'PAID' as const, paymentId: null };
        const bookings = [
          aBooking(event.id, { ...paid, amount: { amount: 5000, currency: 'EUR' } }),
          aBooking(event.id, { ...paid, seats: 2, amount: { amount: 4000, currency: 'EUR' }, checkedInAt: at(1) }),
          aBooking(event.id, { ...paid, seats: 3, amount: { amount: 6000, currency: 'EUR' }, checkedInAt: at(2) }),
          aBooking(event.id, { ...paid, amount: { amount: 7000, currency: 'USD' } }),
          aBooking(event.id, { status: 'CANCELLED', expiresAt: null, paymentStatus: 'REFUNDED', amount: { amount: 5000, currency: 'EUR' } }),
          aBooking(event.id),
          aBooking(event.id, { status: 'CONFIRMED', expiresAt: null, paymentStatus: 'NOT_REQUIRED', amount: null }),
          aBooking(other.id, { ...paid }),
        ];
        for (const b of bookings) await s.scope.bookings.insert(b);
        const key = (t: { status: string; paymentStatus: string; currency: string | null; checkedIn: boolean }) =>
          `${t.status} ${t.paymentStatus} ${t.currency} ${t.checkedIn}`;
        const sorted = <T extends { status: string; paymentStatus: string; currency: string | null; checkedIn: boolean }>(list: T[]) =>
          [...list].sort((a, b) => key(a).localeCompare(key(b)));
        expect(sorted(await s.scope.bookings.tally(event.id))).toEqual(
          sorted([
            { status: 'CONFIRMED', paymentStatus: 'PAID', currency: 'EUR', checkedIn: false, bookings: 1, seats: 1, amount: 5000 },
            { status: 'CONFIRMED', paymentStatus: 'PAID', currency: 'EUR', checkedIn: true, bookings: 2, seats: 5, amount: 10000 },
            { status: 'CONFIRMED', paymentStatus: 'PAID', currency: 'USD', checkedIn: false, bookings: 1, seats: 1, amount: 7000 },
            { status: 'CANCELLED', paymentStatus: 'REFUNDED', currency: 'EUR', checkedIn: false, bookings: 1, seats: 1, amount: 5000 },
            { status: 'PENDING', paymentStatus: 'UNPAID', currency: 'EUR', checkedIn: false, bookings: 1, seats: 1, amount: 5000 },
            { status: 'CONFIRMED', paymentStatus: 'NOT_REQUIRED', currency: null, checkedIn: false, bookings: 1, seats: 1, amount: 0 },
          ]),
        );
        expect(await s.scope.bookings.tally(anEvent().id)).toEqual([]);
      });

      it('locks refunds whose turn has come, unscheduled ones first, and the active bookings of an event', async () => {
        const refund = aBooking(event.id, { status: 'CANCELLED', paymentStatus: 'REFUND_PENDING', paymentId: id(), expiresAt: null });
        const retry = aBooking(event.id, { status: 'CANCELLED', paymentStatus: 'REFUND_PENDING', paymentId: id(), expiresAt: null, refundDueAt: at(1) });
        const later = aBooking(event.id, { status: 'CANCELLED', paymentStatus: 'REFUND_PENDING', paymentId: id(), expiresAt: null, refundDueAt: at(10) });
        const failed = aBooking(event.id, { status: 'CANCELLED', paymentStatus: 'REFUND_FAILED', paymentId: id(), expiresAt: null });
        const active = aBooking(event.id);
        const reduced = aBooking(event.id, {
          status: 'CONFIRMED',
          seats: 1,
          paymentStatus: 'PAID',
          paymentId: id(),
          expiresAt: null,
          refundDueAt: at(2),
          partialRefund: { amount: { amount: 5000, currency: 'EUR' }, idempotencyKey: 'reduce-1' },
        });
        for (const b of [retry, refund, later, failed, active, reduced]) await s.scope.bookings.insert(b);
        expect((await s.uow.run((tx) => tx.bookings.lockRefundsDue(at(5), 5))).map((b) => b.id)).toEqual([refund.id, retry.id, reduced.id]);
        expect(await s.scope.bookings.findById(retry.id)).toEqual(retry);
        expect((await s.uow.run((tx) => tx.bookings.lockActiveOfEvent(event.id))).map((b) => b.id).sort()).toEqual([active.id, reduced.id].sort());
      });
    });

    describe('payment attempts', () => {
      let booking: Booking;
      beforeEach(async () => {
        const event = anEvent();
        await s.scope.events.insert(event);
        booking = aBooking(event.id, { paymentStatus: 'PROCESSING', paymentId: id() });
        await s.scope.bookings.insert(booking);
      });
      const anAttempt = (over: Partial<PaymentAttempt> = {}): PaymentAttempt => ({
        paymentId: id(),
        bookingId: booking.id,
        amount: { amount: 5000, currency: 'EUR' },
        status: 'PENDING',
        failures: 0,
        nextAttemptAt: at(2),
        giveUpAt: at(60 * 24),
        lastError: null,
        createdAt: T0,
        updatedAt: T0,
        ...over,
      });

      it('stores, finds and updates an attempt field by field', async () => {
        const attempt = anAttempt();
        await s.uow.run((tx) => tx.paymentAttempts.insert(attempt));
        expect(await s.uow.run((tx) => tx.paymentAttempts.findByIdForUpdate(attempt.paymentId))).toEqual(attempt);
        const changed = { ...attempt, status: 'SUCCEEDED' as const, failures: 3, nextAttemptAt: at(9), lastError: 'was down', updatedAt: at(9) };
        await s.uow.run((tx) => tx.paymentAttempts.update(changed));
        expect(await s.uow.run((tx) => tx.paymentAttempts.findByIdForUpdate(attempt.paymentId))).toEqual(changed);
        expect(await s.uow.run((tx) => tx.paymentAttempts.findByIdForUpdate(id()))).toBeNull();
      });

      it('locks only PENDING attempts whose turn has come, earliest first, up to the limit', async () => {
        const late = anAttempt({ nextAttemptAt: at(1) });
        const early = anAttempt({ nextAttemptAt: at(-5) });
        const notYet = anAttempt({ nextAttemptAt: at(10) });
        const settled = anAttempt({ nextAttemptAt: at(-10), status: 'SUCCEEDED' });
        for (const a of [late, early, notYet, settled]) await s.uow.run((tx) => tx.paymentAttempts.insert(a));
        expect((await s.uow.run((tx) => tx.paymentAttempts.lockDue(at(1), 10))).map((a) => a.paymentId)).toEqual([early.paymentId, late.paymentId]);
        expect((await s.uow.run((tx) => tx.paymentAttempts.lockDue(at(1), 1))).map((a) => a.paymentId)).toEqual([early.paymentId]);
      });

      it('rolls an attempt back with the rest of its transaction', async () => {
        const attempt = anAttempt();
        await expect(
          s.uow.run(async (tx) => {
            await tx.paymentAttempts.insert(attempt);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await s.uow.run((tx) => tx.paymentAttempts.findByIdForUpdate(attempt.paymentId))).toBeNull();
      });
    });

    describe('waitlist', () => {
      let event: Event;
      beforeEach(async () => {
        event = anEvent({ available: 0 });
        await s.scope.events.insert(event);
      });

      it('keeps people in FIFO order with their positions', async () => {
        const entries = [0, 1, 2].map((i) => anEntry(event.id, { createdAt: at(i) }));
        for (const e of entries) await s.scope.waitlist.insert(e);
        const positions = await Promise.all(entries.map((e) => s.scope.waitlist.findEntry(event.id, e.userId)));
        expect(positions.map((p) => p?.position)).toEqual([1, 2, 3]);
        const [next] = await s.uow.run((tx) => tx.waitlist.lockWaiting(event.id, 1));
        expect(next?.id).toBe(entries[0]!.id);
        await s.scope.waitlist.update({ ...next!, status: 'OFFERED', offerExpiresAt: at(30), updatedAt: at(3) });
        expect((await s.scope.waitlist.findEntry(event.id, entries[1]!.userId))?.position).toBe(1);
        expect(await s.scope.waitlist.findEntry(event.id, entries[0]!.userId)).toMatchObject({ status: 'OFFERED', position: null, offerExpiresAt: at(30) });
      });

      it('keeps how many seats each entry waits for and locks the line in FIFO order up to a limit', async () => {
        const entries = [3, 1, 2].map((seats, i) => anEntry(event.id, { seats, createdAt: at(i) }));
        for (const e of entries) await s.scope.waitlist.insert(e);
        const line = await s.uow.run((tx) => tx.waitlist.lockWaiting(event.id, 2));
        expect(line.map((e) => [e.id, e.seats])).toEqual([
          [entries[0]!.id, 3],
          [entries[1]!.id, 1],
        ]);
        await s.scope.waitlist.update({ ...line[1]!, status: 'OFFERED', offerExpiresAt: at(30), updatedAt: at(5) });
        expect((await s.uow.run((tx) => tx.waitlist.lockWaiting(event.id, 10))).map((e) => e.id)).toEqual([entries[0]!.id, entries[2]!.id]);
        expect(await s.scope.waitlist.findEntry(event.id, entries[1]!.userId)).toMatchObject({ status: 'OFFERED', seats: 1 });
        expect(await s.scope.waitlist.findEntry(event.id, entries[2]!.userId)).toMatchObject({ seats: 2, position: 2 });
      });

      it('refuses a second open entry of the same user', async () => {
        const e = anEntry(event.id);
        await s.scope.waitlist.insert(e);
        await expect(s.scope.waitlist.insert(anEntry(event.id, { userId: e.userId }))).rejects.toMatchObject({ code: 'WAITLIST.CONFLICT' });
      });

      it('locks lapsed offers and closes every open entry of an event', async () => {
        const lapsed = anEntry(event.id, { status: 'OFFERED', offerExpiresAt: at(-1) });
        const fresh = anEntry(event.id, { status: 'OFFERED', offerExpiresAt: at(10) });
        const waiting = anEntry(event.id);
        for (const e of [lapsed, fresh, waiting]) await s.scope.waitlist.insert(e);
        expect((await s.uow.run((tx) => tx.waitlist.lockExpiredOffers(T0, 10))).map((e) => e.id)).toEqual([lapsed.id]);
        expect(await s.scope.waitlist.closeAll(event.id, at(1))).toBe(3);
        expect((await s.scope.waitlist.findEntry(event.id, waiting.userId))?.status).toBe('EXPIRED');
      });

      it('counts the open entries of an event: waiting and offered', async () => {
        const other = anEvent();
        await s.scope.events.insert(other);
        const entries = [
          anEntry(event.id),
          anEntry(event.id, { seats: 3 }),
          anEntry(event.id, { status: 'OFFERED', offerExpiresAt: at(10), seats: 2 }),
          anEntry(event.id, { status: 'LEFT' }),
          anEntry(other.id),
        ];
        for (const e of entries) await s.scope.waitlist.insert(e);
        expect(await s.scope.waitlist.countOpen(event.id)).toEqual({ waiting: 2, offered: 1, waitingSeats: 4, offeredSeats: 2 });
        expect(await s.scope.waitlist.countOpen(anEvent().id)).toEqual({ waiting: 0, offered: 0, waitingSeats: 0, offeredSeats: 0 });
      });

      it("reads a user's standing on an event: active booking and waitlist offer, this event only", async () => {
        const other = anEvent();
        await s.scope.events.insert(other);
        const offered = anEntry(event.id, { status: 'OFFERED', offerExpiresAt: at(10) });
        const waiting = anEntry(event.id);
        for (const e of [offered, waiting]) await s.scope.waitlist.insert(e);
        const booking = aBooking(other.id, { userId: waiting.userId });
        await s.scope.bookings.insert(booking);

        expect(await s.scope.bookings.standing(event.id, offered.userId)).toEqual({ activeBookingId: null, offered: true });
        expect(await s.scope.bookings.standing(event.id, waiting.userId)).toEqual({ activeBookingId: null, offered: false });
        expect(await s.scope.bookings.standing(other.id, waiting.userId)).toEqual({ activeBookingId: booking.id, offered: false });
        await s.scope.bookings.update({ ...booking, status: 'CANCELLED', expiresAt: null, updatedAt: at(1) });
        expect(await s.scope.bookings.standing(other.id, waiting.userId)).toEqual({ activeBookingId: null, offered: false });
      });

      it('lists every standing on an event at once, or those of some users: bookings, offers, both; never the waiting or the inactive', async () => {
        const other = anEvent();
        await s.scope.events.insert(other);
        const offered = anEntry(event.id, { status: 'OFFERED', offerExpiresAt: at(10) });
        const waiting = anEntry(event.id);
        for (const e of [offered, waiting]) await s.scope.waitlist.insert(e);
        const booked = aBooking(event.id);
        const bookedAndOffered = aBooking(event.id, { userId: offered.userId });
        const cancelled = aBooking(event.id, { status: 'CANCELLED', expiresAt: null });
        const elsewhere = aBooking(other.id, { userId: waiting.userId });
        for (const b of [booked, bookedAndOffered, cancelled, elsewhere]) await s.scope.bookings.insert(b);

        const byUser = <T extends { userId: string }>(list: T[]) => [...list].sort((a, b) => a.userId.localeCompare(b.userId));
        expect(byUser(await s.scope.bookings.standings(event.id))).toEqual(
          byUser([
            { userId: booked.userId, activeBookingId: booked.id, offered: false },
            { userId: offered.userId, activeBookingId: bookedAndOffered.id, offered: true },
          ]),
        );
        expect(await s.scope.bookings.standings(other.id)).toEqual([{ userId: waiting.userId, activeBookingId: elsewhere.id, offered: false }]);
        // A batch of users at once: only those asked, only with a booking or an offer on this event.
        const asked = await s.scope.bookings.standingsOf(event.id, [booked.userId, offered.userId, waiting.userId, cancelled.userId, id()]);
        expect(Object.fromEntries(asked)).toEqual({
          [booked.userId]: { activeBookingId: booked.id, offered: false },
          [offered.userId]: { activeBookingId: bookedAndOffered.id, offered: true },
        });
        expect(Object.fromEntries(await s.scope.bookings.standingsOf(event.id, [offered.userId]))).toEqual({
          [offered.userId]: { activeBookingId: bookedAndOffered.id, offered: true },
        });
        expect((await s.scope.bookings.standingsOf(event.id, [])).size).toBe(0);
      });

      it('inserts many bookings at once, or none of them when one clashes with an active booking', async () => {
        const many = [aBooking(event.id), aBooking(event.id, { status: 'CONFIRMED', amount: null, paymentStatus: 'NOT_REQUIRED', expiresAt: null })];
        await s.scope.bookings.insertMany(many);
        for (const b of many) expect(await s.scope.bookings.findById(b.id)).toEqual(b);
        const fresh = aBooking(event.id);
        await expect(s.scope.bookings.insertMany([fresh, aBooking(event.id, { userId: many[0]!.userId })])).rejects.toBeInstanceOf(BookingConflictError);
        expect(await s.scope.bookings.findById(fresh.id)).toBeNull();
      });
    });

    describe('booking batches', () => {
      const category = (eventId: string, position: number, over: Partial<TicketCategory> = {}): TicketCategory => ({
        id: id(),
        eventId,
        name: `Category ${position}`,
        price: { amount: 2500 + position, currency: 'EUR' },
        quota: null,
        position,
        implicit: false,
        createdAt: at(position),
        updatedAt: at(position),
        ...over,
      });
      const lineOf = (b: Booking, categoryId: string): BookingLine => ({
        categoryId,
        seats: b.seats,
        unitPrice: 2500,
        discount: 0,
        currency: 'EUR',
        participants: b.participants,
      });

      it('reads the event, its categories and the bookers standings as the repositories read them, locked or not', async () => {
        const event = anEvent({ capacity: 10, available: 7 });
        await s.scope.events.insert(event);
        // Inserted out of position order: the read gives them in position order.
        for (const c of [category(event.id, 2, { quota: 4, price: null }), category(event.id, 1)]) await s.scope.categories.insert(c);
        const offered = anEntry(event.id, { status: 'OFFERED', offerExpiresAt: at(10) });
        await s.scope.waitlist.insert(offered);
        const booked = aBooking(event.id);
        for (const b of [booked, aBooking(event.id, { userId: offered.userId }), aBooking(event.id, { status: 'CANCELLED', expiresAt: null })])
          await s.scope.bookings.insert(b);
        const users = [booked.userId, offered.userId, id()];
        const separately = {
          event: await s.scope.events.findById(event.id),
          categories: await s.scope.categories.listOfEvent(event.id),
          standings: await s.scope.bookings.standingsOf(event.id, users),
        };
        expect(separately.categories.map((c) => c.position)).toEqual([1, 2]);
        expect(separately.standings.size).toBe(2);
        expect(await s.scope.bookingBatches.read(event.id, users, false)).toEqual(separately);
        expect(await s.uow.run((tx) => tx.bookingBatches.read(event.id, users, true))).toEqual(separately);
        expect(await s.scope.bookingBatches.read(event.id, [], false)).toEqual({ ...separately, standings: new Map() });
        expect(await s.scope.bookingBatches.read(id(), users, false)).toEqual({ event: null, categories: [], standings: new Map() });
      });

      it('takes the seats and writes the bookings, their lines and events together, or nothing when the seats are gone', async () => {
        const event = anEvent({ capacity: 10, available: 5 });
        await s.scope.events.insert(event);
        const vip = category(event.id, 1);
        await s.scope.categories.insert(vip);
        const first = aBooking(event.id, { seats: 2, participants: [{ name: 'Anna' }, { name: 'Boris', email: 'boris@example.com' }] });
        const second = aBooking(event.id, { status: 'CONFIRMED', amount: null, paymentStatus: 'NOT_REQUIRED', expiresAt: null });
        const booked = [
          { booking: first, lines: [lineOf(first, event.id)] },
          { booking: second, lines: [lineOf(second, vip.id)] },
        ];
        const events = booked.map(({ booking }) => bookingEvent('booking.created', booking, id(), at(1), { fromWaitlist: false }));
        expect(await s.uow.run((tx) => tx.bookingBatches.write(event.id, 3, at(1), booked, events))).toBe(true);
        expect((await s.scope.events.findById(event.id))?.available).toBe(2);
        for (const { booking, lines } of booked) {
          expect(await s.scope.bookings.findById(booking.id)).toEqual(booking);
          expect(await s.scope.bookingLines.ofBooking(booking)).toEqual(lines);
        }
        expect((await s.outboxTypes()).filter((t) => t === 'booking.created')).toHaveLength(2);

        // Three seats more than the two left: nothing is written.
        const late = aBooking(event.id, { seats: 3 });
        const lateEvent = bookingEvent('booking.confirmed', late, id(), at(2));
        expect(await s.uow.run((tx) => tx.bookingBatches.write(event.id, 3, at(2), [{ booking: late, lines: [lineOf(late, event.id)] }], [lateEvent]))).toBe(
          false,
        );
        expect(await s.scope.bookings.findById(late.id)).toBeNull();
        expect((await s.scope.events.findById(event.id))?.available).toBe(2);
        expect(await s.outboxTypes()).not.toContain('booking.confirmed');
      });

      it('refuses a batch with a booker who already holds an active booking: a conflict, and nothing changes', async () => {
        const event = anEvent({ capacity: 10, available: 5 });
        await s.scope.events.insert(event);
        const held = aBooking(event.id);
        await s.scope.bookings.insert(held);
        const fresh = aBooking(event.id);
        const again = aBooking(event.id, { userId: held.userId });
        const booked = [fresh, again].map((booking) => ({ booking, lines: [lineOf(booking, event.id)] }));
        const events = [fresh, again].map((booking) => bookingEvent('booking.confirmed', booking, id(), at(1)));
        await expect(s.uow.run((tx) => tx.bookingBatches.write(event.id, 2, at(1), booked, events))).rejects.toBeInstanceOf(BookingConflictError);
        expect(await s.scope.bookings.findById(fresh.id)).toBeNull();
        expect((await s.scope.events.findById(event.id))?.available).toBe(5);
        expect(await s.outboxTypes()).not.toContain('booking.confirmed');
      });
    });

    describe('unit of work', () => {
      it('commits the change and its outbox rows together', async () => {
        const e = anEvent();
        await s.uow.run(async (tx) => {
          await tx.events.insert(e);
          await tx.outbox.add([eventDomainEvent('event.created', e, id(), T0)]);
        });
        expect(await s.scope.events.findById(e.id)).not.toBeNull();
        expect(await s.outboxTypes()).toContain('event.created');
      });

      it('rolls back the change and its outbox rows when the work throws', async () => {
        const e = anEvent();
        await expect(
          s.uow.run(async (tx) => {
            await tx.events.insert(e);
            // A name outside the catalogue: no other test writes it, so its absence proves the rollback.
            const doomed = { id: id(), type: 'event.doomed', aggregateType: 'event', aggregateId: e.id, occurredAt: T0, data: {} } as unknown as DomainEvent;
            await tx.outbox.add([doomed]);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await s.scope.events.findById(e.id)).toBeNull();
        expect(await s.outboxTypes()).not.toContain('event.doomed');
      });
    });
  });
}
