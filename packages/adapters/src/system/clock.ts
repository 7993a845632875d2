import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '@aquastream/domain';

export const systemClock: Clock = { now: () => new Date() };

export const uuidGenerator: IdGenerator = { next: () => randomUUID() };

/** A clock tests move by hand. */
export function fixedClock(start: Date | string = '2030-01-01T00:00:00Z') {
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
