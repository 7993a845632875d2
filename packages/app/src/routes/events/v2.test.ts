import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, user, organizer, admin, inDays, type TestApp, type TestUser } from '../../../../../testing/app';
import { expectProblem, type InjectResponse, type Json } from '../../../../../testing/problems';

type Res = InjectResponse;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const EVENT_KEYS = [
  'available',
  'cancellationPolicy',
  'capacity',
  'createdAt',
  'description',
  'endDate',
  'id',
  'location',
  'maxSeatsPerBooking',
  'organizerId',
  'price',
  'startDate',
  'status',
  'timeZone',
  'title',
  'updatedAt',
  'waitlistAllowsPassing',
];
const tag = () => randomUUID().slice(0, 8);

const body = (over: Record<string, unknown> = {}) => ({
  title: 'Rafting on the Katun',
  description: 'Three days on the river',
  startDate: inDays(10),
  endDate: inDays(11),
  capacity: 10,
  ...over,
});

async function createEvent(owner: TestUser | null, over: Record<string, unknown> = {}): Promise<Res> {
  return t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner?.auth ?? {}, payload: body(over) });
}
async function created(owner: TestUser, over: Record<string, unknown> = {}): Promise<Json> {
  const res = await createEvent(owner, over);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function published(owner: TestUser, over: Record<string, unknown> = {}): Promise<Json> {
  const e = await created(owner, over);
  const res = await t.app.inject({ method: 'POST', url: `/api/v2/events/${e.id}/publish`, headers: owner.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
async function list(query: Record<string, string>, who?: TestUser): Promise<Res> {
  return t.app.inject({ method: 'GET', url: '/api/v2/events', query, headers: who?.auth ?? {} });
}
async function get(id: string, who?: TestUser): Promise<Res> {
  return t.app.inject({ method: 'GET', url: `/api/v2/events/${id}`, headers: who?.auth ?? {} });
}
async function put(id: string, who: TestUser | null, payload: Record<string, unknown>): Promise<Res> {
  return t.app.inject({ method: 'PUT', url: `/api/v2/events/${id}`, headers: who?.auth ?? {}, payload });
}
async function action(id: string, verb: 'publish' | 'cancel', who: TestUser | null): Promise<Res> {
  return t.app.inject({ method: 'POST', url: `/api/v2/events/${id}/${verb}`, headers: who?.auth ?? {} });
}
async function book(eventId: string, who: TestUser): Promise<Res> {
  return t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: who.auth, payload: { eventId } });
}
async function location(owner: TestUser, name = `Katun ${tag()}`): Promise<Json> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v2/locations',
    headers: owner.auth,
    payload: { name, address: 'Chemal, Altai', coordinates: { lat: 51.41, lon: 86.0 } },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}
/** How many events of this organizer the organizer sees (drafts included). */
async function ownTotal(owner: TestUser): Promise<number> {
  const res = await list({ organizerId: owner.id }, owner);
  expect(res.statusCode).toBe(200);
  return res.json().total;
}

describe('POST /api/v2/events', () => {
  it('creates a DRAFT owned by the caller with the documented camelCase shape (201)', async () => {
    const owner = await organizer();
    const payload = body({ title: `Rafting ${tag()}` });
    const res = await createEvent(owner, payload);
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const e = res.json();
    expect(Object.keys(e).sort()).toEqual(EVENT_KEYS);
    expect(e).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: payload.title,
      description: payload.description,
      startDate: payload.startDate,
      endDate: payload.endDate,
      location: null,
      capacity: 10,
      available: 10,
      price: null,
      status: 'DRAFT',
      organizerId: owner.id,
    });
    expect(e.createdAt).toBe(e.updatedAt);
    expect((await get(e.id, owner)).json()).toEqual(e);
  });

  it('accepts a location and a price, and returns them as objects', async () => {
    const owner = await organizer();
    const loc = await location(owner);
    const e = await created(owner, { locationId: loc.id, price: { amount: 2500, currency: 'EUR' } });
    expect(e.location).toEqual({ id: loc.id, name: loc.name, address: loc.address, coordinates: { lat: 51.41, lon: 86.0 }, createdAt: loc.createdAt });
    expect(e.price).toEqual({ amount: 2500, currency: 'EUR' });
  });

  it('treats a price of 0 as a free event (price null)', async () => {
    const e = await created(await organizer(), { price: { amount: 0, currency: 'EUR' } });
    expect(e.price).toBeNull();
  });

  it('accepts dates with an offset and normalizes them to UTC', async () => {
    const e = await created(await organizer(), { startDate: '2031-06-01T10:00:00+03:00', endDate: '2031-06-01T18:00:00+03:00' });
    expect(e.startDate).toBe('2031-06-01T07:00:00.000Z');
    expect(e.endDate).toBe('2031-06-01T15:00:00.000Z');
  });

  it('400 with field errors for schema violations; nothing is created', async () => {
    const owner = await organizer();
    await created(owner);
    const before = await ownTotal(owner);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v2/events',
      headers: owner.auth,
      payload: { title: 'ab', startDate: 'tomorrow', endDate: inDays(2), capacity: 0, price: { amount: -1, currency: 'eur' } },
    });
    const problem = expectProblem(res, 400, 'validation-error');
    const fields = problem.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['title', 'startDate', 'capacity', 'price.amount', 'price.currency']));
    for (const e of problem.errors) expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
    expect(await ownTotal(owner)).toBe(before);
  });

  it('400 for an end before the start (domain rule); nothing is created', async () => {
    const owner = await organizer();
    const res = await createEvent(owner, { startDate: inDays(10), endDate: inDays(9) });
    const problem = expectProblem(res, 400, 'validation-error');
    expect(problem.errors).toEqual([{ field: 'endDate', message: expect.any(String) }]);
    expect(await ownTotal(owner)).toBe(0);
  });

  it('400 for an unknown property and for a missing body', async () => {
    const owner = await organizer();
    expectProblem(await createEvent(owner, { organizerId: randomUUID() }), 400, 'validation-error');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth }), 400);
    expect(await ownTotal(owner)).toBe(0);
  });

  it('404 for an unknown locationId; nothing is created', async () => {
    const owner = await organizer();
    expectProblem(await createEvent(owner, { locationId: randomUUID() }), 404, 'location-not-found');
    expect(await ownTotal(owner)).toBe(0);
  });

  it('401 without a token, 403 for a USER', async () => {
    const title = `Forbidden ${tag()}`;
    expectProblem(await createEvent(null, { title }), 401, 'unauthenticated');
    expectProblem(await createEvent(await user(), { title }), 403, 'forbidden');
    const boss = await admin();
    expect((await list({ search: title }, boss)).json().total).toBe(0);
  });

  it('lets an ADMIN create an event', async () => {
    const boss = await admin();
    const e = await created(boss);
    expect(e.organizerId).toBe(boss.id);
  });
});

