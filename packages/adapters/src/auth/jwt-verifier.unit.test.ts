import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwtVerifier, signToken } from './jwt-verifier';

const SECRET = 'a-secret-of-at-least-thirty-two-characters!';
const sub = randomUUID();

const sign = (key: Parameters<SignJWT['sign']>[0], alg: string, claims: Record<string, unknown> = {}, exp: string | number = '1h') =>
  new SignJWT({ roles: ['USER'], ...claims }).setProtectedHeader({ alg }).setSubject(sub).setIssuedAt().setExpirationTime(exp).sign(key);

describe('local token verification', () => {
  it('accepts an HS256 token of the secret and reads subject and roles; refuses another secret and an expired token', async () => {
    const verifier = await createJwtVerifier({ secret: SECRET });
    expect(await verifier.verify(await signToken(SECRET, { sub, roles: ['USER', 'ORGANIZER'] }))).toEqual({ userId: sub, roles: ['USER', 'ORGANIZER'] });
    await expect(verifier.verify(await signToken('another-secret-of-thirty-two-characters!!', { sub, roles: ['USER'] }))).rejects.toThrow(
      'The token is not valid',
    );
    await expect(verifier.verify(await sign(new TextEncoder().encode(SECRET), 'HS256', {}, Math.floor(Date.now() / 1000) - 60))).rejects.toThrow(
      'The token has expired',
    );
  });

  it('does not decode a verified token again within its lifetime, and never past its expiry', async () => {
    const verifier = await createJwtVerifier({ secret: SECRET });
    const token = await signToken(SECRET, { sub, roles: ['USER'] });
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first); // the same actor, from the cache
    expect(Object.isFrozen(first)).toBe(true);
    // A token that expires in 1 s is remembered for at most that long.
    const key = new TextEncoder().encode(SECRET);
    const shortLived = await sign(key, 'HS256', {}, Math.floor(Date.now() / 1000) + 1);
    expect((await verifier.verify(shortLived)).userId).toBe(sub);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(verifier.verify(shortLived)).rejects.toThrow('The token has expired');
    // A token that fails verification is never remembered.
    const forged = await signToken('another-secret-of-thirty-two-characters!!', { sub, roles: ['USER'] });
    await expect(verifier.verify(forged)).rejects.toThrow('not valid');
    await expect(verifier.verify(forged)).rejects.toThrow('not valid');
  });

  it('checks issuer and audience when they are configured', async () => {
    const verifier = await createJwtVerifier({ secret: SECRET, issuer: 'https://auth.aquastream.org', audience: 'backend-event' });
    const key = new TextEncoder().encode(SECRET);
    expect((await verifier.verify(await sign(key, 'HS256', { iss: 'https://auth.aquastream.org', aud: 'backend-event' }))).userId).toBe(sub);
    await expect(verifier.verify(await sign(key, 'HS256', { iss: 'https://evil.example', aud: 'backend-event' }))).rejects.toThrow('not valid');
    await expect(verifier.verify(await sign(key, 'HS256', { iss: 'https://auth.aquastream.org', aud: 'another-service' }))).rejects.toThrow('not valid');
    await expect(verifier.verify(await sign(key, 'HS256'))).rejects.toThrow('not valid');
  });

  for (const [alg, type, options] of [
    ['ES256', 'ec', { namedCurve: 'P-256' }],
    ['RS256', 'rsa', { modulusLength: 2048 }],
  ] as const) {
    it(`accepts ${alg} tokens of a PEM public key, and never an HS256 token made with that public key as its secret`, async () => {
      const { publicKey, privateKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const verifier = await createJwtVerifier({ publicKey: pem });
      expect((await verifier.verify(await sign(privateKey, alg))).userId).toBe(sub);
      await expect(verifier.verify(await sign(new TextEncoder().encode(pem), 'HS256'))).rejects.toThrow('not valid');
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub, roles: ['USER'], exp: 9e9 })).toString('base64url')}.`;
      await expect(verifier.verify(unsigned)).rejects.toThrow('not valid');
    });
  }
});
