import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CategoryView, TicketCategory, UseCases } from '@aquastream/domain';
import { bearer, IdParams, optionalBearer, problems } from '../schemas';
import { CategoryList, CategorySchema, CreateCategoryBody } from './schemas';

const categoryDto = (c: TicketCategory & { available?: number | null }) => ({
  id: c.id,
  eventId: c.eventId,
  name: c.name,
  price: c.price,
  quota: c.quota,
  available: c.available ?? c.quota,
  position: c.position,
  implicit: c.implicit,
});

/** Ticket categories of an event: /api/v2/events/{id}/categories. */
export const categoryRoutes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  const tags = ['categories'];
  app.post('/:id/categories', {
    schema: {
      operationId: 'createCategory',
      tags,
      summary: 'Add a ticket category to an event (its organizer, ADMIN): a name, a price, an optional seat quota; at most 10',
      description:
        "The first category stored replaces the event's implicit one (its own price and capacity): a booking without lines then books the first category. 409 category-limit past 10, category-conflict for a name the event has.",
      security: bearer,
      params: IdParams,
      body: CreateCategoryBody,
      response: { 201: CategorySchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(categoryDto(await useCases.createCategory(request.actor, request.params.id, request.body))),
  });
  app.get('/:id/categories', {
    schema: {
      operationId: 'listCategories',
      tags,
      summary: "An event's ticket categories with the seats left under their quotas (drafts: their organizer, ADMIN)",
      security: optionalBearer,
      params: IdParams,
      response: { 200: CategoryList, ...problems(404) },
    },
    handler: async (request) => ({ items: (await useCases.listCategories(request.actor, request.params.id)).map((c: CategoryView) => categoryDto(c)) }),
  });
};