describe('GET /api/v2/events', () => {
  it('lists published events to everyone and hides drafts from others', async () => {
    const owner = await organizer();
    const t1 = tag();
    const pub = await published(owner, { title: `Public ${t1}` });
    const draft = await created(owner, { title: `Draft ${t1}` });

    const anonymous = (await list({ search: t1 })).json();
    expect(anonymous.items.map((e: Json) => e.id)).toEqual([pub.id]);
    expect(anonymous.total).toBe(1);

    const other = (await list({ search: t1 }, await organizer())).json();
    expect(other.items.map((e: Json) => e.id)).toEqual([pub.id]);

    const mine = (await list({ search: t1 }, owner)).json();
    expect(mine.items.map((e: Json) => e.id).sort()).toEqual([pub.id, draft.id].sort());

    const byAdmin = (await list({ search: t1 }, await admin())).json();
    expect(byAdmin.total).toBe(2);
  });

  it('filters by status', async () => {
    const owner = await organizer();
    const t1 = tag();
    const pub = await published(owner, { title: `Status ${t1} a` });
    const draft = await created(owner, { title: `Status ${t1} b` });
    const cancelled = await published(owner, { title: `Status ${t1} c` });
    expect((await action(cancelled.id, 'cancel', owner)).statusCode).toBe(200);

    const ids = async (status: string, who?: TestUser) => (await list({ search: t1, status }, who)).json().items.map((e: Json) => e.id);
    expect(await ids('PUBLISHED')).toEqual([pub.id]);
    expect(await ids('CANCELLED')).toEqual([cancelled.id]);
    expect(await ids('DRAFT', owner)).toEqual([draft.id]);
    expect(await ids('DRAFT')).toEqual([]);
    expectProblem(await list({ status: 'OPEN' }), 400, 'validation-error');
  });

  it('filters by from/to on the start date, soonest first', async () => {
    const owner = await organizer();
    const t1 = tag();
    const early = await published(owner, { title: `Dated ${t1} early`, startDate: inDays(20), endDate: inDays(21) });
    const late = await published(owner, { title: `Dated ${t1} late`, startDate: inDays(40), endDate: inDays(41) });

    const all = (await list({ search: t1 })).json();
    expect(all.items.map((e: Json) => e.id)).toEqual([early.id, late.id]);
    expect((await list({ search: t1, from: inDays(30) })).json().items.map((e: Json) => e.id)).toEqual([late.id]);
    expect((await list({ search: t1, to: inDays(30) })).json().items.map((e: Json) => e.id)).toEqual([early.id]);
    expect((await list({ search: t1, from: inDays(15), to: inDays(45) })).json().total).toBe(2);
    expect((await list({ search: t1, from: inDays(25), to: inDays(35) })).json().total).toBe(0);
    // inclusive bounds
    expect((await list({ search: t1, from: early.startDate, to: early.startDate })).json().items.map((e: Json) => e.id)).toEqual([early.id]);
  });

  it('400 for a from after to and for a date that is not ISO 8601', async () => {
    const p = expectProblem(await list({ from: inDays(10), to: inDays(5) }), 400, 'validation-error');
    expect(p.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    expectProblem(await list({ from: 'yesterday' }), 400, 'validation-error');
  });

  it('searches title, description and location (case-insensitive)', async () => {
    const owner = await organizer();
    const t1 = tag();
    const loc = await location(owner, `Place ${t1}`);
    const byTitle = await published(owner, { title: `Kayak ${t1.toUpperCase()}` });
    const byDescription = await published(owner, { description: `about ${t1}` });
    const byLocation = await published(owner, { locationId: loc.id });
    const res = await list({ search: t1 });
    expect(
      res
        .json()
        .items.map((e: Json) => e.id)
        .sort(),
    ).toEqual([byTitle.id, byDescription.id, byLocation.id].sort());
  });

  it('treats LIKE wildcards in search literally', async () => {
    const owner = await organizer();
    const t1 = tag();
    await published(owner, { title: `Wild ${t1} card` });
    expect((await list({ search: `${t1}%card` })).json().total).toBe(0);
    expect((await list({ search: `${t1}_card` })).json().total).toBe(0);
  });

  it('filters by locationId', async () => {
    const owner = await organizer();
    const t1 = tag();
    const loc = await location(owner);
    const there = await published(owner, { title: `Located ${t1}`, locationId: loc.id });
    await published(owner, { title: `Elsewhere ${t1}` });
    const res = await list({ locationId: loc.id });
    expect(res.json().items.map((e: Json) => e.id)).toEqual([there.id]);
    expect(res.json().items[0].location.id).toBe(loc.id);
    expect((await list({ locationId: randomUUID() })).json().total).toBe(0);
    expectProblem(await list({ locationId: 'nowhere' }), 400, 'validation-error');
  });

  it('pages the results', async () => {
    const owner = await organizer();
    const t1 = tag();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await published(owner, { title: `Paged ${t1} ${i}`, startDate: inDays(10 + i), endDate: inDays(11 + i) })).id);

    const p1 = (await list({ search: t1, size: '2', page: '1' })).json();
    expect(p1).toMatchObject({ total: 5, page: 1, size: 2, totalPages: 3 });
    const p3 = (await list({ search: t1, size: '2', page: '3' })).json();
    expect(p3.items).toHaveLength(1);
    const p4 = (await list({ search: t1, size: '2', page: '4' })).json();
    expect(p4).toMatchObject({ items: [], total: 5, page: 4 });
    const p2 = (await list({ search: t1, size: '2', page: '2' })).json();
    expect([...p1.items, ...p2.items, ...p3.items].map((e: Json) => e.id)).toEqual(ids);

    const defaults = (await list({ search: t1 })).json();
    expect(defaults).toMatchObject({ page: 1, size: 20, totalPages: 1 });
    expect(Object.keys(defaults).sort()).toEqual(['items', 'page', 'size', 'total', 'totalPages']);
  });

  it('400 for size=101, size=0, page=0 and a non-numeric page', async () => {
    const p = expectProblem(await list({ size: '101' }), 400, 'validation-error');
    expect(p.errors[0].field).toMatch(/size/);
    expectProblem(await list({ size: '0' }), 400, 'validation-error');
    expectProblem(await list({ page: '0' }), 400, 'validation-error');
    expectProblem(await list({ page: 'two' }), 400, 'validation-error');
    expect((await list({ size: '100' })).statusCode).toBe(200);
  });
});

