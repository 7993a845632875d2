import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, user, organizer, admin, inDays, type TestApp, type TestUser } from '../../../../../testing/app';
import { expectProblem, type InjectResponse, type Json } from '../../../../../testing/problems';

// ETag / If-Match / If-None-Match on v2 events, and their time zone, against real PostgreSQL.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const body = (over: Record<string, unknown> = {}) => ({ title: 'Rafting on the Katun', startDate: inDays(10), endDate: inDays(11), capacity: 10, ...over });

async function create(owner: TestUser, over: Record<string, unknown> = {}): Promise<InjectResponse> {
  return t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth, payload: body(over) });
}
async function created(owner: TestUser, over: Record<string, unknown> = {}): Promise<Json> {
  const res = await create(owner, over);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const get = (id: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: `/api/v2/events/${id}`, headers });
const put = (id: string, who: TestUser, payload: Record<string, unknown>, ifMatch?: string) =>
  t.app.inject({ method: 'PUT', url: `/api/v2/events/${id}`, headers: { ...who.auth, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) }, payload });
const action = (id: string, verb: 'publish' | 'cancel', who: TestUser, ifMatch?: string) =>
  t.app.inject({ method: 'POST', url: `/api/v2/events/${id}/${verb}`, headers: { ...who.auth, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) } });
const etagOf = async (id: string, who: TestUser) => {
  const res = await get(id, who.auth);
  expect(res.statusCode, res.body).toBe(200);
  return res.headers.etag as string;
};

describe('ETag and If-None-Match on GET /api/v2/events/{id}', () => {
  it('answers with a strong ETag, and 304 with no body (and the same ETag) while the copy named is current', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const first = await get(e.id, owner.auth);
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toMatch(/^"\d+"$/);

    const same = await get(e.id, { ...owner.auth, 'if-none-match': first.headers.etag as string });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    expect(same.headers.etag).toBe(first.headers.etag);
    // Weak comparison, a list, and the wildcard.
    expect((await get(e.id, { ...owner.auth, 'if-none-match': `W/${first.headers.etag}` })).statusCode).toBe(304);
    expect((await get(e.id, { ...owner.auth, 'if-none-match': `"999999", ${first.headers.etag}` })).statusCode).toBe(304);
    expect((await get(e.id, { ...owner.auth, 'if-none-match': '*' })).statusCode).toBe(304);
    expect((await get(e.id, { ...owner.auth, 'if-none-match': '"999999"' })).statusCode).toBe(200);
  });

  it('changes the ETag when a booking takes a seat (available is part of the event), and the old one gets the new representation', async () => {
    const owner = await organizer();
    const e = await created(owner);
    expect((await action(e.id, 'publish', owner)).statusCode).toBe(200);
    const before = await get(e.id);
    const booked = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: (await user()).auth, payload: { eventId: e.id } });
    expect(booked.statusCode, booked.body).toBe(201);
    const after = await get(e.id, { 'if-none-match': before.headers.etag as string });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.json().available).toBe(before.json().available - 1);
  });

  it('hides a draft from others before any condition: 404, never 304', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const res = await get(e.id, { ...(await organizer()).auth, 'if-none-match': '*' });
    expectProblem(res, 404, 'event-not-found');
  });
});

