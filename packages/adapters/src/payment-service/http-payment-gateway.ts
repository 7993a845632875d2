import { DependencyUnavailableError, type ChargeResult, type PaymentGateway, type RefundResult } from '@aquastream/domain';
import { createOutboundHttp, jsonObject, type Send } from '../http/outbound';
import type { DependencyPolicy } from '../resilience/dependency-policy';

export interface HttpPaymentGatewayOptions {
  baseUrl: string;
  /** Time limit of one call without a policy (PAYMENT_SERVICE_TIMEOUT). */
  timeoutMs?: number;
  /**
   * The payment-service policy: its signal ends each call at the policy's timeout, and only calls
   * marked idempotent may be retried by it.
   */
  policy?: DependencyPolicy;
}

/**
 * Client of the external Payment Service (contract in docs/payment-service.md).
 * A 4xx decline (or refused refund) is an answer; network errors, timeouts, 429, 5xx and an open
 * circuit are DependencyUnavailableError.
 */
export function createHttpPaymentGateway(options: HttpPaymentGatewayOptions): PaymentGateway {
  const http = createOutboundHttp({
    dependency: 'payment-service',
    title: 'Payment Service',
    baseUrl: options.baseUrl,
    policy: options.policy,
    timeoutMs: options.timeoutMs ?? 3_000,
  });

  async function send(
    call: Send,
    method: 'GET' | 'POST',
    path: string,
    body?: { payload: unknown; idempotencyKey: string },
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const answer = await call(path, body ? { method, json: body.payload, headers: { 'idempotency-key': body.idempotencyKey } } : { method });
    return { status: answer.status, json: jsonObject(answer.text) };
  }

  const reasonOf = (json: Record<string, unknown>, status: number) => (typeof json.reason === 'string' ? json.reason : `declined (${status})`);

  return {
    charge: (request) =>
      http.call(
        async (call): Promise<ChargeResult> => {
          const { status, json } = await send(call, 'POST', '/payments', {
            payload: { paymentId: request.paymentId, bookingId: request.bookingId, amount: request.amount.amount, currency: request.amount.currency },
            idempotencyKey: request.idempotencyKey,
          });
          if (status < 300 && json.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
          return { status: 'DECLINED', reason: reasonOf(json, status) };
        },
        { idempotent: false },
      ),
    findCharge: (idempotencyKey) =>
      http.call(
        async (call): Promise<ChargeResult | null> => {
          const { status, json } = await send(call, 'GET', `/payments?idempotencyKey=${encodeURIComponent(idempotencyKey)}`);
          if (status === 404) return null;
          if (status < 300 && json.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
          if (status < 300 && json.status === 'DECLINED') return { status: 'DECLINED', reason: reasonOf(json, status) };
          // Still processing on their side, or an answer we cannot read: never charge again on it.
          throw new DependencyUnavailableError(
            'payment-service',
            `Payment Service has no final status for the charge (${status} ${String(json.status ?? '')})`,
          );
        },
        { idempotent: true },
      ),
    refund: (request) =>
      http.call(
        async (call): Promise<RefundResult> => {
          const { status, json } = await send(call, 'POST', `/payments/${encodeURIComponent(request.paymentId)}/refunds`, {
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
