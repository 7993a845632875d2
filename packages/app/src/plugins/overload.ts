import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import underPressure from '@fastify/under-pressure';
import { format } from '@lukeed/ms';
import { createSharedRateCounter, type RedisClient, type SharedRateCounter } from '@aquastream/adapters';
import { problem, sendProblem } from './problem';
import type { Actor } from '@aquastream/domain';

// The local store is a plain CommonJS file of the plugin; it does not export it by name.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js');

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * Counts in Redis so every replica shares one limit (see createSharedRateCounter: one round trip
 * per request only near the limit); when Redis cannot answer, counts locally, so limiting goes on
 * (per replica) instead of failing open or failing requests. The shared counter is a plain fixed
 * window, like the local store here (neither continueExceeding nor exponentialBackoff).
 */
export function fallbackStore(redis: RedisClient | undefined, counter: SharedRateCounter | undefined) {
  const local: { incr: (k: string, cb: Callback, tw: number, max: number) => void } = new LocalStore(false, false, 10_000);
  return {
    incr(key: string, cb: Callback, timeWindow: number, max: number) {
      if (!counter || redis?.status !== 'ready') return local.incr(key, cb, timeWindow, max);
      // Far below the limit (every request of an ordinary client), counted without an allocation
      // and answered at once; a later request of the same key can only raise it within the local
      // path, which never decides a refusal.
      const counted = counter.incrLocal(key, timeWindow, max);
      if (counted) return cb(null, counted);
      counter.incr(key, timeWindow, max, (error, result) => (error ? local.incr(key, cb, timeWindow, max) : cb(null, result)));
    },
  };
}

interface RateLimitSettings {
  max: number;
  timeWindow: number;
  store: ReturnType<typeof fallbackStore>;
  keyOf(request: FastifyRequest): string;
  /** Requests never counted. */
  exempt(request: FastifyRequest): boolean;
  /** What a refusal throws (the error handler sends it). */
  refusal(request: FastifyRequest, context: { statusCode: number; ban: boolean; max: number; ttl: number; after: string }): unknown;
}

/**
 * The rate limit as @fastify/rate-limit 11 applies it globally in a route's preHandler (the same
 * x-ratelimit-* headers, retry-after and refusal at the same counts, no ban), written as a callback
 * hook: the plugin's hook takes four promises per request, this one none while the counter answers
 * at once, which it does far below the limit. The plugin's own local store counts when Redis is down.
 */
export function rateLimitHook({ max, timeWindow, store, keyOf, exempt, refusal }: RateLimitSettings) {
  const limit = String(max);
  return function rateLimit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    if (exempt(request)) return done();
    store.incr(
      keyOf(request),
      (error, result) => {
        if (error || !result) return done(error ?? undefined);
        const reset = Math.ceil(result.ttl / 1000);
        reply.header('x-ratelimit-limit', limit);
        if (result.current <= max) {
          reply.header('x-ratelimit-remaining', max - result.current);
          reply.header('x-ratelimit-reset', reset);
          return done();
        }
        reply.header('x-ratelimit-remaining', 0);
        reply.header('x-ratelimit-reset', reset);
        reply.header('retry-after', reset);
        done(refusal(request, { statusCode: 429, ban: false, max, ttl: result.ttl, after: format(reset * 1000, true) }) as Error);
      },
      timeWindow,
      max,
    );
  };
}

export interface OverloadOptions {
  redis?: RedisClient;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
}

/**
 * The rate-limit key of an actor, built once per actor: a verified token's actor is kept for the
 * token's lifetime (createJwtVerifier), so its requests reuse one key string (and its hash).
 */
const userKeys = new WeakMap<Actor, string>();
function userKey(actor: Actor): string {
  let key = userKeys.get(actor);
  if (key === undefined) userKeys.set(actor, (key = `user:${actor.userId}`));
  return key;
}

/** Routes shed first under pressure: lists, search and the weather view. Bookings, payments,
 * webhooks and health always go through. */
const LOW_PRIORITY = new Set(['GET /api/v2/events', 'GET /api/v2/locations', 'GET /api/v1/events', 'GET /api/v2/events/:id/weather']);
export const isLowPriority = (request: FastifyRequest) => LOW_PRIORITY.has(`${request.method} ${request.routeOptions.url}`);

/** Rate limiting (429) per user, or per IP when anonymous, and load shedding (503). */
export const overloadPlugin = fp<OverloadOptions>(
  async (app: FastifyInstance, options) => {
    const counter = options.redis ? createSharedRateCounter(options.redis, { prefix: 'be:rate:' }) : undefined;
    // Hand the last local counts to Redis on shutdown.
    if (counter) app.addHook('onClose', () => counter.close());
    const rateLimit = rateLimitHook({
      max: Math.trunc(options.rateLimitMax),
      timeWindow: Math.trunc(options.rateLimitWindowMs),
      store: fallbackStore(options.redis, counter),
      // After authentication (the hook runs in preHandler), so the limit is per user.
      keyOf: (request) => (request.actor ? userKey(request.actor) : `ip:${request.ip}`),
      exempt: (request) => request.url.startsWith('/actuator'),
      // Thrown as the error; the error handler sends the problem as made.
      refusal: (request, context) => ({
        ...problem('HTTP.TOO_MANY_REQUESTS', {
          detail: `At most ${context.max} requests per ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`,
          instance: request.url,
        }),
        statusCode: 429,
      }),
    });
    // Every route registered after this plugin, last of its preHandler hooks (as @fastify/rate-limit adds it).
    app.addHook('onRoute', (route: RouteOptions) => {
      const own = route.preHandler;
      route.preHandler = own === undefined ? [rateLimit] : Array.isArray(own) ? [...own, rateLimit] : [own, rateLimit];
    });

    await app.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxHeapUsedBytes: options.maxHeapUsedBytes,
      maxRssBytes: options.maxRssBytes,
      retryAfter: 5,
      pressureHandler: (request, reply, type) => {
        if (!isLowPriority(request)) return undefined;
        request.log.warn({ type, route: request.routeOptions.url }, 'shedding a low-priority request');
        // Fastify stops the request once a hook has sent the reply.
        void sendProblem(
          reply.header('retry-after', '5'),
          problem('HTTP.LOAD_SHED', { detail: `The service sheds low-priority requests under load (${type})`, instance: request.url }),
        );
        return undefined;
      },
    });
  },
  { name: 'overload', dependencies: ['auth'] },
);
