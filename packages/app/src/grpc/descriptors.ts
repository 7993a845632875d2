import type { PackageDefinition } from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';

interface FieldProto {
  name?: string;
  label?: number;
  type?: number;
  typeName?: string;
}
interface MessageProto {
  name?: string;
  field?: FieldProto[];
  nestedType?: MessageProto[];
  options?: { mapEntry?: boolean } | null;
}
interface FileProto {
  package?: string;
  messageType?: MessageProto[];
}
interface FileDescriptorCodec {
  decode(bytes: Uint8Array): FileProto;
  encode(file: FileProto): { finish(): Uint8Array };
}

const LABEL_REPEATED = 3;
const TYPE_MESSAGE = 11;

/** Go's protodesc rule (strs.MapEntryName): the entry message of map field `foo_bar` is `FooBarEntry`. */
export const mapEntryName = (field: string): string =>
  field
    .split('_')
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('') + 'Entry';

function fixMessage(message: MessageProto, scope: string): boolean {
  const fullName = `${scope}.${message.name}`;
  let changed = false;
  for (const nested of message.nestedType ?? []) {
    if (!nested.options?.mapEntry) {
      changed = fixMessage(nested, fullName) || changed;
      continue;
    }
    const refersToEntry = (f: FieldProto) =>
      f.label === LABEL_REPEATED && f.type === TYPE_MESSAGE && (f.typeName === nested.name || f.typeName === `${fullName}.${nested.name}`);
    const field = message.field?.find(refersToEntry);
    if (!field?.name) continue;
    const name = mapEntryName(field.name);
    if (nested.name === name && field.typeName === `${fullName}.${name}`) continue;
    nested.name = name;
    field.typeName = `${fullName}.${name}`;
    changed = true;
  }
  return changed;
}

/**
 * protobufjs (7.x, under @grpc/proto-loader) names the implicit entry message of a map field after
 * the field alone (`Statuses`, not `StatusesEntry`) in the descriptors it builds. Server reflection
 * hands those descriptors out, and Go's protobuf (grpcurl, grpc_health_probe, Go clients) refuses
 * the whole file: "invalid map: incorrect implicit map entry name". This renames such entries to
 * what protoc would have written and points their fields at them; nothing else changes, and the
 * descriptors are used by reflection only, not to encode messages.
 */
export function withProtocMapEntries(definition: PackageDefinition): PackageDefinition {
  const codec = (descriptor as unknown as { FileDescriptorProto: FileDescriptorCodec }).FileDescriptorProto;
  const fixed = new Map<string, Buffer>();
  const fix = (bytes: Buffer): Buffer => {
    const key = bytes.toString('base64');
    let out = fixed.get(key);
    if (!out) {
      const file = codec.decode(bytes);
      const scope = file.package ? `.${file.package}` : '';
      let changed = false;
      for (const message of file.messageType ?? []) changed = fixMessage(message, scope) || changed;
      out = changed ? Buffer.from(codec.encode(file).finish()) : bytes;
      fixed.set(key, out);
    }
    return out;
  };
  for (const entry of Object.values(definition)) {
    const holder = entry as { fileDescriptorProtos?: Buffer[] };
    if (Array.isArray(holder.fileDescriptorProtos)) holder.fileDescriptorProtos = holder.fileDescriptorProtos.map(fix);
  }
  return definition;
}
