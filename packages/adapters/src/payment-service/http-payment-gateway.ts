import { DependencyUnavailableError, type ChargeResult, type PaymentGateway, type RefundResult } from '@aquastream/domain';

export interface HttpPaymentGatewayOptions {
  baseUrl: string;
  /** Time limit of one call when no guard hands in a signal (PAYMENT_SERVICE_TIMEOUT). */
  timeoutMs?: number;
  /**
   * Wraps each call, e.g. in the payment-service resilience policy, whose signal then ends the
   * call at the policy's timeout. Only calls marked idempotent may be retried by it.
   */
  guard?: <T>(call: (signal?: AbortSignal) => Promise<T>, options: { idempotent: boolean }) => Promise<T>;
}

/**
 * Client of the external Payment Service (contract in docs/payment-service.md).
 * A 4xx decline (or refused refund) is an answer; network errors, timeouts, 429 and 5xx are
 * DependencyUnavailableError.
 */
export function createHttpPaymentGateway(options: HttpPaymentGatewayOptions): PaymentGateway {
  const base = options.baseUrl.replace(/\/$/, '');
  const timeout = options.timeoutMs ?? 3_000;
  const guard = options.guard ?? ((call) => call());

  async function send(
    method: 'GET' | 'POST',
    path: string,
    signal: AbortSignal | undefined,
    body?: { payload: unknown; idempotencyKey: string },
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    let response: Response;
    let json: Record<string, unknown>;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json', 'idempotency-key': body.idempotencyKey } : {},
        body: body ? JSON.stringify(body.payload) : undefined,
        signal: signal ?? AbortSignal.timeout(timeout),
      });
      json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    } catch (error) {
      throw new DependencyUnavailableError('payment-service', `Payment Service unreachable: ${(error as Error).message}`);
    }
    if (response.status >= 500 || response.status === 429)
      throw new DependencyUnavailableError('payment-service', `Payment Service answered ${response.status}`);
    return { status: response.status, json };
  }

  const reasonOf = (json: Record<string, unknown>, status: number) => (typeof json.reason === 'string' ? json.reason : `declined (${status})`);

  return {
    charge: (request) =>
      guard(
        async (signal): Promise<ChargeResult> => {
          const { status, json } = await send('POST', '/payments', signal, {
            payload: { paymentId: request.paymentId, bookingId: request.bookingId, amount: request.amount.amount, currency: request.amount.currency },
            idempotencyKey: request.idempotencyKey,
          });
          if (status < 300 && json.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
          return { status: 'DECLINED', reason: reasonOf(json, status) };
        },
        { idempotent: false },
      ),
    findCharge: (idempotencyKey) =>
      guard(
        async (signal): Promise<ChargeResult | null> => {
          const { status, json } = await send('GET', `/payments?idempotencyKey=${encodeURIComponent(idempotencyKey)}`, signal);
          if (status === 404) return null;
          if (status < 300 && json.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
          if (status < 300 && json.status === 'DECLINED') return { status: 'DECLINED', reason: reasonOf(json, status) };
          // Still processing on their side, or an answer we cannot read: never charge again on it.
          throw new DependencyUnavailableError('payment-service', `Payment Service has no final status for the charge (${status} ${String(json.status ?? '')})`);
        },
        { idempotent: true },
      ),
    refund: (request) =>
      guard(
        async (signal): Promise<RefundResult> => {
          const { status, json } = await send('POST', `/payments/${encodeURIComponent(request.paymentId)}/refunds`, signal, {
            payload: { amount: request.amount.amount, currency: request.amount.currency },
            idempotencyKey: request.idempotencyKey,
          });
          if (status < 300) return { status: 'REFUNDED' };
          return { status: 'REFUSED', reason: typeof json.reason === 'string' ? json.reason : `refused (${status})` };
        },
        { idempotent: false },
      ),
  };
}
