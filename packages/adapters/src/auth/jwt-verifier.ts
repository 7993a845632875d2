import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, importSPKI, jwtVerify, SignJWT, type JWTVerifyGetKey, type KeyObject } from 'jose';
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
 */
export async function createJwtVerifier(options: JwtVerifierOptions): Promise<AccessTokenVerifier> {
  const keys: { key: Uint8Array | KeyObject | JWTVerifyGetKey; algorithms: string[] }[] = [];
  // A KeyObject made once: jose would import raw bytes again on every verification.
  if (options.secret) keys.push({ key: createSecretKey(Buffer.from(options.secret)), algorithms: ['HS256'] });
  if (options.jwksUrl) keys.push({ key: createRemoteJWKSet(new URL(options.jwksUrl)), algorithms: ['RS256', 'ES256'] });
  if (options.publicKey) {
    const alg = options.publicKey.includes('BEGIN PUBLIC KEY') && /MFkwEwYHKoZIzj0CAQ/.test(options.publicKey) ? 'ES256' : 'RS256';
    keys.push({ key: (await importSPKI(options.publicKey, alg)) as KeyObject, algorithms: [alg] });
  }
  if (keys.length === 0) throw new Error('No token verification key configured (AUTH_JWT_SECRET, AUTH_JWKS_URL or AUTH_PUBLIC_KEY)');
  return {
    async verify(token) {
      let lastError: unknown;
      for (const { key, algorithms } of keys) {
        try {
          const { payload } = await jwtVerify(token, key as Uint8Array, {
            algorithms,
            issuer: options.issuer,
            audience: options.audience,
            requiredClaims: ['exp', 'sub'],
          });
          return toActor(payload as Record<string, unknown>);
        } catch (error) {
          lastError = error;
        }
      }
      if (lastError instanceof UnauthenticatedError) throw lastError;
      const code = (lastError as { code?: string })?.code;
      throw new UnauthenticatedError(code === 'ERR_JWT_EXPIRED' ? 'The token has expired' : 'The token is not valid');
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

