import { describe, expect, it } from 'vitest';
import type { Booking, BookingStatus, PaymentStatus } from '../bookings/booking';
import type { ChargeResult, PaymentGateway, RefundResult } from '../bookings/ports';
import { DependencyUnavailableError } from '../shared/domain-error';
import type { DomainEventType } from '../shared/domain-events';
import { PRICE, aBooking, buildWorld, freshInfrastructure, user, type World } from '../testing/builders';
import { PAYMENT_TRANSITIONS, transitionPayment, type PaymentTransition, type PaymentTrigger } from './payment-state-machine';

const NOW = new Date('2030-01-02T00:00:00Z');
const PAYMENT = 'pay-1';
const PARTIAL = { amount: { amount: 500, currency: 'EUR' }, idempotencyKey: 'reduce-k1' };

/** A booking of three seats in the given state, with a refund lease set so the table shows what clears it. */
const booking = (status: BookingStatus, paymentStatus: PaymentStatus, over: Partial<Booking> = {}): Booking =>
  aBooking('e-1', {
    id: 'b-1',
    status,
    seats: 3,
    amount: { amount: 1500, currency: 'EUR' },
    paymentStatus,
    paymentId: paymentStatus === 'UNPAID' || paymentStatus === 'NOT_REQUIRED' ? null : PAYMENT,
    expiresAt: status === 'PENDING' ? new Date('2030-01-02T00:15:00Z') : null,
    refundDueAt: new Date('2030-01-02T00:02:00Z'),
    ...over,
  });

const started: PaymentTrigger = { type: 'charge-started', paymentId: 'pay-2' };
const succeeded: PaymentTrigger = { type: 'charge-succeeded', paymentId: PAYMENT, afterGiveUp: false };
const lateSuccess: PaymentTrigger = { type: 'charge-succeeded', paymentId: PAYMENT, afterGiveUp: true };
const declined: PaymentTrigger = { type: 'charge-declined', paymentId: PAYMENT, reason: 'insufficient funds' };
const givenUp: PaymentTrigger = { type: 'charge-given-up', paymentId: PAYMENT, reason: 'unavailable until the horizon' };
const cancelled = (refundable: boolean): PaymentTrigger => ({ type: 'booking-cancelled', refundable });
const reduced = (refund: typeof PARTIAL | null): PaymentTrigger => ({
  type: 'seats-reduced',
  seats: 2,
  participants: [],
  amount: { amount: 1000, currency: 'EUR' },
  refund,
});
const refunded = (key: string | null): PaymentTrigger => ({ type: 'refund-succeeded', idempotencyKey: key });
const refused = (key: string | null): PaymentTrigger => ({ type: 'refund-refused', idempotencyKey: key, reason: 'refused' });
const reported: PaymentTrigger = { type: 'refund-reported' };

interface Row {
  from: Booking;
  trigger: PaymentTrigger;
  /** null: the trigger changes nothing. */
  to: { status: BookingStatus; payment: PaymentStatus; event: DomainEventType | null; booking?: Partial<Booking>; facts?: object } | null;
}

const withPartial = { partialRefund: PARTIAL };
const refundSettled = { refundDueAt: null };

