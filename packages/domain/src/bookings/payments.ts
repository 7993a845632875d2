import type { Actor } from '../shared/actor';
import { ForbiddenError, UnauthenticatedError, isDomainError } from '../shared/domain-error';
import type { PaymentRetryRequest } from '../shared/domain-events';
import type { Clock, IdGenerator } from '../shared/ports';
import type { TransactionScope, UnitOfWork } from '../unit-of-work';
import type { Booking } from './booking';
import { BookingNotFoundError, PaymentDeclinedError, PaymentNotAllowedError } from './booking.errors';
import { newPaymentAttempt, retryDelay, type PaymentAttempt, type PaymentAttemptStatus, type PaymentSchedule } from './payment-attempt';
import type { ChargeResult, PaymentGateway } from './ports';
import { recordPayment, type PaymentTrigger } from '../payments/payment-state-machine';

export interface PaymentDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  payments: PaymentGateway;
  schedule: PaymentSchedule;
}

export const PAYMENT_QUEUED_MESSAGE = 'Payment service unavailable. Your payment will be processed later.';

export type PaymentOutcome = { kind: 'confirmed'; booking: Booking } | { kind: 'queued'; booking: Booking; paymentId: string; message: string };

/** What one attempt at a queued payment came to. */
export type AttemptOutcome =
  | { kind: 'settled'; booking: Booking | null }
  /** The Payment Service is still away: the attempt waits for its next turn (or FAILED past the horizon). */
  | { kind: 'rescheduled'; booking: Booking | null; nextAttemptAt: Date | null }
  /** Another worker holds it, it is not due yet, or it was settled already. */
  | { kind: 'skipped'; booking: Booking | null };

const RECONCILE_CONCURRENCY = 8;

const isUnavailable = (error: unknown) => !isDomainError(error) || error.kind === 'unavailable';
const later = (now: Date, ms: number) => new Date(now.getTime() + ms);

/**
 * Records the charge's answer, in the caller's transaction, on the attempt and its booking (the
 * payment state machine says what it makes of the booking: confirmed, owed back, or failed).
 */
async function settleIn(
  tx: TransactionScope,
  deps: PaymentDeps,
  bookingId: string,
  paymentId: string,
  outcome: Exclude<PaymentAttemptStatus, 'PENDING'>,
  reason = '',
): Promise<Booking> {
  const now = deps.clock.now();
  const succeeded = outcome === 'SUCCEEDED';
  const attempt = await tx.paymentAttempts.findByIdForUpdate(paymentId);
  if (attempt?.status === 'PENDING') await tx.paymentAttempts.update({ ...attempt, status: outcome, lastError: succeeded ? null : reason, updatedAt: now });
  const booking = await tx.bookings.findByIdForUpdate(bookingId);
  if (!booking) throw new BookingNotFoundError(bookingId);
  const trigger: PaymentTrigger = succeeded
    ? { type: 'charge-succeeded', paymentId, afterGiveUp: attempt?.status === 'FAILED' }
    : outcome === 'DECLINED'
      ? { type: 'charge-declined', paymentId, reason }
      : { type: 'charge-given-up', paymentId, reason };
  // An answer about an earlier payment, or one settled already, changes nothing.
  const step = await recordPayment(tx, booking, trigger, { now, ids: deps.ids });
  return step?.booking ?? booking;
}

const settle = (deps: PaymentDeps, bookingId: string, paymentId: string, outcome: Exclude<PaymentAttemptStatus, 'PENDING'>, reason = '') =>
  deps.uow.run((tx) => settleIn(tx, deps, bookingId, paymentId, outcome, reason));

/**
 * The Payment Service could not be reached: the attempt's next turn is scheduled with backoff, or,
 * past the retry horizon, the payment FAILS. With `announce` the retry is also put on the retry queue
 * (outbox -> payment-retry-queue), due at once, for the first replica that picks it up.
 */
