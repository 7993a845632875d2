import type { Logger } from 'pino';
import { isDomainError, type MessagePublisher, type MessageSubscriber, type PaymentRetryRequest, type ProcessedMessageStore, type Subscription } from '@aquastream/domain';
import type { UseCases } from '../composition-root';

export const PAYMENT_RETRY_TOPIC = 'payment-retry-queue';
export const PAYMENT_DLQ_TOPIC = 'payment-retry-queue.dlq';
const CONSUMER = 'payment-retry';

export interface PaymentRetryOptions {
  subscriber: MessageSubscriber;
  publisher: MessagePublisher;
  processed: ProcessedMessageStore;
  useCases: Pick<UseCases, 'retryPayment' | 'failPayment'>;
  logger: Logger;
  group?: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const isUuid = (v: unknown) => typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v);

function asRequest(data: unknown): PaymentRetryRequest | null {
  const d = data as Partial<PaymentRetryRequest> | null;
  if (!d || !isUuid(d.paymentId) || !isUuid(d.bookingId)) return null;
  if (!d.amount || !Number.isInteger(d.amount.amount) || typeof d.amount.currency !== 'string') return null;
  return { paymentId: d.paymentId!, bookingId: d.bookingId!, amount: d.amount };
}

/** Exponential backoff with full jitter, so replicas retrying together do not stampede. */
export const backoff = (attempt: number, base: number, max: number, random = Math.random) =>
  Math.round(random() * Math.min(max, base * 2 ** (attempt - 1)));

/**
 * Retries payments queued while the Payment Service was down. Each message is charged at most
 * once (its CloudEvent id is remembered); a message that cannot be understood goes to the DLQ;
 * after the last attempt the booking's payment is marked FAILED (and `payment.failed` published).
 */
export async function startPaymentRetryConsumer(options: PaymentRetryOptions): Promise<Subscription> {
  const { subscriber, publisher, processed, useCases, logger } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 60_000;

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
    async handle(message, heartbeat) {
      const request = message.event?.type === 'payment.retry_requested' ? asRequest(message.event.data) : null;
      if (!message.event || !request) {
        logger.warn({ key: message.key }, 'payment retry: poison message sent to the DLQ');
        await toDlq(message.raw, message.key, 'not a payment.retry_requested CloudEvent', message.event?.id);
        return;
      }
      const id = message.event.id;
      if (await processed.seen(CONSUMER, id)) return;
      for (let attempt = 1; ; attempt++) {
        try {
          const booking = await useCases.retryPayment(request);
          logger.info({ bookingId: request.bookingId, paymentId: request.paymentId, status: booking?.status, attempt }, 'payment retry: settled');
          break;
        } catch (error) {
          const retryable = !isDomainError(error) || error.kind === 'unavailable';
          if (!retryable) {
            await toDlq(message.raw, message.key, `${(error as Error).message}`, id);
            break;
          }
          if (attempt >= maxAttempts) {
            logger.warn({ bookingId: request.bookingId, attempts: attempt }, 'payment retry: giving up, payment FAILED');
            await useCases.failPayment(request, `Payment Service unavailable after ${attempt} attempts`);
            break;
          }
          const pause = backoff(attempt, base, max);
          logger.info({ bookingId: request.bookingId, attempt, pauseMs: pause }, 'payment retry: service still unavailable');
          for (let waited = 0; waited < pause; waited += 1_000) {
            await new Promise((r) => setTimeout(r, Math.min(1_000, pause - waited)));
            await heartbeat();
          }
        }
      }
      await processed.remember(CONSUMER, id, new Date());
    },
  });
}