describe('If-Match on PUT, publish and cancel', () => {
  it('applies a change that names the current ETag and answers with the new one', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const etag = await etagOf(e.id, owner);
    const res = await put(e.id, owner, body({ title: 'Edited with If-Match' }), etag);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().title).toBe('Edited with If-Match');
    expect(res.headers.etag).not.toBe(etag);
    // The answer's ETag is the stored one: a chained change may send it.
    expect(await etagOf(e.id, owner)).toBe(res.headers.etag);
    const published = await action(e.id, 'publish', owner, res.headers.etag as string);
    expect(published.statusCode, published.body).toBe(200);
    expect(published.headers.etag).toBe(await etagOf(e.id, owner));
  });

  it('refuses a stale ETag with 412 precondition-failed and changes nothing', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const stale = await etagOf(e.id, owner);
    expect((await put(e.id, owner, body({ title: 'The first edit' }))).statusCode).toBe(200);
    const current = await get(e.id, owner.auth);

    const refused = expectProblem(await put(e.id, owner, body({ title: 'Overwrites the first' }), stale), 412, 'precondition-failed');
    expect(refused).toMatchObject({ code: 'EVENT.PRECONDITION_FAILED', eventId: e.id });
    expectProblem(await action(e.id, 'publish', owner, stale), 412, 'precondition-failed');
    expectProblem(await action(e.id, 'cancel', owner, stale), 412, 'precondition-failed');

    const after = await get(e.id, owner.auth);
    expect(after.headers.etag).toBe(current.headers.etag);
    expect(after.json()).toEqual(current.json());
  });

  it('honours * (the event exists), never a weak tag, and keeps today’s behaviour without If-Match', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const etag = await etagOf(e.id, owner);
    expectProblem(await put(e.id, owner, body({ title: 'Weak' }), `W/${etag}`), 412, 'precondition-failed');
    expectProblem(await put(e.id, owner, body({ title: 'Not a tag' }), 'not-a-tag'), 412, 'precondition-failed');
    expect((await put(e.id, owner, body({ title: 'Any version' }), '*')).statusCode).toBe(200);
    expect((await put(e.id, owner, body({ title: 'In a list' }), `"999999", ${await etagOf(e.id, owner)}`)).statusCode).toBe(200);
    expect((await put(e.id, owner, body({ title: 'Unconditional' }))).statusCode).toBe(200);
    expect((await action(e.id, 'cancel', owner)).json().status).toBe('CANCELLED');
  });

  it('answers what the unconditional request would first: 404 for an unknown event, 403 for another organizer, 400 for a bad body', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const etag = await etagOf(e.id, owner);
    expectProblem(await put('00000000-0000-4000-8000-000000000000', owner, body(), etag), 404, 'event-not-found');
    expectProblem(await put(e.id, await organizer(), body(), '"999999"'), 403, 'forbidden');
    expectProblem(await put(e.id, owner, body({ capacity: 0 }), '"999999"'), 400, 'validation-error');
    expectProblem(await action(e.id, 'publish', await user(), etag), 403, 'forbidden');
  });

  it('lets an admin change an event under If-Match like its owner', async () => {
    const owner = await organizer();
    const e = await created(owner);
    const res = await action(e.id, 'cancel', await admin(), await etagOf(e.id, owner));
    expect(res.statusCode, res.body).toBe(200);
  });

  it('two organizers editing the same version at once: exactly one wins, the other gets 412, nothing is silently overwritten', async () => {
    const owner = await organizer();
    const co = await admin();
    for (let round = 0; round < 5; round++) {
      const e = await created(owner);
      const etag = await etagOf(e.id, owner);
      const [a, b] = await Promise.all([
        put(e.id, owner, body({ title: `Owner's edit ${round}` }), etag),
        put(e.id, co, body({ title: `Admin's edit ${round}` }), etag),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 412]);
      const winner = a.statusCode === 200 ? a : b;
      const loser = a.statusCode === 200 ? b : a;
      expectProblem(loser, 412, 'precondition-failed');
      const stored = await get(e.id, owner.auth);
      expect(stored.json().title).toBe(winner.json().title);
      expect(stored.headers.etag).toBe(winner.headers.etag);
    }
    // More writers than one round trip apart: still exactly one.
    const e = await created(owner);
    const etag = await etagOf(e.id, owner);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => put(e.id, i % 2 ? co : owner, body({ title: `Writer ${i}` }), etag)));
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.statusCode === 412)).toHaveLength(7);
  });
});

describe('time zone', () => {
  it('defaults to UTC, takes an IANA name on create and update, keeps it when an update leaves it out, and keeps the instants', async () => {
    const owner = await organizer();
    const utc = await created(owner);
    expect(utc.timeZone).toBe('UTC');
    const start = '2031-03-30T06:00:00.000Z';
    const moscow = await created(owner, { timeZone: 'europe/moscow', startDate: start, endDate: '2031-03-30T15:00:00Z' });
    expect(moscow).toMatchObject({ timeZone: 'Europe/Moscow', startDate: start });
    expect((await get(moscow.id, owner.auth)).json().timeZone).toBe('Europe/Moscow');
    const kept = await put(moscow.id, owner, body({ title: 'No zone given' }));
    expect(kept.json().timeZone).toBe('Europe/Moscow');
    const moved = await put(moscow.id, owner, body({ timeZone: 'Asia/Novosibirsk' }));
    expect(moved.json().timeZone).toBe('Asia/Novosibirsk');
    const listed = await t.app.inject({ method: 'GET', url: '/api/v2/events', query: { organizerId: owner.id, size: '100' }, headers: owner.auth });
    expect(
      listed
        .json()
        .items.map((i: Json) => i.timeZone)
        .sort(),
    ).toEqual(['Asia/Novosibirsk', 'UTC']);
  });

  it('refuses an unknown zone with a 400 naming the field, and stores nothing', async () => {
    const owner = await organizer();
    for (const timeZone of ['Mars/Olympus_Mons', '+03:00', 'Europe/Moskva']) {
      const problem = expectProblem(await create(owner, { timeZone }), 400, 'validation-error');
      expect(problem.errors).toEqual([{ field: 'timeZone', message: expect.any(String) }]);
    }
    const e = await created(owner);
    expectProblem(await put(e.id, owner, body({ timeZone: 'Nowhere/Land' }), await etagOf(e.id, owner)), 400, 'validation-error');
    expect((await get(e.id, owner.auth)).json().timeZone).toBe('UTC');
    const mine = await t.app.inject({ method: 'GET', url: '/api/v2/events', query: { organizerId: owner.id }, headers: owner.auth });
    expect(mine.json().total).toBe(1);
  });

  it('leaves v1 answers as they were: no time zone, no ETag', async () => {
    const owner = await organizer();
    const e = await created(owner, { timeZone: 'Asia/Tokyo' });
    await action(e.id, 'publish', owner);
    const v1 = await t.app.inject({ method: 'GET', url: `/api/v1/events/${e.id}` });
    expect(v1.statusCode).toBe(200);
    expect(Object.keys(v1.json()).sort()).toEqual(['description', 'id', 'location', 'start_date', 'title']);
    expect(v1.headers.etag).toBeUndefined();
  });
});
