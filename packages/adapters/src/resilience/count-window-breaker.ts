import { CircuitState, type FailureReason, type IBreaker } from 'cockatiel';
import { type BreakerConfig } from './breaker-config';
import { outcomeOf, type CallOutcome } from './timed-call';

export type WindowConfig = Pick<BreakerConfig, 'failureRateThreshold' | 'slowCallRateThreshold' | 'minimumCalls' | 'windowSize'>;

/** The calls in the window; rates are 0 while the window is empty. */
export interface WindowStats {
  calls: number;
  failures: number;
  slowCalls: number;
  failureRate: number;
  slowCallRate: number;
}

/** What the breaker reads from the cockatiel circuit it serves: the live state and the outcome just handled. */
export interface BreakerCircuit {
  readonly state: CircuitState;
  readonly lastFailure: FailureReason<unknown> | undefined;
}

/**
 * cockatiel `IBreaker` with Resilience4j's count-based window: opens once `minimumCalls` are recorded and the
 * failure rate OR the slow-call rate reaches its threshold (>=; cockatiel's CountBreaker opens on > and knows
 * no slow calls).
 *
 * `IBreaker.failure()` is the only hook that can open the circuit and it gets no details, so the policy routes
 * every call completed while closed through it (see dependency-policy.ts) and the breaker reads the call's
 * outcome from the attached circuit's `lastFailure`, which cockatiel sets just before calling `failure()`.
 * Unattached, `failure()` counts a plain fast failure.
 */
export class CountWindowBreaker implements IBreaker {
  private samples: Array<CallOutcome | null>;
  private next = 0;
  private counts = { calls: 0, failures: 0, slowCalls: 0 };
  private circuit: BreakerCircuit | undefined;

  constructor(private readonly config: WindowConfig) {
    this.samples = Array.from({ length: config.windowSize }, () => null);
  }

  attach(circuit: BreakerCircuit): void {
    this.circuit = circuit;
  }

  /** For cockatiel's toJSON / initialState. */
  get state(): unknown {
    return { samples: this.samples.map((s) => (s ? { ...s } : null)), next: this.next };
  }

  set state(value: unknown) {
    const { samples, next } = value as { samples: Array<CallOutcome | null>; next: number };
    this.samples = Array.from({ length: this.config.windowSize }, (_, i) => (samples[i] ? { ...samples[i] } : null));
    this.next = next % this.config.windowSize;
    this.counts = { calls: 0, failures: 0, slowCalls: 0 };
    for (const sample of this.samples) if (sample) this.count(sample, 1);
  }

  success(state: CircuitState): void {
    // cockatiel calls success(HalfOpen) when the half-open trials close the circuit: start a fresh window.
    if (state === CircuitState.HalfOpen) return this.reset();
    if (!this.isStale()) this.record({ failed: false, slow: false });
  }

  failure(state: CircuitState): boolean {
    if (state !== CircuitState.Closed) return true; // a failed half-open trial re-opens
    if (this.isStale()) return false;
    return this.record(outcomeOf(this.circuit?.lastFailure));
  }

  /** Adds one call to the window; true when the circuit should open. */
  record(outcome: CallOutcome): boolean {
    const evicted = this.samples[this.next];
    if (evicted) this.count(evicted, -1);
    this.samples[this.next] = { failed: outcome.failed, slow: outcome.slow };
    this.count(outcome, 1);
    this.next = (this.next + 1) % this.samples.length;
    const { calls, failureRate, slowCallRate } = this.stats();
    return calls >= this.config.minimumCalls && (failureRate >= this.config.failureRateThreshold || slowCallRate >= this.config.slowCallRateThreshold);
  }

  stats(): WindowStats {
    const { calls, failures, slowCalls } = this.counts;
    return { calls, failures, slowCalls, failureRate: calls ? failures / calls : 0, slowCallRate: calls ? slowCalls / calls : 0 };
  }

  reset(): void {
    this.samples.fill(null);
    this.next = 0;
    this.counts = { calls: 0, failures: 0, slowCalls: 0 };
  }

  private count(outcome: CallOutcome, delta: 1 | -1): void {
    this.counts.calls += delta;
    if (outcome.failed) this.counts.failures += delta;
    if (outcome.slow) this.counts.slowCalls += delta;
  }

  /** A call that started while closed but ends after the circuit left that state is not counted. */
  private isStale(): boolean {
    return this.circuit !== undefined && this.circuit.state !== CircuitState.Closed;
  }
}
