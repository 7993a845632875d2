import { createHash } from 'node:crypto';
import { ROLES, UnauthenticatedError, type AccessTokenVerifier, type Actor, type Role } from '@aquastream/domain';
import type { Cache } from '../cache/cache';
import type { DependencyPolicy } from '../resilience/index';
import { createOutboundHttp } from '../http/outbound';

export interface AuthServiceOptions {
  /** Base URL of the Auth Service (contract: docs/auth-service.md). */
  baseUrl: string;
  policy: DependencyPolicy;
  /** Local signature + expiry check; the fallback when the service cannot answer. */
  local?: AccessTokenVerifier;
  /** Remembers the service's answers, keyed by a hash of the token (never the token itself). */
  cache: Cache;
  /** Upper bound of a remembered answer; the token's own expiry bounds it too. */
  cacheTtlMs?: number;
  onDegraded?: (how: 'cached' | 'local', error: unknown) => void;
  /** The service answered again. */
  onAnswered?: () => void;
}

interface Introspection {
  active: boolean;
  sub?: string;
  roles?: string[];
  exp?: number;
}

export const tokenCacheKey = (token: string) => `auth:${createHash('sha256').update(token).digest('hex')}`;

/**
 * The seed's degraded authentication: the Auth Service decides (so revoked tokens are refused)
 * behind its breaker; when it cannot answer, a remembered answer is used, else the token's
 * signature and expiry are checked locally, else the token is refused. The degraded paths cannot
 * see revocations, which is reported through `onDegraded`.
 */
export function createDegradedTokenVerifier(options: AuthServiceOptions): AccessTokenVerifier {
  const http = createOutboundHttp({ dependency: 'auth-service', title: 'Auth Service', baseUrl: options.baseUrl, policy: options.policy });
  const cacheTtl = options.cacheTtlMs ?? 5 * 60_000;

  async function introspect(token: string): Promise<Introspection> {
    return http.call(
      async (send) => {
        const answer = await send('/api/v1/tokens/introspect', { method: 'POST', json: { token } });
        if (!answer.ok) return { active: false };
        return JSON.parse(answer.text) as Introspection;
      },
      { idempotent: true },
    );
  }

  function toActor(answer: Introspection): Actor {
    const roles = (answer.roles ?? []).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
    if (!answer.active || !answer.sub || roles.length === 0) throw new UnauthenticatedError('The token is not active');
    return { userId: answer.sub.toLowerCase(), roles };
  }

  return {
    async verify(token) {
      // A token that fails the local check is refused without asking anyone.
      const locally = options.local ? await options.local.verify(token) : undefined;
      const key = tokenCacheKey(token);
      let answer: Introspection;
      try {
        answer = await introspect(token);
      } catch (error) {
        const remembered = await options.cache.get(key);
        if (remembered) {
          const cached = JSON.parse(remembered) as Introspection;
          if (!cached.exp || cached.exp * 1000 > Date.now()) {
            options.onDegraded?.('cached', error);
            return toActor(cached);
          }
        }
        if (locally) {
          options.onDegraded?.('local', error);
          return locally;
        }
        throw new UnauthenticatedError('The token cannot be verified right now');
      }
      options.onAnswered?.();
      if (!answer.active) {
        // Revoked: a remembered "active" must not outlive it.
        await options.cache.delete([key]);
        throw new UnauthenticatedError('The token is not active');
      }
      const actor = toActor(answer);
      const ttl = Math.min(cacheTtl, answer.exp ? answer.exp * 1000 - Date.now() : cacheTtl);
      if (ttl > 0) await options.cache.set(key, JSON.stringify(answer), ttl);
      return actor;
    },
  };
}
