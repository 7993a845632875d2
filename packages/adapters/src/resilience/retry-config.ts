import {
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  fullJitterGenerator,
  halfJitterGenerator,
  handleWhen,
  noJitterGenerator,
  retry,
  type GeneratorFn,
  type IBackoff,
  type RetryPolicy,
} from 'cockatiel';

/**
 * Jitter of the exponential backoff (cockatiel's generators): 'decorrelated' (Polly's decorrelated jitter, the
 * default), 'full' = random in [0, d), 'half' = random in [d/2, d), 'none' = initialDelayMs * 2^n.
 */
export type Jitter = 'decorrelated' | 'full' | 'half' | 'none';

export interface RetryConfig {
  /** Attempts in all, the first call included (Resilience4j's meaning; cockatiel counts retries only). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: Jitter;
}

export const DEFAULT_RETRY: Readonly<RetryConfig> = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 2_000,
  jitter: 'decorrelated',
});

const GENERATORS: Record<Jitter, GeneratorFn<unknown>> = {
  decorrelated: decorrelatedJitterGenerator as GeneratorFn<unknown>,
  full: fullJitterGenerator as GeneratorFn<unknown>,
  half: halfJitterGenerator as GeneratorFn<unknown>,
  none: noJitterGenerator as GeneratorFn<unknown>,
};

/** DEFAULT_RETRY with `overrides` applied; throws a RangeError naming the first invalid value. */
export function retryConfig(overrides: Partial<RetryConfig> = {}): RetryConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const config: RetryConfig = { ...DEFAULT_RETRY, ...defined };
  if (!Number.isSafeInteger(config.maxAttempts) || config.maxAttempts < 1)
    throw new RangeError(`retry.maxAttempts must be a positive integer, got ${config.maxAttempts}`);
  for (const key of ['initialDelayMs', 'maxDelayMs'] as const)
    if (!Number.isFinite(config[key]) || config[key] < 0) throw new RangeError(`retry.${key} must be a non-negative number, got ${config[key]}`);
  if (!(config.jitter in GENERATORS)) throw new RangeError(`retry.jitter must be one of ${Object.keys(GENERATORS).join(', ')}, got ${config.jitter}`);
  return config;
}

/** A cockatiel retry policy with exponential backoff that retries errors passing `shouldRetry`. */
export function retryPolicy(config: RetryConfig, shouldRetry: (error: unknown) => boolean): RetryPolicy {
  return retry(handleWhen(shouldRetry), {
    maxAttempts: config.maxAttempts - 1,
    backoff: new ExponentialBackoff({
      initialDelay: config.initialDelayMs,
      maxDelay: config.maxDelayMs,
      generator: GENERATORS[config.jitter],
    }),
  });
}

/** The pauses of an exponential backoff, one per failure in a row: `next()` after a failure, `reset()` after a success. */
export interface Backoff {
  next(): number;
  reset(): void;
}

/**
 * cockatiel's ExponentialBackoff walked by hand, for loops that are not a retried call (a relay
 * that pauses between rounds, a consumer restarted after a crash): initialDelayMs, then doubling
 * up to maxDelayMs, with the chosen jitter.
 */
export function exponentialBackoff(options: { initialDelayMs: number; maxDelayMs: number; jitter: Jitter }): Backoff {
  const factory = new ExponentialBackoff({ initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs, generator: GENERATORS[options.jitter] });
  let current: IBackoff<unknown> | undefined;
  return {
    next() {
      current = current ? current.next(undefined) : factory.next();
      return current.duration;
    },
    reset() {
      current = undefined;
    },
  };
}
