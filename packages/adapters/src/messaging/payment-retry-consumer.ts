import { isDomainError, type UseCases } from '@aquastream/domain';
import { deadLetter } from './dead-letters';
import { asRetryRequested } from './payment-retry-request';
import type { MessagePublisher, MessageSubscriber, MessagingLogger, ProcessedMessageStore, Subscription } from './ports';
import { PAYMENT_RETRY_TOPIC } from './topics';

const CONSUMER = 'payment-retry';

export interface PaymentRetryOptions {
  subscriber: MessageSubscriber;
  publisher: MessagePublisher;
  processed: ProcessedMessageStore;
  useCases: Pick<UseCases, 'retryPayment'>;
  logger: MessagingLogger;
  group?: string;
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

  return subscriber.subscribe({
    topic: PAYMENT_RETRY_TOPIC,
    group: options.group ?? 'backend-event.payment-retry',
    async handle(message) {
      const event = asRetryRequested(message.event);
      if (!event) {
        logger.warn({ key: message.key }, 'payment retry: poison message sent to the DLQ');
        await publisher.publish([deadLetter(message, 'not a payment.retry_requested CloudEvent')]);
        return;
      }
      const request = event.data;
      if (await processed.seen(CONSUMER, event.id)) return;
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
        await publisher.publish([deadLetter(message, (error as Error).message)]);
      }
      await processed.remember(CONSUMER, event.id, new Date());
    },
  });
}