/** The whole table, written out by hand: from (booking status, payment status), trigger, to, event. */
const TABLE: [string, Row][] = [
  [
    'a charge starts on an unpaid booking',
    { from: booking('PENDING', 'UNPAID'), trigger: started, to: { status: 'PENDING', payment: 'PROCESSING', event: null, booking: { paymentId: 'pay-2' } } },
  ],
  [
    'a charge starts again after a decline',
    { from: booking('PENDING', 'FAILED'), trigger: started, to: { status: 'PENDING', payment: 'PROCESSING', event: null, booking: { paymentId: 'pay-2' } } },
  ],
  [
    'a charge starts again after a late payment was refunded',
    { from: booking('PENDING', 'REFUNDED'), trigger: started, to: { status: 'PENDING', payment: 'PROCESSING', event: null, booking: { paymentId: 'pay-2' } } },
  ],
  [
    'a charge starts again after a refused refund',
    {
      from: booking('PENDING', 'REFUND_FAILED'),
      trigger: started,
      to: { status: 'PENDING', payment: 'PROCESSING', event: null, booking: { paymentId: 'pay-2' } },
    },
  ],
  ['no second charge while one is in flight', { from: booking('PENDING', 'PROCESSING'), trigger: started, to: null }],
  ['no charge while a refund is owed', { from: booking('PENDING', 'REFUND_PENDING'), trigger: started, to: null }],
  ['no charge of a confirmed booking', { from: booking('CONFIRMED', 'PAID'), trigger: started, to: null }],
  [
    'success confirms a pending booking',
    {
      from: booking('PENDING', 'PROCESSING'),
      trigger: succeeded,
      to: { status: 'CONFIRMED', payment: 'PAID', event: 'booking.confirmed', booking: { expiresAt: null } },
    },
  ],
  [
    'success after cancellation is owed back',
    { from: booking('CANCELLED', 'PROCESSING'), trigger: succeeded, to: { status: 'CANCELLED', payment: 'REFUND_PENDING', event: 'payment.refund_requested' } },
  ],
  [
    'success after expiry is owed back',
    { from: booking('EXPIRED', 'PROCESSING'), trigger: succeeded, to: { status: 'EXPIRED', payment: 'REFUND_PENDING', event: 'payment.refund_requested' } },
  ],
  [
    'success after the give-up is owed back',
    { from: booking('PENDING', 'FAILED'), trigger: lateSuccess, to: { status: 'PENDING', payment: 'REFUND_PENDING', event: 'payment.refund_requested' } },
  ],
  [
    'success after the give-up of an expired booking is owed back',
    { from: booking('EXPIRED', 'FAILED'), trigger: lateSuccess, to: { status: 'EXPIRED', payment: 'REFUND_PENDING', event: 'payment.refund_requested' } },
  ],
  ['a success after a decline changes nothing', { from: booking('PENDING', 'FAILED'), trigger: succeeded, to: null }],
  ['a success about an earlier payment changes nothing', { from: booking('PENDING', 'PROCESSING', { paymentId: 'pay-0' }), trigger: succeeded, to: null }],
  ['a repeated success changes nothing', { from: booking('CONFIRMED', 'PAID'), trigger: succeeded, to: null }],
  [
    'a decline fails the payment, the booking waits',
    {
      from: booking('PENDING', 'PROCESSING'),
      trigger: declined,
      to: { status: 'PENDING', payment: 'FAILED', event: 'payment.failed', facts: { reason: 'insufficient funds' } },
    },
  ],
  [
    'a decline after cancellation fails the payment',
    { from: booking('CANCELLED', 'PROCESSING'), trigger: declined, to: { status: 'CANCELLED', payment: 'FAILED', event: 'payment.failed' } },
  ],
  ['a repeated decline changes nothing', { from: booking('PENDING', 'FAILED'), trigger: declined, to: null }],
  ['a decline about an earlier payment changes nothing', { from: booking('PENDING', 'PROCESSING', { paymentId: 'pay-0' }), trigger: declined, to: null }],
  [
    'the give-up fails the payment',
    {
      from: booking('PENDING', 'PROCESSING'),
      trigger: givenUp,
      to: { status: 'PENDING', payment: 'FAILED', event: 'payment.failed', facts: { reason: 'unavailable until the horizon' } },
    },
  ],
  ['a give-up of a settled payment changes nothing', { from: booking('CONFIRMED', 'PAID'), trigger: givenUp, to: null }],
  [
    'cancelling a paid booking before the deadline owes a refund',
    {
      from: booking('CONFIRMED', 'PAID'),
      trigger: cancelled(true),
      to: { status: 'CANCELLED', payment: 'REFUND_PENDING', event: 'booking.cancelled', booking: refundSettled, facts: { refund: 'full' } },
    },
  ],
  [
    'cancelling a paid booking after the deadline keeps the money',
    {
      from: booking('CONFIRMED', 'PAID'),
      trigger: cancelled(false),
      to: { status: 'CANCELLED', payment: 'PAID', event: 'booking.cancelled', facts: { refund: 'none' } },
    },
  ],
  [
    'cancelling an unpaid booking',
    {
      from: booking('PENDING', 'UNPAID'),
      trigger: cancelled(true),
      to: { status: 'CANCELLED', payment: 'UNPAID', event: 'booking.cancelled', booking: { expiresAt: null } },
    },
  ],
  [
    'cancelling during a charge leaves it to its answer',
    {
      from: booking('PENDING', 'PROCESSING'),
      trigger: cancelled(true),
      to: { status: 'CANCELLED', payment: 'PROCESSING', event: 'booking.cancelled', booking: { expiresAt: null } },
    },
  ],
  [
    'cancelling a free booking',
    { from: booking('CONFIRMED', 'NOT_REQUIRED'), trigger: cancelled(false), to: { status: 'CANCELLED', payment: 'NOT_REQUIRED', event: 'booking.cancelled' } },
  ],
  ['a cancelled booking is not cancelled again', { from: booking('CANCELLED', 'PAID'), trigger: cancelled(true), to: null }],
  [
    'the event called off refunds a paid booking',
    {
      from: booking('CONFIRMED', 'PAID'),
      trigger: { type: 'event-cancelled' },
      to: { status: 'CANCELLED', payment: 'REFUND_PENDING', event: 'booking.cancelled', booking: refundSettled, facts: { reason: 'event-cancelled' } },
    },
  ],
  [
    'the event called off cancels an unpaid booking',
    {
      from: booking('PENDING', 'UNPAID'),
      trigger: { type: 'event-cancelled' },
      to: { status: 'CANCELLED', payment: 'UNPAID', event: 'booking.cancelled', booking: { expiresAt: null }, facts: { reason: 'event-cancelled' } },
    },
  ],
  [
    'giving up paid seats before the deadline owes a partial refund',
    {
      from: booking('CONFIRMED', 'PAID'),
      trigger: reduced(PARTIAL),
      to: {
        status: 'CONFIRMED',
        payment: 'PAID',
        event: 'booking.seats_reduced',
        booking: { seats: 2, amount: { amount: 1000, currency: 'EUR' }, partialRefund: PARTIAL, refundDueAt: null },
        facts: { previousSeats: 3, seatsReleased: 1, refund: 'partial', refundAmount: PARTIAL.amount },
      },
    },
  ],
  [
    'giving up paid seats after the deadline',
    {
      from: booking('CONFIRMED', 'PAID'),
      trigger: reduced(null),
      to: {
        status: 'CONFIRMED',
        payment: 'PAID',
        event: 'booking.seats_reduced',
        booking: { seats: 2, amount: { amount: 1000, currency: 'EUR' } },
        facts: { refund: 'none', refundAmount: null },
      },
    },
  ],
  [
    'giving up unpaid seats',
    {
      from: booking('PENDING', 'UNPAID'),
      trigger: reduced(null),
      to: {
        status: 'PENDING',
        payment: 'UNPAID',
        event: 'booking.seats_reduced',
        booking: { seats: 2, amount: { amount: 1000, currency: 'EUR' } },
        facts: { refund: 'not-paid', refundAmount: null },
      },
    },
  ],
  [
    'giving up free seats',
    {
      from: booking('CONFIRMED', 'NOT_REQUIRED'),
      trigger: reduced(null),
      to: {
        status: 'CONFIRMED',
        payment: 'NOT_REQUIRED',
        event: 'booking.seats_reduced',
        booking: { seats: 2, amount: { amount: 1000, currency: 'EUR' } },
        facts: { refund: 'not-paid' },
      },
    },
  ],
  ['no reduction while a partial refund is owed', { from: booking('CONFIRMED', 'PAID', withPartial), trigger: reduced(null), to: null }],
  ['no reduction during a charge', { from: booking('PENDING', 'PROCESSING'), trigger: reduced(null), to: null }],
  [
    'the refund job settles a partial refund',
    {
      from: booking('CONFIRMED', 'PAID', withPartial),
      trigger: refunded('reduce-k1'),
      to: {
        status: 'CONFIRMED',
        payment: 'PAID',
        event: 'payment.refunded',
        booking: { partialRefund: null, refundDueAt: null },
        facts: { partial: true, refundAmount: PARTIAL.amount },
      },
    },
  ],
  [
    'the refund job settles a partial refund of a booking cancelled since',
    {
      from: booking('CANCELLED', 'REFUND_PENDING', withPartial),
      trigger: refunded('reduce-k1'),
      to: {
        status: 'CANCELLED',
        payment: 'REFUND_PENDING',
        event: 'payment.refunded',
        booking: { partialRefund: null, refundDueAt: null },
        facts: { partial: true },
      },
    },
  ],
  ['a partial refund settled by the webhook meanwhile changes nothing', { from: booking('CONFIRMED', 'PAID'), trigger: refunded('reduce-k1'), to: null }],
  ['an answer about another partial refund changes nothing', { from: booking('CONFIRMED', 'PAID', withPartial), trigger: refunded('reduce-k0'), to: null }],
  [
    'a refused partial refund is settled too',
    {
      from: booking('CONFIRMED', 'PAID', withPartial),
      trigger: refused('reduce-k1'),
      to: {
        status: 'CONFIRMED',
        payment: 'PAID',
        event: 'payment.refund_failed',
        booking: { partialRefund: null, refundDueAt: null },
        facts: { partial: true, refundAmount: PARTIAL.amount, reason: 'refused' },
      },
    },
  ],
  [
    'the refund job refunds the whole payment',
    {
      from: booking('CANCELLED', 'REFUND_PENDING'),
      trigger: refunded(null),
      to: { status: 'CANCELLED', payment: 'REFUNDED', event: 'payment.refunded', booking: refundSettled },
    },
  ],
  ['a refund reported by the webhook first: the job’s answer changes nothing', { from: booking('CANCELLED', 'REFUNDED'), trigger: refunded(null), to: null }],
  [
    'the refund job’s refund refused',
    {
      from: booking('CANCELLED', 'REFUND_PENDING'),
      trigger: refused(null),
      to: { status: 'CANCELLED', payment: 'REFUND_FAILED', event: 'payment.refund_failed', booking: refundSettled, facts: { reason: 'refused' } },
    },
  ],
  [
    'the webhook reports a partial refund',
    {
      from: booking('CONFIRMED', 'PAID', withPartial),
      trigger: reported,
      to: {
        status: 'CONFIRMED',
        payment: 'PAID',
        event: 'payment.refunded',
        booking: { partialRefund: null, refundDueAt: null },
        facts: { partial: true, refundAmount: PARTIAL.amount },
      },
    },
  ],
  [
    'the webhook reports the refund of a cancelled booking',
    {
      from: booking('CANCELLED', 'REFUND_PENDING'),
      trigger: reported,
      to: { status: 'CANCELLED', payment: 'REFUNDED', event: 'payment.refunded', booking: refundSettled },
    },
  ],
  [
    'the webhook reports a refund support made after a refusal',
    {
      from: booking('CANCELLED', 'REFUND_FAILED'),
      trigger: reported,
      to: { status: 'CANCELLED', payment: 'REFUNDED', event: 'payment.refunded', booking: refundSettled },
    },
  ],
  [
    'the webhook reports a refund of a standing paid booking',
    {
      from: booking('CONFIRMED', 'PAID'),
      trigger: reported,
      to: { status: 'CONFIRMED', payment: 'REFUNDED', event: 'payment.refunded', booking: refundSettled },
    },
  ],
  ['a repeated refund report changes nothing', { from: booking('CANCELLED', 'REFUNDED'), trigger: reported, to: null }],
  ['a refund report about nothing paid changes nothing', { from: booking('PENDING', 'UNPAID'), trigger: reported, to: null }],
];

