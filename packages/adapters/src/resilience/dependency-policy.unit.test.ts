import { TaskCancelledError } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CircuitStateName } from './circuit-state';
import { createDependencyPolicy, type DependencyPolicy, type DependencyPolicyOptions } from './dependency-policy';
import { CircuitOpenError, isBrokenCircuit } from './errors';

const succeed =
  (value = 'ok') =>
  async () =>
    value;
const failWith =
  (message = 'down') =>
  async (): Promise<string> => {
    throw new Error(message);
  };
const slow =
  (value: string, ms = 1_500) =>
  () =>
    new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));

function deferred() {
  let resolve!: (value: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

const policies: DependencyPolicy[] = [];
function policyOf(options: DependencyPolicyOptions = {}) {
  const policy = createDependencyPolicy('payment-service', { retry: false, ...options });
  policies.push(policy);
  const changes: Array<[CircuitStateName, CircuitStateName]> = [];
  policy.onStateChange((state, previous) => changes.push([state, previous]));
  return { policy, changes };
}

type Outcome = 'ok' | 'fail';

/** Runs the calls one after another; failures are swallowed. */
async function run(policy: DependencyPolicy, outcomes: Outcome[]) {
  for (const outcome of outcomes) await policy.execute(outcome === 'ok' ? succeed() : failWith()).catch(() => undefined);
}
const times = (n: number, value: Outcome): Outcome[] => Array.from({ length: n }, () => value);

async function openCircuit(policy: DependencyPolicy) {
  await run(policy, times(20, 'fail'));
  expect(policy.state()).toBe('open');
}

async function halfOpen(policy: DependencyPolicy) {
  await openCircuit(policy);
  await vi.advanceTimersByTimeAsync(10_000);
  expect(policy.state()).toBe('half_open');
}

describe('createDependencyPolicy', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    policies.splice(0).forEach((policy) => policy.dispose());
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  describe('closed -> open', () => {
    it('opens at exactly 50 % failures of 20 calls (Resilience4j >=), the 20th caller getting its own error', async () => {
      const { policy, changes } = policyOf();
      await run(policy, [...times(10, 'ok'), ...times(9, 'fail')]);
      expect(policy.state()).toBe('closed');
      await expect(policy.execute(failWith('twentieth'))).rejects.toThrow('twentieth');
      expect(policy.state()).toBe('open');
      expect(changes).toEqual([['open', 'closed']]);
      expect(policy.stats()).toMatchObject({ name: 'payment-service', state: 'open', calls: 20, failures: 10, failureRate: 0.5 });
    });

    it('stays closed with 9 failures of 20 calls', async () => {
      const { policy } = policyOf();
      await run(policy, [...times(11, 'ok'), ...times(9, 'fail')]);
      expect(policy.state()).toBe('closed');
      expect(policy.stats()).toMatchObject({ calls: 20, failures: 9 });
    });

    it('opens when a success brings the window to the minimum with failures at 50 %', async () => {
      const { policy } = policyOf();
      await run(policy, [...times(10, 'fail'), ...times(9, 'ok')]);
      expect(policy.state()).toBe('closed');
      await expect(policy.execute(succeed('twentieth'))).resolves.toBe('twentieth');
      expect(policy.state()).toBe('open');
    });

    it('does not open before the minimum: 19 failures of 19 calls', async () => {
      const { policy } = policyOf();
      await run(policy, times(19, 'fail'));
      expect(policy.state()).toBe('closed');
      expect(policy.stats()).toMatchObject({ calls: 19, failures: 19, failureRate: 1 });
      await run(policy, ['fail']);
      expect(policy.state()).toBe('open');
    });

    it('counts only the last 100 calls: old outcomes slide out of the window', async () => {
      const { policy } = policyOf();
      await run(policy, [...times(200, 'ok'), ...times(49, 'fail')]);
      expect(policy.stats()).toMatchObject({ calls: 100, failures: 49 });
      expect(policy.state()).toBe('closed');
      await run(policy, ['fail']); // 50 of the last 100, 20 % of all 250
      expect(policy.state()).toBe('open');
    });

    it('opens at 10 of 20 calls slower than 1 s, while those callers still receive their values', async () => {
      const { policy } = policyOf();
      await run(policy, times(10, 'ok'));
      const pending = Array.from({ length: 10 }, (_, i) => policy.execute(slow(`value ${i}`)));
      await vi.advanceTimersByTimeAsync(1_500);
      await expect(Promise.all(pending)).resolves.toEqual(Array.from({ length: 10 }, (_, i) => `value ${i}`));
      expect(policy.state()).toBe('open');
      expect(policy.stats()).toMatchObject({ calls: 20, failures: 0, slowCalls: 10, slowCallRate: 0.5 });
    });

    it('does not count a call of exactly 1 s as slow', async () => {
      const { policy } = policyOf();
      const pending = Array.from({ length: 20 }, () => policy.execute(slow('v', 1_000)));
      await vi.advanceTimersByTimeAsync(1_000);
      await Promise.all(pending);
      expect(policy.stats()).toMatchObject({ calls: 20, slowCalls: 0 });
      expect(policy.state()).toBe('closed');
    });
  });

  describe('open', () => {
    it('rejects immediately without calling the function, with the time left until half-open', async () => {
      const { policy } = policyOf();
      await openCircuit(policy);
      await vi.advanceTimersByTimeAsync(4_000);
      const fn = vi.fn(succeed());
      const error = await policy.execute(fn).catch((e: unknown) => e);
      expect(fn).not.toHaveBeenCalled();
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(isBrokenCircuit(error)).toBe(true);
      expect(error).toMatchObject({ dependency: 'payment-service', retryAfterMs: 6_000 });
      expect(policy.retryAfterMs()).toBe(6_000);
    });

    it('turns half-open after 10 s without any call', async () => {
      const { policy, changes } = policyOf();
      await openCircuit(policy);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(policy.state()).toBe('open');
      await vi.advanceTimersByTimeAsync(1);
      expect(changes).toEqual([
        ['open', 'closed'],
        ['half_open', 'open'],
      ]);
      expect(policy.state()).toBe('half_open');
    });
  });

  describe('half-open', () => {
    it('closes after 10 good trials and starts a fresh window', async () => {
      const { policy, changes } = policyOf();
      await halfOpen(policy);
      await run(policy, times(9, 'ok'));
      expect(policy.state()).toBe('half_open');
      await run(policy, ['ok']);
      expect(policy.state()).toBe('closed');
      expect(changes.at(-1)).toEqual(['closed', 'half_open']);
      expect(policy.stats()).toMatchObject({ calls: 0, failures: 0 });
    });

    it('re-opens on a failed trial for another 10 s', async () => {
      const { policy, changes } = policyOf();
      await halfOpen(policy);
      await run(policy, [...times(3, 'ok'), 'fail']);
      expect(policy.state()).toBe('open');
      expect(changes.at(-1)).toEqual(['open', 'half_open']);
      expect(policy.retryAfterMs()).toBe(10_000);
      await expect(policy.execute(succeed())).rejects.toBeInstanceOf(CircuitOpenError);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(policy.state()).toBe('half_open');
    });

    it('re-opens on a slow trial, whose caller still gets the value', async () => {
      const { policy } = policyOf();
      await halfOpen(policy);
      const trial = policy.execute(slow('late but fine'));
      await vi.advanceTimersByTimeAsync(1_500);
      await expect(trial).resolves.toBe('late but fine');
      expect(policy.state()).toBe('open');
    });

    it('rejects the 11th concurrent call while the 10 trials run', async () => {
      const { policy } = policyOf();
      await halfOpen(policy);
      const trials = Array.from({ length: 10 }, () => deferred());
      const running = trials.map((trial) => policy.execute(() => trial.promise));
      const eleventh = vi.fn(succeed());
      await expect(policy.execute(eleventh)).rejects.toMatchObject({ name: 'CircuitOpenError', retryAfterMs: 5_000 });
      expect(eleventh).not.toHaveBeenCalled();
      trials.forEach((trial, i) => trial.resolve(`trial ${i}`));
      await expect(Promise.all(running)).resolves.toHaveLength(10);
      expect(policy.state()).toBe('closed');
      await expect(policy.execute(succeed('after'))).resolves.toBe('after');
    });
  });

  describe('retry', () => {
    function failingTimes(failures: number) {
      const calledAt: number[] = [];
      const fn = vi.fn(async () => {
        calledAt.push(Date.now());
        if (calledAt.length <= failures) throw new Error(`down #${calledAt.length}`);
        return 'ok';
      });
      const delays = () => calledAt.slice(1).map((at, i) => at - calledAt[i]!);
      return { fn, delays };
    }

    it('retries an idempotent call with growing, jittered exponential delays', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5);
      const { policy } = policyOf({ retry: { maxAttempts: 4, initialDelayMs: 200, maxDelayMs: 2_000 } });
      const { fn, delays } = failingTimes(3);
      const result = policy.execute(fn, { idempotent: true });
      await vi.runAllTimersAsync();
      await expect(result).resolves.toBe('ok');
      expect(fn).toHaveBeenCalledTimes(4);
      const [first, second, third] = delays();
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first!);
      expect(third).toBeGreaterThan(second!);
      expect(third).toBeLessThanOrEqual(2_000);
      expect(policy.stats()).toMatchObject({ calls: 4, failures: 3 });
    });

    it('never retries a call that is not idempotent', async () => {
      const { policy } = policyOf({ retry: {} });
      const { fn } = failingTimes(1);
      await expect(policy.execute(fn)).rejects.toThrow('down #1');
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('gives up after maxAttempts with the last error; backoff without jitter doubles from initialDelayMs', async () => {
      const { policy } = policyOf({ retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 150, jitter: 'none' } });
      const { fn, delays } = failingTimes(5);
      const result = policy.execute(fn, { idempotent: true });
      const assertion = expect(result).rejects.toThrow('down #3');
      await vi.runAllTimersAsync();
      await assertion;
      expect(delays()).toEqual([100, 150]); // 200 capped by maxDelayMs
    });

    it('does not retry once the circuit is open', async () => {
      const { policy } = policyOf({ retry: { maxAttempts: 5, initialDelayMs: 10 }, breaker: { minimumCalls: 2, windowSize: 2 } });
      const { fn } = failingTimes(10);
      const result = policy.execute(fn, { idempotent: true });
      const assertion = expect(result).rejects.toBeInstanceOf(CircuitOpenError);
      await vi.runAllTimersAsync();
      await assertion;
      expect(fn).toHaveBeenCalledTimes(2);
    });

    it('neither retries nor counts errors that isFailure rejects, and passes them through unchanged', async () => {
      class NotFound extends Error {}
      const { policy } = policyOf({ retry: { initialDelayMs: 1 }, isFailure: (error) => !(error instanceof NotFound) });
      const notFound = new NotFound('no such event');
      const fn = vi.fn(async () => {
        throw notFound;
      });
      await expect(policy.execute(fn, { idempotent: true })).rejects.toBe(notFound);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(policy.stats().calls).toBe(0);
    });
  });

  describe('timeout', () => {
    it('aborts a hung call through its AbortSignal and counts it as a failure', async () => {
      const { policy } = policyOf({ timeoutMs: 2_000 });
      let received: AbortSignal | undefined;
      const hung = (signal: AbortSignal) => {
        received = signal;
        return new Promise<string>(() => undefined);
      };
      const result = policy.execute(hung);
      const assertion = expect(result).rejects.toBeInstanceOf(TaskCancelledError);
      await vi.advanceTimersByTimeAsync(1_999);
      expect(received?.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await assertion;
      expect(received?.aborted).toBe(true);
      expect(policy.stats()).toMatchObject({ calls: 1, failures: 1, slowCalls: 1 });
    });

    it('leaves the signal of a successful call un-aborted (a returned response body stays readable)', async () => {
      const { policy } = policyOf();
      let received: AbortSignal | undefined;
      await policy.execute(async (signal) => {
        received = signal;
        return 'ok';
      });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(received?.aborted).toBe(false);
    });

    it('retries a timed-out idempotent call', async () => {
      const { policy } = policyOf({ timeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 10 } });
      let attempts = 0;
      const result = policy.execute(
        (signal) =>
          ++attempts === 1 ? new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) : succeed('second')(),
        { idempotent: true },
      );
      await vi.runAllTimersAsync();
      await expect(result).resolves.toBe('second');
      expect(policy.stats()).toMatchObject({ calls: 2, failures: 1 });
    });
  });

  describe('caller cancellation', () => {
    it('passes the caller’s abort to the function and does not count it as a failure', async () => {
      const { policy } = policyOf();
      const controller = new AbortController();
      let received: AbortSignal | undefined;
      const result = policy.execute(
        (signal) => {
          received = signal;
          return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
        },
        { signal: controller.signal },
      );
      const assertion = expect(result).rejects.toThrow();
      controller.abort();
      await assertion;
      expect(received?.aborted).toBe(true);
      expect(policy.stats().calls).toBe(0);
    });

    it('does not call the function when the caller has already aborted', async () => {
      const { policy } = policyOf();
      const fn = vi.fn(succeed());
      await expect(policy.execute(fn, { signal: AbortSignal.abort() })).rejects.toThrow();
      expect(fn).not.toHaveBeenCalled();
    });
  });

  describe('configuration', () => {
    it('uses the configured window, minimum, failure threshold, open duration and half-open trials', async () => {
      const { policy } = policyOf({
        breaker: { windowSize: 4, minimumCalls: 2, failureRateThreshold: 1, openDurationMs: 500, halfOpenCalls: 1 },
      });
      await run(policy, ['ok', 'fail', 'fail', 'fail']);
      expect(policy.state()).toBe('closed'); // 3 of 4
      await run(policy, ['fail']); // the 'ok' slides out: 4 of 4
      expect(policy.state()).toBe('open');
      await vi.advanceTimersByTimeAsync(499);
      expect(policy.state()).toBe('open');
      await vi.advanceTimersByTimeAsync(1);
      expect(policy.state()).toBe('half_open');
      const trial = deferred();
      const running = policy.execute(() => trial.promise);
      await expect(policy.execute(succeed())).rejects.toBeInstanceOf(CircuitOpenError);
      trial.resolve('done');
      await running;
      expect(policy.state()).toBe('closed');
    });

    it('uses the configured slow-call duration and rate, timing calls with the injected clock', async () => {
      let now = 0;
      const takes = (ms: number) => async () => {
        now += ms;
        return `${ms} ms`;
      };
      const { policy } = policyOf({
        clock: { now: () => now },
        breaker: { slowCallDurationMs: 50, slowCallRateThreshold: 0.75, minimumCalls: 4, windowSize: 4 },
      });
      await expect(policy.execute(takes(50))).resolves.toBe('50 ms');
      for (const ms of [51, 60]) await policy.execute(takes(ms));
      expect(policy.stats()).toMatchObject({ calls: 3, slowCalls: 2 });
      await policy.execute(takes(10)); // 2 of 4 slow
      expect(policy.state()).toBe('closed');
      await policy.execute(takes(70)); // window: 51 60 10 70 -> 3 of 4
      expect(policy.state()).toBe('open');
    });

    it('rejects an invalid timeout and invalid retry settings', () => {
      expect(() => createDependencyPolicy('x', { timeoutMs: 0 })).toThrow(/timeoutMs/);
      expect(() => createDependencyPolicy('x', { retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
      expect(() => createDependencyPolicy('x', { breaker: { halfOpenCalls: 0 } })).toThrow(/halfOpenCalls/);
    });
  });
});
