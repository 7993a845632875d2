import type { IncomingMessage, ServerResponse } from 'node:http';
import { startSwitchableServer } from './switchable-server';

/**
 * How the fake answers a charge:
 * - `succeed` / `decline`: records the charge and answers at once;
 * - `lose`: reads the request and never answers, without recording it (lost before it reached the ledger);
 * - `hold`: records the charge (money taken) and answers only on `releaseHeld()` (or never).
 */
export type ChargeMode = 'succeed' | 'decline' | 'lose' | 'hold';

/**
 * A real HTTP Payment Service for tests (contract: docs/payment-service.md) that can be switched
 * off (connections refused) and on again on the same port. It records every charge it takes and,
 * unlike the real service, does not de-duplicate them by idempotency key: a test sees every charge
 * backend-event sent, so `chargesPerKey()` proves a payment was charged at most once.
 */
export interface FakePaymentService {
  url: string;
  /** Charges that took money, in arrival order, with the trace context they carried. */
  charges: { paymentId: string; bookingId: string; idempotencyKey: string; amount: number; traceparent?: string }[];
  /** Status look-ups received (GET /payments?idempotencyKey=). */
  lookups: string[];
  /** Payment ids refunded. */
  refunds: string[];
  chargeMode: ChargeMode;
  /** `refuse` answers refunds with 422 (the service will not refund, e.g. already refunded elsewhere). */
  refundMode: 'accept' | 'refuse';
  /** How long each refund takes to answer. */
  refundDelayMs: number;
  /** Refund requests received (payment ids), answered or not. */
  refundRequests: string[];
  /** Refunds made, with the amount and idempotency key each was asked under. */
  refundCalls: { paymentId: string; idempotencyKey: string; amount: number; currency: string }[];
  /** Charges taken per idempotency key. */
  chargesPerKey(): Map<string, number>;
  /** Refunds made per payment id (a booking's payment), whatever idempotency key each carried. */
  refundsPerPayment(): Map<string, number>;
  /** Resolves when the next charge request has arrived (before it is answered). */
  nextCharge(): Promise<{ idempotencyKey: string }>;
  /** Resolves once an answer to a charge has been written out to the client. */
  nextAnswer(): Promise<{ idempotencyKey: string }>;
  /** Answers the charges held so far (mode `hold`). */
  releaseHeld(): void;
  /** See SwitchableServer.off: `cut` loses the answers in flight, `refuse` only refuses new connections. */
  off(mode?: 'cut' | 'refuse'): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

const body = (req: IncomingMessage) =>
  new Promise<Record<string, unknown>>((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data ? (JSON.parse(data) as Record<string, unknown>) : {}));
  });

const json = (res: ServerResponse, status: number, value: unknown, done?: () => void) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value), done);

export async function startFakePaymentService(): Promise<FakePaymentService> {
  const charges: FakePaymentService['charges'] = [];
  const lookups: string[] = [];
  const refunds: string[] = [];
  const outcomes = new Map<string, { status: 'SUCCEEDED' | 'DECLINED'; reason?: string }>();
  let chargeWaiters: ((v: { idempotencyKey: string }) => void)[] = [];
  let answerWaiters: ((v: { idempotencyKey: string }) => void)[] = [];
  const notify = (waiters: ((v: { idempotencyKey: string }) => void)[], idempotencyKey: string) => {
    for (const w of waiters) w({ idempotencyKey });
  };
  let held: (() => void)[] = [];
  const fake = {
    chargeMode: 'succeed' as ChargeMode,
    refundMode: 'accept' as 'accept' | 'refuse',
    refundDelayMs: 0,
  };
  const refundRequests: string[] = [];
  const refundCalls: FakePaymentService['refundCalls'] = [];
  const server = await startSwitchableServer(async (req, res) => {
    const payload = await body(req);
    const key = String(req.headers['idempotency-key'] ?? '');
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'POST' && url.pathname === '/payments') {
      const mode = fake.chargeMode;
      notify(chargeWaiters.splice(0), key);
      if (mode === 'lose') return;
      const outcome = mode === 'decline' ? { status: 'DECLINED' as const, reason: 'insufficient funds' } : { status: 'SUCCEEDED' as const };
      outcomes.set(key, outcome);
      const traceparent = req.headers.traceparent;
      if (outcome.status === 'SUCCEEDED')
        charges.push({
          paymentId: String(payload.paymentId),
          bookingId: String(payload.bookingId),
          idempotencyKey: key,
          amount: Number(payload.amount),
          ...(typeof traceparent === 'string' ? { traceparent } : {}),
        });
      const answer = () =>
        json(res, outcome.status === 'SUCCEEDED' ? 201 : 402, { paymentId: payload.paymentId, ...outcome }, () => notify(answerWaiters.splice(0), key));
      if (mode === 'hold') held.push(answer);
      else answer();
    } else if (req.method === 'GET' && url.pathname === '/payments') {
      const wanted = url.searchParams.get('idempotencyKey') ?? '';
      lookups.push(wanted);
      const outcome = outcomes.get(wanted);
      if (!outcome) json(res, 404, { title: 'no payment with this idempotency key' });
      else json(res, 200, { idempotencyKey: wanted, ...outcome });
    } else if (req.method === 'POST' && /^\/payments\/[^/]+\/refunds$/.test(url.pathname)) {
      refundRequests.push(url.pathname.split('/')[2]!);
      if (fake.refundDelayMs > 0) await new Promise((r) => setTimeout(r, fake.refundDelayMs));
      if (fake.refundMode === 'refuse') return json(res, 422, { reason: 'payment cannot be refunded' });
      refunds.push(url.pathname.split('/')[2]!);
      refundCalls.push({ paymentId: url.pathname.split('/')[2]!, idempotencyKey: key, amount: Number(payload.amount), currency: String(payload.currency) });
      json(res, 200, { status: 'REFUNDED' });
    } else res.writeHead(404).end();
  });
  return {
    get url() {
      return server.url;
    },
    charges,
    lookups,
    refunds,
    refundCalls,
    get chargeMode() {
      return fake.chargeMode;
    },
    set chargeMode(mode: ChargeMode) {
      fake.chargeMode = mode;
    },
    refundRequests,
    get refundDelayMs() {
      return fake.refundDelayMs;
    },
    set refundDelayMs(ms: number) {
      fake.refundDelayMs = ms;
    },
    get refundMode() {
      return fake.refundMode;
    },
    set refundMode(mode: 'accept' | 'refuse') {
      fake.refundMode = mode;
    },
    chargesPerKey() {
      const counts = new Map<string, number>();
      for (const c of charges) counts.set(c.idempotencyKey, (counts.get(c.idempotencyKey) ?? 0) + 1);
      return counts;
    },
    refundsPerPayment() {
      const counts = new Map<string, number>();
      for (const r of refundCalls) counts.set(r.paymentId, (counts.get(r.paymentId) ?? 0) + 1);
      return counts;
    },
    nextCharge: () => new Promise((resolve) => chargeWaiters.push(resolve)),
    nextAnswer: () => new Promise((resolve) => answerWaiters.push(resolve)),
    releaseHeld() {
      for (const answer of held.splice(0)) answer();
    },
    off: (mode) => server.off(mode),
    on: () => server.on(),
    close: () => {
      chargeWaiters = [];
      answerWaiters = [];
      held = [];
      return server.close();
    },
  };
}
