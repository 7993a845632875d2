import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Event, Page } from '@aquastream/domain';
import type { UseCases } from '@aquastream/domain';
import { bearer, IdParams, optionalBearer, problems } from '../schemas';
import { sendJsonText, serializedOncePer } from '../../plugins/serializer';
import { eventDto } from './presenters';
import { EventBody, EventListQuery, EventPage, EventSchema, EventWeatherSchema } from './schemas';

type EventBodyInput = {
  title: string;
  description?: string | null;
  startDate: string;
  endDate: string;
  capacity: number;
  price?: { amount: number; currency: string } | null;
  locationId?: string | null;
  cancellationPolicy?: { refundUntilHoursBeforeStart: number };
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
  maxSeatsPerBooking: b.maxSeatsPerBooking,
  waitlistAllowsPassing: b.waitlistAllowsPassing,
});

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
      summary: 'Get an event',
      security: optionalBearer,
      params: IdParams,
      response: { 200: EventSchema, ...problems(401, 404) },
    },
    handler: async (request, reply) => sendJsonText(reply, eventJson(await useCases.getEvent(request.actor, request.params.id))),
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
      summary: 'Replace an event (owner, ADMIN)',
      security: bearer,
      params: IdParams,
      body: EventBody,
      response: { 200: EventSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => eventDto(await useCases.updateEvent(request.actor, request.params.id, toInput(request.body))),
  });
  app.post('/:id/publish', {
    schema: {
      operationId: 'publishEvent',
      tags,
      summary: 'Publish a DRAFT event (owner, ADMIN)',
      security: bearer,
      params: IdParams,
      response: { 200: EventSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => eventDto(await useCases.publishEvent(request.actor, request.params.id)),
  });
  app.post('/:id/cancel', {
    schema: {
      operationId: 'cancelEvent',
      tags,
      summary: 'Cancel an event and its bookings (owner, ADMIN)',
      security: bearer,
      params: IdParams,
      response: { 200: EventSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => eventDto(await useCases.cancelEvent(request.actor, request.params.id)),
  });
};
