import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { createSharedRateCounter, type RedisClient, type SharedRateCounter } from '@aquastream/adapters';
import { problem, sendProblem } from './problem';
import type { Actor } from '@aquastream/domain';

// The local store is a plain CommonJS file of the plugin; it does not export it by name.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js');

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;
type StoreParams = { continueExceeding: boolean; exponentialBackoff: boolean };

/**
 * Counts in Redis so every replica shares one limit (see createSharedRateCounter: one round trip
 * per request only near the limit); when Redis cannot answer, counts locally, so limiting goes on
 * (per replica) instead of failing open or failing requests. The shared counter is a plain fixed
 * window: continueExceeding and exponentialBackoff (not used here) would apply to the local store only.
 */
function fallbackStore(redis: RedisClient | undefined, counter: SharedRateCounter | undefined) {
  return class FallbackStore {
    private readonly local: { incr: (k: string, cb: Callback, tw: number, max: number) => void };
    constructor(
      private readonly params: StoreParams,
      private readonly prefix = '',
    ) {
      this.local = new LocalStore(params.continueExceeding, params.exponentialBackoff, 10_000);
    }
    incr(key: string, cb: Callback, timeWindow: number, max: number) {
      if (!counter || redis?.status !== 'ready') return this.local.incr(key, cb, timeWindow, max);
      const storeKey = this.prefix === '' ? key : this.prefix + key;
      // Far below the limit (every request of an ordinary client), counted without an allocation;
      // @fastify/rate-limit reads the count as soon as its await resumes, and a later request of the
      // same key can only raise it within the local path, which never decides a refusal.
      const local = counter.incrLocal(storeKey, timeWindow, max);
      if (local) return cb(null, local);
      counter.incr(storeKey, timeWindow, max, (error, result) => (error ? this.local.incr(key, cb, timeWindow, max) : cb(null, result)));
    }
    child(routeOptions: Partial<StoreParams> & { routeInfo: { method: string; url: string } }) {
      return new FallbackStore({ ...this.params, ...routeOptions }, `${this.prefix}${routeOptions.routeInfo.method}${routeOptions.routeInfo.url}-`);
    }
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
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler', // after authentication, so the limit is per user
      max: options.rateLimitMax,
      timeWindow: options.rateLimitWindowMs,
      store: fallbackStore(options.redis, counter) as never,
      keyGenerator: (request) => (request.actor ? userKey(request.actor) : `ip:${request.ip}`),
      allowList: (request) => request.url.startsWith('/actuator'),
      // Thrown by the plugin as the error; the error handler sends the problem as made.
      errorResponseBuilder: (request, context) => ({
        ...problem('HTTP.TOO_MANY_REQUESTS', {
          detail: `At most ${context.max} requests per ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`,
          instance: request.url,
        }),
        statusCode: 429,
      }),
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
