import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, user, organizer, admin, type TestApp, type TestUser } from '../../../../../testing/app';
import { expectProblem } from '../../../../../testing/problems';

let t: TestApp;
let org: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  org = await organizer();
});
afterAll(async () => {
  await t?.close();
});

const unique = (prefix: string) => `${prefix} ${randomUUID().slice(0, 8)}`;

async function createLocation(who: TestUser, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/v2/locations', headers: who.auth, payload: body });
}

async function locationTotal(search?: string): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v2/locations', query: search ? { search } : {} });
  expect(res.statusCode).toBe(200);
  return res.json().total;
}

describe('POST /api/v2/locations', () => {
  it('creates a location for an ORGANIZER (201) with coordinates', async () => {
    const name = unique('Katun rapids');
    const res = await createLocation(org, { name, address: 'Altai Republic, Chemal', coordinates: { lat: 51.41, lon: 86.0 } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['address', 'coordinates', 'createdAt', 'id', 'name']);
    expect(body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      address: 'Altai Republic, Chemal',
      coordinates: { lat: 51.41, lon: 86.0 },
    });
    expect(new Date(body.createdAt).toString()).not.toBe('Invalid Date');
  });

  it('creates a location for an ADMIN without coordinates (coordinates null)', async () => {
    const boss = await admin();
    const res = await createLocation(boss, { name: unique('Lake Teletskoye'), address: 'Artybash' });
    expect(res.statusCode).toBe(201);
    expect(res.json().coordinates).toBeNull();
  });

  it('trims name and address', async () => {
    const name = unique('Trimmed');
    const res = await createLocation(org, { name: `  ${name}  `, address: '  Somewhere  ' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name, address: 'Somewhere' });
  });

  it('400 with field errors for missing and invalid fields, and nothing is created', async () => {
    const before = await locationTotal();
    const res = await createLocation(org, { name: '', coordinates: { lat: 91, lon: 0 } });
    const problem = expectProblem(res, 400, 'validation-error');
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name', message: expect.any(String) })]));
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'address' })]));
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'coordinates.lat' })]));
    for (const e of problem.errors) expect(Object.keys(e).sort()).toEqual(['field', 'message']);
    expect(await locationTotal()).toBe(before);
  });

  it('400 for an unknown property (strict body) and for a blank name after trimming', async () => {
    const extra = await createLocation(org, { name: unique('Extra'), address: 'x', color: 'blue' });
    expectProblem(extra, 400, 'validation-error');
    const blank = await createLocation(org, { name: '   ', address: 'x' });
    const problem = expectProblem(blank, 400, 'validation-error');
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
  });

  it('400 for a body that is not JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v2/locations',
      headers: { ...org.auth, 'content-type': 'application/json' },
      payload: '{not json',
    });
    expectProblem(res, 400);
  });

  it('401 without a token', async () => {
    const name = unique('Anonymous');
    const res = await t.app.inject({ method: 'POST', url: '/api/v2/locations', payload: { name, address: 'x' } });
    expectProblem(res, 401, 'unauthenticated');
    expect(await locationTotal(name)).toBe(0);
  });

  it('403 for a USER', async () => {
    const name = unique('By a user');
    const res = await createLocation(await user(), { name, address: 'x' });
    expectProblem(res, 403, 'forbidden');
    expect(await locationTotal(name)).toBe(0);
  });
});

describe('GET /api/v2/locations', () => {
  it('lists locations with paging and search', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await createLocation(org, { name: `Paged ${tag} ${i}`, address: 'Somewhere' });
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id);
    }
    const page1 = await t.app.inject({ method: 'GET', url: '/api/v2/locations', query: { search: tag, size: '2', page: '1' } });
    expect(page1.statusCode).toBe(200);
    expect(page1.json()).toMatchObject({ total: 3, page: 1, size: 2, totalPages: 2 });
    expect(page1.json().items).toHaveLength(2);
    const page2 = await t.app.inject({ method: 'GET', url: '/api/v2/locations', query: { search: tag, size: '2', page: '2' } });
    expect(page2.json().items).toHaveLength(1);
    const seen = [...page1.json().items, ...page2.json().items].map((l: { id: string }) => l.id);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('is public (no token needed) and includes a created location', async () => {
    const name = unique('Public');
    const created = await createLocation(org, { name, address: 'Somewhere' });
    const res = await t.app.inject({ method: 'GET', url: '/api/v2/locations', query: { search: name } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([created.json()]);
  });

  it('400 for size=101 and page=0', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v2/locations?size=101' }), 400, 'validation-error');
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v2/locations?page=0' }), 400, 'validation-error');
  });
});

describe('GET /api/v2/locations/:id', () => {
  it('returns a location by id', async () => {
    const created = await createLocation(org, { name: unique('By id'), address: 'Somewhere', coordinates: { lat: -33.5, lon: 151.2 } });
    const res = await t.app.inject({ method: 'GET', url: `/api/v2/locations/${created.json().id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(created.json());
  });

  it('404 for an unknown uuid', async () => {
    const id = randomUUID();
    const problem = expectProblem(await t.app.inject({ method: 'GET', url: `/api/v2/locations/${id}` }), 404, 'location-not-found');
    expect(problem.detail).toContain(id);
  });

  it('400 for an id that is not a uuid', async () => {
    const problem = expectProblem(await t.app.inject({ method: 'GET', url: '/api/v2/locations/not-a-uuid' }), 400, 'validation-error');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'params.id' })]);
  });
});
