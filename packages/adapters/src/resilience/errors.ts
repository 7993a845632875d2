import { BrokenCircuitError, isBrokenCircuitError } from 'cockatiel';

/**
 * Thrown by a dependency policy when its circuit rejects a call: open, or half-open with every trial slot taken.
 * It is a cockatiel BrokenCircuitError; `retryAfterMs` suits a 503's Retry-After.
 */
export class CircuitOpenError extends BrokenCircuitError {
  override readonly name = 'CircuitOpenError';

  constructor(
    readonly dependency: string,
    readonly retryAfterMs: number,
  ) {
    super(`Circuit breaker '${dependency}' is open; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** True for any cockatiel BrokenCircuitError, CircuitOpenError included. */
export function isBrokenCircuit(error: unknown): error is BrokenCircuitError {
  return isBrokenCircuitError(error);
}
