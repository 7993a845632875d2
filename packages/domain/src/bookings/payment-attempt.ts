import type { Money } from '../events/event';

export const PAYMENT_ATTEMPT_STATUSES = ['PENDING', 'SUCCEEDED', 'DECLINED', 'FAILED'] as const;
export type PaymentAttemptStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];

/**
 * The durable intent of one charge, written in the transaction that marks its booking PROCESSING.
 * Its payment id is also the idempotency key, so every call about it, after any crash, names the
 * same charge. While PENDING, `nextAttemptAt` is when a worker may take it up: a lease while a call
 * is in flight, the next retry while the Payment Service is away.
 */
export interface PaymentAttempt {
  paymentId: string;
  bookingId: string;
  amount: Money;
  status: PaymentAttemptStatus;
  /** Calls that found the Payment Service unavailable. */
  failures: number;
  nextAttemptAt: Date;
  /** After this instant an unavailable Payment Service fails the payment (PAYMENT_RETRY_HORIZON). */
  giveUpAt: Date;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** When and how long queued payments are retried. */
export interface PaymentSchedule {
  /** An attempt untouched this long is presumed abandoned by a crashed worker and reconciled. */
  reconcileAfterMs: number;
  /** How long an unavailable Payment Service is waited for before the payment FAILS. */
  retryHorizonMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Source of jitter; Math.random in production, fixed in tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of many
 * payments spread out without any of them coming back at once.
 */
export function retryDelay(failures: number, schedule: PaymentSchedule): number {
  const ceiling = Math.min(schedule.retryMaxDelayMs, schedule.retryBaseDelayMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  const random = schedule.random ?? Math.random;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function newPaymentAttempt(input: { paymentId: string; bookingId: string; amount: Money; now: Date; schedule: PaymentSchedule }): PaymentAttempt {
  const { now, schedule } = input;
  return {
    paymentId: input.paymentId,
    bookingId: input.bookingId,
    amount: input.amount,
    status: 'PENDING',
    failures: 0,
    nextAttemptAt: new Date(now.getTime() + schedule.reconcileAfterMs),
    giveUpAt: new Date(now.getTime() + schedule.retryHorizonMs),
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
}
