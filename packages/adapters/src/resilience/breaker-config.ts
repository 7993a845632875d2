/**
 * Circuit breaker settings. The defaults are the seed's Resilience4j values; rates are fractions (0.5 = 50 %).
 */
export interface BreakerConfig {
  /** Opens when failed calls / recorded calls in the window reach this rate (>=, as in Resilience4j). */
  failureRateThreshold: number;
  /** Opens when slow calls / recorded calls in the window reach this rate (>=). */
  slowCallRateThreshold: number;
  /** A call taking longer than this (strictly) is slow, whether it succeeded or failed. */
  slowCallDurationMs: number;
  /** No rate is evaluated before this many calls are in the window. */
  minimumCalls: number;
  /** Count-based sliding window: the last `windowSize` calls. */
  windowSize: number;
  /** Time spent open before turning half-open on its own. */
  openDurationMs: number;
  /** Trial calls admitted while half-open; all must succeed (and be fast) to close, any failure re-opens. */
  halfOpenCalls: number;
}

export const DEFAULT_BREAKER: Readonly<BreakerConfig> = Object.freeze({
  failureRateThreshold: 0.5,
  slowCallRateThreshold: 0.5,
  slowCallDurationMs: 1_000,
  minimumCalls: 20,
  windowSize: 100,
  openDurationMs: 10_000,
  halfOpenCalls: 10,
});

/** DEFAULT_BREAKER with `overrides` applied; throws a RangeError naming the first invalid value. */
export function breakerConfig(overrides: Partial<BreakerConfig> = {}): BreakerConfig {
  const config: BreakerConfig = { ...DEFAULT_BREAKER, ...withoutUndefined(overrides) };
  for (const key of ['failureRateThreshold', 'slowCallRateThreshold'] as const) {
    const rate = config[key];
    if (!(rate > 0 && rate <= 1)) throw new RangeError(`breaker.${key} must be in (0, 1], got ${rate}`);
  }
  for (const key of ['windowSize', 'minimumCalls', 'halfOpenCalls'] as const) {
    const count = config[key];
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`breaker.${key} must be a positive integer, got ${count}`);
  }
  for (const key of ['slowCallDurationMs', 'openDurationMs'] as const) {
    const ms = config[key];
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`breaker.${key} must be a positive number of milliseconds, got ${ms}`);
  }
  if (config.minimumCalls > config.windowSize)
    throw new RangeError(`breaker.minimumCalls (${config.minimumCalls}) must not exceed breaker.windowSize (${config.windowSize})`);
  return config;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
