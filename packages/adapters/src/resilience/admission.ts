import { bulkhead, isBulkheadRejectedError } from 'cockatiel';

export interface AdmissionConfig {
  /** Calls running at once. */
  concurrency: number;
  /** Calls waiting for a slot; one more is refused at once. */
  queue: number;
  /** Longest wait for a slot before the call is refused. */
  maxWaitMs: number;
}

/** A call refused because too many were queued, or because it queued too long. Nothing of it ran. */
export class AdmissionRejectedError extends Error {
  override readonly name = 'AdmissionRejectedError';
  constructor(
    readonly lane: string,
    readonly reason: 'queue-full' | 'wait-timeout',
  ) {
    super(`Admission '${lane}' refused a call: ${reason === 'queue-full' ? 'the queue is full' : 'it waited too long'}`);
  }
}

export interface AdmissionStats {
  lane: string;
  active: number;
  queued: number;
  concurrency: number;
  queue: number;
  rejected: number;
}

export interface Admission {
  readonly lane: string;
  /** Runs `fn` once a slot is free; throws AdmissionRejectedError (fn never ran) when it cannot. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  stats(): AdmissionStats;
}

/**
 * Bounds the work one replica queues in front of a dependency (cockatiel's bulkhead) and how long
 * each call may wait. A refused call fails fast and did nothing, so the caller can answer
 * "overloaded, retry later" instead of letting the queue grow until every answer is too late.
 */
export function createAdmission(lane: string, config: AdmissionConfig): Admission {
  const gate = bulkhead(config.concurrency, config.queue);
  let rejected = 0;
  return {
    lane,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (gate.executionSlots > 0) return gate.execute(fn);
      // Queued: give up after maxWaitMs, unless the call has started by then. cockatiel drops an
      // aborted entry when it reaches the head of the queue, without running it.
      const deadline = new AbortController();
      let started = false;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (started) return;
          deadline.abort();
          rejected++;
          reject(new AdmissionRejectedError(lane, 'wait-timeout'));
        }, config.maxWaitMs);
      });
      try {
        const admitted = gate.execute(() => {
          started = true;
          clearTimeout(timer);
          return fn();
        }, deadline.signal);
        // The loser of the race must not surface as an unhandled rejection.
        admitted.catch(() => undefined);
        return await Promise.race([admitted, expired]);
      } catch (error) {
        if (isBulkheadRejectedError(error)) {
          rejected++;
          throw new AdmissionRejectedError(lane, 'queue-full');
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    stats: () => ({
      lane,
      active: config.concurrency - gate.executionSlots,
      queued: config.queue - gate.queueSlots,
      concurrency: config.concurrency,
      queue: config.queue,
      rejected,
    }),
  };
}
