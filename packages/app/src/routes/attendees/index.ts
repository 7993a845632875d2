import { Readable } from 'node:stream';
import Negotiator from 'negotiator';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { UseCases } from '@aquastream/domain';
import { bearer, IdParams, problems } from '../schemas';
import { csvChunks } from './csv';
import { ATTENDEE_CSV_HEADER, attendeeCsvRecords, attendeeDto } from './presenters';
import { ATTENDEES_CSV_DESCRIPTION, AttendeeListQuery, AttendeePage, SummarySchema } from './schemas';

const CSV = 'text/csv; charset=utf-8; header=present';

/** CSV when the client's Accept prefers it over JSON; JSON otherwise (also for `*\/*` and no Accept). */
export const prefersCsv = (accept: string | undefined): boolean =>
  new Negotiator({ headers: accept === undefined ? {} : { accept } }).mediaType(['application/json', 'text/csv']) === 'text/csv';

export const attendeeRoutes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  const tags = ['attendees'];
  app.get('/:id/attendees', {
    schema: {
      operationId: 'listAttendees',
      tags,
      summary:
        "The event's attendees: its active bookings (and, after the event, completed and no-show ones) with their participants, oldest first (its organizer, ADMIN)",
      description: `JSON, paged. ${ATTENDEES_CSV_DESCRIPTION}`,
      security: bearer,
      params: IdParams,
      querystring: AttendeeListQuery,
      response: {
        200: {
          description: 'The attendees: a JSON page, or the whole list as CSV with `Accept: text/csv`',
          content: {
            'application/json': { schema: AttendeePage },
            'text/csv': { schema: z.string().describe(ATTENDEES_CSV_DESCRIPTION) },
          },
        },
        ...problems(401, 403, 404),
      },
    },
    handler: async (request, reply) => {
      if (prefersCsv(request.headers.accept)) {
        // Access is checked before the status goes out; the rows are read while the body is written.
        // (The typed reply knows the documented string body, not the stream that makes it.)
        const { event, rows } = await useCases.exportAttendees(request.actor, request.params.id);
        const body = Readable.from(csvChunks(ATTENDEE_CSV_HEADER, rows, attendeeCsvRecords), { objectMode: false });
        return reply
          .type(CSV)
          .header('content-disposition', `attachment; filename="attendees-${event.id}.csv"`)
          .send(body as never);
      }
      const page = await useCases.listAttendees(request.actor, request.params.id, request.query);
      return { ...page, items: page.items.map(attendeeDto) };
    },
  });
  app.get('/:id/summary', {
    schema: {
      operationId: 'getEventSummary',
      tags,
      summary: 'Capacity, seats booked and checked in, the waitlist and the money of an event (its organizer, ADMIN)',
      security: bearer,
      params: IdParams,
      response: { 200: SummarySchema, ...problems(401, 403, 404) },
    },
    handler: async (request) => useCases.getEventSummary(request.actor, request.params.id),
  });
};
