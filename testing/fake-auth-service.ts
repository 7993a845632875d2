import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { startSwitchableServer } from './switchable-server';

/**
 * A real HTTP Auth Service for tests (contract: docs/auth-service.md):
 * POST /api/v1/tokens/introspect {token} -> 200 {active, sub, roles, exp}.
 *
 * It checks HS256 tokens with its secret (node:crypto only) and their expiry, and answers
 * `active: false` for tokens revoked through `revoke()`. It can be switched off (connections
 * refused) and on again on the same port, and it records the tokens it was asked about.
 */
export interface FakeAuthService {
  url: string;
  /** Tokens received by the introspection endpoint, in order. */
  introspected: string[];
  revoke(token: string): void;
  off(): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });

interface Claims {
  sub?: string;
  roles?: string[];
  exp?: number;
}

/** The token's claims when its HS256 signature matches `secret`, else null. */
function verifyHs256(token: string, secret: string): Claims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string }).alg;
    if (alg !== 'HS256') return null;
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  } catch {
    return null;
  }
}

export async function startFakeAuthService(secret: string): Promise<FakeAuthService> {
  const introspected: string[] = [];
  const revoked = new Set<string>();
  const server = await startSwitchableServer((req, res) => {
    void readBody(req).then((raw) => {
      if (req.method !== 'POST' || req.url !== '/api/v1/tokens/introspect') {
        res.writeHead(404).end();
        return;
      }
      let token: string;
      try {
        token = String((JSON.parse(raw) as { token?: unknown }).token ?? '');
      } catch {
        res.writeHead(400).end();
        return;
      }
      introspected.push(token);
      const claims = verifyHs256(token, secret);
      const active = claims !== null && !revoked.has(token) && (claims.exp === undefined || claims.exp * 1000 > Date.now());
      const answer = active ? { active: true, sub: claims.sub, roles: claims.roles ?? [], exp: claims.exp } : { active: false };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  return {
    get url() {
      return server.url;
    },
    introspected,
    revoke: (token) => void revoked.add(token),
    off: () => server.off(),
    on: () => server.on(),
    close: () => server.close(),
  };
}
