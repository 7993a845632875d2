import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { createVerifier, TokenError } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import { ROLES, UnauthenticatedError, type AccessTokenVerifier, type Actor, type Role } from '@aquastream/domain';

export interface JwtVerifierOptions {
  /** HS256 shared secret (development and tests). */
  secret?: string;
  /** RS256/ES256 keys published by the Auth Service. */
  jwksUrl?: string;
  /** A PEM (SPKI) public key, RS256 or ES256. */
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /** Verified tokens remembered until their expiry (default 10,000; least recently used out). */
  cacheSize?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toActor(payload: Record<string, unknown>): Actor {
  const sub = payload.sub;
  const roles = payload.roles;
  if (typeof sub !== 'string' || !UUID.test(sub)) throw new UnauthenticatedError('The token has no valid subject');
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => (ROLES as readonly string[]).includes(r)))
    throw new UnauthenticatedError('The token carries no known role');
  return { userId: sub.toLowerCase(), roles: roles as Role[] };
}

/**
 * Verifies signature and expiry locally. Only the algorithms that fit the configured key are
 * accepted, so `alg: none` or an HS256 token signed with a public key never passes.
 *
 * Static keys (the HS256 secret, a PEM public key) are checked with fast-jwt, synchronously on
 * node:crypto: every request of a booking rush carries a token, and WebCrypto (jose) costs several
 * times more CPU per verification. Keys fetched from a JWKS URL stay with jose, which fetches,
 * caches and rotates them.
 */
export async function createJwtVerifier(options: JwtVerifierOptions): Promise<AccessTokenVerifier> {
  const checks: ((token: string) => Promise<Record<string, unknown>> | Record<string, unknown>)[] = [];
  const claims = {
    // fast-jwt checks iss and aud only when the token has them: require them when they are configured.
    requiredClaims: ['exp', 'sub', ...(options.issuer ? ['iss'] : []), ...(options.audience ? ['aud'] : [])],
    ...(options.issuer ? { allowedIss: options.issuer } : {}),
    ...(options.audience ? { allowedAud: options.audience } : {}),
  };
  if (options.secret) checks.push(createVerifier({ key: options.secret, algorithms: ['HS256'], ...claims }));
  if (options.publicKey) {
    const alg = options.publicKey.includes('BEGIN PUBLIC KEY') && /MFkwEwYHKoZIzj0CAQ/.test(options.publicKey) ? 'ES256' : 'RS256';
    checks.push(createVerifier({ key: options.publicKey, algorithms: [alg], ...claims }));
  }
  if (options.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
    checks.push(
      async (token) =>
        (await jwtVerify(token, jwks, { algorithms: ['RS256', 'ES256'], issuer: options.issuer, audience: options.audience, requiredClaims: ['exp', 'sub'] }))
          .payload as Record<string, unknown>,
    );
  }
  if (checks.length === 0) throw new Error('No token verification key configured (AUTH_JWT_SECRET, AUTH_JWKS_URL or AUTH_PUBLIC_KEY)');
  // A token verified once is not decoded again within its lifetime: its actor is kept, keyed by the
  // token string itself, until the token's exp (the entry's TTL), so a client repeating its token
  // costs a map lookup instead of a hash, a decode and the claims checks. Bounded: least recently used out.
  const verified = new LRUCache<string, Actor>({ max: options.cacheSize ?? 10_000 });
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      let lastError: unknown;
      for (const check of checks) {
        try {
          const payload = await check(token);
          const actor = Object.freeze(toActor(payload));
          const ttl = typeof payload.exp === 'number' ? payload.exp * 1000 - Date.now() : 0;
          if (ttl > 0) verified.set(token, actor, { ttl });
          return actor;
        } catch (error) {
          lastError = error;
        }
      }
      if (lastError instanceof UnauthenticatedError) throw lastError;
      const code = (lastError as { code?: string })?.code;
      const expired = code === 'ERR_JWT_EXPIRED' || (lastError instanceof TokenError && code === TokenError.codes.expired);
      throw new UnauthenticatedError(expired ? 'The token has expired' : 'The token is not valid');
    },
  };
}

/** Signs an HS256 token, for the dev token printed at start-up and for tests. */
export async function signToken(secret: string, claims: { sub: string; roles: Role[] }, expiresIn = '12h'): Promise<string> {
  return new SignJWT({ roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
