import { z } from 'zod';
import type { DomainEventOf, DomainEventType } from '@aquastream/domain';
import type { CloudEvent } from './cloud-events';

const TYPE = 'payment.retry_requested' satisfies DomainEventType;
type PaymentRetryRequest = DomainEventOf<typeof TYPE>['data'];

/** Ids as the outbox writes them: 36 characters of hex digits and dashes. */
const Id = z.string().regex(/^[0-9a-f-]{36}$/i);

/** The data of a `payment.retry_requested` CloudEvent; anything else is a poison message. */
export const PaymentRetryRequestSchema = z.object({
  paymentId: Id,
  bookingId: Id,
  amount: z.object({ amount: z.number().int(), currency: z.string() }),
}) satisfies z.ZodType<PaymentRetryRequest>;

/** A whole `payment.retry_requested` CloudEvent, as the retry queue must carry it. */
export const PaymentRetryRequestedSchema = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string(),
  type: z.literal(TYPE),
  data: PaymentRetryRequestSchema,
});

/** The retry request a message carries, or null when it is not a well-formed one. */
export function asRequest(data: unknown): PaymentRetryRequest | null {
  const parsed = PaymentRetryRequestSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/** The event when it is a well-formed `payment.retry_requested` CloudEvent, else null. */
export function asRetryRequested(event: unknown): (CloudEvent<PaymentRetryRequest> & { type: typeof TYPE }) | null {
  const parsed = PaymentRetryRequestedSchema.safeParse(event);
  return parsed.success ? (parsed.data as unknown as CloudEvent<PaymentRetryRequest> & { type: typeof TYPE }) : null;
}
