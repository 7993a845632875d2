import { z } from 'zod';
import { BOOKING_STATUSES, PAYMENT_STATUSES } from '@aquastream/domain';
import { API_PAYMENT_STATUSES, ParticipantSchema } from '../bookings/schemas';
import { MoneySchema } from '../events/schemas';
import { PagingQuery, pageOf } from '../schemas';

export const AttendeeSchema = z
  .object({
    bookingId: z.uuid(),
    userId: z.uuid().describe('The booker'),
    status: z.enum(['PENDING', 'CONFIRMED']).describe('Active bookings only: PENDING (held, not paid yet) or CONFIRMED'),
    seats: z.number().int().describe('Seats the booking holds'),
    participants: z.array(ParticipantSchema).describe('Who the seats are for, as the booker named them (may be fewer than the seats, or none)'),
    paymentStatus: z.enum(API_PAYMENT_STATUSES),
    amount: MoneySchema.nullable().describe('Null for a free event'),
    checkedInAt: z.iso.datetime().nullable().describe('When the organizer checked the booking in; null until then'),
    bookedAt: z.iso.datetime(),
  })
  .meta({ id: 'Attendee' });

export const AttendeePage = pageOf(AttendeeSchema).meta({ id: 'AttendeePage' });

export const AttendeeListQuery = z.object({ ...PagingQuery });

export const ATTENDEES_CSV_DESCRIPTION = [
  'With `Accept: text/csv`: every attendee booking of the event (active, completed, no-show) as CSV (RFC 4180, UTF-8, CRLF, a header record), streamed as it is read;',
  '`page` and `size` do not apply. One record per participant (a booking without participants has one record with the participant columns empty).',
  'Columns: bookingId, userId, status, seats, participantName, participantEmail, participantPhone, paymentStatus, amount (minor units), currency, checkedInAt, bookedAt.',
  'A text cell starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows it as text instead of running it as a formula.',
  'A failure after the first bytes ends the response early (the download is incomplete), since its status has already been sent.',
].join(' ');

export const SummarySchema = z
  .object({
    eventId: z.uuid(),
    capacity: z.number().int(),
    available: z.number().int().describe('Seats that can still be booked'),
    heldForWaitlist: z.number().int().describe('Seats freed for the waitlist but too few yet for the group at its head: bookable by nobody else'),
    booked: z.number().int().describe('Seats held by active bookings (PENDING and CONFIRMED)'),
    checkedIn: z.number().int().describe('Seats of bookings checked in (CONFIRMED, or COMPLETED after the event)'),
    seatsByStatus: z.object(Object.fromEntries(BOOKING_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof BOOKING_STATUSES)[number], z.ZodNumber>),
    bookings: z.object({ active: z.number().int(), checkedIn: z.number().int() }).describe('The same as numbers of bookings'),
    waitlist: z.object({
      waiting: z.number().int().describe('Entries in line'),
      offered: z.number().int().describe('Entries holding an offer'),
      waitingSeats: z.number().int().describe('Seats the entries in line ask for'),
      offeredSeats: z.number().int().describe('Seats held for the entries holding an offer'),
    }),
    revenue: z
      .array(
        z.object({
          paymentStatus: z.enum(PAYMENT_STATUSES),
          currency: z.string(),
          amount: z.number().int().describe('Minor units'),
          bookings: z.number().int(),
        }),
      )
      .describe(
        'Amounts of every booking of the event with a price, whatever its status, by payment status and currency: PAID is money taken, REFUND_PENDING owed back, REFUNDED given back, REFUND_FAILED a refund the Payment Service refused (support settles it), UNPAID/PROCESSING/FAILED not taken',
      ),
    revenueByCategory: z
      .array(
        z.object({
          categoryId: z.uuid().describe("The event's id for its implicit category (and for bookings made before categories)"),
          name: z.string(),
          paymentStatus: z.enum(PAYMENT_STATUSES),
          currency: z.string().nullable().describe('null for free seats'),
          bookings: z.number().int(),
          seats: z.number().int(),
          gross: z.number().int().describe('Minor units: seats × unit price'),
          discount: z.number().int().describe('Minor units taken off by promo codes'),
          amount: z.number().int().describe('Minor units charged: gross − discount'),
        }),
      )
      .describe('The same money by ticket category (every booking of the event, by payment status), categories in their order'),
    discounts: z
      .array(
        z.object({
          paymentStatus: z.enum(PAYMENT_STATUSES),
          currency: z.string(),
          amount: z.number().int().describe('Minor units'),
          bookings: z.number().int(),
        }),
      )
      .describe('Discount given by promo codes, by payment status and currency (PAID: on money taken)'),
  })
  .meta({ id: 'EventSummary' });
