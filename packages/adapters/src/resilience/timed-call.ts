import { type FailureReason } from 'cockatiel';
import { meterWaits } from './wait-meter';

/** What the breaker records for one call. */
export interface CallOutcome {
  failed: boolean;
  slow: boolean;
}

/** A monotonic millisecond clock. */
export interface Clock {
  now(): number;
}

export const performanceClock: Clock = { now: () => performance.now() };

/**
 * The value of a completed call with its timing. cockatiel's breaker sees results, not durations, so the
 * call is wrapped before it reaches the breaker and unwrapped before the caller sees it.
 */
export class TimedResult<T> {
  constructor(
    readonly value: T,
    readonly durationMs: number,
    readonly slow: boolean,
  ) {}
}

/** A thrown call with its timing; `recorded` is false for errors the breaker ignores. Unwrapped before the caller sees it. */
export class TimedFailure {
  constructor(
    readonly error: unknown,
    readonly durationMs: number,
    readonly slow: boolean,
    readonly recorded: boolean,
  ) {}
}

export interface TimingOptions {
  clock: Clock;
  slowCallDurationMs: number;
  /** Whether a thrown error counts as a failure for the breaker. */
  isRecorded(error: unknown): boolean;
}

/**
 * Runs `call`, resolving to a TimedResult or rejecting with a TimedFailure. Time the call recorded
 * as local waiting (recordWait: a pool slot) is not part of its duration.
 */
export async function timeCall<T>(call: () => Promise<T>, options: TimingOptions): Promise<TimedResult<T>> {
  const started = options.clock.now();
  const meter = { waitedMs: 0 };
  const elapsed = () => Math.max(0, options.clock.now() - started - meter.waitedMs);
  try {
    const value = await meterWaits(meter, call);
    const durationMs = elapsed();
    return new TimedResult(value, durationMs, durationMs > options.slowCallDurationMs);
  } catch (error) {
    const durationMs = elapsed();
    throw new TimedFailure(error, durationMs, durationMs > options.slowCallDurationMs, options.isRecorded(error));
  }
}

/** The outcome behind cockatiel's `lastFailure` (a handled result or error of the current call). */
export function outcomeOf(reason: FailureReason<unknown> | undefined): CallOutcome {
  if (reason && 'value' in reason && reason.value instanceof TimedResult) return { failed: false, slow: reason.value.slow };
  if (reason && 'error' in reason && reason.error instanceof TimedFailure) return { failed: true, slow: reason.error.slow };
  return { failed: true, slow: false };
}
