import { z } from 'zod';
import { EVENT_STATUSES, MAX_SEATS_PER_BOOKING_LIMIT } from '@aquastream/domain';
import { DateTimeInput, PagingQuery, pageOf, text } from '../schemas';

export const CoordinatesSchema = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

export const LocationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    address: z.string(),
    coordinates: CoordinatesSchema.nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Location' });

export const CreateLocationBody = z
  .object({
    name: text({ nonBlank: 1 }).min(1).max(255).trim(),
    address: text({ nonBlank: 1 }).min(1).max(500).trim(),
    coordinates: CoordinatesSchema.nullish(),
  })
  .strict()
  .meta({ id: 'LocationRequest' });

export const MoneySchema = z
  .object({
    amount: z.number().int().min(0).max(100_000_000).describe('Minor units (cents)'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .describe('ISO 4217 code'),
  })
  .meta({ id: 'Money' });

export const CancellationPolicySchema = z
  .object({
    refundUntilHoursBeforeStart: z
      .number()
      .int()
      .min(0)
      .max(8760)
      .describe(
        'A booker who cancels until this many hours before the start gets a full refund; after it, none. A booker cannot cancel once the event has started (409 event-already-started). Cancelling the event refunds everyone.',
      ),
  })
  .strict()
  .meta({ id: 'CancellationPolicy' });

export const EventSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    startDate: z.iso.datetime(),
    endDate: z.iso.datetime(),
    location: LocationSchema.nullable(),
    capacity: z.number().int(),
    available: z.number().int(),
    price: MoneySchema.nullable(),
    cancellationPolicy: CancellationPolicySchema,
    timeZone: z.string().describe('IANA time zone of the event (`Europe/Moscow`, `UTC`): how to show its dates, which are instants'),
    maxSeatsPerBooking: z.number().int().describe('The most seats one booking or waitlist entry may ask for'),
    waitlistAllowsPassing: z
      .boolean()
      .describe('false (strict FIFO): freed seats wait for the group at the head of the line; true: smaller entries behind it may take them'),
    status: z.enum(EVENT_STATUSES),
    organizerId: z.uuid(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Event' });

export const EventBody = z
  .object({
    title: text({ nonBlank: 3 }).min(3).max(255),
    description: text().max(10_000).nullish(),
    startDate: DateTimeInput,
    endDate: DateTimeInput,
    capacity: z.number().int().min(1).max(1_000_000),
    price: MoneySchema.nullish(),
    locationId: z.uuid().nullish(),
    cancellationPolicy: CancellationPolicySchema.optional().describe(
      'Default on creation: full refund until 24 hours before the start; left out on a replace: unchanged',
    ),
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'IANA time zone name such as `Europe/Moscow` or `UTC` (matched without regard to case, answered as the time zone database spells it; an unknown one is a 400). Default on creation: `UTC`; left out on a replace: unchanged. The dates stay instants.',
      ),
    maxSeatsPerBooking: z
      .number()
      .int()
      .min(1)
      .max(MAX_SEATS_PER_BOOKING_LIMIT)
      .optional()
      .describe('The most seats one booking may take. Default on creation: 10; left out on a replace: unchanged'),
    waitlistAllowsPassing: z
      .boolean()
      .optional()
      .describe('Let smaller waitlist entries pass a group that does not fit yet. Default on creation: false; left out on a replace: unchanged'),
  })
  .strict()
  .meta({ id: 'EventRequest' });

export const EventListQuery = z.object({
  ...PagingQuery,
  status: z.enum(EVENT_STATUSES).optional(),
  from: DateTimeInput.optional().describe('Events starting at or after'),
  to: DateTimeInput.optional().describe('Events starting at or before'),
  search: text().max(200).optional().describe('Text in title, description or location'),
  locationId: z.uuid().optional(),
  organizerId: z.uuid().optional(),
});

export const EventPage = pageOf(EventSchema).meta({ id: 'EventPage' });
export const LocationPage = pageOf(LocationSchema).meta({ id: 'LocationPage' });

export const EventV1Schema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    start_date: z.string(),
    location: z.string().nullable(),
  })
  .meta({ id: 'EventV1', deprecated: true });

export const EventV1Body = z
  .object({
    title: text({ nonBlank: 3 }).min(3).max(255),
    description: text().max(10_000).nullish(),
    start_date: DateTimeInput,
    location: text().max(255).nullish(),
    end_date: DateTimeInput.optional().describe('Defaults to start_date + 1 day'),
    capacity: z.number().int().min(1).max(1_000_000).optional().describe('Defaults to 50'),
  })
  .meta({ id: 'EventV1Request', deprecated: true });

export const EventWeatherSchema = z
  .object({
    eventId: z.uuid(),
    forecast: z.object({
      available: z.boolean().describe('false when the forecast service could not answer: default data and a notice'),
      notice: z.string().nullable(),
      source: z.string(),
      days: z.array(
        z.object({ date: z.string(), temperatureMaxC: z.number().nullable(), temperatureMinC: z.number().nullable(), precipitationMm: z.number().nullable() }),
      ),
    }),
  })
  .meta({ id: 'EventWeather' });
