import { z } from 'zod';
import { BOOKING_STATUSES, MAX_CATEGORIES_PER_EVENT, MAX_SEATS_PER_BOOKING_LIMIT, PAYMENT_STATUSES, type PaymentStatus } from '@aquastream/domain';
import { MoneySchema } from '../events/schemas';
import { PagingQuery, pageOf, text } from '../schemas';

/**
 * The payment statuses of the v2 contract. A response enum may not grow (contracts/README.md), so a
 * refused refund (REFUND_FAILED inside) is shown as REFUND_PENDING with refundStatus FAILED.
 */
export const API_PAYMENT_STATUSES = PAYMENT_STATUSES.filter((s): s is Exclude<PaymentStatus, 'REFUND_FAILED'> => s !== 'REFUND_FAILED') as [
  Exclude<PaymentStatus, 'REFUND_FAILED'>,
  ...Exclude<PaymentStatus, 'REFUND_FAILED'>[],
];

export const ParticipantSchema = z
  .object({
    name: text({ nonBlank: 1 }).min(1).max(200).trim(),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9 ()\-.]{3,40}$/)
      .optional(),
  })
  .strict()
  .meta({ id: 'Participant' });

const Seats = z.number().int().min(1).max(MAX_SEATS_PER_BOOKING_LIMIT);

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
    seats: z.number().int().describe('Seats the booking holds (a group books several)'),
    participants: z.array(ParticipantSchema).describe('Who the seats are for, at most one per seat; may be empty'),
    partialRefundAmount: MoneySchema.nullable().describe('Owed back for seats given up (reduce) until it is refunded; null otherwise'),
    paymentId: z.uuid().nullable(),
    expiresAt: z.iso.datetime().nullable().describe('Until when a PENDING booking holds its seat (held longer while its payment is PROCESSING)'),
    checkedInAt: z.iso.datetime().nullable().describe("When the event's organizer checked the booking in at the event; null until then"),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Booking' });

export const BookingPage = pageOf(BookingSchema).meta({ id: 'BookingPage' });

export const BookingLineRequest = z
  .object({
    categoryId: z.uuid().describe("A category of the event (GET /api/v2/events/{id}/categories); the event's id for its implicit one"),
    seats: Seats.describe('Seats of this category'),
    participants: z.array(ParticipantSchema).max(MAX_SEATS_PER_BOOKING_LIMIT).optional().describe('Who these seats are for, at most one per seat'),
  })
  .strict()
  .meta({ id: 'BookingLineRequest' });

export const CreateBookingBody = z
  .object({
    eventId: z.uuid(),
    lines: z
      .array(BookingLineRequest)
      .min(1)
      .max(MAX_CATEGORIES_PER_EVENT)
      .optional()
      .describe(
        "Seats per ticket category, one line per category, all or none (409 category-sold-out when a category's quota is short). Instead of seats and participants, which book the event's first category",
      ),
    promoCode: z
      .string()
      .min(3)
      .max(40)
      .optional()
      .describe(
        'A promo code of the event, any case: 422 promo-code-invalid (unknown, outside its dates, nothing to discount), 409 promo-code-exhausted or promo-code-already-used',
      ),
    seats: Seats.optional().describe(
      "Seats to book, all or none (default 1; a waitlist offer's holder: the seats offered); at most the event's maxSeatsPerBooking",
    ),
    participants: z.array(ParticipantSchema).max(MAX_SEATS_PER_BOOKING_LIMIT).optional().describe('Who the seats are for, at most one per seat'),
  })
  .strict()
  .meta({ id: 'BookingRequest' });

export const ReduceBookingBody = z
  .object({
    seats: Seats.optional().describe(
      'Seats the booking keeps: fewer than it holds, at least 1 (cancel to give up all); required unless lines are given. Seats leave from its last category first',
    ),
    lines: z
      .array(
        z
          .object({
            categoryId: z.uuid().describe("One of the booking's categories"),
            seats: z.number().int().min(0).max(MAX_SEATS_PER_BOOKING_LIMIT).describe('Seats of this category the booking keeps (0: all given up)'),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_CATEGORIES_PER_EVENT)
      .optional()
      .describe('The seats each category keeps (a category left out keeps all); each seat given up is refunded its price less its share of the discount'),
    participants: z
      .array(ParticipantSchema)
      .max(MAX_SEATS_PER_BOOKING_LIMIT)
      .optional()
      .describe('The participants who stay, at most `seats`; left out: the first `seats` of the current list'),
  })
  .strict()
  .meta({ id: 'ReduceBookingRequest' });

/** A query parameter, not a body: joining took no body before groups, and clients still send none. */
export const JoinWaitlistQuery = z.object({
  seats: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SEATS_PER_BOOKING_LIMIT)
    .optional()
    .describe("Seats to wait for (default 1; at most the event's maxSeatsPerBooking)"),
});

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
    seats: z.number().int().describe('Seats waited for; an offer holds this many'),
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