async function reschedule(deps: PaymentDeps, attempt: PaymentAttempt, error: unknown, announce: boolean): Promise<AttemptOutcome> {
  const message = (error as Error).message ?? String(error);
  return deps.uow.run(async (tx) => {
    const now = deps.clock.now();
    const current = await tx.paymentAttempts.findByIdForUpdate(attempt.paymentId);
    if (!current || current.status !== 'PENDING') return { kind: 'skipped', booking: await tx.bookings.findById(attempt.bookingId) };
    const failures = current.failures + 1;
    if (now >= current.giveUpAt) {
      const booking = await settleIn(
        tx,
        deps,
        current.bookingId,
        current.paymentId,
        'FAILED',
        `Payment Service unavailable until the retry horizon (${failures} attempts): ${message}`,
      );
      return { kind: 'rescheduled', booking, nextAttemptAt: null };
    }
    const nextAttemptAt = announce ? now : later(now, retryDelay(failures, deps.schedule));
    await tx.paymentAttempts.update({ ...current, failures, nextAttemptAt, lastError: message, updatedAt: now });
    if (announce) {
      const request: PaymentRetryRequest = { paymentId: current.paymentId, bookingId: current.bookingId, amount: current.amount };
      await tx.outbox.add([
        {
          id: deps.ids.next(),
          type: 'payment.retry_requested',
          aggregateType: 'payment',
          aggregateId: current.bookingId,
          occurredAt: now,
          data: { ...request },
        },
      ]);
    }
    return { kind: 'rescheduled', booking: await tx.bookings.findById(current.bookingId), nextAttemptAt };
  });
}

/**
 * One attempt at a payment the caller has claimed. A retry first asks the Payment Service what
 * became of the idempotency key (an earlier call may have charged before a crash or a timeout) and
 * charges again, with the same key, only when the service has no record of it.
 */
async function attemptCharge(deps: PaymentDeps, attempt: PaymentAttempt, retry: boolean): Promise<AttemptOutcome> {
  let result: ChargeResult | null;
  try {
    result = retry ? await deps.payments.findCharge(attempt.paymentId) : null;
    result ??= await deps.payments.charge({
      paymentId: attempt.paymentId,
      bookingId: attempt.bookingId,
      amount: attempt.amount,
      idempotencyKey: attempt.paymentId,
    });
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    return reschedule(deps, attempt, error, false);
  }
  const booking = await settle(deps, attempt.bookingId, attempt.paymentId, result.status, result.status === 'DECLINED' ? result.reason : '');
  return { kind: 'settled', booking };
}

/** Leases a due attempt to this worker for PAYMENT_RECONCILE_AFTER, so no other worker takes it meanwhile. */
const lease = (deps: PaymentDeps, attempt: PaymentAttempt, now: Date): PaymentAttempt => ({
  ...attempt,
  nextAttemptAt: later(now, deps.schedule.reconcileAfterMs),
  updatedAt: now,
});

/**
 * Pays a PENDING booking: charges its fixed amount through the Payment Service. The payment
 * attempt is recorded in the transaction that marks the booking PROCESSING, before any call, so a
 * crash at any point leaves an intent the reconciler settles. When the service is down the retry
 * is queued (outbox -> payment-retry-queue) and the answer is `queued`, so no payment is lost.
 * Errors: AUTH.*, BOOKING.NOT_FOUND, PAYMENT.NOT_ALLOWED, PAYMENT.DECLINED.
 */
export const makePayBooking =
  (deps: PaymentDeps) =>
  async (actor: Actor | null, bookingId: string): Promise<PaymentOutcome> => {
    if (!actor) throw new UnauthenticatedError();
    const attempt = await deps.uow.run(async (tx) => {
      const booking = await tx.bookings.findByIdForUpdate(bookingId);
      if (!booking || (booking.userId !== actor.userId && !actor.roles.includes('ADMIN'))) throw new BookingNotFoundError(bookingId);
      if (booking.userId !== actor.userId) throw new ForbiddenError('Only the booker pays a booking');
      const now = deps.clock.now();
      if (booking.status !== 'PENDING') throw new PaymentNotAllowedError(bookingId, `it is ${booking.status}`);
      if (booking.paymentStatus === 'PROCESSING') throw new PaymentNotAllowedError(bookingId, 'a payment is already in progress');
      if (booking.paymentStatus === 'REFUND_PENDING') throw new PaymentNotAllowedError(bookingId, 'an earlier payment is being refunded');
      if (booking.expiresAt && booking.expiresAt <= now) throw new PaymentNotAllowedError(bookingId, 'its hold has expired');
      const paymentId = deps.ids.next();
      const started = await recordPayment(tx, booking, { type: 'charge-started', paymentId }, { now, ids: deps.ids });
      if (!started) throw new PaymentNotAllowedError(bookingId, `its payment is ${booking.paymentStatus}`);
      // Its first turn is a lease: if this process dies mid-charge the reconciler takes over after it.
      const created = newPaymentAttempt({ paymentId, bookingId, amount: booking.amount!, now, schedule: deps.schedule });
      await tx.paymentAttempts.insert(created);
      return created;
    });
    const { paymentId } = attempt;
    let result: ChargeResult;
    try {
      result = await deps.payments.charge({ paymentId, bookingId, amount: attempt.amount, idempotencyKey: paymentId });
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      const queued = await reschedule(deps, attempt, error, true);
      return { kind: 'queued', booking: queued.booking!, paymentId, message: PAYMENT_QUEUED_MESSAGE };
    }
    if (result.status === 'DECLINED') {
      await settle(deps, bookingId, paymentId, 'DECLINED', result.reason);
      throw new PaymentDeclinedError(paymentId, result.reason);
    }
    return { kind: 'confirmed', booking: await settle(deps, bookingId, paymentId, 'SUCCEEDED') };
  };

