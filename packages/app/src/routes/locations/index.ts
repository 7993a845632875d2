import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { UseCases } from '@aquastream/domain';
import { locationDto } from '../events/presenters';
import { CreateLocationBody, LocationPage, LocationSchema } from '../events/schemas';
import { anonymous, bearer, IdParams, PagingQuery, problems, text } from '../schemas';

export const locationRoutes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  const tags = ['locations'];
  app.post('', {
    schema: {
      operationId: 'createLocation',
      tags,
      summary: 'Add a location (ORGANIZER, ADMIN)',
      security: bearer,
      body: CreateLocationBody,
      response: { 201: LocationSchema, ...problems(401, 403) },
    },
    handler: async (request, reply) => reply.code(201).send(locationDto(await useCases.createLocation(request.actor, request.body))),
  });
  app.get('', {
    schema: {
      operationId: 'listLocations',
      security: anonymous,
      tags,
      summary: 'List locations',
      querystring: z.object({ ...PagingQuery, search: text().max(200).optional() }),
      response: { 200: LocationPage, ...problems() },
    },
    handler: async (request) => {
      const page = await useCases.listLocations(request.query);
      return { ...page, items: page.items.map(locationDto) };
    },
  });
  app.get('/:id', {
    schema: {
      operationId: 'getLocation',
      security: anonymous,
      tags,
      summary: 'Get a location',
      params: IdParams,
      response: { 200: LocationSchema, ...problems(404) },
    },
    handler: async (request) => locationDto(await useCases.getLocation(request.params.id)),
  });
};
