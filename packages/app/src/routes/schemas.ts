import { z } from 'zod';

/** Shapes shared by every route: problems and paging. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('Stable URI of the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().optional().describe('Stable domain error code such as BOOKING.EVENT_FULL'),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('Field errors of a 400'),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 7807 problem details (application/problem+json)' });

type Status = 400 | 401 | 402 | 403 | 404 | 409 | 422 | 429 | 503;
const DESCRIPTIONS: Record<Status, string> = {
  400: 'Invalid input: the problem lists the fields',
  401: 'Missing or invalid bearer token',
  402: 'The payment was declined',
  403: 'The caller may not do this',
  404: 'Not found',
  409: 'Conflicts with the current state',
  422: 'Idempotency-Key reused with a different body',
  429: 'Too many requests',
  503: 'Temporarily unavailable (read-only mode, overload); see Retry-After',
};

/** Problems go out as `application/problem+json` (sendProblem), so that is the documented media type. */
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

/** Problem responses for the given statuses (400, 429 and 503 may come from any route). */
export function problems(...statuses: Status[]) {
  const all = new Set<Status>([400, 429, 503, ...statuses]);
  return Object.fromEntries([...all].map((s) => [s, problemResponse(DESCRIPTIONS[s])])) as Record<Status, ReturnType<typeof problemResponse>>;
}

/**
 * A response without a body (204). `type: 'null'` is how @fastify/swagger documents "no content";
 * a plain `z.null()` comes out of the 3.0 converter as a nullable string with an application/json body.
 */
export const noContent = (description: string) => z.null().meta({ type: 'null', description });

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    total: z.number().int(),
    page: z.number().int(),
    size: z.number().int(),
    totalPages: z.number().int(),
  });

export const PagingQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
};

export const IdParams = z.object({ id: z.uuid() });

/** Lone UTF-16 surrogates: JSON.parse lets `"\ud800"` through, and Postgres' jsonb (the outbox) refuses it. */
const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/**
 * Free text that is stored or searched in Postgres: text columns refuse NUL (U+0000) and jsonb
 * refuses lone surrogates, which would otherwise be a 500 instead of a 400.
 */
export const text = () =>
  z
    .string()
    .regex(/^[^\u0000]*$/, 'must not contain NUL (U+0000) characters')
    .refine((v) => WELL_FORMED.test(v), 'must be well-formed Unicode (no lone surrogates)');

/**
 * Instants that the database stores and reads back unchanged. Outside this range Postgres refuses
 * the value (year 0, five-digit years: a 500) or it comes back altered (years below 100 read
 * back as 19xx/20xx), so the API refuses it with a 400 instead.
 */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1) - 1;
export const DATE_RANGE = 'must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';
export const inDateRange = (date: Date) => date.getTime() >= EARLIEST && date.getTime() <= LATEST;
/** An ISO 8601 date-time with offset, within the supported range. */
export const DateTimeInput = z.iso
  .datetime({ offset: true })
  .refine((v) => inDateRange(new Date(v)), DATE_RANGE)
  .describe('ISO 8601 date-time with offset, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z');

type Security = { [label: string]: readonly string[] }[];
export const bearer: Security = [{ bearerAuth: [] }];
export const optionalBearer: Security = [{}, { bearerAuth: [] }];
/** No token needed or read: said explicitly, so a route that forgets `security` stands out. */
export const anonymous: Security = [];
