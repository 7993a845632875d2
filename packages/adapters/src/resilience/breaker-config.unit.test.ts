import { describe, expect, it } from 'vitest';
import { breakerConfig, DEFAULT_BREAKER } from './breaker-config';

describe('breakerConfig', () => {
  it('defaults to the seed Resilience4j values', () => {
    expect(breakerConfig()).toEqual({
      failureRateThreshold: 0.5,
      slowCallRateThreshold: 0.5,
      slowCallDurationMs: 1_000,
      minimumCalls: 20,
      windowSize: 100,
      openDurationMs: 10_000,
      halfOpenCalls: 10,
    });
  });

  it('applies every override and keeps the defaults for undefined ones', () => {
    const overrides = {
      failureRateThreshold: 0.25,
      slowCallRateThreshold: 0.75,
      slowCallDurationMs: 300,
      minimumCalls: 5,
      windowSize: 10,
      openDurationMs: 2_000,
      halfOpenCalls: 3,
    };
    expect(breakerConfig(overrides)).toEqual(overrides);
    expect(breakerConfig({ windowSize: undefined, halfOpenCalls: 4 })).toEqual({ ...DEFAULT_BREAKER, halfOpenCalls: 4 });
  });

  it.each([
    [{ failureRateThreshold: 0 }, /failureRateThreshold/],
    [{ slowCallRateThreshold: 1.5 }, /slowCallRateThreshold/],
    [{ windowSize: 0 }, /windowSize/],
    [{ minimumCalls: 2.5 }, /minimumCalls/],
    [{ halfOpenCalls: -1 }, /halfOpenCalls/],
    [{ slowCallDurationMs: 0 }, /slowCallDurationMs/],
    [{ openDurationMs: Number.NaN }, /openDurationMs/],
    [{ minimumCalls: 11, windowSize: 10 }, /must not exceed/],
  ])('rejects %o', (overrides, message) => {
    expect(() => breakerConfig(overrides)).toThrow(message);
  });
});
