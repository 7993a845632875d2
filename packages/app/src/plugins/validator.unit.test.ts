import Fastify from 'fastify';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { validatorCompiler } from './validator';

async function appWith(headers: z.ZodType) {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.get('/', { schema: { headers, params: z.object({}) } }, async (request) => ({
    raw: request.headers === request.raw.headers,
    tag: request.headers['if-none-match'] ?? null,
    other: request.headers['x-other'] ?? null,
  }));
  await app.ready();
  return app;
}

describe('validatorCompiler', () => {
  const IfNoneMatch = z.object({ 'if-none-match': z.string().max(10).optional() });

  it('leaves headers the schema accepts unchanged as they came: every header readable, no copy per read', async () => {
    const app = await appWith(IfNoneMatch);
    const res = await app.inject({ url: '/', headers: { 'if-none-match': '"3"', 'x-other': 'kept' } });
    expect(res.json()).toEqual({ raw: true, tag: '"3"', other: 'kept' });
    expect((await app.inject({ url: '/', headers: { 'x-other': 'kept' } })).json()).toEqual({ raw: true, tag: null, other: 'kept' });
  });

  it('still refuses headers the schema refuses', async () => {
    const app = await appWith(IfNoneMatch);
    const res = await app.inject({ url: '/', headers: { 'if-none-match': '"12345678901"' } });
    expect(res.statusCode).toBe(400);
  });

  it('stores headers the schema changed, as Fastify does', async () => {
    const app = await appWith(z.object({ 'if-none-match': z.string().transform((s) => s.toUpperCase()) }));
    const res = await app.inject({ url: '/', headers: { 'if-none-match': 'w/"3"', 'x-other': 'kept' } });
    expect(res.json()).toEqual({ raw: false, tag: 'W/"3"', other: 'kept' });
  });
});
