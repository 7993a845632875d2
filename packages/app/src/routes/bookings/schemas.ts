import { z } from 'zod';
import { BOOKING_STATUSES, PAYMENT_STATUSES } from '@aquastream/domain';
import { MoneySchema } from '../events/schemas';
import { PagingQuery, pageOf } from '../schemas';

export const BookingSchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    userId: z.uuid(),
    status: z.enum(BOOKING_STATUSES),
    amount: MoneySchema.nullable().describe('Fixed when booked; null for a free event'),
    paymentStatus: z
      .enum(PAYMENT_STATUSES)
      .describe(
        'NOT_REQUIRED (free), UNPAID, PROCESSING (a charge in flight or queued while the Payment Service is unavailable; the seat stays held, retried until PAYMENT_RETRY_HORIZON), PAID, FAILED (declined, or given up at the horizon; pay again while the hold lasts), REFUND_PENDING, REFUNDED, REFUND_FAILED (the Payment Service refused the refund; support settles it)',
      ),
    paymentId: z.uuid().nullable(),
    expiresAt: z.iso.datetime().nullable().describe('Until when a PENDING booking holds its seat (held longer while its payment is PROCESSING)'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Booking' });

export const BookingPage = pageOf(BookingSchema).meta({ id: 'BookingPage' });

export const CreateBookingBody = z.object({ eventId: z.uuid() }).strict().meta({ id: 'BookingRequest' });

export const BookingListQuery = z.object({ ...PagingQuery, status: z.enum(BOOKING_STATUSES).optional() });

export const PaymentResultSchema = z
  .object({
    status: z.enum(['SUCCEEDED', 'PENDING']).describe('PENDING: the Payment Service is down and the payment is queued'),
    paymentId: z.uuid(),
    message: z.string().optional(),
    booking: BookingSchema,
  })
  .meta({ id: 'PaymentResult' });

export const WaitlistEntrySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    userId: z.uuid(),
    status: z.enum(['WAITING', 'OFFERED', 'CLAIMED', 'EXPIRED', 'LEFT']),
    position: z.number().int().nullable().describe('Place in line while WAITING'),
    offerExpiresAt: z.iso.datetime().nullable().describe('While OFFERED: book before this time to claim the held seat'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WaitlistEntry' });

export const PaymentWebhookBody = z
  .object({
    paymentId: z.uuid(),
    status: z.enum(['SUCCEEDED', 'FAILED', 'REFUNDED']),
  })
  .meta({ id: 'PaymentNotification' });
