import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IdempotencyStore } from '@aquastream/adapters';
import { ReadOnlyModeError } from '@aquastream/domain';
import type { FastifyRequest } from 'fastify';
import { releaseClaim } from './idempotency';

/** A store whose abandon() fails with `failures[n]` on its n-th call, and succeeds past the list. */
function storeFailing(failures: unknown[]) {
  const calls: number[] = [];
  const store = {
    abandon: vi.fn(async () => {
      calls.push(Date.now());
      const failure = failures[calls.length - 1];
      if (failure) throw failure;
    }),
  } as unknown as IdempotencyStore;
  return { store, calls };
}

const log = { warn: vi.fn() } as unknown as FastifyRequest['log'];

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  vi.mocked(log.warn).mockClear();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('releaseClaim: the claim of a failed request is released', () => {
  it('at once when the database takes it: the answer waits for that, nothing is scheduled', async () => {
    const { store, calls } = storeFailing([]);
    await releaseClaim(store, 'scope', 'key', log);
    expect(calls).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('later when the breaker refused it: not before the breaker lets a call through, then again after a pause', async () => {
    const { store, calls } = storeFailing([new ReadOnlyModeError(7), new Error('Connection terminated unexpectedly')]);
    await releaseClaim(store, 'scope', 'key', log);
    expect(calls).toEqual([0]);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([0, 7_000]);
    // The second refusal names no wait: the backoff's next pause (1-2 s) applies.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toHaveLength(3);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(1_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('never 45 s or more after the failure, when the claim may soon be taken over; the give-up is logged', async () => {
    const { store, calls } = storeFailing(Array.from({ length: 100 }, () => new ReadOnlyModeError(10)));
    await releaseClaim(store, 'scope', 'key', log);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls.length).toBeGreaterThan(2);
    expect(Math.max(...calls)).toBeLessThan(45_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(log.warn).toHaveBeenCalledOnce();
  });
});
