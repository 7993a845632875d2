import { DependencyUnavailableError, type ChargeResult, type PaymentGateway } from '@aquastream/domain';

export interface HttpPaymentGatewayOptions {
  baseUrl: string;
  timeoutMs?: number;
  /** Wraps each call, e.g. in the payment-service resilience policy. */
  guard?: <T>(call: () => Promise<T>) => Promise<T>;
}

/**
 * Client of the external Payment Service (contract in docs/payment-service.md).
 * A 4xx decline is an answer; network errors, timeouts and 5xx are DependencyUnavailableError.
 */
export function createHttpPaymentGateway(options: HttpPaymentGatewayOptions): PaymentGateway {
  const base = options.baseUrl.replace(/\/$/, '');
  const timeout = options.timeoutMs ?? 3_000;
  const guard = options.guard ?? ((call) => call());

  async function post(path: string, body: unknown, idempotencyKey: string): Promise<{ status: number; json: Record<string, unknown> }> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (error) {
      throw new DependencyUnavailableError('payment-service', `Payment Service unreachable: ${(error as Error).message}`);
    }
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status >= 500 || response.status === 429)
      throw new DependencyUnavailableError('payment-service', `Payment Service answered ${response.status}`);
    return { status: response.status, json };
  }

  return {
    charge: (request) =>
      guard(async (): Promise<ChargeResult> => {
        const { status, json } = await post(
          '/payments',
          { paymentId: request.paymentId, bookingId: request.bookingId, amount: request.amount.amount, currency: request.amount.currency },
          request.idempotencyKey,
        );
        if (status < 300 && json.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
        return { status: 'DECLINED', reason: typeof json.reason === 'string' ? json.reason : `declined (${status})` };
      }),
    refund: (request) =>
      guard(async () => {
        const { status } = await post(
          `/payments/${encodeURIComponent(request.paymentId)}/refunds`,
          { amount: request.amount.amount, currency: request.amount.currency },
          request.idempotencyKey,
        );
        if (status >= 300) throw new DependencyUnavailableError('payment-service', `Refund refused (${status})`);
      }),
  };
}
