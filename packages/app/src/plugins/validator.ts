import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';

type Compile = typeof zodValidatorCompiler;

/**
 * fastify-type-provider-zod's validator, except that headers the schema accepts as they are stay as
 * they came. Fastify stores a validator's value for the headers beside the raw ones and merges both
 * into a new object on every read of `request.headers`, and a zod object keeps only the headers it
 * names: a validated request copied its headers at each read and left later readers only those.
 * Headers the schema changed (none do today: they are optional strings) are stored as before.
 */
export const validatorCompiler: Compile = (route) => {
  const validate = zodValidatorCompiler(route) as ReturnType<FastifySchemaCompiler<unknown>>;
  if (route.httpPart !== 'headers') return validate as ReturnType<Compile>;
  return ((data: Record<string, unknown>) => {
    const result = validate(data) as { error?: unknown; value?: Record<string, unknown> };
    if (result.error || !result.value) return result;
    for (const [name, value] of Object.entries(result.value)) if (!Object.is(value, data[name])) return result;
    // Valid and unchanged: Fastify keeps the raw headers (see validateParam in fastify/lib/validation.js).
    return true;
  }) as ReturnType<Compile>;
};
