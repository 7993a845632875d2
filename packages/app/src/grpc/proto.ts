import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { withProtocMapEntries } from './descriptors';

/** The proto package of the public gRPC API and its one service. */
export const PROTO_PACKAGE = 'org.aquastream.event.api';
export const EVENT_SERVICE = `${PROTO_PACKAGE}.EventService`;
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
/** The proto file, relative to the proto directory (also its name in server reflection). */
export const EVENT_PROTO_FILE = 'org/aquastream/event/api/event_service.proto';

/**
 * Where `proto/` lives: GRPC_PROTO_DIR when set, `packages/app/proto` when running from the
 * sources (tsx, vitest), or `proto/` next to server.mjs in the production bundle (pnpm deploy
 * copies the package's files, proto included).
 */
export function protoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.GRPC_PROTO_DIR, resolve(here, '../../proto'), resolve(here, 'proto')].filter((d): d is string => !!d);
  const found = candidates.find((dir) => existsSync(join(dir, EVENT_PROTO_FILE)));
  if (!found) throw new Error(`${EVENT_PROTO_FILE} not found in ${candidates.join(', ')} (set GRPC_PROTO_DIR)`);
  return found;
}

export const eventProtoPath = (): string => join(protoDir(), EVENT_PROTO_FILE);

/**
 * keepCase: the JS objects use the proto field names (`event_id`), which are also the names of
 * the GetEvent field mask. enums as strings, int64 as numbers (money in minor units is far
 * below 2^53), defaults filled in on requests.
 */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, enums: String, longs: Number, defaults: true, oneofs: true };

/**
 * The event service and, for server reflection, grpc.health.v1 too (so grpcurl can describe both),
 * with descriptors that Go's protobuf accepts (see withProtocMapEntries).
 */
export function loadPackageDefinition(): protoLoader.PackageDefinition {
  const healthRoot = resolve(dirname(healthProtoPath), '../..');
  return withProtocMapEntries(protoLoader.loadSync([EVENT_PROTO_FILE, 'health/v1/health.proto'], { ...LOADER_OPTIONS, includeDirs: [protoDir(), healthRoot] }));
}

/** Field names of a message of the event API, from its descriptor. */
export function fieldNames(definition: protoLoader.PackageDefinition, message: string): string[] {
  const type = definition[`${PROTO_PACKAGE}.${message}`] as protoLoader.MessageTypeDefinition<object, object> | undefined;
  if (!type) throw new Error(`${PROTO_PACKAGE}.${message} is not in the proto`);
  return (type.type as { field: { name: string }[] }).field.map((f) => f.name);
}
