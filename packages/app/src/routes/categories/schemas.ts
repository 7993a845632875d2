import { z } from 'zod';
import { MAX_CATEGORIES_PER_EVENT } from '@aquastream/domain';
import { MoneySchema } from '../events/schemas';
import { text } from '../schemas';

export const CategorySchema = z
  .object({
    id: z.uuid().describe("The category's id; for the implicit category of an event without categories, the event's id"),
    eventId: z.uuid(),
    name: z.string(),
    price: MoneySchema.nullable().describe('Price of one seat; null = free'),
    quota: z.number().int().nullable().describe("At most this many seats of the category are held by active bookings; null = only the event's capacity"),
    available: z.number().int().nullable().describe('Seats left under the quota (null without one); the event may have fewer'),
    position: z.number().int().describe('Order of the categories; the first is booked by a request without lines'),
    implicit: z.boolean().describe("True for the one category of an event that has none stored: the event's price and capacity"),
  })
  .meta({ id: 'TicketCategory' });

export const CategoryList = z
  .object({ items: z.array(CategorySchema).describe(`1..${MAX_CATEGORIES_PER_EVENT} categories, in order`) })
  .meta({ id: 'TicketCategoryList' });

export const CreateCategoryBody = z
  .object({
    name: text({ nonBlank: 1 }).max(100).describe('Unique within the event, case-insensitively'),
    price: MoneySchema.nullable().optional().describe("Price of one seat (null or left out: free); in the currency of the event's price"),
    quota: z.number().int().min(1).max(1_000_000).nullable().optional().describe("At most this many seats; at most the event's capacity"),
  })
  .strict()
  .meta({ id: 'TicketCategoryRequest' });
