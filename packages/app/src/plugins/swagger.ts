import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type Schema = Record<string, unknown>;
type Response = { description?: string; headers?: Record<string, Schema>; content?: Schema };
type Operation = { operationId?: string; requestBody?: unknown; responses?: Record<string, Response> };
type Document = {
  paths?: Record<string, Record<string, Operation>>;
  components?: { headers?: Record<string, Schema>; schemas?: Record<string, Schema> };
};

const header = (description: string, required: boolean, schema: Schema = { type: 'string' }) => ({ description, required, schema });
/** Headers the plugins add, described once under components.headers. */
const HEADERS = {
  Deprecation: header('Always `true`: /api/v1 is deprecated', true),
  Sunset: header('HTTP date after which /api/v1 may be removed', true),
  Link: header('`</api/v2/events...>; rel="successor-version"`', true),
  'X-RateLimit-Limit': header('Requests allowed per window (per user, or per IP when anonymous)', false, { type: 'integer' }),
  'X-RateLimit-Remaining': header('Requests left in the current window', false, { type: 'integer' }),
  'X-RateLimit-Reset': header('Seconds until the window ends', false, { type: 'integer' }),
  'Retry-After-RateLimit': header('Seconds until the rate-limit window ends', true, { type: 'integer' }),
  'Retry-After': header('Seconds to wait before retrying', false, { type: 'integer' }),
  'X-Degraded': header('`read-only` while the database is unreachable: the answer comes from the cache', false),
  ETag: header('The version of the event as a strong entity tag (`"12"`): send it as `If-None-Match` on a read or `If-Match` on a change', true),
  'Content-Disposition': header('With the CSV (`Accept: text/csv`) only: `attachment; filename="attendees-<event id>.csv"`', false),
};
/** Operations that answer with the event's version as its ETag (routes/events/conditional.ts). */
const VERSIONED = new Set(['getEvent', 'updateEvent', 'publishEvent', 'cancelEvent']);
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/**
 * What the zod schemas cannot say: the headers the plugins add (v1 deprecation, rate limits,
 * Retry-After, the degraded marker), the ETag of the event routes, and the 413 and 415 problems of
 * every route that takes a body.
 */
export function documentPluginBehaviour(doc: Document): Document {
  doc.components = { ...doc.components, headers: { ...doc.components?.headers, ...HEADERS } };
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/api/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const responses = (operation.responses ??= {});
      if (operation.requestBody && !responses['413'])
        responses['413'] = { ...structuredClone(responses['400']), description: 'Payload too large: the body is over 64 KiB' };
      if (operation.requestBody && !responses['415'])
        responses['415'] = { ...structuredClone(responses['400']), description: 'Unsupported media type: send application/json' };
      for (const [status, response] of Object.entries(responses)) {
        const headers: Record<string, Schema> = {
          'X-RateLimit-Limit': ref('X-RateLimit-Limit'),
          'X-RateLimit-Remaining': ref('X-RateLimit-Remaining'),
          'X-RateLimit-Reset': ref('X-RateLimit-Reset'),
        };
        if (path.startsWith('/api/v1/')) Object.assign(headers, { Deprecation: ref('Deprecation'), Sunset: ref('Sunset'), Link: ref('Link') });
        if (status === '429') headers['Retry-After'] = ref('Retry-After-RateLimit');
        if (status === '503') headers['Retry-After'] = ref('Retry-After');
        if (method === 'get' && status.startsWith('2')) headers['X-Degraded'] = ref('X-Degraded');
        if (VERSIONED.has(operation.operationId ?? '') && (status === '200' || status === '304')) headers.ETag = ref('ETag');
        if (operation.operationId === 'listAttendees' && status === '200') headers['Content-Disposition'] = ref('Content-Disposition');
        response.headers = { ...headers, ...response.headers };
      }
    }
  }
  return doc;
}

const SCHEMA_REF = '#/components/schemas/';

