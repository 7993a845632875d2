import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type Schema = Record<string, unknown>;
type Response = { description?: string; headers?: Record<string, Schema>; content?: Schema };
type Operation = { requestBody?: unknown; responses?: Record<string, Response> };
type Document = { paths?: Record<string, Record<string, Operation>>; components?: { headers?: Record<string, Schema> } };

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
};
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/**
 * What the zod schemas cannot say: the headers the plugins add (v1 deprecation, rate limits,
 * Retry-After, the degraded marker) and the 415 problem of every route that takes a body.
 */
export function documentPluginBehaviour(doc: Document): Document {
  doc.components = { ...doc.components, headers: { ...doc.components?.headers, ...HEADERS } };
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/api/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const responses = (operation.responses ??= {});
      if (operation.requestBody && !responses['415']) responses['415'] = { ...structuredClone(responses['400']), description: 'Unsupported media type: send application/json' };
      for (const [status, response] of Object.entries(responses)) {
        const headers: Record<string, Schema> = { 'X-RateLimit-Limit': ref('X-RateLimit-Limit'), 'X-RateLimit-Remaining': ref('X-RateLimit-Remaining'), 'X-RateLimit-Reset': ref('X-RateLimit-Reset') };
        if (path.startsWith('/api/v1/')) Object.assign(headers, { Deprecation: ref('Deprecation'), Sunset: ref('Sunset'), Link: ref('Link') });
        if (status === '429') headers['Retry-After'] = ref('Retry-After-RateLimit');
        if (status === '503') headers['Retry-After'] = ref('Retry-After');
        if (method === 'get' && status.startsWith('2')) headers['X-Degraded'] = ref('X-Degraded');
        response.headers = { ...headers, ...response.headers };
      }
    }
  }
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
        tags: [
          { name: 'events' },
          { name: 'locations' },
          { name: 'bookings' },
          { name: 'waitlist' },
          { name: 'payments' },
          { name: 'events v1 (deprecated)' },
          { name: 'actuator' },
        ],
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      transform: jsonSchemaTransform,
      transformObject: (input) => documentPluginBehaviour(jsonSchemaTransformObject(input) as Document) as ReturnType<typeof jsonSchemaTransformObject>,
    });
    if (ui) await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);
