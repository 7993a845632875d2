import { expect } from 'vitest';

// Loose on purpose: tests read whatever JSON the app answered.
export type Json = any;
export interface InjectResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json(): Json;
}

/** Asserts an RFC 7807 answer with the given status (and problem type slug) and returns its body. */
export function expectProblem(res: InjectResponse, status: number, typeSlug?: string): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  if (typeSlug) expect(body.type).toBe(`https://aquastream.org/problems/${typeSlug}`);
  return body;
}
