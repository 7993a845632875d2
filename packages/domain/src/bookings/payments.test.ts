import { describe, expect, it } from 'vitest';
import { createMemoryStore, fixedClock, sequentialIds } from '@aquastream/adapters/memory';
import { DependencyUnavailableError } from '../shared/domain-error';
import type { ChargeRequest, PaymentGateway } from './ports';
import { PAYMENT_QUEUED_MESSAGE, type PaymentRetryRequest } from './payments';
import { BOOKING_TTL_MS, PRICE, admin, eventInput, organizer, user, START, buildWorld, type World, type WorldOptions } from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World =>
  buildWorld({ store: createMemoryStore(), clock: fixedClock(START), ids: sequentialIds() }, options);

type Answer = 'SUCCEEDED' | 'DECLINED' | 'DOWN';

/** A Payment Service double: records every charge and answers as told. */
function fakePaymentGateway(initial: Answer = 'SUCCEEDED') {
  const charges: ChargeRequest[] = [];
  const gateway: PaymentGateway & { answer: Answer; charges: ChargeRequest[] } = {
    answer: initial,
    charges,
    async charge(request) {
      charges.push(structuredClone(request));
      if (gateway.answer === 'DOWN') throw new DependencyUnavailableError('payment-service');
      if (gateway.answer === 'DECLINED') return { status: 'DECLINED', reason: 'insufficient funds' };
      return { status: 'SUCCEEDED' };
    },
    async refund() {
      if (gateway.answer === 'DOWN') throw new DependencyUnavailableError('payment-service');
    },
  };
  return gateway;
}

/** A paid event of org-1 with one PENDING booking of u1. */
async function pendingBooking(answer: Answer = 'SUCCEEDED') {
  const payments = fakePaymentGateway(answer);
  const world = createWorld({ payments });
  const event = await world.publishedEvent({ capacity: 3, price: PRICE });
  const booking = await world.bookSeat(user('u1'), { eventId: event.id });
  return { world, payments, event, booking };
}

/** The payment-retry request the outbox carries for a queued payment. */
function retryRequestOf(world: World): PaymentRetryRequest {
  const rows = world.outboxOf('payment.retry_requested');
  expect(rows).toHaveLength(1);
  return rows[0]!.data as unknown as PaymentRetryRequest;
}

describe('payBooking: the Payment Service approves', () => {
  it('confirms the booking as PAID', async () => {
    const { world, booking } = await pendingBooking();
    const outcome = await world.payBooking(user('u1'), booking.id);
    expect(outcome.kind).toBe('confirmed');
    expect(outcome.booking).toMatchObject({ id: booking.id, status: 'CONFIRMED', paymentStatus: 'PAID', expiresAt: null, paymentId: expect.any(String) });
    expect(await world.storedBooking(booking.id)).toEqual(outcome.booking);
  });

  it('writes booking.confirmed to the outbox', async () => {
    const { world, booking } = await pendingBooking();
    await world.payBooking(user('u1'), booking.id);
    expect(world.outboxOf('booking.confirmed')).toEqual([
      expect.objectContaining({ aggregateId: booking.id, data: expect.objectContaining({ status: 'CONFIRMED', paymentStatus: 'PAID' }) }),
    ]);
  });

  it("charges the booking's amount once, with the paymentId as idempotency key", async () => {
    const { world, payments, booking } = await pendingBooking();
    const outcome = await world.payBooking(user('u1'), booking.id);
    const paymentId = outcome.booking.paymentId!;
    expect(payments.charges).toEqual([{ paymentId, bookingId: booking.id, amount: PRICE, idempotencyKey: paymentId }]);
  });

  it('charges the amount fixed at booking time, not the current price', async () => {
    const { world, payments, event, booking } = await pendingBooking();
    await world.updateEvent(organizer(), event.id, eventInput({ capacity: 3, price: { amount: 9900, currency: 'EUR' } }));
    await world.payBooking(user('u1'), booking.id);
    expect(payments.charges[0]!.amount).toEqual(PRICE);
  });
});