describe('the payment state machine, row by row', () => {
  const used = new Set<PaymentTransition>();

  it.each(TABLE)('%s', (_, { from, trigger, to }) => {
    let n = 0;
    const ids = { next: () => `event-${++n}` };
    const step = transitionPayment(from, trigger, { now: NOW, ids });
    if (!to) {
      expect(step).toBeNull();
      expect(n).toBe(0);
      return;
    }
    expect(step).not.toBeNull();
    used.add(step!.rule);
    expect(step!.booking).toEqual({ ...from, ...to.booking, status: to.status, paymentStatus: to.payment, updatedAt: NOW });
    if (to.event === null) {
      expect(step!.event).toBeNull();
      return;
    }
    expect(step!.event).toEqual({
      id: 'event-1',
      type: to.event,
      aggregateType: 'booking',
      aggregateId: from.id,
      occurredAt: NOW,
      data: expect.objectContaining({ bookingId: from.id, status: to.status, paymentStatus: to.payment, paymentId: step!.booking.paymentId, ...to.facts }),
    });
  });

  it('has no row the table above does not exercise', () => {
    expect(PAYMENT_TRANSITIONS.filter((r) => !used.has(r)).map((r) => `${r.trigger} from ${r.status.join('|')}/${r.payment.join('|')}`)).toEqual([]);
  });

  it('leaves a cancellation event without refund facts for an unpaid booking (0.1.0’s payload)', () => {
    const step = transitionPayment(booking('PENDING', 'UNPAID'), cancelled(true), { now: NOW, ids: { next: () => 'x' } });
    expect(step!.event!.data).not.toHaveProperty('refund');
  });
});

