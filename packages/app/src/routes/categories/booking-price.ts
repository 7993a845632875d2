import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BookingPrice, UseCases } from '@aquastream/domain';
import { MoneySchema } from '../events/schemas';
import { ParticipantSchema } from '../bookings/schemas';
import { bearer, IdParams, problems } from '../schemas';

const money = (amount: number, currency: string | null) => (currency === null ? null : { amount, currency });

export const BookingPriceSchema = z
  .object({
    bookingId: z.uuid(),
    lines: z.array(
      z.object({
        categoryId: z.uuid().describe("The category (the event's id for its implicit one)"),
        name: z.string(),
        seats: z.number().int().describe('Seats the booking holds in it now (0 once all were given up)'),
        unitPrice: MoneySchema.nullable().describe('Price of one seat when booked; null when free'),
        discount: MoneySchema.nullable().describe("The promo code's discount on this line; null when free"),
        amount: MoneySchema.nullable().describe('What the line costs: seats × unit price − discount; null when free'),
        participants: z.array(ParticipantSchema),
      }),
    ),
    promoCode: z.string().nullable().describe('The promo code the booking used; null when none'),
    legacy: z.boolean().describe('True for a booking made before ticket categories (or reduced by that release since): no lines, only its amount and seats'),
  })
  .meta({ id: 'BookingPrice' });

const priceDto = (p: BookingPrice) => ({
  bookingId: p.bookingId,
  lines: p.lines.map((l) => ({
    categoryId: l.categoryId,
    name: l.name,
    seats: l.seats,
    unitPrice: money(l.unitPrice, l.currency),
    discount: money(l.discount, l.currency),
    amount: money(l.unitPrice * l.seats - l.discount, l.currency),
    participants: l.participants,
  })),
  promoCode: p.promoCode,
  legacy: p.legacy,
});

/** A booking's price line by line: /api/v2/bookings/{id}/price. */
export const bookingPriceRoutes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  app.get('/:id/price', {
    schema: {
      operationId: 'getBookingPrice',
      tags: ['bookings'],
      summary: "A booking's price per ticket category, with the promo code's discount (booker, the event organizer, ADMIN)",
      security: bearer,
      params: IdParams,
      response: { 200: BookingPriceSchema, ...problems(401, 404) },
    },
    handler: async (request) => priceDto(await useCases.getBookingPrice(request.actor, request.params.id)),
  });
};
