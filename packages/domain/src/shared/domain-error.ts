/**
 * The one error channel of the domain. Codes are stable strings because they survive process
 * boundaries (HTTP problem types, gRPC statuses, Kafka messages) where `instanceof` does not.
 */
export type ErrorKind = 'validation' | 'not-found' | 'conflict' | 'forbidden' | 'unauthenticated' | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Every domain error code: a closed list. A new error adds its code here; the HTTP problem table
 * (app plugins/problem.ts) and every other table keyed by `ErrorCode` then fail to compile until
 * they say what the code means to their callers.
 */
export const ERROR_CODES = [
  'VALIDATION.FAILED',
  'AUTH.UNAUTHENTICATED',
  'AUTH.FORBIDDEN',
  'EVENT.NOT_FOUND',
  'EVENT.ILLEGAL_TRANSITION',
  'EVENT.ALREADY_STARTED',
  'EVENT.PRECONDITION_FAILED',
  'LOCATION.NOT_FOUND',
  'BOOKING.NOT_FOUND',
  'BOOKING.EVENT_FULL',
  'BOOKING.CONFLICT',
  'BOOKING.EVENT_NOT_BOOKABLE',
  'BOOKING.ILLEGAL_TRANSITION',
  'BOOKING.NO_SHOW_TOO_EARLY',
  'BOOKING.NOT_REDUCIBLE',
  'BOOKING.CHECKED_IN',
  'BOOKING.CHECK_IN_NOT_ALLOWED',
  'BOOKING.CHECK_IN_CLOSED',
  'PAYMENT.NOT_ALLOWED',
  'PAYMENT.DECLINED',
  'WAITLIST.NOT_FOUND',
  'WAITLIST.CONFLICT',
  'CATEGORY.SOLD_OUT',
  'CATEGORY.LIMIT',
  'CATEGORY.CONFLICT',
  'PROMO_CODE.INVALID',
  'PROMO_CODE.EXHAUSTED',
  'PROMO_CODE.ALREADY_USED',
  'PROMO_CODE.CONFLICT',
  'SERVICE.READ_ONLY',
  'SERVICE.OVERLOADED',
  'SERVICE.CONTENTION',
  'DEPENDENCY.UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const BRAND = Symbol.for('aquastream.domain-error');

export class DomainError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
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

/**
 * The database kept refusing a transaction for contention (deadlocks, serialization failures) after
 * it was run again a few times; it was rolled back each time, so nothing was done: retry shortly.
 */
export class DatabaseContentionError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('SERVICE.CONTENTION', 'unavailable', 'The database is busy with conflicting changes: nothing was done, retry shortly', { retryAfterSeconds });
  }
}
