import type { Logger } from 'pino';
import { z } from 'zod';
import {
  isDomainError,
  type MessagePublisher,
  type MessageSubscriber,
  type PaymentRetryRequest,
  type ProcessedMessageStore,
  type Subscription,
} from '@aquastream/domain';
import type { UseCases } from '@aquastream/domain';

export const PAYMENT_RETRY_TOPIC = 'payment-retry-queue';
export const PAYMENT_DLQ_TOPIC = 'payment-retry-queue.dlq';
const CONSUMER = 'payment-retry';

export interface PaymentRetryOptions {
  subscriber: MessageSubscriber;
  publisher: MessagePublisher;
  processed: ProcessedMessageStore;
  useCases: Pick<UseCases, 'retryPayment'>;
  logger: Logger;
  group?: string;
}

/** Ids as the outbox writes them: 36 characters of hex digits and dashes. */
const Id = z.string().regex(/^[0-9a-f-]{36}$/i);

/** The data of a `payment.retry_requested` CloudEvent; anything else is a poison message. */
export const PaymentRetryRequestSchema = z.object({
  paymentId: Id,
  bookingId: Id,
  amount: z.object({ amount: z.number().int(), currency: z.string() }),
}) satisfies z.ZodType<PaymentRetryRequest>;

/** The retry request a message carries, or null when it is not a well-formed one. */
export function asRequest(data: unknown): PaymentRetryRequest | null {
  const parsed = PaymentRetryRequestSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/**
 * Retries payments queued while the Payment Service was down: one attempt per message, right away.
 * It never waits: when the service is still away the attempt's next turn is scheduled in the
 * database (backoff up to PAYMENT_RETRY_HORIZON) and the reconciler job makes it, so the partition
 * keeps moving. Each message is handled once (its CloudEvent id is remembered); a message that
 * cannot be understood goes to the DLQ.
 */
export async function startPaymentRetryConsumer(options: PaymentRetryOptions): Promise<Subscription> {
  const { subscriber, publisher, processed, useCases, logger } = options;

  const toDlq = (raw: string, key: string | null, reason: string, id?: string) =>
    publisher.publish([
      {
        topic: PAYMENT_DLQ_TOPIC,
        key: key ?? 'unknown',
        headers: { 'x-dlq-reason': reason },
        event: {
          specversion: '1.0',
          id: id ? `${id}.dlq` : `dlq-${Date.now()}-${Math.random().toString(16).slice(2)}`,
          type: 'payment.retry_dead_lettered',
          source: 'urn:aquastream:backend-event',
          time: new Date().toISOString(),
          subject: key ?? 'unknown',
          datacontenttype: 'application/json',
          data: { reason, original: raw },
        },
      },
    ]);

  return subscriber.subscribe({
    topic: PAYMENT_RETRY_TOPIC,
    group: options.group ?? 'backend-event.payment-retry',
    async handle(message) {
      const request = message.event?.type === 'payment.retry_requested' ? asRequest(message.event.data) : null;
      if (!message.event || !request) {
        logger.warn({ key: message.key }, 'payment retry: poison message sent to the DLQ');
        await toDlq(message.raw, message.key, 'not a payment.retry_requested CloudEvent', message.event?.id);
        return;
      }
      const id = message.event.id;
      if (await processed.seen(CONSUMER, id)) return;
      try {
        const outcome = await useCases.retryPayment(request);
        logger.info(
          {
            bookingId: request.bookingId,
            paymentId: request.paymentId,
            outcome: outcome.kind,
            status: outcome.booking?.status,
            paymentStatus: outcome.booking?.paymentStatus,
          },
          'payment retry: attempted',
        );
      } catch (error) {
        // The database is away: the handler fails and kafkajs redelivers the message later.
        if (!isDomainError(error) || error.kind === 'unavailable') throw error;
        await toDlq(message.raw, message.key, (error as Error).message, id);
      }
      await processed.remember(CONSUMER, id, new Date());
    },
  });
}
