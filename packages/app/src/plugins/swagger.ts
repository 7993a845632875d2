import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

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
      transformObject: jsonSchemaTransformObject,
    });
    if (ui) await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);
