import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../shared/domain-error';
import type { ChargeRequest, ChargeResult, PaymentGateway } from './ports';
import type { PaymentRetryRequest } from '../shared/domain-events';
import { PAYMENT_QUEUED_MESSAGE } from './payments';
import { BOOKING_TTL_MS, PRICE, admin, eventInput, organizer, user, buildWorld, type World, type WorldOptions, freshInfrastructure } from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

type Answer = 'SUCCEEDED' | 'DECLINED' | 'DOWN';

/**
 * A Payment Service double: records every charge request and answers as told. Like the real
 * service it remembers each key's outcome for `findCharge`; unlike it, it does not de-duplicate
 * charges, so `charges` shows every charge the domain sent.
 */
function fakePaymentGateway(initial: Answer = 'SUCCEEDED') {
  const charges: ChargeRequest[] = [];
  const lookups: string[] = [];
  const ledger = new Map<string, ChargeResult>();
  const gateway: PaymentGateway & { answer: Answer; charges: ChargeRequest[]; lookups: string[]; ledger: Map<string, ChargeResult> } = {
    answer: initial,
    charges,
    lookups,
    ledger,
    async charge(request) {
      charges.push(structuredClone(request));
      if (gateway.answer === 'DOWN') throw new DependencyUnavailableError('payment-service');
      const result: ChargeResult = gateway.answer === 'DECLINED' ? { status: 'DECLINED', reason: 'insufficient funds' } : { status: 'SUCCEEDED' };
      ledger.set(request.idempotencyKey, result);
      return result;
    },
    async findCharge(key) {
      lookups.push(key);
      if (gateway.answer === 'DOWN') throw new DependencyUnavailableError('payment-service');
      return ledger.get(key) ?? null;
    },
    async refund() {
      if (gateway.answer === 'DOWN') throw new DependencyUnavailableError('payment-service');
      return { status: 'REFUNDED' };
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
    expect(world.outboxOf('payment.failed')).toEqual([
      expect.objectContaining({ aggregateId: booking.id, data: expect.objectContaining({ reason: 'insufficient funds' }) }),
    ]);
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
  it('confirms a queued payment once the service is back, asking first and charging with the same idempotency key', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    const request = retryRequestOf(world);
    payments.answer = 'SUCCEEDED';

    const retried = await world.retryPayment(request);

    expect(retried).toMatchObject({ kind: 'settled', booking: { status: 'CONFIRMED', paymentStatus: 'PAID', paymentId: request.paymentId } });
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
    expect(payments.lookups).toEqual([request.paymentId]);
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
    expect(again).toMatchObject({ kind: 'skipped', booking: { status: 'CONFIRMED', paymentStatus: 'PAID' } });
    expect(world.outboxOf('booking.confirmed')).toHaveLength(1);
  });

  it('schedules the next attempt with backoff while the service is still down, without waiting, and keeps the payment PROCESSING', async () => {
    const { world, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    const request = retryRequestOf(world);

    const outcome = await world.retryPayment(request);

    // Second failure: 2 s ceiling, half fixed and half jitter (0.5 in tests) = 1.5 s.
    expect(outcome).toMatchObject({ kind: 'rescheduled', nextAttemptAt: new Date(world.clock.now().getTime() + 1_500) });
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('PROCESSING');
    expect(await world.store.paymentAttempts.findByIdForUpdate(request.paymentId)).toMatchObject({
      status: 'PENDING',
      failures: 2,
      lastError: expect.stringContaining('unavailable'),
    });
  });

  it('leaves an attempt alone before its turn', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    const request = retryRequestOf(world);
    await world.retryPayment(request);
    payments.answer = 'SUCCEEDED';

    expect(await world.retryPayment(request)).toMatchObject({ kind: 'skipped', booking: { paymentStatus: 'PROCESSING' } });
    expect(payments.lookups).toHaveLength(1);
    expect(payments.charges).toHaveLength(1);
  });

  it('marks the payment FAILED when the retried charge is declined', async () => {
    const { world, payments, booking } = await pendingBooking('DOWN');
    await world.payBooking(user('u1'), booking.id);
    payments.answer = 'DECLINED';
    const retried = await world.retryPayment(retryRequestOf(world));
    expect(retried).toMatchObject({ kind: 'settled', booking: { status: 'PENDING', paymentStatus: 'FAILED' } });
  });
});

