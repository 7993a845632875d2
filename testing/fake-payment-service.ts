import type { IncomingMessage } from 'node:http';
import { startSwitchableServer } from './switchable-server';

/**
 * A real HTTP Payment Service for tests (contract: docs/payment-service.md) that can be switched
 * off (connections refused) and on again on the same port. It records every charge it receives.
 */
export interface FakePaymentService {
  url: string;
  charges: { paymentId: string; idempotencyKey: string; amount: number; traceparent?: string }[];
  refunds: string[];
  off(): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

const body = (req: IncomingMessage) =>
  new Promise<Record<string, unknown>>((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data ? (JSON.parse(data) as Record<string, unknown>) : {}));
  });

export async function startFakePaymentService(): Promise<FakePaymentService> {
  const charges: FakePaymentService['charges'] = [];
  const refunds: string[] = [];
  const server = await startSwitchableServer(async (req, res) => {
    const payload = await body(req);
    const key = String(req.headers['idempotency-key'] ?? '');
    if (req.method === 'POST' && req.url === '/payments') {
      const traceparent = req.headers.traceparent;
      charges.push({ paymentId: String(payload.paymentId), idempotencyKey: key, amount: Number(payload.amount), ...(typeof traceparent === 'string' ? { traceparent } : {}) });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ paymentId: payload.paymentId, status: 'SUCCEEDED' }));
    } else if (req.method === 'POST' && /^\/payments\/[^/]+\/refunds$/.test(req.url ?? '')) {
      refunds.push(req.url!.split('/')[2]!);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"REFUNDED"}');
    } else res.writeHead(404).end();
  });
  return {
    get url() {
      return server.url;
    },
    charges,
    refunds,
    off: () => server.off(),
    on: () => server.on(),
    close: () => server.close(),
  };
}
