import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { transitionEvent } from '../events/event';
import { eventDomainEvent } from '../events/event-events';
import { transitionBooking, type Booking } from './booking';
import { isDomainError } from '../shared/domain-error';
import type { PaymentSchedule } from './payment-attempt';
import type { PaymentGateway, RefundResult } from './ports';
import { recordPayment, type PaymentTrigger } from '../payments/payment-state-machine';
import { bookingEvent, releaseSeats, type SeatReleaseDeps } from './seat-release';

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
        await releaseSeats(tx, deps, booking.eventId, booking.seats, now);
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
          {
            id: deps.ids.next(),
            type: 'waitlist.offer_expired',
            aggregateType: 'waitlist',
            aggregateId: entry.id,
            occurredAt: now,
            data: { eventId: entry.eventId, userId: entry.userId },
          },
        ]);
        await releaseSeats(tx, deps, entry.eventId, entry.seats, now);
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
          await tx.outbox.add([bookingEvent(next.status === 'COMPLETED' ? 'booking.completed' : 'booking.expired', next, deps.ids.next(), now)]);
        }
        await tx.waitlist.closeAll(eventId, now);
        return 1;
      });
    }
    return completed;
  };

/** What one run of the refund job did. */
export interface RefundRun {
  refunded: number;
  /** Refused by the Payment Service (4xx): REFUND_FAILED, not retried. */
  refused: number;
  /** The Payment Service was unavailable: retried after PAYMENT_RETRY_MAX_DELAY. */
  deferred: number;
}

const isUnavailable = (error: unknown) => !isDomainError(error) || error.kind === 'unavailable';

/**
 * Refunds owed money (cancelled paid bookings), one booking at a time. Each refund is claimed (and
 * leased for PAYMENT_RECONCILE_AFTER) in a short transaction, the Payment Service is called outside
 * any transaction, and the answer is recorded in another: REFUNDED, or REFUND_FAILED when the
 * service refuses (4xx; `payment.refund_failed`, an operator's case, never retried). While the
 * service is unavailable the refund waits PAYMENT_RETRY_MAX_DELAY and the run stops rather than
 * hammering it. The same idempotency key is sent every time.
 */
export const makeProcessRefunds =
  (deps: JobDeps & { payments: PaymentGateway; schedule: PaymentSchedule }) =>
  async (limit = 20): Promise<RefundRun> => {
    const run: RefundRun = { refunded: 0, refused: 0, deferred: 0 };
    for (let i = 0; i < limit; i++) {
      const claimed = await deps.uow.run(async (tx) => {
        const now = deps.clock.now();
        const [booking] = await tx.bookings.lockRefundsDue(now, 1);
        if (!booking) return null;
        const leased: Booking = { ...booking, refundDueAt: new Date(now.getTime() + deps.schedule.reconcileAfterMs) };
        await tx.bookings.update(leased);
        return leased;
      });
      if (!claimed) break;
      // A partial refund (seats given up) first; a booking also cancelled since comes round again for the rest.
      const partial = claimed.partialRefund;
      let result: RefundResult;
      try {
        result = await deps.payments.refund(
          partial
            ? { paymentId: claimed.paymentId!, amount: partial.amount, idempotencyKey: partial.idempotencyKey }
            : { paymentId: claimed.paymentId!, amount: claimed.amount!, idempotencyKey: `refund-${claimed.paymentId}` },
        );
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        await deps.uow.run(async (tx) => {
          const booking = await tx.bookings.findByIdForUpdate(claimed.id);
          if (booking?.paymentStatus !== 'REFUND_PENDING' && !booking?.partialRefund) return;
          await tx.bookings.update({ ...booking, refundDueAt: new Date(deps.clock.now().getTime() + deps.schedule.retryMaxDelayMs) });
        });
        run.deferred++;
        break;
      }
      await deps.uow.run(async (tx) => {
        const booking = await tx.bookings.findByIdForUpdate(claimed.id);
        if (!booking) return;
        // A partial refund (seats given up) is named by its key; a webhook may have settled either meanwhile.
        const idempotencyKey = partial?.idempotencyKey ?? null;
        const trigger: PaymentTrigger =
          result.status === 'REFUNDED' ? { type: 'refund-succeeded', idempotencyKey } : { type: 'refund-refused', idempotencyKey, reason: result.reason };
        await recordPayment(tx, booking, trigger, { now: deps.clock.now(), ids: deps.ids });
      });
      if (result.status === 'REFUNDED') run.refunded++;
      else run.refused++;
    }
    return run;
  };
