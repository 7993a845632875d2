import { describe, expect, it } from 'vitest';
import { canTransition, createEvent, meetsCondition, transitionEvent, updateEvent, whyNotBookable, type EventFields } from './event';
import { canonicalTimeZone } from './time-zone';

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

describe('time zone', () => {
  it('defaults to UTC on creation and stays what it was when an update leaves it out', () => {
    expect(draft().timeZone).toBe('UTC');
    const moscow = createEvent(fields({ timeZone: 'Europe/Moscow' }), { id: 'e', organizerId: 'o', location: null, now });
    expect(moscow.timeZone).toBe('Europe/Moscow');
    expect(updateEvent(moscow, fields(), null, now).timeZone).toBe('Europe/Moscow');
    expect(updateEvent(moscow, fields({ timeZone: 'Asia/Novosibirsk' }), null, now).timeZone).toBe('Asia/Novosibirsk');
  });

  it('keeps the dates as the instants they were given', () => {
    const e = createEvent(fields({ timeZone: 'America/New_York' }), { id: 'e', organizerId: 'o', location: null, now });
    expect(e.startDate.toISOString()).toBe('2030-06-01T08:00:00.000Z');
  });

  it.each(['UTC', 'Europe/Moscow', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'Asia/Kolkata', 'America/Port-au-Prince'])(
    'accepts the IANA name %s',
    (name) => {
      expect(canonicalTimeZone(name)).toBe(name);
    },
  );

  it('spells a name as the time zone database does (names are case-insensitive there)', () => {
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('europe/moscow')).toBe('Europe/Moscow');
  });

  it.each(['', 'Mars/Olympus_Mons', 'Europe/Moskva', '+05:00', 'UTC+3', 'Europe/../UTC', ' UTC', 'Europe/Moscow\u0000', 'A'.repeat(65)])(
    'refuses %j',
    (name) => {
      expect(canonicalTimeZone(name)).toBeNull();
    },
  );

  it('refuses an unknown zone with a field error, on creation and on update', () => {
    const create = () => createEvent(fields({ timeZone: 'Mars/Olympus_Mons' }), { id: 'e', organizerId: 'o', location: null, now });
    expect(create).toThrow(expect.objectContaining({ code: 'VALIDATION.FAILED', errors: [{ field: 'timeZone', message: expect.any(String) }] }));
    expect(() => updateEvent(draft(), fields({ timeZone: 'Nowhere' }), null, now)).toThrow(expect.objectContaining({ code: 'VALIDATION.FAILED' }));
  });
});

describe('version', () => {
  it('starts at 1; a precondition holds when it names the current version, and always when there is none', () => {
    const e = draft();
    expect(e.version).toBe(1);
    expect(meetsCondition(e, undefined)).toBe(true);
    expect(meetsCondition(e, {})).toBe(true);
    expect(meetsCondition(e, { ifVersion: [3, 1] })).toBe(true);
    expect(meetsCondition({ ...e, version: 2 }, { ifVersion: [1] })).toBe(false);
    expect(meetsCondition(e, { ifVersion: [] })).toBe(false);
  });
});