describe('payBooking: the Payment Service declines', () => {
  it('answers PAYMENT.DECLINED', async () => {
    const { world, booking } = await pendingBooking('DECLINED');
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.DECLINED', details: { paymentId: expect.any(String) } });
  });

  it('marks the payment FAILED and keeps the booking PENDING with its seat', async () => {
    const { world, event, booking } = await pendingBooking('DECLINED');
    await world.payBooking(user('u1'), booking.id).catch(() => undefined);
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'FAILED', expiresAt: booking.expiresAt });
    expect((await world.storedEvent(event.id)).available).toBe(2);
    expect(world.outboxOf('payment.failed')).toEqual([expect.objectContaining({ aggregateId: booking.id, data: expect.objectContaining({ reason: 'insufficient funds' }) })]);
    expect(world.outboxOf('booking.confirmed')).toHaveLength(0);
  });

  it('lets the booker pay again, under a new paymentId', async () => {
    const { world, payments, booking } = await pendingBooking('DECLINED');
    await world.payBooking(user('u1'), booking.id).catch(() => undefined);
    payments.answer = 'SUCCEEDED';

    const outcome = await world.payBooking(user('u1'), booking.id);

    expect(outcome.booking).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
    expect(payments.charges).toHaveLength(2);
    expect(payments.charges[1]!.paymentId).not.toBe(payments.charges[0]!.paymentId);
    expect(outcome.booking.paymentId).toBe(payments.charges[1]!.paymentId);
  });
});

describe('payBooking: the Payment Service is down', () => {
  it('answers queued with the standard message', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    const outcome = await world.payBooking(user('u1'), booking.id);
    expect(outcome).toMatchObject({ kind: 'queued', message: PAYMENT_QUEUED_MESSAGE, paymentId: payments.charges[0]!.paymentId });
    expect(PAYMENT_QUEUED_MESSAGE).toBe('Payment service unavailable. Your payment will be processed later.');
  });

  it('leaves the booking PENDING with its payment PROCESSING', async () => {
    const { world, booking } = await pendingBooking('DOWN');
    const outcome = await world.payBooking(user('u1'), booking.id);
    expect(outcome.booking).toMatchObject({ status: 'PENDING', paymentStatus: 'PROCESSING' });
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'PROCESSING' });
  });

  it('writes payment.retry_requested carrying paymentId, bookingId and amount', async () => {
    const { world, booking } = await pendingBooking('DOWN');
    const outcome = await world.payBooking(user('u1'), booking.id);
    if (outcome.kind !== 'queued') throw new Error('expected a queued payment');
    expect(world.outboxOf('payment.retry_requested')).toEqual([
      expect.objectContaining({
        aggregateType: 'payment',
        aggregateId: booking.id,
        data: { paymentId: outcome.paymentId, bookingId: booking.id, amount: PRICE },
      }),
    ]);
  });

  it('refuses a second payment while one is in flight with PAYMENT.NOT_ALLOWED', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.NOT_ALLOWED' });
    expect(payments.charges).toHaveLength(1);
  });
});

describe('retryPayment', () => {
  it('confirms a queued payment once the service is back, with the same idempotency key', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    const request = retryRequestOf(world);
    payments.answer = 'SUCCEEDED';

    const retried = await world.retryPayment(request);

    expect(retried).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID', paymentId: request.paymentId });
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
    expect(payments.charges.map((c) => c.idempotencyKey)).toEqual([request.paymentId, request.paymentId]);
    expect(world.outboxOf('booking.confirmed')).toHaveLength(1);
  });

  it('is a no-op the second time: the charge is not sent again', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    const request = retryRequestOf(world);
    payments.answer = 'SUCCEEDED';
    await world.retryPayment(request);

    const again = await world.retryPayment(request);

    expect(payments.charges).toHaveLength(2);
    expect(again).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
    expect(world.outboxOf('booking.confirmed')).toHaveLength(1);
  });

  it('rejects with DEPENDENCY.UNAVAILABLE while the service is still down and keeps the payment PROCESSING', async () => {
    const { world, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    await expect(world.retryPayment(retryRequestOf(world))).rejects.toMatchObject({ code: 'DEPENDENCY.UNAVAILABLE' });
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('PROCESSING');
  });

  it('marks the payment FAILED when the retried charge is declined', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    payments.answer = 'DECLINED';
    const retried = await world.retryPayment(retryRequestOf(world));
    expect(retried).toMatchObject({ status: 'PENDING', paymentStatus: 'FAILED' });
  });
});

