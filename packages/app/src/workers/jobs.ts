import type { Logger } from 'pino';
import type { Deps } from '../composition-root';

export interface Jobs {
  /** Runs every job once; the scheduler and tests call this. */
  tick(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Booking expiry, waitlist offer expiry, event completion, refunds, the payment reconciler
 * (scheduled retries and attempts left by a crash), the cleanup of expired idempotency keys and the
 * retention of finished rows (shipped outbox rows, processed-message ids) on one timer. Each job locks the rows it works on (SKIP LOCKED), so every replica may run them at
 * once. On stop the running tick finishes before the promise resolves.
 */
export function startJobs(
  deps: Pick<Deps, 'useCases' | 'config' | 'idempotency' | 'clock'> & Partial<Pick<Deps, 'retention' | 'metrics'>>,
  logger: Logger,
  options: { intervalMs?: number; autoStart?: boolean } = {},
): Jobs {
  const { useCases } = deps;
  const jobs: Record<string, () => Promise<number>> = {
    expiredBookings: () => useCases.expireBookings(),
    expiredOffers: () => useCases.expireWaitlistOffers(),
    completedEvents: () => useCases.completeEvents(),
    refunds: async () => {
      const run = await useCases.processRefunds();
      return run.refunded + run.refused;
    },
    payments: () => useCases.reconcilePayments(),
    expiredIdempotencyKeys: () => deps.idempotency.purgeExpired(deps.clock.now()),
    retention: async () => {
      if (!deps.retention) return 0;
      const deleted = await deps.retention.purge(deps.clock.now());
      for (const [table, n] of Object.entries(deleted)) if (n > 0) deps.metrics?.retentionDeleted.inc({ table }, n);
      return Object.values(deleted).reduce((sum, n) => sum + n, 0);
    },
  };
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function tick() {
    const done: Record<string, number> = {};
    for (const [name, job] of Object.entries(jobs)) {
      try {
        done[name] = await job();
        if (done[name]) logger.info({ job: name, count: done[name] }, 'job processed rows');
      } catch (error) {
        done[name] = 0;
        logger.warn({ job: name, err: error }, 'job failed; it runs again on the next tick');
      }
    }
    return done;
  }

  const interval = options.intervalMs ?? deps.config.JOBS_INTERVAL;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, interval);
    timer.unref();
  };
  if (options.autoStart !== false) schedule();

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