/**
 * Retries a queued payment now (the payment-retry-queue consumer) when it is due and no other worker
 * holds it. Never waits: while the service is still down the next attempt is scheduled and the
 * reconciler makes it. Idempotent: a settled payment is left alone.
 */
export const makeRetryPayment =
  (deps: PaymentDeps) =>
  async (request: PaymentRetryRequest): Promise<AttemptOutcome> => {
    const claimed = await deps.uow.run(async (tx) => {
      const now = deps.clock.now();
      const attempt = await tx.paymentAttempts.findByIdForUpdate(request.paymentId);
      if (!attempt || attempt.status !== 'PENDING' || attempt.nextAttemptAt > now) return null;
      const leased = lease(deps, attempt, now);
      await tx.paymentAttempts.update(leased);
      return leased;
    });
    if (!claimed) return { kind: 'skipped', booking: await deps.uow.run((tx) => tx.bookings.findById(request.bookingId)) };
    return attemptCharge(deps, claimed, true);
  };

/**
 * The reconciler (a job on every replica): takes up every PENDING attempt whose turn has come —
 * retries scheduled while the Payment Service was away, and attempts a crashed worker left behind
 * (older than PAYMENT_RECONCILE_AFTER) — and settles it. Rows are claimed with SKIP LOCKED and
 * leased, so replicas never work on one payment at once. Returns how many attempts it made.
 */
export const makeReconcilePayments =
  (deps: PaymentDeps) =>
  async (limit = 100): Promise<number> => {
    const claimed = await deps.uow.run(async (tx) => {
      const now = deps.clock.now();
      const due = await tx.paymentAttempts.lockDue(now, limit);
      const leased = due.map((a) => lease(deps, a, now));
      for (const a of leased) await tx.paymentAttempts.update(a);
      return leased;
    });
    // A few at a time: after an outage thousands may be due, and each waits on the Payment Service.
    const queue = [...claimed];
    const errors: unknown[] = [];
    const worker = async () => {
      for (let attempt = queue.shift(); attempt; attempt = queue.shift()) {
        // One failure (the database away) must not stop the others; the lease brings it back later.
        await attemptCharge(deps, attempt, true).catch((error: unknown) => void errors.push(error));
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECONCILE_CONCURRENCY, queue.length) }, worker));
    if (errors.length) throw errors[0];
    return claimed.length;
  };

/**
 * Applies the Payment Service's callback. Repeated notifications are harmless.
 * Errors: BOOKING.NOT_FOUND (unknown payment).
 */
export const makeApplyPaymentNotification =
  (deps: PaymentDeps) =>
  async (notification: { paymentId: string; status: 'SUCCEEDED' | 'FAILED' | 'REFUNDED' }): Promise<Booking> => {
    const booking = await deps.uow.run((tx) => tx.bookings.findByPaymentIdForUpdate(notification.paymentId));
    if (!booking) throw new BookingNotFoundError(notification.paymentId);
    if (notification.status === 'REFUNDED') {
      return deps.uow.run(async (tx) => {
        const locked = (await tx.bookings.findByIdForUpdate(booking.id))!;
        // The same payment.refunded the refund job writes; a repeated notification changes nothing.
        const step = await recordPayment(tx, locked, { type: 'refund-reported' }, { now: deps.clock.now(), ids: deps.ids });
        return step?.booking ?? locked;
      });
    }
    return settle(deps, booking.id, notification.paymentId, notification.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'DECLINED', 'declined by the payment service');
  };
