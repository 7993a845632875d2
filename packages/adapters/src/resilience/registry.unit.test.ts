import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPolicies, DEPENDENCY_NAMES, type DependencyPolicies } from './registry';

const fail = async () => {
  throw new Error('down');
};

let registry: DependencyPolicies | undefined;
afterEach(() => {
  registry?.dispose();
  vi.useRealTimers();
});

describe('createPolicies', () => {
  it('builds one named policy per dependency, listed in a stable order for metrics and health', () => {
    registry = createPolicies();
    expect(registry.all().map((policy) => policy.name)).toEqual(['postgres', 'auth-service', 'payment-service', 'weather']);
    expect(DEPENDENCY_NAMES).toHaveLength(4);
    for (const name of DEPENDENCY_NAMES) expect(registry.get(name)).toBe(registry.all().find((policy) => policy.name === name));
    expect(registry.all().map((policy) => policy.stats())).toEqual(
      DEPENDENCY_NAMES.map((name) => ({ name, state: 'closed', calls: 0, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 })),
    );
  });

  it('gives each dependency its own breaker and its own options over the shared ones', async () => {
    registry = createPolicies(
      { weather: { breaker: { minimumCalls: 1, windowSize: 1 } } },
      { retry: false, breaker: { minimumCalls: 2, windowSize: 2, openDurationMs: 1_000 } },
    );
    const weather = registry.get('weather');
    const payment = registry.get('payment-service');
    await expect(weather.execute(fail)).rejects.toThrow('down');
    expect(weather.state()).toBe('open');
    // Real time passes between opening and reading: allow a few milliseconds.
    expect(weather.retryAfterMs()).toBeGreaterThan(900);
    expect(weather.retryAfterMs()).toBeLessThanOrEqual(1_000); // shared openDurationMs kept beside the own minimumCalls
    await expect(payment.execute(fail)).rejects.toThrow('down');
    expect(payment.state()).toBe('closed'); // shared minimumCalls: 2
    await expect(payment.execute(fail)).rejects.toThrow('down');
    expect(payment.state()).toBe('open');
    expect(registry.get('postgres').state()).toBe('closed');
  });

  it('lets a dependency turn retry off or on against the shared setting', async () => {
    vi.useFakeTimers();
    registry = createPolicies({ postgres: { retry: { maxAttempts: 2, initialDelayMs: 1 } }, 'auth-service': { retry: false } }, { retry: { maxAttempts: 3 } });
    const calls = { postgres: 0, 'auth-service': 0, weather: 0 };
    const failing = (name: keyof typeof calls) => async () => {
      calls[name]++;
      throw new Error('down');
    };
    const all = (['postgres', 'auth-service', 'weather'] as const).map((name) => {
      const result = registry!.get(name).execute(failing(name), { idempotent: true });
      return expect(result).rejects.toThrow('down');
    });
    await vi.runAllTimersAsync();
    await Promise.all(all);
    expect(calls).toEqual({ postgres: 2, 'auth-service': 1, weather: 3 });
  });

  it('stops every half-open timer on dispose', async () => {
    vi.useFakeTimers();
    registry = createPolicies({}, { retry: false, breaker: { minimumCalls: 1, windowSize: 1 } });
    for (const policy of registry.all()) await expect(policy.execute(fail)).rejects.toThrow();
    expect(vi.getTimerCount()).toBe(4);
    registry.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