describe('applyPaymentNotification', () => {
  async function queuedPayment() {
    const setup = await pendingBooking('DOWN');
    await setup.world.payBooking(user('u1'), setup.booking.id);
    return { ...setup, paymentId: retryRequestOf(setup.world).paymentId };
  }

  it('confirms the booking on SUCCEEDED', async () => {
    const { world, booking, paymentId } = await queuedPayment();
    const applied = await world.applyPaymentNotification({ paymentId, status: 'SUCCEEDED' });
    expect(applied).toMatchObject({ id: booking.id, status: 'CONFIRMED', paymentStatus: 'PAID' });
    expect(world.outboxOf('booking.confirmed')).toEqual([expect.objectContaining({ aggregateId: booking.id })]);
  });

  it('is harmless when repeated', async () => {
    const { world, booking, paymentId } = await queuedPayment();
    await world.applyPaymentNotification({ paymentId, status: 'SUCCEEDED' });
    const stored = await world.storedBooking(booking.id);
    const outboxSize = world.outbox().length;

    const again = await world.applyPaymentNotification({ paymentId, status: 'SUCCEEDED' });

    expect(again).toEqual(stored);
    expect(await world.storedBooking(booking.id)).toEqual(stored);
    expect(world.outbox()).toHaveLength(outboxSize);
  });

  it('marks the payment FAILED on FAILED, keeping the booking PENDING', async () => {
    const { world, booking, paymentId } = await queuedPayment();
    await world.applyPaymentNotification({ paymentId, status: 'FAILED' });
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'FAILED' });
  });

  it('answers BOOKING.NOT_FOUND for an unknown payment', async () => {
    const { world } = await queuedPayment();
    await expect(world.applyPaymentNotification({ paymentId: 'unknown', status: 'SUCCEEDED' })).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
  });
});

describe('payBooking: refusals', () => {
  it("hides someone else's booking with BOOKING.NOT_FOUND and charges nothing", async () => {
    const { world, payments, booking } = await pendingBooking();
    await expect(world.payBooking(user('u2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    expect(payments.charges).toHaveLength(0);
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('UNPAID');
  });

  it("refuses an admin paying someone else's booking with AUTH.FORBIDDEN", async () => {
    const { world, payments, booking } = await pendingBooking();
    await expect(world.payBooking(admin(), booking.id)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect(payments.charges).toHaveLength(0);
  });

  it('answers AUTH.UNAUTHENTICATED to an anonymous caller', async () => {
    const { world, booking } = await pendingBooking();
    await expect(world.payBooking(null, booking.id)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
  });

  it('refuses a CONFIRMED booking with PAYMENT.NOT_ALLOWED', async () => {
    const { world, payments, booking } = await pendingBooking();
    await world.payBooking(user('u1'), booking.id);
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.NOT_ALLOWED', details: { bookingId: booking.id } });
    expect(payments.charges).toHaveLength(1);
  });

  it('refuses a free (already CONFIRMED) booking with PAYMENT.NOT_ALLOWED', async () => {
    const payments = fakePaymentGateway();
    const world = createWorld({ payments });
    const event = await world.publishedEvent();
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.NOT_ALLOWED' });
    expect(payments.charges).toHaveLength(0);
  });

  it('refuses payment once the hold has run out, even before the expiry job ran', async () => {
    const { world, payments, booking } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS);
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.NOT_ALLOWED' });
    expect(payments.charges).toHaveLength(0);
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('UNPAID');
  });

  it('refuses payment of an EXPIRED booking', async () => {
    const { world, payments, booking } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS);
    await world.expireBookings();
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.NOT_ALLOWED' });
    expect(payments.charges).toHaveLength(0);
  });

  it('refuses payment of a cancelled booking', async () => {
    const { world, booking } = await pendingBooking();
    await world.cancelBooking(user('u1'), booking.id);
    await expect(world.payBooking(user('u1'), booking.id)).rejects.toMatchObject({ code: 'PAYMENT.NOT_ALLOWED' });
  });

  it('still accepts payment one millisecond before the hold runs out', async () => {
    const { world, booking } = await pendingBooking();
    world.clock.advance(BOOKING_TTL_MS - 1);
    await expect(world.payBooking(user('u1'), booking.id)).resolves.toMatchObject({ kind: 'confirmed' });
  });
});

describe('a payment that settles after the booking was cancelled', () => {
  it('is marked for refund instead of confirming the booking', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    await world.cancelBooking(user('u1'), booking.id);
    payments.answer = 'SUCCEEDED';

    const settled = await world.retryPayment(retryRequestOf(world));

    expect(settled).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_PENDING' });
    expect(world.outboxOf('payment.refund_requested')).toHaveLength(1);
  });
});
