import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_CODES, type ErrorCode } from '@aquastream/domain';
import { PROBLEM_BASE, problem, problemOf, type HttpProblemCode } from './problem';

/** The type and status of every problem as 0.1.0 sends them: clients switch on these, so they never change. */
const PUBLISHED: Record<ErrorCode | HttpProblemCode, [number, string]> = {
  'VALIDATION.FAILED': [400, 'validation-error'],
  'AUTH.UNAUTHENTICATED': [401, 'unauthenticated'],
  'AUTH.FORBIDDEN': [403, 'forbidden'],
  'EVENT.NOT_FOUND': [404, 'event-not-found'],
  'LOCATION.NOT_FOUND': [404, 'location-not-found'],
  'BOOKING.NOT_FOUND': [404, 'booking-not-found'],
  'WAITLIST.NOT_FOUND': [404, 'waitlist-entry-not-found'],
  'EVENT.ILLEGAL_TRANSITION': [409, 'illegal-transition'],
  'EVENT.ALREADY_STARTED': [409, 'event-already-started'],
  'EVENT.PRECONDITION_FAILED': [412, 'precondition-failed'],
  'BOOKING.EVENT_FULL': [409, 'event-full'],
  'BOOKING.CONFLICT': [409, 'booking-conflict'],
  'BOOKING.EVENT_NOT_BOOKABLE': [409, 'event-not-bookable'],
  'BOOKING.ILLEGAL_TRANSITION': [409, 'illegal-transition'],
  'BOOKING.NO_SHOW_TOO_EARLY': [409, 'no-show-too-early'],
  'BOOKING.NOT_REDUCIBLE': [409, 'booking-not-reducible'],
  'BOOKING.CHECKED_IN': [409, 'booking-checked-in'],
  'BOOKING.CHECK_IN_NOT_ALLOWED': [409, 'check-in-not-allowed'],
  'BOOKING.CHECK_IN_CLOSED': [409, 'check-in-closed'],
  'PAYMENT.NOT_ALLOWED': [409, 'payment-not-allowed'],
  'PAYMENT.DECLINED': [402, 'payment-declined'],
  'WAITLIST.CONFLICT': [409, 'waitlist-conflict'],
  'CATEGORY.SOLD_OUT': [409, 'category-sold-out'],
  'CATEGORY.LIMIT': [409, 'category-limit'],
  'CATEGORY.CONFLICT': [409, 'category-conflict'],
  'PROMO_CODE.INVALID': [422, 'promo-code-invalid'],
  'PROMO_CODE.EXHAUSTED': [409, 'promo-code-exhausted'],
  'PROMO_CODE.ALREADY_USED': [409, 'promo-code-already-used'],
  'PROMO_CODE.CONFLICT': [409, 'promo-code-conflict'],
  'SERVICE.READ_ONLY': [503, 'read-only-mode'],
  'SERVICE.OVERLOADED': [503, 'overloaded'],
  'SERVICE.CONTENTION': [503, 'database-contention'],
  'DEPENDENCY.UNAVAILABLE': [503, 'dependency-unavailable'],
  'HTTP.BAD_REQUEST': [400, 'bad-request'],
  'HTTP.NOT_FOUND': [404, 'not-found'],
  'HTTP.METHOD_NOT_ALLOWED': [405, 'method-not-allowed'],
  'HTTP.NOT_ACCEPTABLE': [406, 'not-acceptable'],
  'HTTP.REQUEST_TIMEOUT': [408, 'request-timeout'],
  'HTTP.PAYLOAD_TOO_LARGE': [413, 'payload-too-large'],
  'HTTP.URI_TOO_LONG': [414, 'uri-too-long'],
  'HTTP.UNSUPPORTED_MEDIA_TYPE': [415, 'unsupported-media-type'],
  'HTTP.TOO_MANY_REQUESTS': [429, 'too-many-requests'],
  'HTTP.HEADER_FIELDS_TOO_LARGE': [431, 'request-header-fields-too-large'],
  'HTTP.INVALID_SIGNATURE': [401, 'invalid-signature'],
  'HTTP.IDEMPOTENCY_KEY_REUSED': [422, 'idempotency-key-reused'],
  'HTTP.REQUEST_IN_PROGRESS': [409, 'request-in-progress'],
  'HTTP.LOAD_SHED': [503, 'overloaded'],
  'HTTP.SHUTTING_DOWN': [503, 'shutting-down'],
  'HTTP.INTERNAL_ERROR': [500, 'internal-error'],
};

describe('the problem table', () => {
  it.each(Object.entries(PUBLISHED))('%s keeps its published type and status', (code, [status, slug]) => {
    const made = problem(code as ErrorCode, { detail: 'd', instance: '/x' });
    expect(made).toEqual({ type: PROBLEM_BASE + slug, title: expect.any(String), status, detail: 'd', instance: '/x' });
    expect(made.title.length).toBeGreaterThan(0);
  });

  it('maps every domain error code, and a domain error to its problem with its code and details', () => {
    for (const code of ERROR_CODES) {
      const error = new DomainError(code, 'conflict', `about ${code}`, { bookingId: 'b-1' });
      expect(problemOf(error, '/y')).toEqual({
        type: PROBLEM_BASE + PUBLISHED[code][1],
        title: expect.any(String),
        status: PUBLISHED[code][0],
        detail: `about ${code}`,
        instance: '/y',
        code,
        bookingId: 'b-1',
      });
    }
  });

  it('takes no code outside the closed unions (checked by the compiler)', () => {
    // @ts-expect-error a code the domain does not list is not an ErrorCode
    const unknown = () => new DomainError('BOOKING.SOMETHING_NEW', 'conflict', 'x');
    // @ts-expect-error nor a ProblemCode
    const unmapped = () => problem('HTTP.TEAPOT', { detail: 'x' });
    // Were one to slip through (a cast), it would have no problem type to answer with.
    expect(() => problemOf(unknown())).toThrow(TypeError);
    expect(unmapped).toThrow(TypeError);
  });
});
