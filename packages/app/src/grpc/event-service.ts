import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { UnauthenticatedError, ValidationError, type AccessTokenVerifier, type Actor } from '@aquastream/domain';
import type { UseCases } from '../composition-root';
import { toGrpcError } from './errors';
import { availability, eventResponse, eventResponseV1, parseSelection } from './presenters';
import { EVENT_SERVICE } from './proto';

export interface EventServiceDeps {
  useCases: Pick<UseCases, 'getEvent'>;
  verifier: AccessTokenVerifier;
  logger: Logger;
  /** When true, every EventService call needs `authorization: Bearer <jwt>` (health and reflection never do). */
  requireAuth: boolean;
  /** Field names of EventResponse and EventDetails, from the loaded proto. */
  maskNames: { response: readonly string[]; details: readonly string[] };
  clock: { now(): Date };
}

interface CallContext {
  actor: Actor | null;
  /** Aborted when the deadline passes or the client cancels: stop working, nobody is listening. */
  signal: AbortSignal;
  call: ServerUnaryCall<unknown, unknown>;
}

const Uuid = z.uuid();

function requireUuid(value: string, field: string): string {
  if (!Uuid.safeParse(value).success) throw new ValidationError([{ field, message: value ? 'must be a UUID' : 'is required' }]);
  return value.toLowerCase();
}

/** `authorization: Bearer <jwt>` like the REST API: absent means anonymous, present must verify. */
async function actorOf(metadata: Metadata, deps: EventServiceDeps): Promise<Actor | null> {
  const values = metadata.get('authorization');
  if (values.length === 0) {
    if (deps.requireAuth) throw new UnauthenticatedError('This server requires authorization: Bearer <token> in the call metadata');
    return null;
  }
  const match = values.length === 1 ? /^Bearer\s+(\S+)$/i.exec(String(values[0])) : null;
  if (!match) throw new UnauthenticatedError('Use one authorization: Bearer <token> metadata entry');
  return deps.verifier.verify(match[1]!);
}

class DeadlineExceeded extends Error {}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * One unary method: authenticate, run, map errors. grpc-js ends a call whose deadline passes with
 * DEADLINE_EXCEEDED by itself; here the call's AbortSignal stops the handler from starting work it
 * has no time for, and its result (or error) is dropped and logged instead of sent.
 */
function unary<Req, Res>(method: string, deps: EventServiceDeps, run: (request: Req, ctx: CallContext) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = performance.now();
    const controller = new AbortController();
    const deadline = deadlineOf(call as ServerUnaryCall<unknown, unknown>);
    const log = deps.logger.child({ grpc: { method, peer: call.getPeer() } });
    let finished = false;
    const end = (code: status, error: ReturnType<typeof toGrpcError> | null, value?: Res) => {
      if (finished) return;
      finished = true;
      const ms = Math.round(performance.now() - started);
      if (code === status.INTERNAL) log.error({ ms, code: status[code] }, 'grpc call failed');
      else log.debug({ ms, code: status[code] }, 'grpc call');
      callback(error, value);
    };
    call.on('cancelled', () => {
      const code = Date.now() >= deadline ? 'DEADLINE_EXCEEDED' : 'CANCELLED';
      controller.abort(new DeadlineExceeded(code));
      if (finished) return;
      finished = true;
      log.info({ ms: Math.round(performance.now() - started), code }, 'grpc call abandoned: the client is gone');
    });
    if (Date.now() >= deadline) {
      end(status.DEADLINE_EXCEEDED, { code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded before the call started', metadata: new Metadata() });
      return;
    }
    const ctxPromise = actorOf(call.metadata, deps).then((actor) => {
      if (controller.signal.aborted) throw controller.signal.reason;
      return run(call.request, { actor, signal: controller.signal, call: call as ServerUnaryCall<unknown, unknown> });
    });
    ctxPromise.then(
      (value) => end(status.OK, null, value),
      (error: unknown) => {
        if (error instanceof DeadlineExceeded) return;
        const grpcError = toGrpcError(error);
        if (grpcError.code === status.INTERNAL) log.error({ err: error }, 'unhandled error in grpc call');
        end(grpcError.code, grpcError);
      },
    );
  };
}

interface GetEventRequest {
  event_id: string;
  include_details: boolean;
  fields: string[];
}

/** The EventService implementation over the same domain use cases as the REST API. */
export function eventServiceImplementation(deps: EventServiceDeps): UntypedServiceImplementation {
  return {
    GetEventV1: unary<{ event_id: string }, unknown>('GetEventV1', deps, async (request, { actor, call }) => {
      const id = requireUuid(request.event_id, 'event_id');
      const event = await deps.useCases.getEvent(actor, id);
      const headers = new Metadata();
      headers.set('deprecation', 'true');
      headers.set('link', `</${EVENT_SERVICE}/GetEvent>; rel="successor-version"`);
      call.sendMetadata(headers);
      return eventResponseV1(event);
    }),
    GetEvent: unary<GetEventRequest, unknown>('GetEvent', deps, async (request, { actor }) => {
      const id = requireUuid(request.event_id, 'event_id');
      const selection = parseSelection(request.fields ?? [], request.include_details ?? false, deps.maskNames);
      return eventResponse(await deps.useCases.getEvent(actor, id), selection);
    }),
    CheckEventAvailability: unary<{ event_id: string }, unknown>('CheckEventAvailability', deps, async (request, { actor }) => {
      const id = requireUuid(request.event_id, 'event_id');
      return availability(await deps.useCases.getEvent(actor, id), deps.clock.now());
    }),
  };
}
