import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { validatorCompiler } from './plugins/validator';
import { zodFastSerializer } from './plugins/serializer';
import type { Deps } from './composition-root';
import { authPlugin } from './plugins/auth';
import { overloadPlugin } from './plugins/overload';
import { clientErrorProblem, frameworkProblem, problemPlugin, sendProblem } from './plugins/problem';
import { swaggerPlugin } from './plugins/swagger';
import { tracingPlugin } from './plugins/tracing';
import { requestIds, requestLoggerFactory } from './logger';
import { httpMetricsPlugin } from './metrics';
import { actuatorRoutes } from './routes/actuator/index';
import { attendeeRoutes } from './routes/attendees/index';
import { categoryRoutes } from './routes/categories/index';
import { bookingPriceRoutes } from './routes/categories/booking-price';
import { promoCodeRoutes } from './routes/promo-codes/index';
import { bookingRoutes, eventBookingRoutes } from './routes/bookings/index';
import { paymentWebhookRoutes } from './routes/bookings/webhook';
import { deprecationHeaders, eventV1Routes } from './routes/events/v1';
import { eventV2Routes } from './routes/events/v2';
import { locationRoutes } from './routes/locations/index';

import { VERSION } from './version';

export { VERSION };

export interface AppOptions {
  logger?: FastifyServerOptions['logger'] | false;
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  swaggerUi?: boolean;
  /** Spans for HTTP requests; on when an OTLP endpoint is configured (or a test registers an SDK). */
  tracing?: boolean;
  accepting?: () => boolean;
}

const QUIETER_THAN_INFO = new Set(['warn', 'error', 'fatal', 'silent']);

/** The HTTP application as one Fastify instance; process concerns (listen, signals) live in main.ts. */
export async function buildApp(deps: Deps, options: AppOptions = {}) {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance, childLoggerFactory: requestLoggerFactory as never }
      : { logger: options.logger ?? false }),
    bodyLimit: 64 * 1024,
    // Behind the ingress, the client is the peer only when it is not a trusted proxy.
    trustProxy: deps.config.TRUST_PROXY,
    // Ids are 36 characters; longer parameters still reach the route, whose validation names the field.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Rejected before routing: answered as a problem too (v1 paths keep their deprecation headers).
    frameworkErrors: (error, request, reply) => {
      if (request.url.startsWith('/api/v1/')) deprecationHeaders(reply, new Date(deps.config.API_V1_SUNSET).toUTCString());
      return sendProblem(reply, frameworkProblem(error, request.url));
    },
    clientErrorHandler: clientErrorProblem,
    // problemPlugin answers requests that arrive during close, as a problem.
    return503OnClosing: false,
    requestIdHeader: 'x-request-id',
    // One line per request, written below with the route template and no headers (no tokens).
    logController: new LogController({ requestIdLogLabel: 'http.request.id', disableRequestLogging: true }),
    genReqId: requestIds(),
  }).withTypeProvider<ZodTypeProvider>();
  // Bodies are JSON only: Fastify's default text parser would hand a string to schemas that expect
  // an object (a 400 that hides the real mistake); without it text/plain is a 415 like any other type.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(zodFastSerializer);

  if (options.tracing ?? Boolean(deps.config.OTEL_EXPORTER_OTLP_ENDPOINT)) await app.register(tracingPlugin);
  await app.register(httpMetricsPlugin, { metrics: deps.metrics });
  // A callback hook, not an async one: no promise per request. Built only when it is written: at
  // LOG_LEVEL=warn the hot path allocates nothing here.
  app.addHook('onResponse', (request, reply, done) => {
    if (QUIETER_THAN_INFO.has(request.log.level)) return done();
    request.log.info(
      {
        http: { request: { method: request.method }, response: { status_code: reply.statusCode } },
        url: { path: request.url.split('?')[0] },
        route: request.routeOptions.url ?? null,
        event: { duration: Math.round(reply.elapsedTime * 1e6) },
      },
      'request completed',
    );
    done();
  });
  await app.register(problemPlugin);
  await app.register(swaggerPlugin, { version: VERSION, ui: options.swaggerUi ?? true });
  await app.register(authPlugin, { verifier: deps.verifier });
  const { config } = deps;
  await app.register(overloadPlugin, {
    redis: deps.redis,
    rateLimitMax: config.RATE_LIMIT_MAX,
    rateLimitWindowMs: config.RATE_LIMIT_WINDOW,
    maxEventLoopDelayMs: config.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: config.OVERLOAD_MAX_HEAP_BYTES,
    maxRssBytes: config.OVERLOAD_MAX_RSS_BYTES,
  });

  // Reads served while the database is unreachable come from the cache: say so.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (deps.readOnly()) reply.header('x-degraded', 'read-only');
    done(null, payload);
  });

  const { useCases } = deps;
  await app.register(actuatorRoutes, {
    prefix: '/actuator',
    deps,
    accepting: options.accepting ?? (() => true),
    version: VERSION,
    metrics: () => deps.metrics.render(),
    exposure: 'public',
  });
  await app.register(eventV2Routes, { prefix: '/api/v2/events', useCases });
  await app.register(eventBookingRoutes, { prefix: '/api/v2/events', useCases });
  await app.register(attendeeRoutes, { prefix: '/api/v2/events', useCases });
  await app.register(categoryRoutes, { prefix: '/api/v2/events', useCases });
  await app.register(promoCodeRoutes, { prefix: '/api/v2/events', useCases });
  await app.register(locationRoutes, { prefix: '/api/v2/locations', useCases });
  await app.register(bookingRoutes, { prefix: '/api/v2/bookings', useCases, idempotency: deps.idempotency, clock: deps.clock });
  await app.register(bookingPriceRoutes, { prefix: '/api/v2/bookings', useCases });
  await app.register(paymentWebhookRoutes, { prefix: '/api/v2/payments', useCases, secret: deps.config.PAYMENT_WEBHOOK_SECRET });
  await app.register(eventV1Routes, { prefix: '/api/v1/events', useCases, sunset: deps.config.API_V1_SUNSET });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/**
 * The listener on MANAGEMENT_PORT: the actuator alone, every endpoint with details and no token.
 * Only the monitoring namespace reaches it (the chart's NetworkPolicy); its scrapes and probes
 * stay out of the API's request metrics and rate limits.
 */
export async function buildManagementApp(deps: Deps, options: Pick<AppOptions, 'logger' | 'loggerInstance' | 'accepting'> = {}) {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance, childLoggerFactory: requestLoggerFactory as never }
      : { logger: options.logger ?? false }),
    clientErrorHandler: clientErrorProblem,
    return503OnClosing: false,
    logController: new LogController({ requestIdLogLabel: 'http.request.id', disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(zodFastSerializer);
  await app.register(problemPlugin);
  await app.register(actuatorRoutes, {
    prefix: '/actuator',
    deps,
    accepting: options.accepting ?? (() => true),
    version: VERSION,
    metrics: () => deps.metrics.render(),
    exposure: 'management',
  });
  return app;
}
