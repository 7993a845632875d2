import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDays, organizer, publishedEvent, startTestApp, user, type TestApp, type TestUser } from '../../../../testing/app';

// The OpenAPI document and the service agree on every request string's length: for each string
// field with a maxLength in a request body of openapi.json, the service refuses maxLength + 1
// characters made of a leading space and maxLength others (it used to trim first and accept
// them), and accepts maxLength characters with the leading space (trimmed, as the domain keeps
// names). Blankness is the fields' documented pattern (a non-space character is required).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
type Schema = { $ref?: string; type?: string; maxLength?: number; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[] };
const doc = JSON.parse(readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
};
const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()!] : s);

/** Paths (`a.b[].c`) of the string fields with a maxLength in a request body schema. */
function limited(schema: Schema | undefined, at = '', out: { path: string; max: number }[] = []) {
  const s = resolve(schema);
  if (!s) return out;
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) limited(alt, at, out);
  if (s.type === 'string' && s.maxLength !== undefined) out.push({ path: at.slice(1), max: s.maxLength });
  for (const [key, value] of Object.entries(s.properties ?? {})) limited(value, `${at}.${key}`, out);
  if (s.items) limited(s.items, `${at}[]`, out);
  return out;
}
const operations = Object.entries(doc.paths).flatMap(([url, ops]) =>
  Object.entries(ops).flatMap(([method, op]) => {
    const fields = limited(op.requestBody?.content['application/json']?.schema);
    return fields.length ? [{ id: op.operationId, method: method.toUpperCase(), url, fields }] : [];
  }),
);

/** Sets `value` at `path` of a copy of `body` (`[]`: the first element). */
function withValue(body: Record<string, unknown>, fieldPath: string, value: string) {
  const copy = structuredClone(body);
  const keys = fieldPath.replace(/\[\]/g, '.0').split('.');
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy;
}

let t: TestApp;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  owner = await organizer();
});
afterAll(async () => {
  await t?.close();
});

const eventBody = () => ({ title: 'Rafting', description: 'Day trip', startDate: inDays(10), endDate: inDays(11), capacity: 50, timeZone: 'UTC' });
const v1Body = () => ({ title: 'Rafting', description: 'Day trip', start_date: inDays(10), location: 'Katun' });

/** How to send a valid request of each operation, for the field under test; `{id}` is made fresh per request. */
const SEND: Record<string, (body?: (b: Record<string, unknown>) => Record<string, unknown>, field?: string) => Promise<{ status: number; body: string }>> = {
  createEvent: async (edit = (b) => b) => res(await t.app.inject({ method: 'POST', url: '/api/v2/events', headers: owner.auth, payload: edit(eventBody()) })),
  updateEvent: async (edit = (b) => b) => {
    const { id } = await publishedEvent(t.app, owner);
    return res(await t.app.inject({ method: 'PUT', url: `/api/v2/events/${id}`, headers: owner.auth, payload: edit(eventBody()) }));
  },
  createLocation: async (edit = (b) => b) =>
    res(await t.app.inject({ method: 'POST', url: '/api/v2/locations', headers: owner.auth, payload: edit({ name: 'Katun', address: 'Altai' }) })),
  bookSeat: async (edit = (b) => b, field = '') => {
    // A paid event: a code takes nothing off a free one (and is refused).
    const { id } = await publishedEvent(t.app, owner, { maxSeatsPerBooking: 2, price: { amount: 5000, currency: 'EUR' } });
    const booker = await user();
    const participants = [{ name: 'Ann', email: 'ann@example.com' }];
    let body: Record<string, unknown> = { eventId: id, seats: 2, participants };
    if (field.startsWith('lines') || field === 'promoCode') {
      // Lines of the event's implicit category (its id is the event's), and a code as long as a
      // code may be, so that the longest accepted promoCode names it.
      const code = 'X'.repeat(39);
      const created = await t.app.inject({ method: 'POST', url: `/api/v2/events/${id}/promo-codes`, headers: owner.auth, payload: { code, percentOff: 10 } });
      expect(created.statusCode, created.body).toBe(201);
      body = { eventId: id, promoCode: code, lines: [{ categoryId: id, seats: 2, participants }] };
    }
    return res(await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: edit(body) }));
  },
  createCategory: async (edit = (b) => b) => {
    const { id } = await publishedEvent(t.app, owner);
    return res(
      await t.app.inject({ method: 'POST', url: `/api/v2/events/${id}/categories`, headers: owner.auth, payload: edit({ name: 'Adult', price: null }) }),
    );
  },
  reduceBooking: async (edit = (b) => b) => {
    const { id } = await publishedEvent(t.app, owner, { maxSeatsPerBooking: 3 });
    const booker = await user();
    const booked = await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: id, seats: 3 } });
    return res(
      await t.app.inject({
        method: 'POST',
        url: `/api/v2/bookings/${booked.json().id}/reduce`,
        headers: booker.auth,
        payload: edit({ seats: 2, participants: [{ name: 'Ann', email: 'ann@example.com' }] }),
      }),
    );
  },
  createEventV1: async (edit = (b) => b) => res(await t.app.inject({ method: 'POST', url: '/api/v1/events', headers: owner.auth, payload: edit(v1Body()) })),
  updateEventV1: async (edit = (b) => b) => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/events', headers: owner.auth, payload: v1Body() });
    return res(await t.app.inject({ method: 'PUT', url: `/api/v1/events/${created.json().id}`, headers: owner.auth, payload: edit(v1Body()) }));
  },
};
const res = (r: { statusCode: number; body: string }) => ({ status: r.statusCode, body: r.body });

describe('request strings: the service checks what openapi.json says', () => {
  it('knows how to send every operation whose body has a string with a maxLength', () => {
    expect(operations.map((o) => o.id).sort()).toEqual(Object.keys(SEND).sort());
  });

  for (const op of operations)
    for (const field of op.fields)
      it(`${op.id} ${field.path}: refuses ${field.max + 1} characters with a leading space, accepts ${field.max}`, { timeout: 30_000 }, async () => {
        const valid = await SEND[op.id]!(undefined, field.path);
        expect(valid.status, valid.body).toBeLessThan(300);
        const tooLong = await SEND[op.id]!((b) => withValue(b, field.path, ` ${'x'.repeat(field.max)}`), field.path);
        expect(tooLong.status, tooLong.body).toBe(400);
        expect(tooLong.body).toContain(field.path.split('.').at(-1)!.replace('[]', ''));
        // Emails and time zones have a format of their own; the free-text fields take the longest.
        if (/email|timeZone/.test(field.path)) return;
        const longest = await SEND[op.id]!((b) => withValue(b, field.path, ` ${'x'.repeat(field.max - 1)}`), field.path);
        expect(longest.status, longest.body).toBeLessThan(300);
      });
});
