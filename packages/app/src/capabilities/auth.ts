import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createDegradedTokenVerifier, createJwtVerifier, type DependencyPolicy, type LayeredCache } from '@aquastream/adapters';
import type { AccessTokenVerifier } from '@aquastream/domain';
import type { Config } from '../config';

/** The embedded mode's signing secret, kept in DATA_DIR so dev tokens survive restarts. */
function readOrCreateDevSecret(dataDir: string): string {
  const file = join(dataDir, 'dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export interface AuthCapability {
  verifier: AccessTokenVerifier;
  /** Embedded mode without AUTH_JWT_SECRET: the generated secret that signs the printed dev token. */
  devSecret?: string;
  /** True while tokens are accepted without the Auth Service (its breaker not closed, or a fallback answered). */
  degraded(): boolean;
}

/**
 * Token verification: local keys (secret, JWKS, public key) and/or the Auth Service, which falls
 * back to the local check or the token cache while it is unavailable.
 */
export async function createAuth(
  config: Config,
  deps: { mode: 'embedded' | 'real'; policy: DependencyPolicy; cache: LayeredCache },
  logger?: Logger,
): Promise<AuthCapability> {
  const secret = config.AUTH_JWT_SECRET ?? (deps.mode === 'real' ? undefined : readOrCreateDevSecret(config.DATA_DIR));
  const hasLocalKey = Boolean(secret || config.AUTH_JWKS_URL || config.AUTH_PUBLIC_KEY);
  const local = hasLocalKey
    ? await createJwtVerifier({
        secret,
        jwksUrl: config.AUTH_JWKS_URL,
        publicKey: config.AUTH_PUBLIC_KEY,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
      })
    : undefined;
  const devSecret = config.AUTH_JWT_SECRET ? undefined : secret;
  if (!config.AUTH_SERVICE_URL) {
    if (!local) throw new Error('No way to verify tokens: set AUTH_JWT_SECRET, AUTH_JWKS_URL, AUTH_PUBLIC_KEY or AUTH_SERVICE_URL');
    return { verifier: local, devSecret, degraded: () => false };
  }
  let degraded = false;
  const verifier = createDegradedTokenVerifier({
    baseUrl: config.AUTH_SERVICE_URL,
    policy: deps.policy,
    local,
    cache: deps.cache,
    onAnswered: () => (degraded = false),
    onDegraded: (how, error) => {
      degraded = true;
      logger?.warn({ err: error, fallback: how }, 'auth service unavailable: token accepted without a revocation check');
    },
  });
  deps.policy.onStateChange((state) => (degraded = state !== 'closed'));
  return { verifier, devSecret, degraded: () => degraded };
}
