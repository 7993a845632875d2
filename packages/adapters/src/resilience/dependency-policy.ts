import { circuitBreaker, CircuitState, handleWhen, isBrokenCircuitError, isTaskCancelledError, timeout, TimeoutStrategy } from 'cockatiel';
import { breakerConfig, type BreakerConfig } from './breaker-config';
import { watchCircuit, type CircuitStateName, type StateListener } from './circuit-state';
import { CountWindowBreaker, type WindowStats } from './count-window-breaker';
import { CircuitOpenError } from './errors';
import { retryConfig, retryPolicy, type RetryConfig } from './retry-config';
import { performanceClock, timeCall, TimedFailure, TimedResult, type Clock } from './timed-call';

export const DEFAULT_TIMEOUT_MS = 5_000;

export interface DependencyPolicyOptions {
  /** Overrides of DEFAULT_BREAKER. */
  breaker?: Partial<BreakerConfig>;
  /** Time limit of each attempt: its AbortSignal fires and the attempt fails with cockatiel's TaskCancelledError. */
  timeoutMs?: number;
  /** Overrides of DEFAULT_RETRY, or false for no retry at all. Only idempotent calls are ever retried. */
  retry?: Partial<RetryConfig> | false;
  /** Measures call durations for the slow-call rate (default performance.now()). */
  clock?: Clock;
  /**
   * Whether an error counts as a failure for the breaker and may be retried; default: every error. A timeout
   * always counts; an error after the caller's own signal aborted never does. Ignored errors pass through untouched.
   */
  isFailure?: (error: unknown) => boolean;
}

export interface ExecuteOptions {
  /** Retried on failure only when true (default false). */
  idempotent?: boolean;
  /** The caller's cancellation; it is chained into the signal the function receives. */
  signal?: AbortSignal;
}

export interface PolicyStats extends WindowStats {
  name: string;
  state: CircuitStateName;
}

export interface DependencyPolicy {
  readonly name: string;
  /**
   * Runs `fn` under the timeout, the circuit breaker and (for idempotent calls) the retry.
   * @throws CircuitOpenError when the circuit rejects the call; otherwise whatever `fn` threw (after retries),
   * or cockatiel's TaskCancelledError on timeout.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, options?: ExecuteOptions): Promise<T>;
  state(): CircuitStateName;
  onStateChange(listener: StateListener): () => void;
  stats(): PolicyStats;
  /** Milliseconds until an open circuit admits trial calls; 0 when not open. */
  retryAfterMs(): number;
  /** Stops the half-open timer and drops the state listeners. */
  dispose(): void;
}

/**
 * One dependency's policy, outermost first: retry (idempotent calls only; exponential backoff with jitter) ->
 * half-open trial admission -> cockatiel circuit breaker with a CountWindowBreaker -> call timing -> timeout.
 *
 * Each attempt is timed and its value wrapped in a TimedResult before it reaches the breaker. While the
 * circuit is closed every result is "handled" by cockatiel, so each completed call reaches IBreaker.failure()
 * (the only hook that may open the circuit) and the breaker records its real outcome, success, slow or failed;
 * cockatiel still returns the value, which is unwrapped for the caller. While half-open only slow results
 * are handled, so a slow trial counts as a failed one.
 */
export function createDependencyPolicy(name: string, options: DependencyPolicyOptions = {}): DependencyPolicy {
  const config = breakerConfig(options.breaker);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  const clock = options.clock ?? performanceClock;
  const isFailure = options.isFailure ?? (() => true);

  const breaker = new CountWindowBreaker(config);
  const circuit = circuitBreaker(
    handleWhen((error) => error instanceof TimedFailure && error.recorded).orWhenResult(
      (result) => result instanceof TimedResult && (result.slow || circuit.state === CircuitState.Closed),
    ),
    {
      breaker,
      halfOpenAfter: config.openDurationMs,
      halfOpenSampling: { calls: config.halfOpenCalls, threshold: 0 },
    },
  );
  breaker.attach(circuit);
  const watch = watchCircuit(circuit, { openDurationMs: config.openDurationMs });

  const limit = timeout(timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  const retry =
    options.retry === false
      ? undefined
      : retryPolicy(retryConfig(options.retry), (error) => !isBrokenCircuitError(error) && (isTaskCancelledError(error) || isFailure(error)));

  // cockatiel makes surplus half-open calls wait for the trials' verdict; Resilience4j rejects them.
  let trials = 0;
  watch.onStateChange((state) => {
    if (state === 'half_open') trials = 0;
  });
  function admit(): void {
    if (watch.state() !== 'half_open') return;
    // The verdict comes once the running trials end, each within one timeout.
    if (trials >= config.halfOpenCalls) throw new CircuitOpenError(name, timeoutMs);
    trials++;
  }

  async function attempt<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    admit();
    try {
      const result = await circuit.execute(
        () =>
          timeCall(() => limit.execute(({ signal: callSignal }) => fn(callSignal), signal), {
            clock,
            slowCallDurationMs: config.slowCallDurationMs,
            isRecorded: (error) => !signal?.aborted && (isTaskCancelledError(error) || isFailure(error)),
          }),
        signal,
      );
      return result.value;
    } catch (error) {
      if (error instanceof TimedFailure) throw error.error;
      if (isBrokenCircuitError(error)) throw new CircuitOpenError(name, watch.retryAfterMs());
      throw error;
    }
  }

  return {
    name,
    async execute(fn, { idempotent = false, signal } = {}) {
      signal?.throwIfAborted();
      // No caller signal: pass none on, so no abort listener is added per call to a shared signal.
      const once = () => attempt(fn, signal);
      return idempotent && retry ? retry.execute(once, signal) : once();
    },
    state: () => watch.state(),
    onStateChange: (listener) => watch.onStateChange(listener),
    stats: () => ({ name, state: watch.state(), ...breaker.stats() }),
    retryAfterMs: () => watch.retryAfterMs(),
    dispose: () => watch.dispose(),
  };
}