describe('GET /api/v2/events/:id', () => {
  it('returns a published event to anyone', async () => {
    const e = await published(await organizer());
    const res = await get(e.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(e);
    expect((await get(e.id, await user())).json()).toEqual(e);
  });

  it('hides a draft from others with 404, shows it to its owner and admins', async () => {
    const owner = await organizer();
    const draft = await created(owner);
    expectProblem(await get(draft.id), 404, 'event-not-found');
    expectProblem(await get(draft.id, await user()), 404, 'event-not-found');
    expectProblem(await get(draft.id, await organizer()), 404, 'event-not-found');
    expect((await get(draft.id, owner)).statusCode).toBe(200);
    expect((await get(draft.id, await admin())).json()).toEqual(draft);
  });

  it('404 for an unknown uuid, 400 for a non-uuid id', async () => {
    const id = randomUUID();
    const p = expectProblem(await get(id), 404, 'event-not-found');
    expect(p).toMatchObject({ code: 'EVENT.NOT_FOUND', instance: `/api/v2/events/${id}` });
    const bad = expectProblem(await get('12345'), 400, 'validation-error');
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'params.id' })]);
  });
});

describe('PUT /api/v2/events/:id', () => {
  it('lets the owner replace the fields (200)', async () => {
    const owner = await organizer();
    const loc = await location(owner);
    const e = await created(owner);
    const replacement = body({
      title: 'Kayaking on Teletskoye',
      description: null,
      startDate: inDays(20),
      endDate: inDays(22),
      capacity: 25,
      price: { amount: 4900, currency: 'USD' },
      locationId: loc.id,
    });
    const res = await put(e.id, owner, replacement);
    expect(res.statusCode, res.body).toBe(200);
    const u = res.json();
    expect(Object.keys(u).sort()).toEqual(EVENT_KEYS);
    expect(u).toMatchObject({
      id: e.id,
      title: 'Kayaking on Teletskoye',
      description: null,
      startDate: replacement.startDate,
      endDate: replacement.endDate,
      capacity: 25,
      available: 25,
      price: { amount: 4900, currency: 'USD' },
      status: 'DRAFT',
      organizerId: owner.id,
      createdAt: e.createdAt,
    });
    expect(u.location.id).toBe(loc.id);
    expect(new Date(u.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(e.updatedAt).getTime());
    expect((await get(e.id, owner)).json()).toEqual(u);
  });

  it('403 for another organizer and for a USER; the event is unchanged', async () => {
    const owner = await organizer();
    const e = await published(owner);
    expectProblem(await put(e.id, await organizer(), body({ title: 'Hijacked' })), 403, 'forbidden');
    expectProblem(await put(e.id, await user(), body({ title: 'Hijacked' })), 403, 'forbidden');
    expectProblem(await put(e.id, null, body({ title: 'Hijacked' })), 401, 'unauthenticated');
    expect((await get(e.id)).json()).toEqual(e);
  });

  it('lets an ADMIN update any event; the owner stays the same', async () => {
    const owner = await organizer();
    const e = await published(owner);
    const res = await put(e.id, await admin(), body({ title: 'Fixed by admin', capacity: 12 }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ title: 'Fixed by admin', capacity: 12, available: 12, organizerId: owner.id, status: 'PUBLISHED' });
  });

  it('400 when the capacity drops below the seats already booked; nothing changes', async () => {
    const owner = await organizer();
    const e = await published(owner, { capacity: 5 });
    for (let i = 0; i < 3; i++) expect((await book(e.id, await user())).statusCode).toBe(201);
    const before = (await get(e.id)).json();
    expect(before).toMatchObject({ capacity: 5, available: 2 });

    const p = expectProblem(await put(e.id, owner, body({ capacity: 2 })), 400, 'validation-error');
    expect(p.errors).toEqual([{ field: 'capacity', message: expect.stringContaining('3') }]);
    expect((await get(e.id)).json()).toEqual(before);

    const ok = await put(e.id, owner, body({ capacity: 3 }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ capacity: 3, available: 0 });
  });

  it('400 for an invalid body; nothing changes', async () => {
    const owner = await organizer();
    const e = await created(owner);
    expectProblem(await put(e.id, owner, { title: 'Only a title' }), 400, 'validation-error');
    expectProblem(await put(e.id, owner, body({ endDate: inDays(1) })), 400, 'validation-error');
    expect((await get(e.id, owner)).json()).toEqual(e);
  });

  it('404 for an unknown event or location, 400 for a non-uuid id', async () => {
    const owner = await organizer();
    expectProblem(await put(randomUUID(), owner, body()), 404, 'event-not-found');
    const e = await created(owner);
    expectProblem(await put(e.id, owner, body({ locationId: randomUUID() })), 404, 'location-not-found');
    expectProblem(await put('nope', owner, body()), 400, 'validation-error');
  });

  it('409 for a cancelled event', async () => {
    const owner = await organizer();
    const e = await created(owner);
    expect((await action(e.id, 'cancel', owner)).statusCode).toBe(200);
    expectProblem(await put(e.id, owner, body()), 409, 'illegal-transition');
  });
});

describe('POST /api/v2/events/:id/publish', () => {
  it('publishes a draft (200), a second publish is 409', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const res = await action(e.id, 'publish', owner);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: e.id, status: 'PUBLISHED' });
    expect((await get(e.id)).json().status).toBe('PUBLISHED');
    const again = expectProblem(await action(e.id, 'publish', owner), 409, 'illegal-transition');
    expect(again.code).toBe('EVENT.ILLEGAL_TRANSITION');
  });

  it('403 for another organizer, 401 without a token, 404 for an unknown event', async () => {
    const owner = await organizer();
    const e = await created(owner);
    expectProblem(await action(e.id, 'publish', await organizer()), 403, 'forbidden');
    expectProblem(await action(e.id, 'publish', null), 401, 'unauthenticated');
    expectProblem(await action(randomUUID(), 'publish', owner), 404, 'event-not-found');
    expect((await get(e.id, owner)).json().status).toBe('DRAFT');
  });

  it('lets an ADMIN publish', async () => {
    const e = await created(await organizer());
    expect((await action(e.id, 'publish', await admin())).json().status).toBe('PUBLISHED');
  });

  it('409 event-already-started for an event in the past', async () => {
    const owner = await organizer();
    const e = await created(owner, { startDate: inDays(-2), endDate: inDays(-1) });
    expectProblem(await action(e.id, 'publish', owner), 409, 'event-already-started');
    expect((await get(e.id, owner)).json().status).toBe('DRAFT');
  });

  it('409 for a cancelled event', async () => {
    const owner = await organizer();
    const e = await created(owner);
    await action(e.id, 'cancel', owner);
    expectProblem(await action(e.id, 'publish', owner), 409, 'illegal-transition');
  });
});

