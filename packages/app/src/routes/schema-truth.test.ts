import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDays, organizer, startTestApp, type TestApp, type TestUser } from '../../../../testing/app';

/**
 * The OpenAPI document says what the service does: a value its patterns allow is accepted, a
 * value they refuse is a 400. Each case is sent to the service and checked against the pattern
 * as published in /openapi.json (not against the zod schema that produced it).
 */
let t: TestApp;
let owner: TestUser;
let doc: { components: { schemas: Record<string, { properties: Record<string, { pattern?: string }> }> } };
beforeAll(async () => {
  t = await startTestApp();
  owner = await organizer();
  doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t?.close();
});

const patternOf = (schema: string, property: string) => {
  const pattern = doc.components.schemas[schema]?.properties[property]?.pattern;
  expect(pattern, `${schema}.${property} has a pattern`).toBeTruthy();
  return new RegExp(pattern!);
};

/** Every case: what the document says and what the service answered, side by side. */
async function agreement(values: string[], pattern: RegExp, send: (value: string) => Promise<number>) {
  const rows = [];
  for (const value of values) {
    const status = await send(value);
    expect([200, 201, 400], `${value}: ${status}`).toContain(status);
    rows.push({ value, documented: pattern.test(value), accepted: status < 400 });
  }
  return rows;
}

describe('date-times: the pattern is the 1970-9999 range the service keeps', () => {
  const fixed = [
    ['1970-01-01T00:00:00Z', true],
    ['1970-01-01T00:00:00-05:00', true],
    ['1970-01-01T00:00:00+00:00', true],
    ['1970-01-02T00:00:00+14:00', true],
    ['1972-02-29T00:00:00Z', true],
    ['2000-02-29T12:00:00+02:00', true],
    ['2030-06-01T08:00:00.123456Z', true],
    ['9996-02-29T00:00:00Z', true],
    ['9999-12-31T10:00:00+05:00', true],
    ['9999-12-31T23:59:59.999Z', true],
    ['1969-12-31T23:59:59Z', false],
    ['1970-01-01T00:30:00+01:00', false],
    ['9999-12-31T23:00:00-05:00', false],
    ['0001-01-01T00:00:00Z', false],
    ['1900-02-29T00:00:00Z', false],
    ['2100-02-29T00:00:00Z', false],
    ['2030-06-01T08:00:00', false],
    ['2030-13-01T00:00:00Z', false],
    ['10000-01-01T00:00:00Z', false],
  ] as const;

  // Random values around both ends and across the range, with offsets (seeded: reproducible).
  let seed = 17;
  const random = (n: number) => {
    seed = (Math.imul(seed, 48271) >>> 0) % 2_147_483_647;
    return seed % n;
  };
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const sampled = Array.from({ length: 60 }, () => {
    const year = [1969, 1970, 1970, 1971, 2024, 9998, 9999, 9999][random(8)]!;
    // Half of them on the last day before or the first day of the range, or its last day.
    const edge = random(2) === 0;
    const month = edge ? (year === 1970 ? 1 : 12) : 1 + random(12);
    const day = edge ? (month === 1 ? 1 : 31) : 1 + random(31);
    const offset = ['Z', '+00:00', '-00:00', `+${pad(random(24))}:${pad(random(60))}`, `-${pad(random(24))}:${pad(random(60))}`][random(5)];
    return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(random(24))}:${pad(random(60))}:${pad(random(60))}${offset}`;
  });

  // A draft event whose start is the value (a start in the past is still a valid draft); only a
  // refusal of startDate itself counts as "refused". Query parameters (from, to) share the schema.
  const sendStart = async (v: string) => {
    const payload = { title: 'Dated trip', startDate: v, endDate: '9999-12-31T23:59:59.999Z', capacity: 1 };
    const res = await t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth, payload });
    if (res.statusCode !== 400) return res.statusCode;
    return res.json().errors.some((e: { field: string }) => e.field === 'startDate') ? 400 : 201;
  };

  it('the fixed cases: documented as expected, and the service agrees', async () => {
    const rows = await agreement(
      fixed.map(([v]) => v),
      patternOf('EventRequest', 'startDate'),
      sendStart,
    );
    expect(rows).toEqual(fixed.map(([value, ok]) => ({ value, documented: ok, accepted: ok })));
  });

  it('random values near the ends: the service accepts exactly what the document allows', async () => {
    const rows = await agreement(sampled, patternOf('EventRequest', 'startDate'), sendStart);
    expect(rows.filter((r) => r.documented !== r.accepted)).toEqual([]);
    expect(rows.some((r) => r.documented) && rows.some((r) => !r.documented)).toBe(true);
  });
});

describe('names and titles: blank text is documented as refused', () => {
  const names = ['Lake', ' Lake ', 'a', '   ', '', '\t\n', '\u00a0', '\ufeff \u2003', ' \u00a0x'];
  const titles = ['Rafting', 'abc', ' a b ', 'ab', '  ab  ', '   ', '\u2003ab\u2003', ' a\u2003 ', 'a  b'];

  it('location name and address', async () => {
    for (const field of ['name', 'address'] as const) {
      const pattern = patternOf('LocationRequest', field);
      const rows = await agreement(names, pattern, async (v) => {
        const payload = { name: 'Lake', address: 'Shore', [field]: v };
        return (await t.app.inject({ method: 'POST', url: '/api/v2/locations', headers: owner.auth, payload })).statusCode;
      });
      expect(
        rows.filter((r) => r.documented !== r.accepted),
        field,
      ).toEqual([]);
      expect(rows.filter((r) => !r.documented).map((r) => r.value)).toEqual(['   ', '', '\t\n', '\u00a0', '\ufeff \u2003']);
    }
  });

  it('event title, v2 and v1', async () => {
    const v2 = await agreement(titles, patternOf('EventRequest', 'title'), async (title) => {
      const payload = { title, startDate: inDays(10), endDate: inDays(11), capacity: 5 };
      return (await t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth, payload })).statusCode;
    });
    expect(v2.filter((r) => r.documented !== r.accepted)).toEqual([]);
    expect(v2.filter((r) => !r.documented).map((r) => r.value)).toEqual(['ab', '  ab  ', '   ', '\u2003ab\u2003', ' a\u2003 ']);
    const v1 = await agreement(titles, patternOf('EventV1Request', 'title'), async (title) => {
      const payload = { title, start_date: inDays(10) };
      return (await t.app.inject({ method: 'POST', url: '/api/v1/events', headers: owner.auth, payload })).statusCode;
    });
    expect(v1.filter((r) => r.documented !== r.accepted)).toEqual([]);
  });
});
