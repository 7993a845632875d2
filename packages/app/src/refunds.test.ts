import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { startFakePaymentService, type FakePaymentService } from '../../../testing/fake-payment-service';
import { admin, inDays, organizer, publishedEvent, startTestApp, user, type TestApp, type TestUser } from '../../../testing/app';
import { expectProblem } from '../../../testing/problems';
import { parseMetrics } from '../../../testing/prometheus';

// Refund rules against real PostgreSQL and the Payment Service fake over HTTP. The timeout is set
// above the 3 s the HTTP client used to abort at, to show the setting is what bounds a call now.
let payments: FakePaymentService;
let t: TestApp;
let owner: TestUser;

beforeAll(async () => {
  payments = await startFakePaymentService();
  t = await startTestApp({ PAYMENT_SERVICE_URL: payments.url, PAYMENT_SERVICE_TIMEOUT: '6s' });
  owner = await organizer();
});

afterAll(async () => {
  await t?.close();
  await payments?.close();
});

const inject = (method: 'GET' | 'POST' | 'PUT', url: string, who?: TestUser, payload?: unknown) =>
  t.app.inject({ method, url, headers: who?.auth, payload: payload as object });

/** A booker holding a PAID booking of a new paid event (optionally with its cancellation policy). */
async function paidBooking(body: Record<string, unknown> = {}) {
  const event = await publishedEvent(t.app, owner, { price: { amount: 3000, currency: 'EUR' }, ...body });
  const booker = await user();
  const booked = await inject('POST', '/api/v2/bookings', booker, { eventId: event.id });
  const paid = await inject('POST', `/api/v2/bookings/${booked.json().id}/pay`, booker);
  expect(paid.statusCode).toBe(200);
  return { event, booker, booking: paid.json().booking as { id: string; paymentId: string } };
}

const paymentStatus = async (id: string) =>
  (await sql<{ payment_status: string }>`SELECT payment_status FROM bookings WHERE id = ${id}`.execute(t.deps.database.db)).rows[0]!.payment_status;

const refusedMetric = async () =>
  parseMetrics((await inject('GET', '/actuator/prometheus', await admin())).body).get('payment_refunds_total{outcome="refused"}');

describe('events carry a cancellation policy', () => {
  it('defaults to a full refund until 24 hours before the start, and takes the organizer’s own', async () => {
    const byDefault = await publishedEvent(t.app, owner);
    expect((await inject('GET', `/api/v2/events/${byDefault.id}`)).json().cancellationPolicy).toEqual({ refundUntilHoursBeforeStart: 24 });
    const own = await publishedEvent(t.app, owner, { cancellationPolicy: { refundUntilHoursBeforeStart: 72 } });
    expect((await inject('GET', `/api/v2/events/${own.id}`)).json().cancellationPolicy).toEqual({ refundUntilHoursBeforeStart: 72 });
  });

  it('keeps the policy when an event is replaced without one', async () => {
    const own = await publishedEvent(t.app, owner, { cancellationPolicy: { refundUntilHoursBeforeStart: 48 } });
    const replaced = await inject('PUT', `/api/v2/events/${own.id}`, owner, { title: 'Renamed', startDate: inDays(10), endDate: inDays(11), capacity: 10 });
    expect(replaced.json().cancellationPolicy).toEqual({ refundUntilHoursBeforeStart: 48 });
  });

  it('rejects a negative deadline with a 400 problem naming the field and stores nothing', async () => {
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(t.deps.database.db)).rows[0]!.n;
    const res = await inject('POST', '/api/v2/events', owner, {
      title: 'Hike',
      startDate: inDays(5),
      endDate: inDays(6),
      capacity: 5,
      cancellationPolicy: { refundUntilHoursBeforeStart: -1 },
    });
    const problem = expectProblem(res, 400, 'validation-error');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'cancellationPolicy.refundUntilHoursBeforeStart' })]);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(t.deps.database.db)).rows[0]!.n).toBe(before);
  });
});

