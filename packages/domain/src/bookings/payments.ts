import type { Actor } from '../shared/actor';
import { ForbiddenError, UnauthenticatedError, isDomainError } from '../shared/domain-error';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import type { Booking } from './booking';
import { transitionBooking } from './booking';
import { BookingNotFoundError, PaymentDeclinedError, PaymentNotAllowedError } from './booking.errors';
import type { PaymentGateway } from './ports';
import { bookingEvent } from './seat-release';

export interface PaymentDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  payments: PaymentGateway;
}

export const PAYMENT_QUEUED_MESSAGE = 'Payment service unavailable. Your payment will be processed later.';

export type PaymentOutcome =
  | { kind: 'confirmed'; booking: Booking }
  | { kind: 'queued'; booking: Booking; paymentId: string; message: string };

/** The message put on the payment retry queue (through the outbox) when the service is down. */
export interface PaymentRetryRequest {
  paymentId: string;
  bookingId: string;
  amount: { amount: number; currency: string };
}

const isUnavailable = (error: unknown) => !isDomainError(error) || error.kind === 'unavailable';

/**
 * Records the charge's answer. Success confirms the booking, or marks a refund when the booking
 * was cancelled meanwhile; a decline leaves it PENDING so the booker may pay again before expiry.
 */
async function settle(deps: PaymentDeps, bookingId: string, paymentId: string, succeeded: boolean, reason = ''): Promise<Booking> {
  return deps.uow.run(async (tx) => {
    const booking = await tx.bookings.findByIdForUpdate(bookingId);
    if (!booking) throw new BookingNotFoundError(bookingId);
    if (booking.paymentId !== paymentId || booking.paymentStatus !== 'PROCESSING') return booking;
    const now = deps.clock.now();
    let next: Booking;
    if (succeeded && booking.status === 'PENDING') {
      next = transitionBooking(booking, 'CONFIRMED', now, { paymentStatus: 'PAID' });
      await tx.outbox.add([bookingEvent('booking.confirmed', next, deps.ids.next(), now)]);
    } else if (succeeded) {
      next = { ...booking, paymentStatus: 'REFUND_PENDING', updatedAt: now };
      await tx.outbox.add([bookingEvent('payment.refund_requested', next, deps.ids.next(), now)]);
    } else {
      next = { ...booking, paymentStatus: 'FAILED', updatedAt: now };
      await tx.outbox.add([bookingEvent('payment.failed', next, deps.ids.next(), now, { reason })]);
    }
    await tx.bookings.update(next);
    return next;
  });
}

/**
 * Pays a PENDING booking: charges its fixed amount through the Payment Service. When the
 * service is down the request is queued (outbox -> payment-retry-queue) and the answer is
 * `queued`, so no payment is lost. Errors: AUTH.*, BOOKING.NOT_FOUND, PAYMENT.NOT_ALLOWED,
 * PAYMENT.DECLINED.
 */
export const makePayBooking =
  (deps: PaymentDeps) =>
  async (actor: Actor | null, bookingId: string): Promise<PaymentOutcome> => {
    if (!actor) throw new UnauthenticatedError();
    const started = await deps.uow.run(async (tx) => {
      const booking = await tx.bookings.findByIdForUpdate(bookingId);
      if (!booking || (booking.userId !== actor.userId && !actor.roles.includes('ADMIN'))) throw new BookingNotFoundError(bookingId);
      if (booking.userId !== actor.userId) throw new ForbiddenError('Only the booker pays a booking');
      const now = deps.clock.now();
      if (booking.status !== 'PENDING') throw new PaymentNotAllowedError(bookingId, `it is ${booking.status}`);
      if (booking.paymentStatus === 'PROCESSING') throw new PaymentNotAllowedError(bookingId, 'a payment is already in progress');
      if (booking.expiresAt && booking.expiresAt <= now) throw new PaymentNotAllowedError(bookingId, 'its hold has expired');
      const next: Booking = { ...booking, paymentId: deps.ids.next(), paymentStatus: 'PROCESSING', updatedAt: now };
      await tx.bookings.update(next);
      return next;
    });
    const paymentId = started.paymentId!;
    const amount = started.amount!;
    try {
      const result = await deps.payments.charge({ paymentId, bookingId, amount, idempotencyKey: paymentId });
      if (result.status === 'DECLINED') {
        await settle(deps, bookingId, paymentId, false, result.reason);
        throw new PaymentDeclinedError(paymentId, result.reason);
      }
      return { kind: 'confirmed', booking: await settle(deps, bookingId, paymentId, true) };
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      const booking = await deps.uow.run(async (tx) => {
        const now = deps.clock.now();
        const request: PaymentRetryRequest = { paymentId, bookingId, amount };
        await tx.outbox.add([
          { id: deps.ids.next(), type: 'payment.retry_requested', aggregateType: 'payment', aggregateId: bookingId, occurredAt: now, data: { ...request } },
        ]);
        return (await tx.bookings.findById(bookingId)) ?? started;
      });
      return { kind: 'queued', booking, paymentId, message: PAYMENT_QUEUED_MESSAGE };
    }
  };

/**
 * Retries a queued payment (the payment-retry-queue consumer). Idempotent: a payment that was
 * settled meanwhile is left alone. Throws DependencyUnavailableError while the service is still
 * down, so the consumer backs off and tries again.
 */
export const makeRetryPayment =
  (deps: PaymentDeps) =>
  async (request: PaymentRetryRequest): Promise<Booking | null> => {
    const booking = await deps.uow.run((tx) => tx.bookings.findById(request.bookingId));
    if (!booking || booking.paymentId !== request.paymentId || booking.paymentStatus !== 'PROCESSING') return booking;
    const result = await deps.payments.charge({ ...request, idempotencyKey: request.paymentId });
    return settle(deps, request.bookingId, request.paymentId, result.status === 'SUCCEEDED', result.status === 'DECLINED' ? result.reason : '');
  };

/** Gives up on a queued payment after the last retry: the booking's payment is FAILED. */
export const makeFailPayment =
  (deps: PaymentDeps) =>
  (request: PaymentRetryRequest, reason: string): Promise<Booking> =>
    settle(deps, request.bookingId, request.paymentId, false, reason);

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
        if (locked.paymentStatus === 'REFUNDED') return locked;
        const next: Booking = { ...locked, paymentStatus: 'REFUNDED', updatedAt: deps.clock.now() };
        await tx.bookings.update(next);
        return next;
      });
    }
    return settle(deps, booking.id, notification.paymentId, notification.status === 'SUCCEEDED', 'declined by the payment service');
  };
