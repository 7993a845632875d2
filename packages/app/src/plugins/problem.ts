import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import fastJson from 'fast-json-stringify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDomainError, type DomainError, type ErrorKind } from '@aquastream/domain';

export const PROBLEM_BASE = 'https://aquastream.org/problems/';

/** Stable problem types per domain error code; clients switch on `type`, never on `detail`. */
const BY_CODE: Record<string, { status: number; slug: string; title: string }> = {
  'VALIDATION.FAILED': { status: 400, slug: 'validation-error', title: 'Your request is not valid' },
  'AUTH.UNAUTHENTICATED': { status: 401, slug: 'unauthenticated', title: 'Authentication required' },
  'AUTH.FORBIDDEN': { status: 403, slug: 'forbidden', title: 'Not allowed' },
  'EVENT.NOT_FOUND': { status: 404, slug: 'event-not-found', title: 'Event not found' },
  'LOCATION.NOT_FOUND': { status: 404, slug: 'location-not-found', title: 'Location not found' },
  'BOOKING.NOT_FOUND': { status: 404, slug: 'booking-not-found', title: 'Booking not found' },
  'WAITLIST.NOT_FOUND': { status: 404, slug: 'waitlist-entry-not-found', title: 'Not on the waitlist' },
  'EVENT.ILLEGAL_TRANSITION': { status: 409, slug: 'illegal-transition', title: 'Not possible in the current state' },
  'EVENT.ALREADY_STARTED': { status: 409, slug: 'event-already-started', title: 'The event has already started' },
  'EVENT.PRECONDITION_FAILED': { status: 412, slug: 'precondition-failed', title: 'The event changed since you read it' },
  'BOOKING.EVENT_FULL': { status: 409, slug: 'event-full', title: 'No seat left' },
  'BOOKING.CONFLICT': { status: 409, slug: 'booking-conflict', title: 'You already hold a booking for this event' },
  'BOOKING.EVENT_NOT_BOOKABLE': { status: 409, slug: 'event-not-bookable', title: 'The event cannot be booked' },
  'BOOKING.ILLEGAL_TRANSITION': { status: 409, slug: 'illegal-transition', title: 'Not possible in the current state' },
  'BOOKING.NO_SHOW_TOO_EARLY': { status: 409, slug: 'no-show-too-early', title: 'The event has not started yet' },
  'BOOKING.NOT_REDUCIBLE': { status: 409, slug: 'booking-not-reducible', title: 'The booking cannot be reduced' },
  'BOOKING.CHECKED_IN': { status: 409, slug: 'booking-checked-in', title: 'The booking was checked in' },
  'BOOKING.CHECK_IN_NOT_ALLOWED': { status: 409, slug: 'check-in-not-allowed', title: 'Only a CONFIRMED booking can be checked in' },
  'BOOKING.CHECK_IN_CLOSED': { status: 409, slug: 'check-in-closed', title: "Check-in is open on the event's days only" },
  'PAYMENT.NOT_ALLOWED': { status: 409, slug: 'payment-not-allowed', title: 'The booking cannot be paid' },
  'PAYMENT.DECLINED': { status: 402, slug: 'payment-declined', title: 'The payment was declined' },
  'WAITLIST.CONFLICT': { status: 409, slug: 'waitlist-conflict', title: 'Cannot join the waitlist' },
  'SERVICE.READ_ONLY': { status: 503, slug: 'read-only-mode', title: 'Read-only mode' },
  'SERVICE.OVERLOADED': { status: 503, slug: 'overloaded', title: 'Overloaded' },
  'DEPENDENCY.UNAVAILABLE': { status: 503, slug: 'dependency-unavailable', title: 'A dependency is unavailable' },
};

const BY_KIND: Record<ErrorKind, { status: number; slug: string; title: string }> = {
  validation: BY_CODE['VALIDATION.FAILED']!,
  unauthenticated: BY_CODE['AUTH.UNAUTHENTICATED']!,
  forbidden: BY_CODE['AUTH.FORBIDDEN']!,
  'not-found': { status: 404, slug: 'not-found', title: 'Not found' },
  conflict: { status: 409, slug: 'conflict', title: 'Conflict' },
  unavailable: BY_CODE['DEPENDENCY.UNAVAILABLE']!,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/**
 * Every problem, whatever route (or none) it answers, goes out through this one serializer compiled
 * at start-up: refusals come by the thousand in a flash sale, and a route without a problem schema
 * for the status would otherwise fall back to JSON.stringify. Extensions (`available`, `retryAfterSeconds`...) pass as they are.
 */
const serializeProblem = fastJson({
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, additionalProperties: true },
    },
  },
  required: ['type', 'title', 'status'],
  additionalProperties: true,
});

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').serializer(serializeProblem).send(problem);
}

