import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { exponentialBackoff, type IdempotencyStore } from '@aquastream/adapters';
import type { Clock } from '@aquastream/domain';
import { isDomainError } from '@aquastream/domain';
import { problem, problemOf, sendProblem } from './problem';

/**
 * Runs `handler` once per Idempotency-Key: a retry with the same key and body gets the stored
 * answer (and never books twice); the same key with another body is refused. Keys belong to the
 * authenticated user: an anonymous request stores nothing (it is refused by the handler anyway),
 * so callers without a token cannot fill the table or collide with each other's keys.
 */
export async function idempotent(
  store: IdempotencyStore,
  clock: Clock,
  request: FastifyRequest,
  reply: FastifyReply,
  handler: () => Promise<{ status: number; body: unknown }>,
): Promise<void> {
  const key = request.headers['idempotency-key'];
  const actor = request.actor;
  if (typeof key !== 'string' || key === '' || !actor) {
    const { status, body } = await handler();
    reply.code(status).send(body);
    return;
  }
  const scope = `${actor.userId} ${request.routeOptions.url} ${JSON.stringify(request.params)}`;
  const hash = createHash('sha256')
    .update(JSON.stringify(request.body ?? null))
    .digest('hex');
  const begun = await store.begin(scope, key, hash, clock.now());
  if (begun.state === 'replay') {
    reply.code(begun.status).header('idempotent-replayed', 'true');
    if (begun.status >= 400) reply.type('application/problem+json');
    reply.send(begun.body);
    return;
  }
  if (begun.state === 'mismatch') {
    sendProblem(reply, problem('HTTP.IDEMPOTENCY_KEY_REUSED', { detail: 'This Idempotency-Key was used with a different request body' }));
    return;
  }
  if (begun.state === 'in-progress') {
    sendProblem(
      reply.header('retry-after', '1'),
      problem('HTTP.REQUEST_IN_PROGRESS', { detail: 'A request with this Idempotency-Key is still being processed' }),
    );
    return;
  }
  try {
    const result = await handler();
    await store.complete(scope, key, result);
    reply.code(result.status).send(result.body);
  } catch (error) {
    // A refusal (full, conflict...) is an answer too: replaying it keeps retries consistent.
    if (isDomainError(error)) {
      const refusal = problemOf(error, request.url);
      if (refusal.status < 500) {
        await store.complete(scope, key, { status: refusal.status, body: refusal });
        sendProblem(reply, refusal);
        return;
      }
    }
    await releaseClaim(store, scope, key, request.log);
    throw error;
  }
}

/**
 * Later tries to release a claim. The request failed because the database was unreachable (or its
 * breaker open) as often as not, and then so does the release: left in place, the claim would answer
 * the client's retry "in progress" until it counts as abandoned (60 s after it was made). The tries
 * back off from 0.5-1 s to 4-8 s, never sooner than the breaker lets a call through, and stop 45 s
 * after the failure, so none can release a claim that another request has taken over since.
 */
const RELEASE_BACKOFF = { initialDelayMs: 1_000, maxDelayMs: 8_000, jitter: 'half' } as const;
const RELEASE_WITHIN_MS = 45_000;

/** Releases the key at once if it can (the answer waits for that), else keeps trying in the background. */
export async function releaseClaim(store: IdempotencyStore, scope: string, key: string, log: FastifyRequest['log']): Promise<void> {
  const failedAt = Date.now();
  const pauses = exponentialBackoff(RELEASE_BACKOFF);
  const later = (error: unknown) => {
    // The refusal's Retry-After (read-only mode: until the breaker admits a trial call), as the problem answer reads it.
    const refusedFor = isDomainError(error) ? error.details.retryAfterSeconds : undefined;
    const pause = Math.max(pauses.next(), typeof refusedFor === 'number' ? refusedFor * 1000 : 0);
    if (Date.now() + pause - failedAt < RELEASE_WITHIN_MS) setTimeout(() => store.abandon(scope, key).catch(later), pause).unref();
    else log.warn({ err: error }, 'an Idempotency-Key claim could not be released; it lapses 60 s after it was made');
  };
  await store.abandon(scope, key).catch(later);
}
