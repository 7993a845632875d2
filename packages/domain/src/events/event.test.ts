import { describe, expect, it } from 'vitest';
import { canTransition, createEvent, transitionEvent, updateEvent, whyNotBookable, type EventFields } from './event';

const fields = (over: Partial<EventFields> = {}): EventFields => ({
  title: 'Rafting on the Katun',
  startDate: new Date('2030-06-01T08:00:00Z'),
  endDate: new Date('2030-06-01T18:00:00Z'),
  capacity: 10,
  ...over,
});
const now = new Date('2030-01-01T00:00:00Z');
const draft = () => createEvent(fields(), { id: 'e1', organizerId: 'o1', location: null, now });

describe('event status machine', () => {
  it.each([
    ['DRAFT', 'PUBLISHED', true],
    ['DRAFT', 'CANCELLED', true],
    ['PUBLISHED', 'COMPLETED', true],
    ['PUBLISHED', 'CANCELLED', true],
    ['DRAFT', 'COMPLETED', false],
    ['COMPLETED', 'CANCELLED', false],
    ['CANCELLED', 'PUBLISHED', false],
    ['PUBLISHED', 'DRAFT', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
    const event = { ...draft(), status: from };
    if (allowed) expect(transitionEvent(event, to, now).status).toBe(to);
    else expect(() => transitionEvent(event, to, now)).toThrow(expect.objectContaining({ code: 'EVENT.ILLEGAL_TRANSITION' }));
  });
});

describe('event invariants', () => {
  it('starts as a DRAFT with every seat available', () => {
    const e = draft();
    expect(e).toMatchObject({ status: 'DRAFT', capacity: 10, available: 10, price: null });
  });

  it('rejects a short title, an end before the start and a zero capacity with field errors', () => {
    expect(() =>
      createEvent(fields({ title: 'ab', endDate: new Date('2030-05-01T00:00:00Z'), capacity: 0 }), { id: 'e', organizerId: 'o', location: null, now }),
    ).toThrow(
      expect.objectContaining({
        code: 'VALIDATION.FAILED',
        errors: [
          { field: 'title', message: expect.any(String) },
          { field: 'endDate', message: expect.any(String) },
          { field: 'capacity', message: expect.any(String) },
        ],
      }),
    );
  });

  it('never lets capacity drop below the seats already booked', () => {
    const booked = { ...draft(), available: 4 }; // 6 seats taken
    expect(() => updateEvent(booked, fields({ capacity: 5 }), null, now)).toThrow(expect.objectContaining({ code: 'VALIDATION.FAILED' }));
    expect(updateEvent(booked, fields({ capacity: 6 }), null, now).available).toBe(0);
    expect(updateEvent(booked, fields({ capacity: 20 }), null, now).available).toBe(14);
  });

  it('refuses updates once the event is over or cancelled', () => {
    expect(() => updateEvent({ ...draft(), status: 'CANCELLED' }, fields(), null, now)).toThrow(expect.objectContaining({ code: 'EVENT.ILLEGAL_TRANSITION' }));
  });
});

describe('bookability', () => {
  const now = new Date('2030-05-01T00:00:00Z');
  const open = { status: 'PUBLISHED' as const, startDate: new Date('2030-06-01T00:00:00Z'), available: 3 };
  it('names why a booking would be refused, in the order a booking checks', () => {
    expect(whyNotBookable(open, now)).toBeNull();
    expect(whyNotBookable({ ...open, status: 'DRAFT', available: 0 }, now)).toBe('NOT_PUBLISHED');
    expect(whyNotBookable({ ...open, status: 'CANCELLED', startDate: now }, now)).toBe('CANCELLED');
    expect(whyNotBookable({ ...open, status: 'COMPLETED' }, now)).toBe('COMPLETED');
    expect(whyNotBookable({ ...open, startDate: now, available: 0 }, now)).toBe('ALREADY_STARTED');
    expect(whyNotBookable({ ...open, available: 0 }, now)).toBe('SOLD_OUT');
  });
});
