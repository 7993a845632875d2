import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bearerToken } from '@aquastream/adapters';
import { UnauthenticatedError, ValidationError, type AccessTokenVerifier, type Actor } from '@aquastream/domain';
import type { UseCases } from '@aquastream/domain';
import { toGrpcError, type GrpcError } from './errors';
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
  const token = values.length === 1 ? bearerToken(values[0]) : null;
  if (!token) throw new UnauthenticatedError('Use one authorization: Bearer <token> metadata entry');
  return deps.verifier.verify(token);
}

/** The call ended (deadline or client cancel) before the use case started. */
class CallAbandoned extends Error {}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * One unary method: authenticate, run, map errors, log. grpc-js itself ends a call whose deadline
 * passes with DEADLINE_EXCEEDED (and emits `cancelled`); here a call that is already past its
 * deadline, or abandoned while authenticating, never reaches the use case, and the result of one
 * abandoned mid-way is dropped (and logged) instead of sent.
 */
function unary<Req, Res>(method: string, deps: EventServiceDeps, run: (request: Req, ctx: CallContext) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = performance.now();
    const deadline = deadlineOf(call as ServerUnaryCall<unknown, unknown>);
    const log = deps.logger.child({ grpc: { method, peer: call.getPeer() } });
    const elapsed = () => Math.round(performance.now() - started);
    let finished = false;
    let abandoned = false;
    const end = (error: GrpcError | null, value?: Res, cause?: unknown) => {
      if (finished) return;
      finished = true;
      const code = status[error?.code ?? status.OK];
      if (error?.code === status.INTERNAL) log.error({ ms: elapsed(), code, err: cause }, 'grpc call failed');
      else log.debug({ ms: elapsed(), code }, 'grpc call');
      callback(error, value);
    };
    call.on('cancelled', () => {
      abandoned = true;
      if (finished) return;
      finished = true;
      const code = Date.now() >= deadline ? 'DEADLINE_EXCEEDED' : 'CANCELLED';
      log.info({ ms: elapsed(), code }, 'grpc call abandoned: deadline passed or client cancelled');
    });
    if (Date.now() >= deadline) {
      end({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded before the call started', metadata: new Metadata() });
      return;
    }
    actorOf(call.metadata, deps)
      .then((actor) => {
        if (abandoned) throw new CallAbandoned();
        return run(call.request, { actor, call: call as ServerUnaryCall<unknown, unknown> });
      })
      .then(
        (value) => end(null, value),
        (error: unknown) => {
          if (!(error instanceof CallAbandoned)) end(toGrpcError(error), undefined, error);
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
    /** Deprecated: every answer, errors included, says so in its headers (as REST v1 does). */
    GetEventV1: unary<{ event_id: string }, unknown>('GetEventV1', deps, async (request, { actor, call }) => {
      const headers = new Metadata();
      headers.set('deprecation', 'true');
      headers.set('link', `</${EVENT_SERVICE}/GetEvent>; rel="successor-version"`);
      call.sendMetadata(headers);
      const id = requireUuid(request.event_id, 'event_id');
      return eventResponseV1(await deps.useCases.getEvent(actor, id));
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
