import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDays, organizer, startTestApp, user, type TestApp, type TestUser } from '../../../../testing/app';
import { renderOpenApi } from '../cli/openapi';

/**
 * What scripts/schemathesis.sh found, kept as plain tests: generated input that caused a 500 or
 * an answer that did not match openapi.json. Each case names the input that used to fail.
 */
type Json = any;
type Res = { statusCode: number; headers: Record<string, unknown>; body: string; json(): Json };

let t: TestApp;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  owner = await organizer();
});
afterAll(async () => {
  await t?.close();
});

function expectValidationProblem(res: Res, field: string) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status: 400, code: 'VALIDATION.FAILED' });
  expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
}

const post = (url: string, who: TestUser, payload: string | Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers: { ...who.auth, 'content-type': 'application/json' }, payload });
const eventBody = (over: Record<string, unknown> = {}) => ({ title: 'Kayak tour', startDate: inDays(10), endDate: inDays(11), capacity: 5, ...over });

describe('text that Postgres cannot store is a 400, not a 500', () => {
  it('NUL in a body field', async () => {
    expectValidationProblem(await post('/api/v2/locations', owner, { name: 'Lake\u0000', address: 'Shore' }), 'name');
    expectValidationProblem(await post('/api/v2/events', owner, eventBody({ description: 'a\u0000b' })), 'description');
    expectValidationProblem(await post('/api/v1/events', owner, { title: 'Old tour', start_date: inDays(10), location: 'x\u0000' }), 'location');
  });

  it('NUL in a search query', async () => {
    for (const url of ['/api/v2/events?search=a%00b', '/api/v2/locations?search=a%00b']) {
      expectValidationProblem(await t.app.inject({ method: 'GET', url }), 'querystring.search');
    }
  });

  it('a lone UTF-16 surrogate (the outbox stores the event as jsonb)', async () => {
    const res = await post('/api/v2/events', owner, JSON.stringify(eventBody()).replace('Kayak tour', 'Kayak \\ud800 tour'));
    expectValidationProblem(res, 'title');
  });

  it('well-formed text outside the BMP still passes', async () => {
    const res = await post('/api/v2/events', owner, eventBody({ title: 'Kayak 🛶 tour' }));
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('dates the database cannot store or reads back altered are a 400', () => {
  it.each([
    ['year 0', '0000-01-01T00:00:00Z', '0000-01-02T00:00:00Z'],
    ['year 1 with an offset (year 0 in UTC)', '0001-01-01T00:00:00+01:00', '0001-01-02T00:00:00Z'],
    ['a two-digit year (read back as 19xx/20xx)', '0099-01-01T00:00:00Z', '0099-01-02T00:00:00Z'],
    ['year 10000 in UTC', '9999-12-31T23:00:00Z', '9999-12-31T23:59:59-05:00'],
  ])('v2: %s', async (_name, startDate, endDate) => {
    const res = await post('/api/v2/events', owner, eventBody({ startDate, endDate }));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining([expect.stringMatching(/^(startDate|endDate)$/)]));
  });

  it('list filters', async () => {
    expectValidationProblem(await t.app.inject({ method: 'GET', url: '/api/v2/events?from=0000-01-01T00:00:00Z' }), 'querystring.from');
  });

  it('v1: an end date derived from start_date is checked too', async () => {
    expectValidationProblem(await post('/api/v1/events', owner, { title: 'Old tour', start_date: '9999-12-31T12:00:00Z' }), 'end_date');
    const created = await post('/api/v1/events', owner, { title: 'Old tour', start_date: inDays(10), end_date: '9999-01-01T00:00:00Z' });
    expect(created.statusCode, created.body).toBe(201);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/events/${created.json().id}`,
      headers: { ...owner.auth, 'content-type': 'application/json' },
      payload: { title: 'Old tour', start_date: '9000-01-01T00:00:00Z' },
    });
    expectValidationProblem(res, 'end_date');
  });

  it('the range edges themselves are accepted', async () => {
    const res = await post('/api/v2/events', owner, eventBody({ startDate: '1970-01-01T00:00:00Z', endDate: '9999-12-31T23:59:59.999Z' }));
    expect(res.statusCode, res.body).toBe(201);
    const read = await t.app.inject({ method: 'GET', url: `/api/v2/events/${res.json().id}`, headers: owner.auth });
    expect(read.json()).toMatchObject({ startDate: '1970-01-01T00:00:00.000Z', endDate: '9999-12-31T23:59:59.999Z' });
  });
});

describe('v1 Link header', () => {
  it('an id with control characters is a 400 problem, and the Link names no successor id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/events/%3AB%1F' });
    expectValidationProblem(res, 'params.id');
    expect(res.headers['link']).toBe('</api/v2/events>; rel="successor-version"');
  });
});

describe('openapi.json says what the service sends', () => {
  it('API problems are application/problem+json and a 204 has no body', async () => {
    const doc = JSON.parse(await renderOpenApi()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    for (const [path, methods] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/'))) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const types = Object.keys(response.content ?? {});
          if (status === '204') expect(types, `${method} ${path} ${status}`).toEqual([]);
          else if (Number(status) >= 400) expect(types, `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
      }
    }
  });

  it('a body over 64 KiB is a documented 413 on every operation that takes a body (a 69 KB booking was undocumented)', async () => {
    const doc = JSON.parse(await renderOpenApi()) as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
    const withBody = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/api/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ name: `${method} ${path}`, op })))
      .filter(({ op }) => op.requestBody);
    expect(withBody.length).toBeGreaterThanOrEqual(10);
    for (const { name, op } of withBody) expect(Object.keys(op.responses), name).toContain('413');
    const big = { eventId: '00000000-0000-4000-8000-000000000000', seats: 1, participants: [{ name: 'x'.repeat(70 * 1024) }] };
    const res = await post('/api/v2/bookings', await user(), big);
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 413, type: 'https://aquastream.org/problems/payload-too-large' });
  });

  it('a problem answered by the service carries the documented media type', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v2/bookings/00000000-0000-4000-8000-000000000000`, headers: (await user()).auth });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('paths Fastify rejects before routing are RFC 7807 problems', () => {
  const expectBadRequest = (res: Res) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, type: expect.stringMatching(/\/bad-request$/) });
  };

  it('an id longer than the router accepts (was 414 with a Fastify body)', async () => {
    // The generated case: a long Unicode string as the id.
    const id = encodeURIComponent('Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎ ̢̼̻̱̘h͚͎͙̜̣̲ͅi̦̲̣̰̤v̻͍e̺̭̳̪̰-m̢iͅn̖̺̞̲̯̰d̵̼̟͙̩̼̘̳');
    expectValidationProblem(await post(`/api/v2/events/${id}/publish`, owner, {}), 'params.id');
    const long = 'x'.repeat(600);
    expectBadRequest(await post(`/api/v2/events/${long}/publish`, owner, {}));
    const v1 = await t.app.inject({ method: 'GET', url: `/api/v1/events/${long}` });
    expectBadRequest(v1);
    expect(v1.headers).toMatchObject({ deprecation: 'true', link: '</api/v2/events>; rel="successor-version"' });
    expect(v1.headers.sunset).toBeTruthy();
  });

  it('a path segment that cannot be percent-decoded', async () => {
    expectBadRequest(await t.app.inject({ method: 'GET', url: '/api/v2/events/%E0%A4%A' }));
    const v1 = await t.app.inject({ method: 'GET', url: '/api/v1/events/%E0%A4%A' });
    expectBadRequest(v1);
    expect(v1.headers.deprecation).toBe('true');
  });
});
