/**
 * The one error channel of the domain. Codes are stable strings because they survive process
 * boundaries (HTTP problem types, gRPC statuses, Kafka messages) where `instanceof` does not.
 */
export type ErrorKind = 'validation' | 'not-found' | 'conflict' | 'forbidden' | 'unauthenticated' | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

const BRAND = Symbol.for('aquastream.domain-error');

export class DomainError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    // An expected outcome (a refusal, a missing resource, bad input) is an answer, not a fault: it
    // captures no stack trace, which was the largest single cost of a refused booking in a flash
    // sale. 'unavailable' (a dependency is down) keeps its stack: it is logged and investigated.
    const stackTraceLimit = Error.stackTraceLimit;
    if (kind !== 'unavailable') Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export class ValidationError extends DomainError {
  constructor(
    readonly errors: FieldError[],
    message = 'The request is not valid',
  ) {
    super('VALIDATION.FAILED', 'validation', message, { errors });
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super('AUTH.FORBIDDEN', 'forbidden', message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Authentication is required') {
    super('AUTH.UNAUTHENTICATED', 'unauthenticated', message);
  }
}

/** Thrown by adapters when a dependency is down and no fallback can serve the call. */
export class DependencyUnavailableError extends DomainError {
  constructor(dependency: string, message = `${dependency} is unavailable`) {
    super(`DEPENDENCY.UNAVAILABLE`, 'unavailable', message, { dependency });
  }
}

/** Writes are refused while the database is unreachable; reads may still be served from cache. */
export class ReadOnlyModeError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('SERVICE.READ_ONLY', 'unavailable', 'The service is in read-only mode: the database is unreachable', {
      retryAfterSeconds,
    });
  }
}

/** Too much work is queued on this replica: refused before anything was done; retry shortly. */
export class OverloadedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('SERVICE.OVERLOADED', 'unavailable', 'The service is busy with other requests: nothing was done, retry shortly', { retryAfterSeconds });
  }
}
