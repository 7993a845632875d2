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
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Field errors of a 400'),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 7807 problem details (application/problem+json)' });

type Status = 400 | 401 | 402 | 403 | 404 | 409 | 412 | 422 | 429 | 503;
const DESCRIPTIONS: Record<Status, string> = {
  400: 'Invalid input: the problem lists the fields',
  401: 'Missing or invalid bearer token',
  402: 'The payment was declined',
  403: 'The caller may not do this',
  404: 'Not found',
  409: 'Conflicts with the current state',
  412: 'If-Match names a version the resource no longer has (someone changed it): nothing changed; read it again',
  422: 'Idempotency-Key reused with a different body; or (booking) a promo code that cannot be used: promo-code-invalid',
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
 * Text without NUL that still has `minimum` characters once trimmed, as one pattern (the domain
 * trims names and titles; `\s` is exactly the set String.prototype.trim removes). One pattern
 * rather than two, so generators and client validators meet a single rule.
 */
const NON_BLANK = {
  1: /^\s*[^\s\u0000][^\u0000]*$/,
  3: /^\s*[^\s\u0000][^\u0000]+[^\s\u0000]\s*$/,
} as const;

/**
 * Free text that is stored or searched in Postgres: text columns refuse NUL (U+0000) and jsonb
 * refuses lone surrogates, which would otherwise be a 500 instead of a 400. With `nonBlank`, the
 * text must keep that many characters after trimming, as the domain requires.
 */
export const text = (options: { nonBlank?: keyof typeof NON_BLANK } = {}) =>
  z
    .string()
    .regex(
      options.nonBlank ? NON_BLANK[options.nonBlank] : /^[^\u0000]*$/,
      options.nonBlank ? `must have ${options.nonBlank} or more characters besides spaces, and no NUL (U+0000)` : 'must not contain NUL (U+0000) characters',
    )
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

/**
 * The same range as a pattern, so the OpenAPI document states it (a date-time string has no
 * `minimum` in JSON Schema): zod's ISO date-time with the year limited to 1970-9999, where the two
 * edge days only take offsets that keep the instant inside the range (1970-01-01 with Z or a
 * negative offset, 9999-12-31 with Z or a positive one).
 */
export const DATE_TIME_PATTERN = (() => {
  const day31 = '(?:0[1-9]|[12]\\d|3[01])';
  const day30 = '(?:0[1-9]|[12]\\d|30)';
  const feb = '02-(?:0[1-9]|1\\d|2[0-8])';
  const monthDay = `(?:(?:0[13578]|1[02])-${day31}|(?:0[469]|11)-${day30}|${feb})`;
  const notJan1 = `(?:01-(?:0[2-9]|[12]\\d|3[01])|(?:0[3578]|1[02])-${day31}|(?:0[469]|11)-${day30}|${feb})`;
  const notDec31 = `(?:(?:0[13578]|10)-${day31}|12-${day30}|(?:0[469]|11)-${day30}|${feb})`;
  // Leap years from 1972 to 9996.
  const leap = '(?:19(?:[79][26]|8[048])|[2-9]\\d(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)';
  const middleYears = '(?:19(?:7[1-9]|[89]\\d)|[2-8]\\d{3}|9(?:[0-8]\\d\\d|9[0-8]\\d|99[0-8]))';
  const time = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?';
  const offset = '(?:[01]\\d|2[0-3]):[0-5]\\d';
  const anyOffset = `(?:Z|[+-]${offset})`;
  const dates = `(?:${leap}-02-29|${middleYears}-${monthDay}|1970-${notJan1}|9999-${notDec31})`;
  return new RegExp(`^(?:${dates}T${time}${anyOffset}|1970-01-01T${time}(?:Z|-${offset}|\\+00:00)|9999-12-31T${time}(?:Z|\\+${offset}|-00:00))$`);
})();

/** An ISO 8601 date-time with offset, within the supported range. */
export const DateTimeInput = z
  .string()
  .regex(DATE_TIME_PATTERN, `must be an ISO 8601 date-time with offset (2030-06-01T08:00:00Z) that ${DATE_RANGE.replace('must be', 'is')}`)
  .refine((v) => inDateRange(new Date(v)), DATE_RANGE)
  .meta({ format: 'date-time' })
  .describe('ISO 8601 date-time with offset, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z');

type Security = { [label: string]: readonly string[] }[];
export const bearer: Security = [{ bearerAuth: [] }];
export const optionalBearer: Security = [{}, { bearerAuth: [] }];
/** No token needed or read: said explicitly, so a route that forgets `security` stands out. */
export const anonymous: Security = [];