/**
 * A Payment Service double: charges and refunds answer as told; like the real service it remembers
 * each charge by its key for `findCharge`.
 */
function fakeGateway() {
  const ledger = new Map<string, ChargeResult>();
  const gateway: PaymentGateway & { charges: 'SUCCEEDED' | 'DECLINED' | 'DOWN'; refunds: 'REFUNDED' | 'REFUSED' } = {
    charges: 'SUCCEEDED',
    refunds: 'REFUNDED',
    async charge(request) {
      if (gateway.charges === 'DOWN') throw new DependencyUnavailableError('payment-service');
      const result: ChargeResult = gateway.charges === 'DECLINED' ? { status: 'DECLINED', reason: 'insufficient funds' } : { status: 'SUCCEEDED' };
      ledger.set(request.idempotencyKey, result);
      return result;
    },
    async findCharge(key) {
      if (gateway.charges === 'DOWN') throw new DependencyUnavailableError('payment-service');
      return ledger.get(key) ?? null;
    },
    async refund(): Promise<RefundResult> {
      return gateway.refunds === 'REFUNDED' ? { status: 'REFUNDED' } : { status: 'REFUSED', reason: 'refused' };
    },
  };
  return gateway;
}

async function paidEventWorld() {
  const payments = fakeGateway();
  const world = buildWorld(freshInfrastructure(), { payments });
  const event = await world.publishedEvent({ capacity: 5, price: PRICE, maxSeatsPerBooking: 3 });
  const pending = await world.bookSeat(user('u1'), { eventId: event.id, seats: 3 });
  return { world, payments, bookingId: pending.id };
}

