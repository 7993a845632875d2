import type { Logger } from 'pino';
import { exponentialBackoff, startOutboxRelay, startPaymentRetryConsumer, type OutboxRelay, type Subscription } from '@aquastream/adapters';
import type { Deps } from '../composition-root';
import { startJobs, type Jobs } from './jobs';

export interface Workers {
  relay?: OutboxRelay;
  jobs?: Jobs;
  /** Resolves once the consumers have joined their groups. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Background work of one replica: the outbox relay, the payment retry consumer and the jobs.
 * Kafka being down at start-up does not stop the service: topics and the consumer are set up
 * in the background, retrying until the broker answers.
 */
export function startWorkers(
  deps: Pick<Deps, 'config' | 'messaging' | 'outbox' | 'processed' | 'useCases' | 'idempotency' | 'clock'> &
    Partial<Pick<Deps, 'forgetCached' | 'retention' | 'metrics'>>,
  logger: Logger,
): Workers {
  const { config, messaging } = deps;
  let stopped = false;
  let subscription: Subscription | undefined;

  // Relayed rows forget cached copies once more: a replica that died right after its commit
  // never announced the change itself.
  const relay = config.OUTBOX_RELAY_ENABLED
    ? startOutboxRelay({ outbox: deps.outbox, publisher: messaging.publisher, logger, intervalMs: config.OUTBOX_RELAY_INTERVAL, onRelayed: deps.forgetCached })
    : undefined;
  const jobs = config.JOBS_ENABLED ? startJobs(deps, logger) : undefined;

  const consumerReady = (async () => {
    if (!config.CONSUMERS_ENABLED) return;
    const pauses = exponentialBackoff({ initialDelayMs: 500, maxDelayMs: 10_000, jitter: 'half' });
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await messaging.kafka?.ensureTopics();
        subscription = await startPaymentRetryConsumer({
          subscriber: messaging.subscriber,
          publisher: messaging.publisher,
          processed: deps.processed,
          useCases: deps.useCases,
          logger,
          group: `${config.KAFKA_CONSUMER_GROUP}.payment-retry`,
        });
        if (stopped) await subscription.stop();
        return;
      } catch (error) {
        if (attempt === 1) logger.warn({ err: error }, 'payment retry consumer: broker unavailable, retrying in the background');
        await new Promise((r) => setTimeout(r, pauses.next()));
      }
    }
  })();

  return {
    relay,
    jobs,
    ready: consumerReady,
    async stop() {
      stopped = true;
      await Promise.all([relay?.stop(), jobs?.stop()]);
      await subscription?.stop();
      await Promise.race([consumerReady, new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
}