/** What Fastify rejects before a route is found (a path it cannot decode, a parameter too long), as a 400 problem. */
export function frameworkProblem(error: FastifyError, instance: string): Problem {
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'The URL path cannot be decoded';
  return { type: PROBLEM_BASE + 'bad-request', title: 'Bad request', status: 400, detail, instance, code: error.code };
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (headers over the limit, a request
 * too slow to arrive, bytes that are not HTTP), written on the socket as a problem instead of
 * Fastify's own JSON body. The connection is closed: its byte stream cannot be trusted any more.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, slug, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request-timeout', 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request-header-fields-too-large', 'The request line and headers are over the size limit']
        : [400, 'bad-request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ type: PROBLEM_BASE + slug, title: STATUS_CODES[status], status, detail });
  // A response already started on this socket cannot be replaced by another one.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !started)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

export function problemOf(error: DomainError, instance?: string): Problem {
  const entry = BY_CODE[error.code] ?? BY_KIND[error.kind];
  return { type: PROBLEM_BASE + entry.slug, title: entry.title, status: entry.status, detail: error.message, instance, code: error.code, ...error.details };
}

const GENERIC_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  431: 'request-header-fields-too-large',
};

function fieldOf(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.');
}

/**
 * One error handler for the whole API: RFC 7807 below 500 with the real message; generic above.
 * Also the answers Fastify would otherwise write itself: unknown routes (404), known paths with
 * another method (405 with Allow) and requests that arrive while the server closes (503).
 */
export const problemPlugin = fp(
  async (app: FastifyInstance) => {
    // Every method some route answers, collected as routes are added: a 404 probes them for a 405.
    const methods = new Set<string>();
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) methods.add(method.toUpperCase());
    });
    const allowedMethods = (path: string) => [...methods].filter((method) => app.findRoute({ method: method as 'GET', url: path }) !== null).sort();

    // Fastify's own drain answer (return503OnClosing) is not a problem: answer it here instead.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!closing) return;
      reply.header('connection', 'close').header('retry-after', '1');
      return sendProblem(reply, {
        type: PROBLEM_BASE + 'shutting-down',
        title: 'Shutting down',
        status: 503,
        detail: 'This instance is shutting down; retry on another one',
        instance: request.url,
      });
    });

    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      if (isDomainError(error)) {
        const problem = problemOf(error, request.url);
        if (typeof error.details.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
        // Overload refusals come by the thousand and are counted (db_admission_rejected_total): one
        // log line (with its stack) each would add to the very load being shed.
        if (error.code === 'SERVICE.OVERLOADED') request.log.debug({ code: error.code }, 'request refused: overloaded');
        else if (problem.status >= 500) request.log.warn({ err: error }, 'request refused: dependency unavailable');
        return sendProblem(reply, problem);
      }
      if (hasZodFastifySchemaValidationErrors(error)) {
        const context = error.validationContext ?? 'body';
        const errors = error.validation.map((v) => {
          const field = fieldOf(v.instancePath ?? '') || (v.params as { issue?: { path?: unknown[] } })?.issue?.path?.join('.') || context;
          return { field: context === 'body' ? field : `${context}.${field}`.replace(/\.$/, ''), message: v.message ?? 'is not valid' };
        });
        return sendProblem(reply, {
          type: PROBLEM_BASE + 'validation-error',
          title: 'Your request is not valid',
          status: 400,
          detail: `The ${context} has ${errors.length} invalid field(s)`,
          instance: request.url,
          code: 'VALIDATION.FAILED',
          errors,
        });
      }
      // Plugins that build their own problem (rate limiting) throw it as the error: send it as built.
      const built = error as unknown as Partial<Problem> & { statusCode?: number };
      if (typeof built.type === 'string' && built.type.startsWith(PROBLEM_BASE) && typeof built.status === 'number') {
        const { statusCode: _statusCode, ...problem } = built;
        return sendProblem(reply, problem as Problem);
      }
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) {
        request.log.error({ err: error }, 'unhandled error');
        return sendProblem(reply, {
          type: PROBLEM_BASE + 'internal-error',
          title: 'Internal error',
          status,
          detail: 'Something went wrong on our side',
          instance: request.url,
        });
      }
      const headers = (error as { headers?: Record<string, string> }).headers;
      if (headers) reply.headers(headers);
      return sendProblem(reply, {
        type: PROBLEM_BASE + (GENERIC_BY_STATUS[status] ?? 'bad-request'),
        title: GENERIC_BY_STATUS[status]?.replace(/-/g, ' ') ?? 'Bad request',
        status,
        detail: error.message,
        instance: request.url,
      });
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      const allowed = allowedMethods(path);
      if (allowed.length > 0)
        return sendProblem(reply.header('allow', allowed.join(', ')), {
          type: PROBLEM_BASE + 'method-not-allowed',
          title: 'Method not allowed',
          status: 405,
          detail: `${request.method} is not supported on ${path}; use ${allowed.join(', ')}`,
          instance: request.url,
        });
      return sendProblem(reply, {
        type: PROBLEM_BASE + 'not-found',
        title: 'Not found',
        status: 404,
        detail: `No route ${request.method} ${path}`,
        instance: request.url,
      });
    });
  },
  { name: 'problem' },
);
