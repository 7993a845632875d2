import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { fixedClock } from '@aquastream/domain/testing';
import { startFakePaymentService, type FakePaymentService } from '../../../testing/fake-payment-service';
import { organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../testing/app';

// The Payment Service is away for two hours of a clock the test moves; the service runs on real
// PostgreSQL and calls the fake over real HTTP. Default retry settings (backoff up to 60 s, 24 h horizon).
const clock = fixedClock(new Date());
let payments: FakePaymentService;
let t: TestApp;

beforeAll(async () => {
  payments = await startFakePaymentService();
  t = await startTestApp({ PAYMENT_SERVICE_URL: payments.url }, {}, { clock });
});

afterAll(async () => {
  await t?.close();
  await payments?.close();
});

describe('a two-hour Payment Service outage', () => {
  it('keeps every queued payment PROCESSING with its seat held, then completes each exactly once when the service returns', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner, { capacity: 8, price: { amount: 2500, currency: 'EUR' } });
    await payments.off();
    const bookingIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const booker = await user();
      const booked = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: event.id } });
      const paid = await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${booked.json().id}/pay`, headers: booker.auth });
      expect(paid.statusCode).toBe(202);
      bookingIds.push(booked.json().id);
    }
    const db = t.deps.database.db;
    const statuses = async () =>
      (await sql<{ status: string; payment_status: string }>`SELECT status, payment_status FROM bookings WHERE id = ANY(${bookingIds})`.execute(db)).rows;

    let attempts = 0;
    for (let minute = 0; minute < 120; minute++) {
      clock.advance(60_000);
      attempts += await t.deps.useCases.reconcilePayments();
      await t.deps.useCases.expireBookings();
    }

    // About one attempt a minute per payment once the backoff reached 60 s; the holds (30 min) ran out.
    expect(attempts).toBeGreaterThanOrEqual(6 * 100);
    expect(await statuses()).toEqual(Array.from({ length: 6 }, () => ({ status: 'PENDING', payment_status: 'PROCESSING' })));
    const seats = await sql<{ available: number }>`SELECT available FROM events WHERE id = ${event.id}`.execute(db);
    expect(seats.rows[0]!.available).toBe(2);
    expect(payments.charges).toEqual([]);

    await payments.on();
    // The payment-service breaker opened during the outage; it admits trial calls after its real open time.
    const until = Date.now() + 45_000;
    while ((await statuses()).some((r) => r.status !== 'CONFIRMED') && Date.now() < until) {
      clock.advance(60_000);
      await t.deps.useCases.reconcilePayments();
      await new Promise((r) => setTimeout(r, 250));
    }

    expect(await statuses()).toEqual(Array.from({ length: 6 }, () => ({ status: 'CONFIRMED', payment_status: 'PAID' })));
    const perKey = payments.chargesPerKey();
    expect(perKey.size).toBe(6);
    expect([...perKey.values()]).toEqual([1, 1, 1, 1, 1, 1]);
    const confirmed = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM outbox WHERE type = 'booking.confirmed' AND aggregate_id = ANY(${bookingIds})`.execute(db);
    expect(confirmed.rows[0]!.n).toBe(6);
    const pending = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM payment_attempts WHERE booking_id = ANY(${bookingIds}) AND status = 'PENDING'`.execute(db);
    expect(pending.rows[0]!.n).toBe(0);
  });
});
