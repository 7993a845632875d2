import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { EventAvailabilityMessage, EventResponseMessage, EventResponseV1Message } from '../src/grpc/presenters';
import { EVENT_PROTO_FILE, LOADER_OPTIONS, protoDir } from '../src/grpc/proto';

export interface CallOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Relative deadline of the call. */
  deadlineMs?: number;
  metadata?: Metadata;
  /** Receives the response headers (e.g. `deprecation` of GetEventV1). */
  onMetadata?: (headers: Metadata) => void;
}

export interface EventServiceClient {
  getEvent(request: { event_id: string; include_details?: boolean; fields?: string[] }, options?: CallOptions): Promise<EventResponseMessage>;
  /** @deprecated use getEvent */
  getEventV1(request: { event_id: string }, options?: CallOptions): Promise<EventResponseV1Message>;
  checkEventAvailability(request: { event_id: string }, options?: CallOptions): Promise<EventAvailabilityMessage>;
  readonly client: Client;
  close(): void;
}

type UnaryMethod = (
  request: unknown,
  metadata: Metadata,
  options: { deadline?: number },
  callback: (error: ServiceError | null, response: unknown) => void,
) => { on(event: 'metadata', listener: (headers: Metadata) => void): unknown };

/**
 * A promise-based EventService client over plaintext, for the tests of the gRPC API (kept out of
 * src: the service never calls itself, and the bundle must not carry it).
 * Unset proto fields stay absent in answers (`defaults: false`), so a field mask is visible;
 * no virtual oneof keys (`oneofs: false`).
 */
export function createEventServiceClient(address: string): EventServiceClient {
  const definition = protoLoader.loadSync(EVENT_PROTO_FILE, { ...LOADER_OPTIONS, defaults: false, oneofs: false, includeDirs: [protoDir()] });
  const pkg = loadPackageDefinition(definition) as unknown as {
    org: { aquastream: { event: { api: { EventService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client } } } };
  };
  const client = new pkg.org.aquastream.event.api.EventService(address, credentials.createInsecure());
  const call =
    <Res>(name: string) =>
    (request: unknown, options: CallOptions = {}): Promise<Res> =>
      new Promise<Res>((resolve, reject) => {
        const metadata = options.metadata?.clone() ?? new Metadata();
        if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
        const method = (client as unknown as Record<string, UnaryMethod>)[name]!.bind(client);
        const deadline = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
        const pending = method(request, metadata, deadline, (error, response) => (error ? reject(error) : resolve(response as Res)));
        if (options.onMetadata) pending.on('metadata', options.onMetadata);
      });
  return {
    getEvent: call('GetEvent'),
    getEventV1: call('GetEventV1'),
    checkEventAvailability: call('CheckEventAvailability'),
    client,
    close: () => client.close(),
  };
}
