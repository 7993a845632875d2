import { isTaskCancelledError } from 'cockatiel';
import { ReadOnlyModeError, type UnitOfWork } from '@aquastream/domain';
import { isBrokenCircuit, type DependencyPolicy } from '../resilience/index';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/**
 * Errors that mean "the database is unreachable", the only ones the postgres breaker counts.
 * A constraint violation or a domain refusal is an answer from a healthy database.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string; name?: string } | null;
  if (!e) return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  // The policy's time limit fired: the database did not answer in time.
  if (isTaskCancelledError(e)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i.test(e.message ?? '');
}

function readOnly(policy: DependencyPolicy): ReadOnlyModeError {
  return new ReadOnlyModeError(Math.max(1, Math.ceil((policy.retryAfterMs() || 10_000) / 1000)));
}

/** Turns an unreachable database or an open breaker into the domain's read-only-mode refusal. */
function translate(policy: DependencyPolicy, error: unknown): unknown {
  return isBrokenCircuit(error) || isConnectionError(error) ? readOnly(policy) : error;
}

/** Every write transaction goes through the postgres breaker; when it is open, writes are refused at once. */
export function guardUnitOfWork(uow: UnitOfWork, policy: DependencyPolicy): UnitOfWork {
  return {
    run: (work) =>
      policy
        .execute((signal) =>
          uow.run(async (tx) => {
            const result = await work(tx);
            // The caller was already told "read-only" when the time limit fired: roll back, never commit later.
            signal.throwIfAborted();
            return result;
          }),
        )
        .catch((error: unknown) => Promise.reject(translate(policy, error))),
  };
}

/**
 * Wraps every method of a read-side repository or store in the postgres policy (reads are
 * idempotent, so they may be retried); failures surface as ReadOnlyModeError.
 */
export function guardMethods<T extends object>(target: T, policy: DependencyPolicy, options: { idempotent?: boolean } = { idempotent: true }): T {
  const guarded = {} as T;
  for (const key of Object.keys(target) as (keyof T)[]) {
    const value = target[key];
    guarded[key] =
      typeof value === 'function'
        ? ((async (...args: unknown[]) => {
            try {
              return await policy.execute(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), options);
            } catch (error) {
              throw translate(policy, error);
            }
          }) as T[keyof T])
        : value;
  }
  return guarded;
}
