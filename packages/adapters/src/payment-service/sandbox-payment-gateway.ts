import type { ChargeResult, PaymentGateway } from '@aquastream/domain';

/**
 * The embedded default: every charge succeeds except amounts ending in 13 minor units
 * (e.g. 10.13 EUR), which are declined so the decline path can be tried without a real service.
 * It remembers each charge by idempotency key, like the real service.
 */
export function createSandboxPaymentGateway(): PaymentGateway & { charges: string[]; refunds: string[] } {
  const charges: string[] = [];
  const refunds: string[] = [];
  const outcomes = new Map<string, ChargeResult>();
  return {
    charges,
    refunds,
    async charge(request) {
      const known = outcomes.get(request.idempotencyKey);
      if (known) return known;
      const result: ChargeResult = request.amount.amount % 100 === 13 ? { status: 'DECLINED', reason: 'sandbox: card declined' } : { status: 'SUCCEEDED' };
      outcomes.set(request.idempotencyKey, result);
      if (result.status === 'SUCCEEDED') charges.push(request.paymentId);
      return result;
    },
    async findCharge(idempotencyKey) {
      return outcomes.get(idempotencyKey) ?? null;
    },
    async refund(request) {
      if (!refunds.includes(request.paymentId)) refunds.push(request.paymentId);
      return { status: 'REFUNDED' };
    },
  };
}
