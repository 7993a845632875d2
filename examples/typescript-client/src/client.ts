import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };
export type Event = components['schemas']['Event'];
export type Booking = components['schemas']['Booking'];
export type PaymentResult = components['schemas']['PaymentResult'];
export type WaitlistEntry = components['schemas']['WaitlistEntry'];
export type EventV1 = components['schemas']['EventV1'];
export type Problem = components['schemas']['Problem'];

export type EventClient = Client<paths>;

/**
 * A typed client of backend-event: paths, parameters, bodies and answers come from the committed
 * openapi.json (src/schema.d.ts, `pnpm run generate`). With a token, every request carries it as
 * `Authorization: Bearer`; without one the client calls the public operations only.
 */
export function createEventClient(baseUrl: string, token?: string): EventClient {
  const client = createClient<paths>({ baseUrl });
  if (token) {
    const bearer: Middleware = {
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}

/** An RFC 7807 problem answered by the service, with the HTTP status. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(`${status} ${problem?.title ?? 'error'}${problem?.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'ProblemError';
  }
}

/** The data of a successful answer, or a ProblemError carrying the problem the service sent. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined || result.error !== undefined) throw new ProblemError(result.response.status, result.error as Problem | undefined);
  return result.data;
}
