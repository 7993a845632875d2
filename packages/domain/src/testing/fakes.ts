import type { Clock, IdGenerator } from '../shared/ports';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): void;
}

/** A clock tests move by hand, from `start`. */
export function fixedClock(start: Date | string = '2030-01-01T00:00:00Z'): ManualClock {
  let now = new Date(start);
  return {
    now: () => new Date(now),
    set: (at: Date | string) => {
      now = new Date(at);
    },
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

/** Ids that read well in test failures: 00000000-0000-4000-8000-000000000001, ...2, ... */
export function sequentialIds(): IdGenerator {
  let n = 0;
  return { next: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
}
