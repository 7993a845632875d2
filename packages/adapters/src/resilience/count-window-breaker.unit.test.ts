import { CircuitState, type FailureReason } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER } from './breaker-config';
import { CountWindowBreaker, type BreakerCircuit } from './count-window-breaker';
import { TimedFailure, TimedResult } from './timed-call';

const OK = { failed: false, slow: false };
const FAILED = { failed: true, slow: false };
const SLOW = { failed: false, slow: true };

function recordAll(breaker: CountWindowBreaker, outcomes: Array<typeof OK>): boolean[] {
  return outcomes.map((outcome) => breaker.record(outcome));
}

const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe('CountWindowBreaker', () => {
  it('opens at exactly the failure-rate threshold: 10 failures of 20 calls (>=, not >)', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    const opened = recordAll(breaker, [...times(10, OK), ...times(10, FAILED)]);
    expect(opened.indexOf(true)).toBe(19);
    expect(breaker.stats()).toMatchObject({ calls: 20, failures: 10, failureRate: 0.5 });
  });

  it('stays closed with 9 failures of 20 calls', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    expect(recordAll(breaker, [...times(11, OK), ...times(9, FAILED)])).not.toContain(true);
  });

  it('opens when a success completes the minimum with the failure rate at the threshold', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    const opened = recordAll(breaker, [...times(10, FAILED), ...times(10, OK)]);
    expect(opened.indexOf(true)).toBe(19);
  });

  it('does not open before the minimum: 19 failures of 19 calls', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    expect(recordAll(breaker, times(19, FAILED))).not.toContain(true);
    expect(breaker.record(FAILED)).toBe(true);
  });

  it('opens on the slow-call rate: 10 slow successes of 20 calls', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    const opened = recordAll(breaker, [...times(10, OK), ...times(10, SLOW)]);
    expect(opened.indexOf(true)).toBe(19);
    expect(breaker.stats()).toMatchObject({ calls: 20, failures: 0, slowCalls: 10, slowCallRate: 0.5 });
  });

  it('stays closed with 9 slow calls of 20', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    expect(recordAll(breaker, [...times(11, OK), ...times(9, SLOW)])).not.toContain(true);
  });

  it('counts a slow failure in both rates', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    breaker.record({ failed: true, slow: true });
    breaker.record(OK);
    expect(breaker.stats()).toEqual({ calls: 2, failures: 1, slowCalls: 1, failureRate: 0.5, slowCallRate: 0.5 });
  });

  it('counts only the last windowSize calls: older outcomes slide out', () => {
    const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
    recordAll(breaker, [...times(49, FAILED), ...times(51, OK)]);
    expect(breaker.stats()).toMatchObject({ calls: 100, failures: 49 });
    recordAll(breaker, times(49, OK)); // pushes the 49 failures out
    expect(breaker.stats()).toMatchObject({ calls: 100, failures: 0 });
    // 200 successes then 50 failures: 20 % overall, but 50 % of the last 100
    const opened = recordAll(breaker, times(50, FAILED));
    expect(opened.indexOf(true)).toBe(49);
  });

  it('uses the configured window, minimum and thresholds', () => {
    const breaker = new CountWindowBreaker({ windowSize: 4, minimumCalls: 2, failureRateThreshold: 0.75, slowCallRateThreshold: 1 });
    expect(recordAll(breaker, [FAILED, OK])).toEqual([false, false]); // 50 % < 75 %
    expect(breaker.record(FAILED)).toBe(false); // 67 %
    expect(breaker.record(FAILED)).toBe(true); // 75 %
    const slow = new CountWindowBreaker({ windowSize: 4, minimumCalls: 2, failureRateThreshold: 1, slowCallRateThreshold: 1 });
    expect(recordAll(slow, [SLOW, OK, SLOW])).toEqual([false, false, false]);
    expect(recordAll(slow, [SLOW, SLOW, SLOW])).toEqual([false, false, true]); // window: SLOW SLOW SLOW SLOW
  });

  describe('as a cockatiel IBreaker', () => {
    function attached(state: CircuitState, lastFailure?: FailureReason<unknown>) {
      const circuit: { state: CircuitState; lastFailure: FailureReason<unknown> | undefined } = { state, lastFailure };
      const breaker = new CountWindowBreaker({ ...DEFAULT_BREAKER, minimumCalls: 1 });
      breaker.attach(circuit satisfies BreakerCircuit);
      return { breaker, circuit };
    }

    it('reads the outcome of failure() from the circuit’s lastFailure', () => {
      const { breaker, circuit } = attached(CircuitState.Closed, { value: new TimedResult('v', 5, false) });
      expect(breaker.failure(CircuitState.Closed)).toBe(false);
      circuit.lastFailure = { value: new TimedResult('v', 1_500, true) };
      breaker.failure(CircuitState.Closed);
      circuit.lastFailure = { error: new TimedFailure(new Error('x'), 1_500, true, true) };
      expect(breaker.failure(CircuitState.Closed)).toBe(true);
      expect(breaker.stats()).toMatchObject({ calls: 3, failures: 1, slowCalls: 2 });
    });

    it('counts a plain failure when not attached', () => {
      const breaker = new CountWindowBreaker({ ...DEFAULT_BREAKER, minimumCalls: 1 });
      expect(breaker.failure(CircuitState.Closed)).toBe(true);
      expect(breaker.stats()).toMatchObject({ calls: 1, failures: 1, slowCalls: 0 });
    });

    it('re-opens on a failed half-open trial and starts a fresh window when the trials close the circuit', () => {
      const { breaker } = attached(CircuitState.HalfOpen);
      breaker.record(FAILED);
      expect(breaker.failure(CircuitState.HalfOpen)).toBe(true);
      expect(breaker.stats().calls).toBe(1);
      breaker.success(CircuitState.HalfOpen);
      expect(breaker.stats()).toEqual({ calls: 0, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 });
    });

    it('ignores a call that started while closed but ended after the circuit opened', () => {
      const { breaker } = attached(CircuitState.HalfOpen, { error: new TimedFailure(new Error('late'), 5, false, true) });
      expect(breaker.failure(CircuitState.Closed)).toBe(false);
      breaker.success(CircuitState.Closed);
      expect(breaker.stats().calls).toBe(0);
    });

    it('round-trips its window through state', () => {
      const breaker = new CountWindowBreaker(DEFAULT_BREAKER);
      recordAll(breaker, [FAILED, SLOW, OK]);
      const copy = new CountWindowBreaker(DEFAULT_BREAKER);
      copy.state = breaker.state;
      expect(copy.stats()).toEqual(breaker.stats());
    });
  });
});