describe('cancelling a paid booking', () => {
  it('before the deadline: refunded in full by the refund job', async () => {
    const { booker, booking } = await paidBooking();
    expect((await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker)).json()).toMatchObject({
      status: 'CANCELLED',
      paymentStatus: 'REFUND_PENDING',
    });
    expect(await t.deps.useCases.processRefunds()).toMatchObject({ refunded: 1 });
    expect(await paymentStatus(booking.id)).toBe('REFUNDED');
    expect((await inject('GET', `/api/v2/bookings/${booking.id}`, booker)).json()).toMatchObject({ paymentStatus: 'REFUNDED', refundStatus: 'REFUNDED' });
    expect(payments.refunds).toContain(booking.paymentId);
  });

  it('a group giving up seats before the deadline is refunded their share, then the rest when it cancels', async () => {
    const event = await publishedEvent(t.app, owner, { price: { amount: 3000, currency: 'EUR' } });
    const booker = await user();
    const booked = await inject('POST', '/api/v2/bookings', booker, { eventId: event.id, seats: 3 });
    const { booking } = (await inject('POST', `/api/v2/bookings/${booked.json().id}/pay`, booker)).json();
    expect(booking).toMatchObject({ amount: { amount: 9000, currency: 'EUR' }, paymentStatus: 'PAID' });
    expect((await inject('POST', `/api/v2/bookings/${booking.id}/reduce`, booker, { seats: 1 })).json()).toMatchObject({
      seats: 1,
      amount: { amount: 3000, currency: 'EUR' },
      partialRefundAmount: { amount: 6000, currency: 'EUR' },
    });
    expect(await t.deps.useCases.processRefunds()).toMatchObject({ refunded: 1 });
    expect(payments.refundCalls.filter((c) => c.paymentId === booking.paymentId)).toEqual([
      { paymentId: booking.paymentId, idempotencyKey: expect.stringMatching(new RegExp(`^reduce-${booking.id}-`)), amount: 6000, currency: 'EUR' },
    ]);
    expect((await inject('GET', `/api/v2/bookings/${booking.id}`, booker)).json()).toMatchObject({
      status: 'CONFIRMED',
      paymentStatus: 'PAID',
      partialRefundAmount: null,
    });

    await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker);
    await t.deps.useCases.processRefunds();
    expect(payments.refundCalls.filter((c) => c.paymentId === booking.paymentId).at(-1)).toEqual({
      paymentId: booking.paymentId,
      idempotencyKey: `refund-${booking.paymentId}`,
      amount: 3000,
      currency: 'EUR',
    });
    expect(await paymentStatus(booking.id)).toBe('REFUNDED');
  });

  it('after the deadline: cancelled without a refund', async () => {
    const { booker, booking } = await paidBooking({ startDate: inDays(0.5), endDate: inDays(1) });
    expect((await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker)).json()).toMatchObject({ status: 'CANCELLED', paymentStatus: 'PAID' });
    await t.deps.useCases.processRefunds();
    expect(payments.refundRequests).not.toContain(booking.paymentId);
  });

  it('once the event has started: 409 event-already-started for the booker, nothing changes', async () => {
    const { event, booker, booking } = await paidBooking();
    await sql`UPDATE events SET start_date = now() - interval '1 minute' WHERE id = ${event.id}`.execute(t.deps.database.db);
    expectProblem(await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker), 409, 'event-already-started');
    expect((await inject('GET', `/api/v2/bookings/${booking.id}`, booker)).json()).toMatchObject({ status: 'CONFIRMED', paymentStatus: 'PAID' });
  });
});

describe('the refund job', () => {
  it('calls the Payment Service outside any transaction and honours PAYMENT_SERVICE_TIMEOUT above 3 s', async () => {
    const { booker, booking } = await paidBooking();
    await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker);
    payments.refundDelayMs = 4_000;
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      const run = t.deps.useCases.processRefunds();
      await vitestWaitFor(() => payments.refundRequests.includes(booking.paymentId));
      // While the refund is in flight nobody holds the booking's row.
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE NOWAIT', [booking.id]);
      await client.query('ROLLBACK');
      expect(await run).toMatchObject({ refunded: 1 });
    } finally {
      payments.refundDelayMs = 0;
      await client.end();
    }
    expect(await paymentStatus(booking.id)).toBe('REFUNDED');
  });

  it('ends REFUND_FAILED with a metric when the Payment Service refuses, and does not try again', async () => {
    const { booker, booking } = await paidBooking();
    await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker);
    const refusedBefore = (await refusedMetric()) ?? 0;
    payments.refundMode = 'refuse';
    try {
      expect(await t.deps.useCases.processRefunds()).toMatchObject({ refused: 1 });
      expect(await t.deps.useCases.processRefunds()).toMatchObject({ refunded: 0, refused: 0, deferred: 0 });
    } finally {
      payments.refundMode = 'accept';
    }
    expect(await paymentStatus(booking.id)).toBe('REFUND_FAILED');
    // The v2 contract's payment statuses do not grow: a refused refund reads REFUND_PENDING with refundStatus FAILED.
    expect((await inject('GET', `/api/v2/bookings/${booking.id}`, booker)).json()).toMatchObject({ paymentStatus: 'REFUND_PENDING', refundStatus: 'FAILED' });
    expect(payments.refundRequests.filter((id) => id === booking.paymentId)).toHaveLength(1);
    expect(await refusedMetric()).toBe(refusedBefore + 1);
    const failedNow = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE payment_status = 'REFUND_FAILED'`.execute(t.deps.database.db))
      .rows[0]!.n;
    // The gauge reads the table at most every 500 ms.
    let gauge: number | undefined;
    for (const until = Date.now() + 3_000; Date.now() < until && gauge !== failedNow; await new Promise((r) => setTimeout(r, 100)))
      gauge = parseMetrics((await inject('GET', '/actuator/prometheus', await admin())).body).get('payment_refunds_failed_bookings');
    expect(gauge).toBe(failedNow);
    // A refusal is an answer, not a failure of the service: the breaker stays closed.
    expect(t.deps.policies.get('payment-service').state()).toBe('closed');
  });

  it('waits while the Payment Service is down, without counting a refusal', async () => {
    const { booker, booking } = await paidBooking();
    await inject('POST', `/api/v2/bookings/${booking.id}/cancel`, booker);
    await payments.off();
    try {
      expect(await t.deps.useCases.processRefunds()).toMatchObject({ refunded: 0, refused: 0, deferred: 1 });
    } finally {
      await payments.on();
    }
    expect(await paymentStatus(booking.id)).toBe('REFUND_PENDING');
  });
});

async function vitestWaitFor(probe: () => boolean, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