/** The payment events written so far, as consumers see them (ids and times left out). */
const paymentEvents = (world: World) =>
  world
    .outbox()
    .filter((e) => e.type.startsWith('payment.') || e.type === 'booking.confirmed')
    .filter((e) => e.type !== 'payment.retry_requested')
    .map((e) => ({ type: e.type, data: e.data }));

/** A queued payment: the Payment Service was down when the booker paid. */
async function queued() {
  const setup = await paidEventWorld();
  setup.payments.charges = 'DOWN';
  const outcome = await setup.world.payBooking(user('u1'), setup.bookingId);
  expect(outcome.kind).toBe('queued');
  setup.payments.charges = 'SUCCEEDED';
  const paymentId = outcome.booking.paymentId!;
  return { ...setup, paymentId };
}

/** A paid booking with one seat of three given up before the deadline, and a cancelled one: both owe a refund. */
async function refundsOwed() {
  const setup = await paidEventWorld();
  await setup.world.payBooking(user('u1'), setup.bookingId);
  const reduced = await setup.world.reduceBooking(user('u1'), setup.bookingId, { seats: 2 });
  expect(reduced.partialRefund).not.toBeNull();
  return setup;
}

describe('every path that reports a charge writes the same event', () => {
  const confirmed = (world: World, bookingId: string) => [
    { type: 'booking.confirmed', data: expect.objectContaining({ bookingId, status: 'CONFIRMED', paymentStatus: 'PAID', seats: 3 }) },
  ];

  it('the call’s answer', async () => {
    const { world, bookingId } = await paidEventWorld();
    await world.payBooking(user('u1'), bookingId);
    expect(paymentEvents(world)).toEqual(confirmed(world, bookingId));
  });

  it('the retry consumer', async () => {
    const { world, bookingId, paymentId } = await queued();
    world.clock.advance(1);
    const outcome = await world.retryPayment({ paymentId, bookingId, amount: { amount: 4500, currency: PRICE.currency } });
    expect(outcome.kind).toBe('settled');
    expect(paymentEvents(world)).toEqual(confirmed(world, bookingId));
  });

  it('the reconciler', async () => {
    const { world, bookingId } = await queued();
    world.clock.advance(60_000);
    expect(await world.reconcilePayments()).toBe(1);
    expect(paymentEvents(world)).toEqual(confirmed(world, bookingId));
  });

  it('the webhook', async () => {
    const { world, bookingId, paymentId } = await queued();
    await world.applyPaymentNotification({ paymentId, status: 'SUCCEEDED' });
    expect(paymentEvents(world)).toEqual(confirmed(world, bookingId));
  });

  const failed = (bookingId: string) => [{ type: 'payment.failed', data: expect.objectContaining({ bookingId, status: 'PENDING', paymentStatus: 'FAILED' }) }];

  it('a decline, by the call’s answer, the retry consumer, the reconciler or the webhook', async () => {
    const answer = await paidEventWorld();
    answer.payments.charges = 'DECLINED';
    await expect(answer.world.payBooking(user('u1'), answer.bookingId)).rejects.toMatchObject({ code: 'PAYMENT.DECLINED' });
    expect(paymentEvents(answer.world)).toEqual(failed(answer.bookingId));

    const retry = await queued();
    retry.payments.charges = 'DECLINED';
    await retry.world.retryPayment({ paymentId: retry.paymentId, bookingId: retry.bookingId, amount: { amount: 4500, currency: 'EUR' } });
    expect(paymentEvents(retry.world)).toEqual(failed(retry.bookingId));

    const reconciler = await queued();
    reconciler.payments.charges = 'DECLINED';
    reconciler.world.clock.advance(60_000);
    await reconciler.world.reconcilePayments();
    expect(paymentEvents(reconciler.world)).toEqual(failed(reconciler.bookingId));

    const webhook = await queued();
    await webhook.world.applyPaymentNotification({ paymentId: webhook.paymentId, status: 'FAILED' });
    expect(paymentEvents(webhook.world)).toEqual(failed(webhook.bookingId));
  });
});

