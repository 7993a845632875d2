import { isTaskCancelledError } from 'cockatiel';
import { DependencyUnavailableError } from '@aquastream/domain';
import { isBrokenCircuit } from '../resilience/errors';
import type { DependencyPolicy } from '../resilience/dependency-policy';

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
}

/** An answer the dependency gave (below 500, not 429), its body read in full. */
export interface OutboundAnswer {
  status: number;
  ok: boolean;
  text: string;
}

/** One HTTP call, within the call's signal. */
export type Send = (pathOrUrl: string | URL, request?: OutboundRequest) => Promise<OutboundAnswer>;

export interface OutboundHttpOptions {
  /** The dependency's name in DependencyUnavailableError (payment-service, auth-service, weather). */
  dependency: string;
  /** How messages name it: "Payment Service unreachable: ...". */
  title: string;
  baseUrl: string;
  /** The dependency's policy (timeout, breaker, retry of idempotent calls), applied to every call. */
  policy?: DependencyPolicy;
  /** Time limit of one call without a policy. */
  timeoutMs?: number;
}

export interface OutboundHttp {
  /**
   * Runs `handle` once under the policy; what it throws counts against the dependency. Network
   * errors, 5xx and 429 answers, timeouts and an open circuit reach the caller as the domain's
   * DependencyUnavailableError; other answers are the handler's to read.
   */
  call<T>(handle: (send: Send) => Promise<T>, options: { idempotent: boolean }): Promise<T>;
}

/** The one way the adapters call a dependency over HTTP. */
export function createOutboundHttp(options: OutboundHttpOptions): OutboundHttp {
  const base = options.baseUrl.replace(/\/$/, '');
  const unavailable = (message: string) => new DependencyUnavailableError(options.dependency, `${options.title} ${message}`);

  const sender =
    (signal: AbortSignal | undefined): Send =>
    async (pathOrUrl, request = {}) => {
      let response: Response;
      let text: string;
      try {
        response = await fetch(typeof pathOrUrl === 'string' ? `${base}${pathOrUrl}` : pathOrUrl, {
          method: request.method ?? 'GET',
          headers: { ...(request.json === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers },
          body: request.json === undefined ? undefined : JSON.stringify(request.json),
          signal: signal ?? (options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined),
        });
        text = await response.text();
      } catch (error) {
        throw unavailable(`unreachable: ${(error as Error).message}`);
      }
      if (response.status >= 500 || response.status === 429) throw unavailable(`answered ${response.status}`);
      return { status: response.status, ok: response.ok, text };
    };

  return {
    async call(handle, { idempotent }) {
      if (!options.policy) return handle(sender(undefined));
      try {
        return await options.policy.execute((signal) => handle(sender(signal)), { idempotent });
      } catch (error) {
        if (isBrokenCircuit(error)) throw unavailable(`unavailable: ${(error as Error).message}`);
        if (isTaskCancelledError(error)) throw unavailable('did not answer in time');
        throw error;
      }
    },
  };
}

/** The body as a JSON object, or an empty one when it is not one. */
export function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
