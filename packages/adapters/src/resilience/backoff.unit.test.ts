import { afterEach, describe, expect, it, vi } from 'vitest';
import { exponentialBackoff } from './retry-config';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('exponentialBackoff (cockatiel walked by hand)', () => {
  it('doubles from the initial delay up to the ceiling without jitter', () => {
    const pauses = exponentialBackoff({ initialDelayMs: 400, maxDelayMs: 5_000, jitter: 'none' });
    expect(Array.from({ length: 6 }, () => pauses.next())).toEqual([400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it('starts again from the initial delay after a reset', () => {
    const pauses = exponentialBackoff({ initialDelayMs: 100, maxDelayMs: 1_000, jitter: 'none' });
    pauses.next();
    pauses.next();
    pauses.reset();
    expect(pauses.next()).toBe(100);
  });

  it('with half jitter, waits between half and all of each doubled delay', () => {
    const pauses = exponentialBackoff({ initialDelayMs: 10, maxDelayMs: 40, jitter: 'half' });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([pauses.next(), pauses.next(), pauses.next(), pauses.next()]).toEqual([5, 10, 20, 20]);
    pauses.reset();
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    expect([pauses.next(), pauses.next(), pauses.next()]).toEqual([9, 19, 39]);
  });
});