/** Calls `visit` on every object inside `node`, parents first. */
function walk(node: unknown, visit: (object: Schema) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (node && typeof node === 'object') {
    visit(node as Schema);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

/** Names of the component schemas that `node` references. */
function referencedSchemas(node: unknown): Set<string> {
  const names = new Set<string>();
  walk(node, (object) => {
    if (typeof object.$ref === 'string' && object.$ref.startsWith(SCHEMA_REF)) names.add(object.$ref.slice(SCHEMA_REF.length));
  });
  return names;
}

/**
 * What the zod converter leaves for generic OpenAPI 3.0 tools to trip on, fixed without changing
 * what any schema accepts:
 * - `nullable: true` beside `allOf: [$ref]` without `type`: OpenAPI 3.0.3 applies `nullable` only
 *   together with `type`, so such a field was "not nullable" to strict tools and code generators;
 *   it gets the type of the referenced schema.
 * - Every registered zod schema comes out twice, as `X` (responses) and `XInput` (request bodies);
 *   the twins that no operation uses go, and a request schema whose response twin went takes the
 *   plain name (`EventRequest`, not `EventRequestInput`), which is what generated clients show.
 */
export function tidySchemas(doc: Document): Document {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  walk(doc, (object) => {
    if (object.nullable !== true || object.type !== undefined || !Array.isArray(object.allOf)) return;
    const types = new Set(
      (object.allOf as Schema[]).map((part) => (typeof part.$ref === 'string' ? schemas[part.$ref.slice(SCHEMA_REF.length)]?.type : part.type)),
    );
    const [type] = [...types];
    if (types.size === 1 && typeof type === 'string') object.type = type;
  });

  const used = new Set<string>();
  const pending = [...referencedSchemas(doc.paths)];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...referencedSchemas(schemas[name]));
  }
  const renamed = new Map<string, string>();
  for (const name of used) if (name.endsWith('Input') && !used.has(name.slice(0, -'Input'.length))) renamed.set(name, name.slice(0, -'Input'.length));
  const kept = Object.keys(schemas)
    .filter((name) => used.has(name))
    .map((name) => [renamed.get(name) ?? name, schemas[name]!] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  doc.components!.schemas = Object.fromEntries(kept);
  walk(doc, (object) => {
    if (typeof object.$ref !== 'string' || !object.$ref.startsWith(SCHEMA_REF)) return;
    const name = renamed.get(object.$ref.slice(SCHEMA_REF.length));
    if (name) object.$ref = SCHEMA_REF + name;
  });
  return doc;
}

/** The OpenAPI document is generated from the routes' zod schemas; `openapi.json` is its committed copy. */
export const swaggerPlugin = fp<{ version: string; ui: boolean }>(
  async (app: FastifyInstance, { version, ui }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'AquaStream backend-event',
          description:
            'Events and bookings of AquaStream. `/api/v2` is the current API; `/api/v1/events` keeps the old contract and answers with Deprecation, Sunset and Link headers. Errors are RFC 7807 problems.',
          version,
        },
        // Relative: the document is served by the service it describes, on whatever host and port.
        servers: [{ url: '/', description: 'The service that serves this document' }],
        tags: [
          { name: 'events', description: 'Events: created as DRAFT by an organizer, then published, cancelled or completed' },
          { name: 'locations', description: 'Places where events happen, with optional coordinates for the weather forecast' },
          { name: 'bookings', description: 'Seats: a booking holds one seat, PENDING until paid (or CONFIRMED at once when free)' },
          { name: 'attendees', description: "An event's attendee list (JSON or CSV), check-in at the event, and its summary: for its organizer and admins" },
          { name: 'categories', description: "An event's ticket categories (Adult, Child under 12): a price each and an optional seat quota" },
          {
            name: 'promo-codes',
            description: "An event's discount codes: percent or amount off, counted uses, validity, categories; for its organizer and admins",
          },
          { name: 'waitlist', description: 'The first-come line of a full event; a freed seat is offered to the next in line' },
          { name: 'payments', description: 'Callbacks from the Payment Service' },
          { name: 'events v1 (deprecated)', description: 'The old events contract, kept unchanged until its Sunset date; use /api/v2/events' },
          { name: 'actuator', description: 'Health probes, metrics and build information for operators (no authentication)' },
        ],
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      transform: jsonSchemaTransform,
      transformObject: (input) =>
        tidySchemas(documentPluginBehaviour(jsonSchemaTransformObject(input) as Document)) as ReturnType<typeof jsonSchemaTransformObject>,
    });
    if (ui) await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);
