import fastJson from 'fast-json-stringify';
import { z } from 'zod';

/**
 * Serializes responses with fast-json-stringify compiled from each route's zod response schema:
 * the schema stays the output whitelist (unlisted fields are dropped, missing required ones
 * throw), at a fraction of the cost of validating every reply with zod on the hot read path.
 * The schemas are checked against real responses by the contract tests and Schemathesis.
 */
export function zodFastSerializer({ schema }: { schema: unknown }): (data: unknown) => string {
  const zodSchema = (schema instanceof z.ZodType ? schema : (schema as { properties: z.ZodType }).properties) as z.ZodType;
  const json = z.toJSONSchema(zodSchema, { target: 'draft-7', io: 'output', unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
  return fastJson(json as never) as (data: unknown) => string;
}
