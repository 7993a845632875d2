import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IdempotencyStore } from '@aquastream/adapters';
import type { Clock } from '@aquastream/domain';
import type { UseCases } from '@aquastream/domain';
import { idempotent } from '../../plugins/idempotency';
import { bearer, IdParams, noContent, problems } from '../schemas';
import { bookingDto, waitlistDto } from './presenters';
import {
  BookingListQuery,
  BookingPage,
  BookingSchema,
  CreateBookingBody,
  JoinWaitlistQuery,
  PaymentResultSchema,
  ReduceBookingBody,
  WaitlistEntrySchema,
} from './schemas';

interface Options {
  useCases: UseCases;
  idempotency: IdempotencyStore;
  clock: Clock;
}

const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().describe('Retries with the same key and body get the same answer'),
});

export const bookingRoutes: FastifyPluginAsyncZod<Options> = async (app, { useCases, idempotency, clock }) => {
  const tags = ['bookings'];
  app.post('', {
    schema: {
      operationId: 'bookSeat',
      tags,
      summary:
        'Book seats (USER): one, or a group (seats, participants) taken all or none at seats × price (409 event-full with `available`). Seats held for you by a waitlist offer are claimed.',
      security: bearer,
      headers: IdempotencyHeaders,
      body: CreateBookingBody,
      response: { 201: BookingSchema, ...problems(401, 403, 404, 409, 422) },
    },
    handler: (request, reply) =>
      idempotent(idempotency, clock, request, reply, async () => ({ status: 201, body: bookingDto(await useCases.bookSeat(request.actor, request.body)) })),
  });
  app.get('', {
    schema: {
      operationId: 'listMyBookings',
      tags,
      summary: 'Your bookings',
      security: bearer,
      querystring: BookingListQuery,
      response: { 200: BookingPage, ...problems(401) },
    },
    handler: async (request) => {
      const page = await useCases.listMyBookings(request.actor, request.query);
      return { ...page, items: page.items.map(bookingDto) };
    },
  });
  app.get('/:id', {
    schema: {
      operationId: 'getBooking',
      tags,
      summary: 'A booking (booker, the event organizer, ADMIN)',
      security: bearer,
      params: IdParams,
      response: { 200: BookingSchema, ...problems(401, 404) },
    },
    handler: async (request) => bookingDto(await useCases.getBooking(request.actor, request.params.id)),
  });
  app.post('/:id/cancel', {
    schema: {
      operationId: 'cancelBooking',
      tags,
      summary: 'Cancel a booking; a paid one is refunded',
      security: bearer,
      params: IdParams,
      response: { 200: BookingSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => bookingDto(await useCases.cancelBooking(request.actor, request.params.id)),
  });
  app.post('/:id/reduce', {
    schema: {
      operationId: 'reduceBooking',
      tags,
      summary:
        "Give up some of a booking's seats (booker, ADMIN); a paid booking is refunded the difference under the event's cancellation policy. The seats go to the waitlist first.",
      security: bearer,
      params: IdParams,
      body: ReduceBookingBody,
      response: { 200: BookingSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => bookingDto(await useCases.reduceBooking(request.actor, request.params.id, request.body)),
  });
  app.post('/:id/no-show', {
    schema: {
      operationId: 'markNoShow',
      tags,
      summary: 'Mark a CONFIRMED booking as NO_SHOW (event organizer, ADMIN)',
      security: bearer,
      params: IdParams,
      response: { 200: BookingSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => bookingDto(await useCases.markNoShow(request.actor, request.params.id)),
  });
  app.post('/:id/check-in', {
    schema: {
      operationId: 'checkInBooking',
      tags: ['attendees'],
      summary: 'Check a CONFIRMED booking in at the event (event organizer, ADMIN); idempotent',
      description:
        "Open from the start of the day the event starts on until the end of the day it ends on, in the event's time zone (UTC when it has none); outside it, 409 check-in-closed with opensAt and closesAt. Checking in a booking already checked in answers it unchanged. Only a CONFIRMED booking, or one the event's end made COMPLETED while the window is still open (409 check-in-not-allowed otherwise).",
      security: bearer,
      params: IdParams,
      response: { 200: BookingSchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request) => bookingDto(await useCases.checkInBooking(request.actor, request.params.id)),
  });
  app.post('/:id/pay', {
    schema: {
      operationId: 'payBooking',
      tags,
      summary: 'Pay a PENDING booking. 202 when the Payment Service is down: the payment is queued and processed later.',
      security: bearer,
      params: IdParams,
      headers: IdempotencyHeaders,
      response: { 200: PaymentResultSchema, 202: PaymentResultSchema, ...problems(401, 402, 403, 404, 409, 422) },
    },
    handler: (request, reply) =>
      idempotent(idempotency, clock, request, reply, async () => {
        const outcome = await useCases.payBooking(request.actor, request.params.id);
        const booking = bookingDto(outcome.booking);
        return outcome.kind === 'confirmed'
          ? { status: 200, body: { status: 'SUCCEEDED', paymentId: outcome.booking.paymentId!, booking } }
          : { status: 202, body: { status: 'PENDING', paymentId: outcome.paymentId, message: outcome.message, booking } };
      }),
  });
};

export const eventBookingRoutes: FastifyPluginAsyncZod<{ useCases: UseCases }> = async (app, { useCases }) => {
  app.get('/:id/bookings', {
    schema: {
      operationId: 'listEventBookings',
      tags: ['bookings'],
      summary: "An event's bookings (its organizer, ADMIN)",
      security: bearer,
      params: IdParams,
      querystring: BookingListQuery,
      response: { 200: BookingPage, ...problems(401, 403, 404) },
    },
    handler: async (request) => {
      const page = await useCases.listEventBookings(request.actor, request.params.id, request.query);
      return { ...page, items: page.items.map(bookingDto) };
    },
  });
  const tags = ['waitlist'];
  app.post('/:id/waitlist', {
    schema: {
      operationId: 'joinWaitlist',
      tags,
      summary: 'Join the waitlist of an event with fewer free seats than you need (USER); offered once that many are free, in FIFO order',
      security: bearer,
      params: IdParams,
      querystring: JoinWaitlistQuery,
      response: { 201: WaitlistEntrySchema, ...problems(401, 403, 404, 409) },
    },
    handler: async (request, reply) =>
      reply.code(201).send(waitlistDto(await useCases.joinWaitlist(request.actor, request.params.id, { seats: request.query.seats }))),
  });
  app.delete('/:id/waitlist', {
    schema: {
      operationId: 'leaveWaitlist',
      tags,
      summary: 'Leave the waitlist',
      security: bearer,
      params: IdParams,
      response: { 204: noContent('Left'), ...problems(401, 403, 404) },
    },
    handler: async (request, reply) => {
      await useCases.leaveWaitlist(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  });
  app.get('/:id/waitlist/me', {
    schema: {
      operationId: 'getMyWaitlistEntry',
      tags,
      summary: 'Your place in line or the seat offered to you',
      security: bearer,
      params: IdParams,
      response: { 200: WaitlistEntrySchema, ...problems(401, 403, 404) },
    },
    handler: async (request) => waitlistDto(await useCases.getMyWaitlistEntry(request.actor, request.params.id)),
  });
};
