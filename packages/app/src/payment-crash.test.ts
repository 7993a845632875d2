import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase } from '../../../testing/database';
import { startFakePaymentService, type FakePaymentService } from '../../../testing/fake-payment-service';
import { inDays, organizer, TEST_SECRET, user, type TestUser } from '../../../testing/app';
import { startServiceProcess, type ServiceProcess } from '../../../testing/service-process';

// The service process is killed with SIGKILL (no shutdown hook runs) at each step of a payment;
// after a restart the reconciler must settle every payment, and never charge one twice.
// PAYMENT_RECONCILE_AFTER is shortened so a run takes seconds instead of the default 2 minutes.

let payments: FakePaymentService;
let service: ServiceProcess;
let db: pg.Pool;
let owner: TestUser;
let eventId: string;

async function call(method: string, path: string, who: TestUser, body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { ...who.auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${service.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const bookingRow = async (id: string) =>
  (
    await db.query<{ status: string; payment_status: string; payment_id: string | null }>(
      'SELECT status, payment_status, payment_id FROM bookings WHERE id = $1',
      [id],
    )
  ).rows[0]!;

/** A booker with a PENDING booking whose pay request is sent and left hanging. */
async function startPaying() {
  const booker = await user();
  const booked = await call('POST', '/api/v2/bookings', booker, { eventId });
  expect(booked.status).toBe(201);
  const bookingId = booked.body.id as string;
  const answered = fetch(`${service.url}/api/v2/bookings/${bookingId}/pay`, { method: 'POST', headers: booker.auth }).then(
    (r) => r.status,
    () => 'connection lost' as const,
  );
  return { bookingId, answered };
}

/** Restarts the killed service and waits for the payment to settle; returns the booking and its charges. */
async function afterRestart(bookingId: string) {
  payments.chargeMode = 'succeed';
  await service.start();
  const settled = await waitFor('the payment to settle', async () => {
    const row = await bookingRow(bookingId);
    return row.payment_status !== 'PROCESSING' && row;
  });
  const charges = payments.chargesPerKey().get(settled.payment_id!) ?? 0;
  return { settled, charges };
}

beforeAll(async () => {
  payments = await startFakePaymentService();
  const databaseUrl = await freshDatabase('crash');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  service = await startServiceProcess({
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: TEST_SECRET,
    PAYMENT_SERVICE_URL: payments.url,
    PAYMENT_RECONCILE_AFTER: '2s',
    JOBS_INTERVAL: '500ms',
  });
  owner = await organizer();
  const created = await call('POST', '/api/v2/events', owner, {
    title: 'Rafting',
    startDate: inDays(10),
    endDate: inDays(11),
    capacity: 10,
    price: { amount: 4200, currency: 'EUR' },
  });
  eventId = created.body.id as string;
  expect((await call('POST', `/api/v2/events/${eventId}/publish`, owner)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await service?.kill();
  await payments?.close();
  await db?.end();
});

describe('a payment survives SIGKILL of the service at every step', () => {
  it('after the PROCESSING commit, before the charge reached the service: charged once after restart, CONFIRMED', async () => {
    payments.chargeMode = 'lose';
    const { bookingId, answered } = await startPaying();
    await payments.nextCharge();
    expect((await bookingRow(bookingId)).payment_status).toBe('PROCESSING');
    await service.kill('SIGKILL');
    expect(await answered).toBe('connection lost');
    expect(payments.chargesPerKey().size).toBe(0);

    const { settled, charges } = await afterRestart(bookingId);

    expect(settled).toMatchObject({ status: 'CONFIRMED', payment_status: 'PAID' });
    expect(charges).toBe(1);
    expect(payments.lookups).toContain(settled.payment_id);
  });

  it('while the charge is in flight (the service took the money): CONFIRMED after restart without a second charge', async () => {
    payments.chargeMode = 'hold';
    const { bookingId, answered } = await startPaying();
    const { idempotencyKey } = await payments.nextCharge();
    await service.kill('SIGKILL');
    expect(await answered).toBe('connection lost');
    expect(payments.chargesPerKey().get(idempotencyKey)).toBe(1);

    const { settled, charges } = await afterRestart(bookingId);

    expect(settled).toMatchObject({ status: 'CONFIRMED', payment_status: 'PAID', payment_id: idempotencyKey });
    expect(charges).toBe(1);
  });

  it('after the charge succeeded, before the outcome was committed: CONFIRMED after restart without a second charge', async () => {
    payments.chargeMode = 'hold';
    const { bookingId, answered } = await startPaying();
    const { idempotencyKey } = await payments.nextCharge();
    // Hold the attempt's row so the service, once answered, blocks on it while settling.
    const blocker = await db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM payment_attempts WHERE payment_id = $1 FOR UPDATE', [idempotencyKey]);
      const answer = payments.nextAnswer();
      payments.releaseHeld();
      await answer;
      await waitFor('the service to wait on the attempt row', async () => {
        const waiting = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`);
        return waiting.rows[0]!.n > 0;
      });
      await service.kill('SIGKILL');
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    expect(await answered).toBe('connection lost');
    expect((await bookingRow(bookingId)).payment_status).toBe('PROCESSING');

    const { settled, charges } = await afterRestart(bookingId);

    expect(settled).toMatchObject({ status: 'CONFIRMED', payment_status: 'PAID', payment_id: idempotencyKey });
    expect(charges).toBe(1);
  });

  it('a declined charge ends FAILED with its attempt DECLINED, and nothing is charged', async () => {
    payments.chargeMode = 'decline';
    const { bookingId, answered } = await startPaying();
    expect(await answered).toBe(402);
    expect(await bookingRow(bookingId)).toMatchObject({ status: 'PENDING', payment_status: 'FAILED' });
    const attempts = await db.query<{ status: string }>('SELECT status FROM payment_attempts WHERE booking_id = $1', [bookingId]);
    expect(attempts.rows).toEqual([{ status: 'DECLINED' }]);
    expect(payments.chargesPerKey().get((await bookingRow(bookingId)).payment_id!)).toBeUndefined();
  });
});
