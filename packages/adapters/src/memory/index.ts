// The in-memory adapters: no I/O, for domain tests and the port contract suite.
export { createMemoryStore, type MemoryStore } from './store';
export { fixedClock } from '../system/clock';

/** Ids that read well in test failures: 00000000-0000-4000-8000-000000000001, ...2, ... */
export function sequentialIds() {
  let n = 0;
  return { next: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
}
