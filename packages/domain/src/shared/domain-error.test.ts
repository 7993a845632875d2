import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, DomainError, isDomainError, ValidationError } from './domain-error';

class EventFull extends DomainError {
  constructor() {
    super('BOOKING.EVENT_FULL', 'conflict', 'No seat left', { available: 0 });
  }
}

describe('DomainError', () => {
  it('captures no stack frames for an expected outcome, and stays an Error, a DomainError and its subclass', () => {
    const error = new EventFull();
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(EventFull);
    expect(isDomainError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'BOOKING.EVENT_FULL', kind: 'conflict', message: 'No seat left', name: 'EventFull', details: { available: 0 } });
    expect(error.stack ?? '').not.toMatch(/\n\s+at /);
    expect(new ValidationError([{ field: 'eventId', message: 'is required' }]).stack ?? '').not.toMatch(/\n\s+at /);
  });

  it('keeps the stack of a dependency failure (it is logged and investigated), and restores the stack trace limit', () => {
    const limit = Error.stackTraceLimit;
    new EventFull();
    expect(Error.stackTraceLimit).toBe(limit);
    const error = new DependencyUnavailableError('PostgreSQL');
    expect(error.stack).toMatch(/\n\s+at /);
    expect(new Error('a fault').stack).toMatch(/\n\s+at /);
  });
});
