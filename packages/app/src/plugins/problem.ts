import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import fastJson from 'fast-json-stringify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDomainError, type DomainError, type ErrorCode } from '@aquastream/domain';

export const PROBLEM_BASE = 'https://aquastream.org/problems/';

interface ProblemType {
  status: number;
  slug: string;
  title: string;
}

/** Problems the HTTP layer answers itself, with no domain error behind them. */
export type HttpProblemCode =
  | 'HTTP.BAD_REQUEST'
  | 'HTTP.NOT_FOUND'
  | 'HTTP.METHOD_NOT_ALLOWED'
  | 'HTTP.NOT_ACCEPTABLE'
  | 'HTTP.REQUEST_TIMEOUT'
  | 'HTTP.PAYLOAD_TOO_LARGE'
  | 'HTTP.URI_TOO_LONG'
  | 'HTTP.UNSUPPORTED_MEDIA_TYPE'
  | 'HTTP.TOO_MANY_REQUESTS'
  | 'HTTP.HEADER_FIELDS_TOO_LARGE'
  | 'HTTP.INVALID_SIGNATURE'
  | 'HTTP.IDEMPOTENCY_KEY_REUSED'
  | 'HTTP.REQUEST_IN_PROGRESS'
  | 'HTTP.LOAD_SHED'
  | 'HTTP.SHUTTING_DOWN'
  | 'HTTP.INTERNAL_ERROR';

/** What a problem can be about: a domain error code (a closed union) or one of the HTTP layer's own. */
export type ProblemCode = ErrorCode | HttpProblemCode;

/**
 * Every problem the service sends, by code: its stable type (clients switch on `type`, never on
 * `detail`), status and title. Keyed by the closed unions, so a new domain error without a line
 * here does not compile.
 */
