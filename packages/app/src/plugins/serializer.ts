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
  // Most routes share their problem schemas (and many their bodies): compiling each schema once
  // instead of once per route and status takes a good part off the start-up time.
  let serialize = compiled.get(zodSchema);
  if (!serialize) {
    const json = z.toJSONSchema(zodSchema, { target: 'draft-7', io: 'output', unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
    serialize = fastJson(json as never) as (data: unknown) => string;
    compiled.set(zodSchema, serialize);
  }
  return serialize;
}
const compiled = new WeakMap<z.ZodType, (data: unknown) => string>();

const JSON_UTF8 = 'application/json; charset=utf-8';

/** Sends text made by `serializedOncePer` as the JSON body. (The typed reply expects the DTO.) */
export const sendJsonText = <R extends { type(contentType: string): R; send(payload: never): R }>(reply: R, text: string): R =>
  reply.type(JSON_UTF8).send(text as never);

/**
 * The response text of a frozen object, built once per object with the same compiled schema
 * serializer (so the whitelist still applies). Cached events are frozen and shared while the cache
 * holds the same entry, so a hot read sends the text built for the previous one. Send it with
 * `sendJsonText`: Fastify sends a string with a JSON content type as it is.
 */
export function serializedOncePer<T extends object>(schema: z.ZodType, toDto: (value: T) => unknown): (value: T) => string {
  const serialize = zodFastSerializer({ schema });
  const texts = new WeakMap<T, string>();
  return (value) => {
    let text = texts.get(value);
    if (text === undefined) {
      text = serialize(toDto(value));
      if (Object.isFrozen(value)) texts.set(value, text);
    }
    return text;
  };
}