describe('every path that reports a refund writes the same payment.refunded', () => {
  const partial = (bookingId: string) => ({
    type: 'payment.refunded',
    data: expect.objectContaining({
      bookingId,
      status: 'CONFIRMED',
      paymentStatus: 'PAID',
      seats: 2,
      partial: true,
      refundAmount: { amount: 1500, currency: 'EUR' },
    }),
  });
  const whole = (bookingId: string) => ({
    type: 'payment.refunded',
    data: expect.objectContaining({ bookingId, status: 'CANCELLED', paymentStatus: 'REFUNDED' }),
  });
  const refundsOf = (world: World) => paymentEvents(world).filter((e) => e.type.startsWith('payment.refund'));

  it('a partial refund, confirmed by the refund job', async () => {
    const { world, bookingId } = await refundsOwed();
    expect(await world.processRefunds()).toMatchObject({ refunded: 1 });
    expect(refundsOf(world)).toEqual([partial(bookingId)]);
  });

  it('a partial refund, confirmed by the webhook (and the refund job then has nothing left to do)', async () => {
    const { world, bookingId } = await refundsOwed();
    const { paymentId } = await world.storedBooking(bookingId);
    await world.applyPaymentNotification({ paymentId: paymentId!, status: 'REFUNDED' });
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    expect(refundsOf(world)).toEqual([partial(bookingId)]);
  });

  it('a cancelled booking’s refund, confirmed by the refund job', async () => {
    const { world, bookingId } = await paidEventWorld();
    await world.payBooking(user('u1'), bookingId);
    await world.cancelBooking(user('u1'), bookingId);
    await world.processRefunds();
    expect(refundsOf(world)).toEqual([whole(bookingId)]);
  });

  it('a cancelled booking’s refund, confirmed by the webhook, once even when the notification repeats', async () => {
    const { world, bookingId } = await paidEventWorld();
    const { booking } = await world.payBooking(user('u1'), bookingId);
    await world.cancelBooking(user('u1'), bookingId);
    await world.applyPaymentNotification({ paymentId: booking.paymentId!, status: 'REFUNDED' });
    await world.applyPaymentNotification({ paymentId: booking.paymentId!, status: 'REFUNDED' });
    expect(await world.processRefunds()).toEqual({ refunded: 0, refused: 0, deferred: 0 });
    expect(refundsOf(world)).toEqual([whole(bookingId)]);
  });

  it('a refused refund, by the refund job', async () => {
    const { world, payments, bookingId } = await paidEventWorld();
    await world.payBooking(user('u1'), bookingId);
    await world.cancelBooking(user('u1'), bookingId);
    payments.refunds = 'REFUSED';
    await world.processRefunds();
    expect(refundsOf(world)).toEqual([
      { type: 'payment.refund_failed', data: expect.objectContaining({ bookingId, paymentStatus: 'REFUND_FAILED', reason: 'refused' }) },
    ]);
  });
});
