import type { PaymentGateway } from '@aquastream/domain';

/**
 * The embedded default: every charge succeeds except amounts ending in 13 minor units
 * (e.g. 10.13 EUR), which are declined so the decline path can be tried without a real service.
 */
export function createSandboxPaymentGateway(): PaymentGateway & { charges: string[]; refunds: string[] } {
  const charges: string[] = [];
  const refunds: string[] = [];
  return {
    charges,
    refunds,
    async charge(request) {
      if (request.amount.amount % 100 === 13) return { status: 'DECLINED', reason: 'sandbox: card declined' };
      if (!charges.includes(request.paymentId)) charges.push(request.paymentId);
      return { status: 'SUCCEEDED' };
    },
    async refund(request) {
      if (!refunds.includes(request.paymentId)) refunds.push(request.paymentId);
    },
  };
}
