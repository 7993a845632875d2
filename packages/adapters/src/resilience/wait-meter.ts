import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Time a call spent waiting for a local resource (a pooled connection) rather than for the
 * dependency itself. A policy subtracts it before judging a call slow: a queue in front of a
 * healthy database is load, not an outage.
 */
const current = new AsyncLocalStorage<{ waitedMs: number }>();

/** Adds `ms` of local waiting to the call being timed, if any. */
export function recordWait(ms: number): void {
  const meter = current.getStore();
  if (meter) meter.waitedMs += ms;
}

/** Runs `call` with a fresh wait meter; `meter.waitedMs` grows as the call records waits. */
export function meterWaits<T>(meter: { waitedMs: number }, call: () => Promise<T>): Promise<T> {
  return current.run(meter, call);
}
