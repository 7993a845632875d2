import { isTaskCancelledError } from 'cockatiel';
import { OverloadedError, ReadOnlyModeError } from '@aquastream/domain';
import { AdmissionRejectedError, isBrokenCircuit, type Admission, type DependencyPolicy } from '../resilience/index';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

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
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i.test(
    e.message ?? '',
  );
}

function readOnly(policy: DependencyPolicy): ReadOnlyModeError {
  return new ReadOnlyModeError(Math.max(1, Math.ceil((policy.retryAfterMs() || 10_000) / 1000)));
}

/**
 * Turns an unreachable database or an open breaker into the domain's read-only-mode refusal, and a
 * call the admission limit refused into "overloaded": the database is fine, this replica is busy.
 */
function translate(policy: DependencyPolicy, error: unknown): unknown {
  if (error instanceof AdmissionRejectedError) return new OverloadedError(1);
  return isBrokenCircuit(error) || isConnectionError(error) ? readOnly(policy) : error;
}

/**
 * How calls wait for the database: first for their lane (reads, writes), then for one of the pool's
 * connections, shared by the lanes and never more than the pool holds. Both waits happen outside
 * the breaker, so time spent queueing is never judged as the database's; an open breaker refuses
 * at once rather than after the queue.
 */
export interface Admitted {
  lane: Admission;
  connections?: Admission;
}

function admitted<T>(policy: DependencyPolicy, admission: Admitted | undefined, call: () => Promise<T>, beforeConnection?: () => Promise<void>): Promise<T> {
  if (!admission) return (beforeConnection ? beforeConnection() : Promise.resolve()).then(call);
  if (policy.state() === 'open') return Promise.reject(readOnly(policy));
  const { lane, connections } = admission;
  return lane.run(async () => {
    await beforeConnection?.();
    return connections ? connections.run(call) : call();
  });
}

/** The postgres breaker and the admission lanes a unit of work's transactions go through. */
export interface PgGuard {
  policy: DependencyPolicy;
  admission?: Admitted;
}

/**
 * Runs a write transaction through the admission limit and the postgres breaker; when it is open,
 * writes are refused at once. `transaction` gets the policy's signal: it must roll back, never
 * commit, once the signal has fired.
 */
export function guarded<T>({ policy, admission }: PgGuard, transaction: (signal: AbortSignal) => Promise<T>, precheck?: () => Promise<void>): Promise<T> {
  return admitted(
    policy,
    admission,
    () => policy.execute((signal) => transaction(signal)),
    // Its turn has come: refusals that became certain while it queued cost no transaction.
    precheck,
  ).catch((error: unknown) => Promise.reject(translate(policy, error)));
}

/**
 * Wraps every method of a read-side repository or store in the postgres policy (reads are
 * idempotent, so they may be retried); failures surface as ReadOnlyModeError.
 */
export function guardMethods<T extends object>(
  target: T,
  policy: DependencyPolicy,
  options: { idempotent?: boolean; admission?: Admitted } = { idempotent: true },
): T {
  const executeOptions = { idempotent: options.idempotent ?? true };
  const guarded = {} as T;
  for (const key of Object.keys(target) as (keyof T)[]) {
    const value = target[key];
    guarded[key] =
      typeof value === 'function'
        ? ((async (...args: unknown[]) => {
            try {
              return await admitted(policy, options.admission, () =>
                policy.execute(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), executeOptions),
              );
            } catch (error) {
              throw translate(policy, error);
            }
          }) as T[keyof T])
        : value;
  }
  return guarded;
}
