import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Event, Page } from '@aquastream/domain';
import type { UseCases } from '@aquastream/domain';
import { bearer, IdParams, noContent, optionalBearer, problems } from '../schemas';
import { sendJsonText, serializedOncePer } from '../../plugins/serializer';
import { eventDto } from './presenters';
import { EventBody, EventListQuery, EventPage, EventSchema, EventWeatherSchema } from './schemas';
import { etagOf, ifMatchCondition, IfMatchHeaders, IfNoneMatchHeaders, noneMatchHits } from './conditional';

type EventBodyInput = {
  title: string;
  description?: string | null;
  startDate: string;
  endDate: string;
  capacity: number;
  price?: { amount: number; currency: string } | null;
  locationId?: string | null;
  cancellationPolicy?: { refundUntilHoursBeforeStart: number };
  timeZone?: string;
  maxSeatsPerBooking?: number;
  waitlistAllowsPassing?: boolean;
};

const toInput = (b: EventBodyInput) => ({
  title: b.title,
  description: b.description ?? null,
  startDate: new Date(b.startDate),
  endDate: new Date(b.endDate),
  capacity: b.capacity,
  price: b.price ?? null,
  locationId: b.locationId ?? null,
  cancellationPolicy: b.cancellationPolicy,
  timeZone: b.timeZone,
  maxSeatsPerBooking: b.maxSeatsPerBooking,
  waitlistAllowsPassing: b.waitlistAllowsPassing,
});

/** The changed event, with the ETag of what it now is (a chained change may send it as If-Match). */
const versioned = (reply: { header(name: string, value: string): unknown }, event: Event) => {
  reply.header('etag', etagOf(event.version));
  return eventDto(event);
};

export const eventV2Routes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  const tags = ['events'];
  const eventJson = serializedOncePer(EventSchema, eventDto);
  const pageJson = serializedOncePer(EventPage, (page: Page<Event>) => ({ ...page, items: page.items.map(eventDto) }));
  app.post('', {
    schema: {
      operationId: 'createEvent',
      tags,
      summary: 'Create a DRAFT event (ORGANIZER, ADMIN)',
      security: bearer,
      body: EventBody,
      response: { 201: EventSchema, ...problems(401, 403, 404) },
    },
    handler: async (request, reply) => reply.code(201).send(eventDto(await useCases.createEvent(request.actor, toInput(request.body)))),
  });
  app.get('', {
    schema: {
      operationId: 'listEvents',
      tags,
      summary: 'List events: published ones for everyone, drafts for their organizer',
      security: optionalBearer,
      querystring: EventListQuery,
      response: { 200: EventPage, ...problems(401) },
    },
    handler: async (request, reply) => {
      const q = request.query;
      const page = await useCases.listEvents(request.actor, {
        ...q,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      });
      return sendJsonText(reply, pageJson(page));
    },
  });
  app.get('/:id', {
    schema: {
      operationId: 'getEvent',
      tags,
      summary: 'Get an event, with its version as the ETag',
      description:
        'The `ETag` changes with every change of the event, its available seats included. Send it back as `If-None-Match` to get 304 while your copy is current, or as `If-Match` on a change so it cannot overwrite someone else’s.',
      security: optionalBearer,
      params: IdParams,
      headers: IfNoneMatchHeaders,
      response: { 200: EventSchema, 304: noContent('Not modified: the copy named by If-None-Match is current'), ...problems(401, 404) },
    },
    // Not async: a copy this replica holds is answered at once, without a promise; otherwise getEvent.
    handler: (request, reply) => {
      const answer = (event: Event): void => {
        reply.header('etag', etagOf(event.version));
        if (noneMatchHits(request.headers['if-none-match'], event.version)) reply.code(304).send(null);
        else sendJsonText(reply, eventJson(event));
      };
      const held = useCases.getHeldEvent(request.actor, request.params.id);
      if (held) return answer(held);
      return useCases.getEvent(request.actor, request.params.id).then(answer);
    },
  });
  app.get('/:id/weather', {
    schema: {
      operationId: 'getEventWeather',
      tags,
      summary: "Weather forecast for the event's place and dates; default data with a notice when the forecast service is down",
      security: optionalBearer,
      params: IdParams,
      response: { 200: EventWeatherSchema, ...problems(401, 404) },
    },
    handler: async (request) => useCases.getEventWeather(request.actor, request.params.id),
  });
  app.put('/:id', {
    schema: {
      operationId: 'updateEvent',
      tags,
      summary: 'Replace an event (owner, ADMIN); with If-Match, only while it is unchanged',
      security: bearer,
      params: IdParams,
      headers: IfMatchHeaders,
      body: EventBody,
      response: { 200: EventSchema, ...problems(401, 403, 404, 409, 412) },
    },
    handler: async (request, reply) =>
      versioned(reply, await useCases.updateEvent(request.actor, request.params.id, toInput(request.body), ifMatchCondition(request.headers['if-match']))),
  });
  app.post('/:id/publish', {
    schema: {
      operationId: 'publishEvent',
      tags,
      summary: 'Publish a DRAFT event (owner, ADMIN); with If-Match, only while it is unchanged',
      security: bearer,
      params: IdParams,
      headers: IfMatchHeaders,
      response: { 200: EventSchema, ...problems(401, 403, 404, 409, 412) },
    },
    handler: async (request, reply) =>
      versioned(reply, await useCases.publishEvent(request.actor, request.params.id, ifMatchCondition(request.headers['if-match']))),
  });
  app.post('/:id/cancel', {
    schema: {
      operationId: 'cancelEvent',
      tags,
      summary: 'Cancel an event and its bookings (owner, ADMIN); with If-Match, only while it is unchanged',
      security: bearer,
      params: IdParams,
      headers: IfMatchHeaders,
      response: { 200: EventSchema, ...problems(401, 403, 404, 409, 412) },
    },
    handler: async (request, reply) =>
      versioned(reply, await useCases.cancelEvent(request.actor, request.params.id, ifMatchCondition(request.headers['if-match']))),
  });
};
