import { z } from 'zod';
import { MoneySchema } from '../events/schemas';
import { DateTimeInput } from '../schemas';

export const PromoCodeSchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    code: z.string().describe('Upper-cased; bookers may type it in any case'),
    percentOff: z.number().int().nullable().describe('Whole percent off the seats it applies to (rounded half-up per line); null for an amount off'),
    amountOff: MoneySchema.nullable().describe('Fixed amount off a booking (split over its lines by price); null for a percent off'),
    maxUses: z.number().int().nullable().describe('null: unlimited'),
    uses: z.number().int().describe('Bookings using it that stand (a cancelled or expired booking gives its use back)'),
    validFrom: z.iso.datetime().nullable(),
    validUntil: z.iso.datetime().nullable(),
    categoryIds: z.array(z.uuid()).nullable().describe('The categories it applies to; null: all'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'PromoCode' });

export const PromoCodeList = z.object({ items: z.array(PromoCodeSchema) }).meta({ id: 'PromoCodeList' });

export const PROMO_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/;

export const CreatePromoCodeBody = z
  .object({
    code: z.string().regex(PROMO_CODE_PATTERN).describe('3..40 letters, digits, - or _; unique within the event, case-insensitively'),
    percentOff: z.number().int().min(1).max(100).optional().describe('Give exactly one of percentOff and amountOff'),
    amountOff: MoneySchema.optional().describe("A fixed amount off each booking, in the event's currency"),
    maxUses: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .nullable()
      .optional()
      .describe('At most this many standing bookings may use it (null or left out: unlimited)'),
    validFrom: DateTimeInput.nullable().optional(),
    validUntil: DateTimeInput.nullable().optional().describe('Usable before this instant'),
    categoryIds: z.array(z.uuid()).min(1).max(10).nullable().optional().describe('Only for these categories of the event (left out: all)'),
  })
  .strict()
  .meta({ id: 'PromoCodeRequest' });
