import { circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchCircuit, type CircuitStateName } from './circuit-state';

const fail = async () => {
  throw new Error('down');
};

function setup(openDurationMs = 10_000) {
  const circuit = circuitBreaker(handleAll, { halfOpenAfter: openDurationMs, breaker: new ConsecutiveBreaker(1) });
  const watch = watchCircuit(circuit, { openDurationMs });
  const changes: Array<[CircuitStateName, CircuitStateName]> = [];
  watch.onStateChange((state, previous) => changes.push([state, previous]));
  return { circuit, watch, changes };
}

describe('watchCircuit', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('turns half-open after the open duration without any call, on an unref’d timer', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const { circuit, watch, changes } = setup();
    await expect(circuit.execute(fail)).rejects.toThrow('down');
    expect(watch.state()).toBe('open');
    const timer = setTimeoutSpy.mock.results.find((_, i) => setTimeoutSpy.mock.calls[i]?.[1] === 10_000)?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);

    await vi.advanceTimersByTimeAsync(9_999);
    expect(watch.state()).toBe('open');
    expect(watch.retryAfterMs()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(changes).toEqual([
      ['open', 'closed'],
      ['half_open', 'open'],
    ]);
    expect(watch.state()).toBe('half_open');
    expect(watch.retryAfterMs()).toBe(0);
  });

  it('reports no second half_open when cockatiel itself moves to half-open on the next call', async () => {
    const { circuit, watch, changes } = setup();
    await expect(circuit.execute(fail)).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(10_000);
    await circuit.execute(async () => 'ok');
    expect(watch.state()).toBe('closed');
    expect(changes.map(([state]) => state)).toEqual(['open', 'half_open', 'closed']);
  });

  it('reads half_open once the open duration has passed even if the timer has not run yet', async () => {
    const { circuit, watch } = setup(500);
    await expect(circuit.execute(fail)).rejects.toThrow();
    vi.setSystemTime(Date.now() + 500); // moves Date.now() without firing timers
    expect(watch.state()).toBe('half_open');
  });

  it('stops notifying an unsubscribed listener and after dispose', async () => {
    const { circuit, watch } = setup();
    const listener = vi.fn();
    const unsubscribe = watch.onStateChange(listener);
    await expect(circuit.execute(fail)).rejects.toThrow();
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(listener).toHaveBeenCalledTimes(1);

    const other = setup();
    await expect(other.circuit.execute(fail)).rejects.toThrow();
    other.watch.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps notifying the other listeners when one throws, and reports it as a process warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { circuit, watch, changes } = setup();
    watch.onStateChange(() => {
      throw new Error('listener bug');
    });
    const after = vi.fn();
    watch.onStateChange(after);
    await expect(circuit.execute(fail)).rejects.toThrow('down');
    expect(changes).toHaveLength(1);
    expect(after).toHaveBeenCalledWith('open', 'closed');
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ message: 'listener bug' }), { code: 'RESILIENCE_STATE_LISTENER' });
  });
});