const PROBLEMS: Record<ProblemCode, ProblemType> = {
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
  'CATEGORY.SOLD_OUT': { status: 409, slug: 'category-sold-out', title: 'No seat left in this category' },
  'CATEGORY.LIMIT': { status: 409, slug: 'category-limit', title: 'The event has as many categories as it may' },
  'CATEGORY.CONFLICT': { status: 409, slug: 'category-conflict', title: 'The event has a category of that name' },
  'PROMO_CODE.INVALID': { status: 422, slug: 'promo-code-invalid', title: 'The promo code cannot be used' },
  'PROMO_CODE.EXHAUSTED': { status: 409, slug: 'promo-code-exhausted', title: 'The promo code has no use left' },
  'PROMO_CODE.ALREADY_USED': { status: 409, slug: 'promo-code-already-used', title: 'You have used this promo code' },
  'PROMO_CODE.CONFLICT': { status: 409, slug: 'promo-code-conflict', title: 'The event has this promo code' },
  'SERVICE.READ_ONLY': { status: 503, slug: 'read-only-mode', title: 'Read-only mode' },
  'SERVICE.OVERLOADED': { status: 503, slug: 'overloaded', title: 'Overloaded' },
  'SERVICE.CONTENTION': { status: 503, slug: 'database-contention', title: 'Conflicting changes, retry' },
  'DEPENDENCY.UNAVAILABLE': { status: 503, slug: 'dependency-unavailable', title: 'A dependency is unavailable' },
  'HTTP.BAD_REQUEST': { status: 400, slug: 'bad-request', title: 'Bad request' },
  'HTTP.NOT_FOUND': { status: 404, slug: 'not-found', title: 'Not found' },
  'HTTP.METHOD_NOT_ALLOWED': { status: 405, slug: 'method-not-allowed', title: 'Method not allowed' },
  'HTTP.NOT_ACCEPTABLE': { status: 406, slug: 'not-acceptable', title: 'Not acceptable' },
  'HTTP.REQUEST_TIMEOUT': { status: 408, slug: 'request-timeout', title: 'Request timeout' },
  'HTTP.PAYLOAD_TOO_LARGE': { status: 413, slug: 'payload-too-large', title: 'Payload too large' },
  'HTTP.URI_TOO_LONG': { status: 414, slug: 'uri-too-long', title: 'URI too long' },
  'HTTP.UNSUPPORTED_MEDIA_TYPE': { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type' },
  'HTTP.TOO_MANY_REQUESTS': { status: 429, slug: 'too-many-requests', title: 'Too many requests' },
  'HTTP.HEADER_FIELDS_TOO_LARGE': { status: 431, slug: 'request-header-fields-too-large', title: 'Request header fields too large' },
  'HTTP.INVALID_SIGNATURE': { status: 401, slug: 'invalid-signature', title: 'Invalid signature' },
  'HTTP.IDEMPOTENCY_KEY_REUSED': { status: 422, slug: 'idempotency-key-reused', title: 'Idempotency-Key reused' },
  'HTTP.REQUEST_IN_PROGRESS': { status: 409, slug: 'request-in-progress', title: 'Request in progress' },
  // Low-priority requests shed under load: the same type as an admission refusal (SERVICE.OVERLOADED).
  'HTTP.LOAD_SHED': { status: 503, slug: 'overloaded', title: 'Overloaded' },
  'HTTP.SHUTTING_DOWN': { status: 503, slug: 'shutting-down', title: 'Shutting down' },
  'HTTP.INTERNAL_ERROR': { status: 500, slug: 'internal-error', title: 'Internal error' },
};

/** The HTTP problem of a 4xx error Fastify or a plugin raised with only a status code. */
const BY_STATUS: Partial<Record<number, HttpProblemCode>> = {
  400: 'HTTP.BAD_REQUEST',
  404: 'HTTP.NOT_FOUND',
  405: 'HTTP.METHOD_NOT_ALLOWED',
  406: 'HTTP.NOT_ACCEPTABLE',
  408: 'HTTP.REQUEST_TIMEOUT',
  413: 'HTTP.PAYLOAD_TOO_LARGE',
  414: 'HTTP.URI_TOO_LONG',
  415: 'HTTP.UNSUPPORTED_MEDIA_TYPE',
  429: 'HTTP.TOO_MANY_REQUESTS',
  431: 'HTTP.HEADER_FIELDS_TOO_LARGE',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** What one occurrence adds to its problem type: the detail, where, and extension members. */
export interface ProblemFields {
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** The problem of `code` from the table; the only way a problem is made. */
export function problem(code: ProblemCode, fields: ProblemFields): Problem {
  const { status, slug, title } = PROBLEMS[code];
  return { type: PROBLEM_BASE + slug, title, status, ...fields };
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
  return problem('HTTP.BAD_REQUEST', { detail, instance, code: error.code });
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (headers over the limit, a request
 * too slow to arrive, bytes that are not HTTP), written on the socket as a problem instead of
 * Fastify's own JSON body. The connection is closed: its byte stream cannot be trusted any more.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? problem('HTTP.REQUEST_TIMEOUT', { detail: 'The request did not arrive in time' })
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? problem('HTTP.HEADER_FIELDS_TOO_LARGE', { detail: 'The request line and headers are over the size limit' })
        : problem('HTTP.BAD_REQUEST', { detail: 'The request is not valid HTTP' });
  const { status } = answer;
  const body = JSON.stringify(answer);
  // A response already started on this socket cannot be replaced by another one.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !started)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

export function problemOf(error: DomainError, instance?: string): Problem {
  return problem(error.code, { detail: error.message, instance, code: error.code, ...error.details });
}

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
    // A callback hook: no promise per request for the one in a million that finds the instance closing.
    app.addHook('onRequest', (request, reply, done) => {
      if (!closing) return done();
      reply.header('connection', 'close').header('retry-after', '1');
      // Answered here: Fastify goes no further once the reply is sent and done is not called.
      sendProblem(reply, problem('HTTP.SHUTTING_DOWN', { detail: 'This instance is shutting down; retry on another one', instance: request.url }));
    });

    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      if (isDomainError(error)) {
        const answer = problemOf(error, request.url);
        if (typeof error.details.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
        // Overload refusals come by the thousand and are counted (db_admission_rejected_total): one
        // log line (with its stack) each would add to the very load being shed.
        if (error.code === 'SERVICE.OVERLOADED') request.log.debug({ code: error.code }, 'request refused: overloaded');
        else if (answer.status >= 500) request.log.warn({ err: error }, 'request refused: dependency unavailable');
        return sendProblem(reply, answer);
      }
      if (hasZodFastifySchemaValidationErrors(error)) {
        const context = error.validationContext ?? 'body';
        const errors = error.validation.map((v) => {
          const field = fieldOf(v.instancePath ?? '') || (v.params as { issue?: { path?: unknown[] } })?.issue?.path?.join('.') || context;
          return { field: context === 'body' ? field : `${context}.${field}`.replace(/\.$/, ''), message: v.message ?? 'is not valid' };
        });
        return sendProblem(
          reply,
          problem('VALIDATION.FAILED', {
            detail: `The ${context} has ${errors.length} invalid field(s)`,
            instance: request.url,
            code: 'VALIDATION.FAILED',
            errors,
          }),
        );
      }
      // Plugins that answer through an error (rate limiting) throw a problem made by `problem`: send it as made.
      const built = error as unknown as Partial<Problem> & { statusCode?: number };
      if (typeof built.type === 'string' && built.type.startsWith(PROBLEM_BASE) && typeof built.status === 'number') {
        const { statusCode: _statusCode, ...made } = built;
        return sendProblem(reply, made as Problem);
      }
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) {
        request.log.error({ err: error }, 'unhandled error');
        return sendProblem(reply, problem('HTTP.INTERNAL_ERROR', { detail: 'Something went wrong on our side', instance: request.url }));
      }
      const headers = (error as { headers?: Record<string, string> }).headers;
      if (headers) reply.headers(headers);
      // A 4xx the table does not name (411, 416...) keeps its status under the generic bad-request type.
      return sendProblem(reply, { ...problem(BY_STATUS[status] ?? 'HTTP.BAD_REQUEST', { detail: error.message, instance: request.url }), status });
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      const allowed = allowedMethods(path);
      if (allowed.length > 0)
        return sendProblem(
          reply.header('allow', allowed.join(', ')),
          problem('HTTP.METHOD_NOT_ALLOWED', { detail: `${request.method} is not supported on ${path}; use ${allowed.join(', ')}`, instance: request.url }),
        );
      return sendProblem(reply, problem('HTTP.NOT_FOUND', { detail: `No route ${request.method} ${path}`, instance: request.url }));
    });
  },
  { name: 'problem' },
);
