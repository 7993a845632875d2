import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { PromoCode, UseCases } from '@aquastream/domain';
import { bearer, IdParams, problems } from '../schemas';
import { CreatePromoCodeBody, PromoCodeList, PromoCodeSchema } from './schemas';

const promoCodeDto = (c: PromoCode & { uses?: number }) => ({
  id: c.id,
  eventId: c.eventId,
  code: c.code,
  percentOff: c.discount.kind === 'PERCENT' ? c.discount.percent : null,
  amountOff: c.discount.kind === 'AMOUNT' ? c.discount.amount : null,
  maxUses: c.maxUses,
  uses: c.uses ?? 0,
  validFrom: c.validFrom?.toISOString() ?? null,
  validUntil: c.validUntil?.toISOString() ?? null,
  categoryIds: c.categoryIds,
  createdAt: c.createdAt.toISOString(),
});

/** Promo codes of an event: /api/v2/events/{id}/promo-codes (its organizer, ADMIN). */
export const promoCodeRoutes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  const tags = ['promo-codes'];
  app.post('/:id/promo-codes', {
    schema: {
      operationId: 'createPromoCode',
      tags,
      summary: 'Create a promo code for an event (its organizer, ADMIN): percent or amount off, optional maximum uses, validity, categories',
      description: 'Each user may use a code once. 409 promo-code-conflict for a code the event has (in any case).',
      security: bearer,
      params: IdParams,
      body: CreatePromoCodeBody,
      response: { 201: PromoCodeSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { validFrom, validUntil, ...rest } = request.body;
      const input = { ...rest, validFrom: validFrom ? new Date(validFrom) : null, validUntil: validUntil ? new Date(validUntil) : null };
      return reply.code(201).send(promoCodeDto(await useCases.createPromoCode(request.actor, request.params.id, input)));
    },
  });
  app.get('/:id/promo-codes', {
    schema: {
      operationId: 'listPromoCodes',
      tags,
      summary: "An event's promo codes with their uses (its organizer, ADMIN)",
      security: bearer,
      params: IdParams,
      response: { 200: PromoCodeList, ...problems(401, 403, 404) },
    },
    handler: async (request) => ({ items: (await useCases.listPromoCodes(request.actor, request.params.id)).map(promoCodeDto) }),
  });
};
