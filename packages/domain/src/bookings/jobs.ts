import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { transitionEvent } from '../events/event';
import { eventDomainEvent } from '../events/event-events';
import { transitionBooking, type Booking } from './booking';
import type { PaymentGateway } from './ports';
import { bookingEvent, releaseSeat, type SeatReleaseDeps } from './seat-release';

export interface JobDeps extends SeatReleaseDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * PENDING bookings whose hold ran out become EXPIRED and give their seat on. Rows are claimed with
 * SKIP LOCKED, so replicas running this at once never process one booking twice.
 * A booking whose payment is in flight (PROCESSING) keeps its seat until the payment settles.
 */
export const makeExpireBookings =
  (deps: JobDeps) =>
  (limit = 100): Promise<number> =>
    deps.uow.run(async (tx) => {
      const now = deps.clock.now();
      const due = await tx.bookings.lockExpired(now, limit);
      for (const booking of due) {
        const expired = transitionBooking(booking, 'EXPIRED', now);
        await tx.bookings.update(expired);
        await tx.outbox.add([bookingEvent('booking.expired', expired, deps.ids.next(), now)]);
        await releaseSeat(tx, deps, booking.eventId, now);
      }
      return due.length;
    });

/** Unclaimed waitlist offers lapse and the seat moves on to the next in line. */
export const makeExpireWaitlistOffers =
  (deps: JobDeps) =>
  (limit = 100): Promise<number> =>
    deps.uow.run(async (tx) => {
      const now = deps.clock.now();
      const due = await tx.waitlist.lockExpiredOffers(now, limit);
      for (const entry of due) {
        await tx.waitlist.update({ ...entry, status: 'EXPIRED', offerExpiresAt: null, updatedAt: now });
        await tx.outbox.add([
          { id: deps.ids.next(), type: 'waitlist.offer_expired', aggregateType: 'waitlist', aggregateId: entry.id, occurredAt: now, data: { eventId: entry.eventId, userId: entry.userId } },
        ]);
        await releaseSeat(tx, deps, entry.eventId, now);
      }
      return due.length;
    });

/** Published events past their end become COMPLETED; their CONFIRMED bookings too. */
export const makeCompleteEvents =
  (deps: JobDeps) =>
  async (limit = 50): Promise<number> => {
    const ended = await deps.uow.run((tx) => tx.events.findEnded(deps.clock.now(), limit));
    let completed = 0;
    for (const eventId of ended) {
      completed += await deps.uow.run(async (tx) => {
        const event = await tx.events.findByIdForUpdate(eventId);
        const now = deps.clock.now();
        if (!event || event.status !== 'PUBLISHED' || event.endDate > now) return 0;
        const done = transitionEvent(event, 'COMPLETED', now);
        await tx.events.update(done);
        await tx.outbox.add([eventDomainEvent('event.completed', done, deps.ids.next(), now)]);
        for (const booking of await tx.bookings.lockActiveOfEvent(eventId)) {
          const next = transitionBooking(booking, booking.status === 'CONFIRMED' ? 'COMPLETED' : 'EXPIRED', now);
          await tx.bookings.update(next);
          await tx.outbox.add([bookingEvent(`booking.${next.status.toLowerCase()}`, next, deps.ids.next(), now)]);
        }
        await tx.waitlist.closeAll(eventId, now);
        return 1;
      });
    }
    return completed;
  };

/**
 * Refunds owed money (cancelled paid bookings), one booking per transaction. A refund that fails
 * stays REFUND_PENDING and moves to the back of the queue, so it never blocks the others; the run
 * stops at the first failure rather than hammering a Payment Service that is down.
 */
export const makeProcessRefunds =
  (deps: JobDeps & { payments: PaymentGateway }) =>
  async (limit = 20): Promise<number> => {
    let refunded = 0;
    for (let i = 0; i < limit; i++) {
      let failed: Booking | undefined;
      const outcome = await deps.uow.run(async (tx) => {
        const [booking] = await tx.bookings.lockRefundsDue(1);
        if (!booking) return 'empty';
        try {
          const result = await deps.payments.refund({ paymentId: booking.paymentId!, amount: booking.amount!, idempotencyKey: `refund-${booking.paymentId}` });
          if (result.status !== 'REFUNDED') throw new Error(result.reason);
        } catch {
          failed = booking;
          return 'failed';
        }
        const now = deps.clock.now();
        const next = { ...booking, paymentStatus: 'REFUNDED' as const, updatedAt: now };
        await tx.bookings.update(next);
        await tx.outbox.add([bookingEvent('payment.refunded', next, deps.ids.next(), now)]);
        return 'refunded';
      });
      if (outcome === 'empty') break;
      if (outcome === 'refunded') refunded++;
      if (failed) {
        // Most likely the Payment Service is down: stop for now; this one goes to the back.
        const retryLater = { ...failed, updatedAt: deps.clock.now() };
        await deps.uow.run((tx) => tx.bookings.update(retryLater));
        break;
      }
    }
    return refunded;
  };
