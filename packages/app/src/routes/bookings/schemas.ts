import { z } from 'zod';
import { BOOKING_STATUSES, PAYMENT_STATUSES, type PaymentStatus } from '@aquastream/domain';
import { MoneySchema } from '../events/schemas';
import { PagingQuery, pageOf } from '../schemas';

/**
 * The payment statuses of the v2 contract. A response enum may not grow (contracts/README.md), so a
 * refused refund (REFUND_FAILED inside) is shown as REFUND_PENDING with refundStatus FAILED.
 */
export const API_PAYMENT_STATUSES = PAYMENT_STATUSES.filter((s): s is Exclude<PaymentStatus, 'REFUND_FAILED'> => s !== 'REFUND_FAILED') as [
  Exclude<PaymentStatus, 'REFUND_FAILED'>,
  ...Exclude<PaymentStatus, 'REFUND_FAILED'>[],
];

export const BookingSchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    userId: z.uuid(),
    status: z.enum(BOOKING_STATUSES),
    amount: MoneySchema.nullable().describe('Fixed when booked; null for a free event'),
    paymentStatus: z
      .enum(API_PAYMENT_STATUSES)
      .describe(
        'NOT_REQUIRED (free), UNPAID, PROCESSING (a charge in flight or queued while the Payment Service is unavailable; the seat stays held, retried until PAYMENT_RETRY_HORIZON), PAID, FAILED (declined, or given up at the horizon; pay again while the hold lasts), REFUND_PENDING (money is owed back; see refundStatus), REFUNDED',
      ),
    refundStatus: z
      .enum(['PENDING', 'REFUNDED', 'FAILED'])
      .nullable()
      .describe(
        'null while no refund is owed. PENDING: being refunded; REFUNDED; FAILED: the Payment Service refused the refund and support settles it (paymentStatus stays REFUND_PENDING)',
      ),
    paymentId: z.uuid().nullable(),
    expiresAt: z.iso.datetime().nullable().describe('Until when a PENDING booking holds its seat (held longer while its payment is PROCESSING)'),
    checkedInAt: z.iso.datetime().nullable().describe("When the event's organizer checked the booking in at the event; null until then"),
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
