import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Event, LegacyEventInput, Page } from '@aquastream/domain';
import type { UseCases } from '@aquastream/domain';
import { bearer, IdParams, noContent, optionalBearer, PagingQuery, problems } from '../schemas';
import { sendJsonText, serializedOncePer } from '../../plugins/serializer';
import { eventV1Dto } from './presenters';
import { EventV1Body, EventV1Schema } from './schemas';

/** The request in the domain's terms; the v1 defaults and replace rules live in the domain (legacy-events.ts). */
const legacyInput = (b: z.infer<typeof EventV1Body>): LegacyEventInput => ({
  title: b.title,
  description: b.description ?? null,
  startDate: new Date(b.start_date),
  endDate: b.end_date ? new Date(b.end_date) : undefined,
  capacity: b.capacity,
  locationText: b.location ?? null,
});

/** Deprecation, Sunset and Link of every v1 answer. Only a valid id goes into the Link header: a raw one may hold characters a header cannot. */
export function deprecationHeaders(reply: { header(name: string, value: string): unknown }, sunsetHttpDate: string, params?: unknown): void {
  const parsed = IdParams.safeParse(params);
  const id = parsed.success ? parsed.data.id : undefined;
  reply.header('deprecation', 'true');
  reply.header('sunset', sunsetHttpDate);
  reply.header('link', `</api/v2/events${id ? `/${id}` : ''}>; rel="successor-version"`);
}

/**
 * The seed's v1 contract, kept for old clients: same fields, same shapes. Every answer says
 * it is deprecated and where its successor lives.
 */
export const eventV1Routes: FastifyPluginAsyncZod<{ useCases: UseCases; sunset: string }> = async (app, { useCases, sunset }) => {
  const sunsetHttpDate = new Date(sunset).toUTCString();
  app.addHook('onSend', async (request, reply) => deprecationHeaders(reply, sunsetHttpDate, request.params));
  const tags = ['events v1 (deprecated)'];
  const eventJson = serializedOncePer(EventV1Schema, eventV1Dto);
  const listJson = serializedOncePer(z.array(EventV1Schema), (page: Page<Event>) => page.items.map(eventV1Dto));
  const deprecated = true;
  app.get('', {
    schema: {
      operationId: 'listEventsV1',
      tags,
      deprecated,
      summary: 'List events (v1)',
      security: optionalBearer,
      querystring: z.object(PagingQuery),
      response: { 200: z.array(EventV1Schema), ...problems(401) },
    },
    handler: async (request, reply) => sendJsonText(reply, listJson(await useCases.listEvents(request.actor, request.query))),
  });
  app.get('/:id', {
    schema: {
      operationId: 'getEventV1',
      tags,
      deprecated,
      summary: 'Get an event (v1)',
      security: optionalBearer,
      params: IdParams,
      response: { 200: EventV1Schema, ...problems(401, 404) },
    },
    handler: async (request, reply) => sendJsonText(reply, eventJson(await useCases.getEvent(request.actor, request.params.id))),
  });
  app.post('', {
    schema: {
      operationId: 'createEventV1',
      tags,
      deprecated,
      summary: 'Create and publish an event (v1)',
      security: bearer,
      body: EventV1Body,
      response: { 201: EventV1Schema, ...problems(401, 403, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(eventV1Dto(await useCases.createLegacyEvent(request.actor, legacyInput(request.body)))),
  });
  app.put('/:id', {
    schema: {
      operationId: 'updateEventV1',
      tags,
      deprecated,
      summary: 'Replace an event (v1)',
      security: bearer,
      params: IdParams,
      body: EventV1Body,
      response: { 200: EventV1Schema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => eventV1Dto(await useCases.replaceLegacyEvent(request.actor, request.params.id, legacyInput(request.body))),
  });
  app.delete('/:id', {
    schema: {
      operationId: 'cancelEventV1',
      tags,
      deprecated,
      summary: 'Cancel an event (v1)',
      security: bearer,
      params: IdParams,
      response: { 204: noContent('Cancelled'), ...problems(401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      await useCases.cancelEvent(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  });
};