describe('POST /api/v2/events/:id/cancel', () => {
  it('cancels a published event and its bookings; a second cancel is 409', async () => {
    const owner = await organizer();
    const e = await published(owner);
    const booker = await user();
    const booking = (await book(e.id, booker)).json();
    expect(booking.status).toBe('CONFIRMED');

    const res = await action(e.id, 'cancel', owner);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: e.id, status: 'CANCELLED' });
    expect((await get(e.id)).json().status).toBe('CANCELLED');
    const after = await t.app.inject({ method: 'GET', url: `/api/v2/bookings/${booking.id}`, headers: booker.auth });
    expect(after.json().status).toBe('CANCELLED');

    expectProblem(await action(e.id, 'cancel', owner), 409, 'illegal-transition');
    expectProblem(await book(e.id, await user()), 409, 'event-not-bookable');
  });

  it('cancels a draft', async () => {
    const owner = await organizer();
    const e = await created(owner);
    expect((await action(e.id, 'cancel', owner)).json().status).toBe('CANCELLED');
  });

  it('403 for another organizer and a USER, 401 without a token, 404 unknown; ADMIN may cancel', async () => {
    const owner = await organizer();
    const e = await published(owner);
    expectProblem(await action(e.id, 'cancel', await organizer()), 403, 'forbidden');
    expectProblem(await action(e.id, 'cancel', await user()), 403, 'forbidden');
    expectProblem(await action(e.id, 'cancel', null), 401, 'unauthenticated');
    expectProblem(await action(randomUUID(), 'cancel', owner), 404, 'event-not-found');
    expect((await get(e.id)).json().status).toBe('PUBLISHED');
    expect((await action(e.id, 'cancel', await admin())).json().status).toBe('CANCELLED');
  });
});
