import { DatabaseContentionError } from '@aquastream/domain';
import { retryPolicy, type RetryConfig } from '../resilience/retry-config';

/**
 * SQLSTATEs after which the same transaction, run again, may well succeed: deadlock_detected
 * (two transactions locking rows in opposite orders, as two releases side by side can) and
 * serialization_failure. PostgreSQL rolled the transaction back, so nothing of it was kept.
 */
const TRANSIENT = new Set(['40P01', '40001']);

export const isTransientTransactionError = (error: unknown): boolean => TRANSIENT.has((error as { code?: unknown } | null)?.code as string);

/**
 * Four tries in all, 20 ms growing to at most 500 ms apart with decorrelated jitter, so two
 * victims of one deadlock do not collide again: a few seconds at worst, well inside a request.
 */
export const TRANSIENT_RETRY: Readonly<RetryConfig> = Object.freeze({ maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 500, jitter: 'decorrelated' });

const policy = retryPolicy(TRANSIENT_RETRY, isTransientTransactionError);

/**
 * Runs a whole transaction (`transaction` opens, works and commits it) again when it died of a
 * deadlock or a serialization failure; when the tries run out, the caller gets
 * DatabaseContentionError (503 with Retry-After), never the raw error (500). `transaction` must
 * do nothing outside the database it would regret doing twice.
 */
export async function retryTransient<T>(transaction: () => Promise<T>): Promise<T> {
  try {
    return await policy.execute(transaction);
  } catch (error) {
    if (isTransientTransactionError(error)) throw new DatabaseContentionError(1);
    throw error;
  }
}