describe('payment intent', () => {
  it('is recorded with the PROCESSING mark, before the charge is sent, leased for PAYMENT_RECONCILE_AFTER', async () => {
    const { world, booking } = await pendingBooking();
    let seen: unknown;
    const probe = world.store.paymentAttempts;
    const payments: PaymentGateway = {
      async charge(request) {
        seen = { booking: await world.storedBooking(booking.id), attempt: await probe.findByIdForUpdate(request.paymentId) };
        return { status: 'SUCCEEDED' };
      },
      findCharge: async () => null,
      refund: async () => ({ status: 'REFUNDED' }),
    };
    const observed = buildWorld({ store: world.store, clock: world.clock, ids: world.ids }, { payments });

    const outcome = await observed.payBooking(user('u1'), booking.id);

    const now = world.clock.now().getTime();
    expect(seen).toEqual({
      booking: expect.objectContaining({ paymentStatus: 'PROCESSING', paymentId: outcome.booking.paymentId }),
      attempt: expect.objectContaining({
        status: 'PENDING',
        bookingId: booking.id,
        amount: PRICE,
        nextAttemptAt: new Date(now + 2 * 60_000),
        giveUpAt: new Date(now + 24 * 3_600_000),
      }),
    });
    expect(await world.store.paymentAttempts.findByIdForUpdate(outcome.booking.paymentId!)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('is not written when the payment is refused before any charge', async () => {
    const { world, booking } = await pendingBooking();
    await expect(world.payBooking(user('u2'), booking.id)).rejects.toMatchObject({ code: 'BOOKING.NOT_FOUND' });
    expect(await world.store.paymentAttempts.lockDue(new Date('2100-01-01'), 10)).toEqual([]);
  });
});

/** A worker that dies at a given step: its call never comes back and nothing after it runs. */
function crashingGateway(base: ReturnType<typeof fakePaymentGateway>, step: 'before-charge' | 'charge-in-flight'): PaymentGateway {
  return {
    ...base,
    charge(request) {
      if (step === 'charge-in-flight') void base.charge(request);
      return new Promise(() => undefined);
    },
  };
}

describe('reconcilePayments: a worker died mid-payment', () => {
  it.each([
    ['before the charge was sent', 'before-charge', 1],
    ['while the charge was in flight (the service took the money)', 'charge-in-flight', 1],
  ] as const)('%s: after PAYMENT_RECONCILE_AFTER it asks the service and ends CONFIRMED, charged once', async (_, step, expectedCharges) => {
    const { world, payments, booking } = await pendingBooking();
    const dying = buildWorld({ store: world.store, clock: world.clock, ids: world.ids }, { payments: crashingGateway(payments, step) });
    void dying.payBooking(user('u1'), booking.id);
    await new Promise((r) => setTimeout(r, 10));
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('PROCESSING');

    // Too early: the worker might still be charging.
    world.clock.advance(2 * 60_000 - 1);
    expect(await world.reconcilePayments()).toBe(0);
    world.clock.advance(1);
    expect(await world.reconcilePayments()).toBe(1);

    const stored = await world.storedBooking(booking.id);
    expect(stored).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
    expect(payments.lookups).toEqual([stored.paymentId]);
    expect(payments.charges.filter((c) => c.idempotencyKey === stored.paymentId)).toHaveLength(expectedCharges);
    expect(world.outboxOf('booking.confirmed')).toHaveLength(1);
  });

  it('settles a declined charge found by its key as FAILED without charging again', async () => {
    const { world, payments, booking } = await pendingBooking('DECLINED');
    const dying = buildWorld({ store: world.store, clock: world.clock, ids: world.ids }, { payments: crashingGateway(payments, 'charge-in-flight') });
    void dying.payBooking(user('u1'), booking.id);
    await new Promise((r) => setTimeout(r, 10));
    world.clock.advance(2 * 60_000);
    await world.reconcilePayments();
    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'FAILED' });
    expect(payments.charges).toHaveLength(1);
  });
});

describe('a long Payment Service outage (controllable clock)', () => {
  it('down for two simulated hours: every queued payment completes exactly once when it returns; seats stay held meanwhile', async () => {
    const payments = fakePaymentGateway('DOWN');
    const world = createWorld({ payments });
    const event = await world.publishedEvent({ capacity: 12, price: PRICE });
    const bookings = [];
    for (let i = 0; i < 10; i++) {
      const booking = await world.bookSeat(user(`u${i}`), { eventId: event.id });
      expect(await world.payBooking(user(`u${i}`), booking.id)).toMatchObject({ kind: 'queued' });
      bookings.push(booking);
    }

    let attempts = 0;
    for (let elapsed = 0; elapsed < 2 * 3_600_000; elapsed += 5_000) {
      world.clock.advance(5_000);
      attempts += await world.reconcilePayments();
      await world.expireBookings();
    }
    // Backoff reaches PAYMENT_RETRY_MAX_DELAY (60 s): about one attempt a minute each, not a tight loop.
    expect(attempts).toBeGreaterThan(10 * 100);
    expect(attempts).toBeLessThan(10 * 200);
    for (const b of bookings) expect(await world.storedBooking(b.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'PROCESSING' });
    // Their holds ran out long ago, yet the seats stay taken while the payments are queued.
    expect((await world.storedEvent(event.id)).available).toBe(2);

    payments.answer = 'SUCCEEDED';
    for (let i = 0; i < 20; i++) {
      world.clock.advance(5_000);
      await world.reconcilePayments();
    }

    for (const b of bookings) expect(await world.storedBooking(b.id)).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
    const succeeded = [...payments.ledger.values()].filter((r) => r.status === 'SUCCEEDED');
    expect(succeeded).toHaveLength(10);
    expect(world.outboxOf('booking.confirmed')).toHaveLength(10);
    expect(await world.store.paymentAttempts.lockDue(new Date('2100-01-01'), 100)).toEqual([]);
  });

  it('past PAYMENT_RETRY_HORIZON the payment FAILS and the expired hold gives the seat back', async () => {
    const payments = fakePaymentGateway('DOWN');
    const world = createWorld({ payments, paymentSchedule: { retryHorizonMs: 3_600_000 } });
    const event = await world.publishedEvent({ capacity: 2, price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    await world.payBooking(user('u1'), booking.id);

    for (let elapsed = 0; elapsed <= 3_600_000; elapsed += 30_000) {
      world.clock.advance(30_000);
      await world.reconcilePayments();
      await world.expireBookings();
    }

    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'EXPIRED', paymentStatus: 'FAILED' });
    expect((await world.storedEvent(event.id)).available).toBe(2);
    expect(world.outboxOf('payment.failed')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ reason: expect.stringContaining('retry horizon') }) }),
    ]);
  });

  it('refunds a success that arrives after the payment was given up', async () => {
    const payments = fakePaymentGateway('DOWN');
    const world = createWorld({ payments, paymentSchedule: { retryHorizonMs: 60_000 } });
    const event = await world.publishedEvent({ capacity: 2, price: PRICE });
    const booking = await world.bookSeat(user('u1'), { eventId: event.id });
    const queued = await world.payBooking(user('u1'), booking.id);
    world.clock.advance(61_000);
    await world.reconcilePayments();
    expect((await world.storedBooking(booking.id)).paymentStatus).toBe('FAILED');

    await world.applyPaymentNotification({ paymentId: queued.booking.paymentId!, status: 'SUCCEEDED' });

    expect(await world.storedBooking(booking.id)).toMatchObject({ status: 'PENDING', paymentStatus: 'REFUND_PENDING' });
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

    expect(settled.booking).toMatchObject({ status: 'CANCELLED', paymentStatus: 'REFUND_PENDING' });
    expect(world.outboxOf('payment.refund_requested')).toHaveLength(1);
  });
});
