/** `Bearer <token>` (scheme case-insensitive, RFC 6750): one parser for HTTP headers and gRPC metadata. */
const BEARER = /^Bearer\s+(\S+)$/i;

/** The token of an `Authorization: Bearer <token>` value, or null when the value is anything else. */
export function bearerToken(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return BEARER.exec(value)?.[1] ?? null;
}
