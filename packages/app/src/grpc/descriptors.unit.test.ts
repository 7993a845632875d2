import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { mapEntryName, withProtocMapEntries } from './descriptors';
import { loadPackageDefinition } from './proto';

type Message = { name: string; field: { name: string; typeName: string }[]; nestedType: Message[]; options?: { mapEntry?: boolean } };
const codec = (descriptor as unknown as { FileDescriptorProto: { decode(b: Uint8Array): { name: string; messageType: Message[] } } }).FileDescriptorProto;
/** A message by full name, read from the descriptors that the definition hands to server reflection. */
const message = (definition: protoLoader.PackageDefinition, fullName: string): Message => {
  // Nested messages have no key of their own: start from the top-level message that holds them.
  const top = Object.keys(definition).find((key) => fullName === key || fullName.startsWith(`${key}.`))!;
  const holder = definition[top] as { fileDescriptorProtos: Buffer[] };
  const [pkgName, nested] = [top.slice(0, top.lastIndexOf('.')), fullName.slice(top.lastIndexOf('.') + 1).split('.')];
  for (const bytes of holder.fileDescriptorProtos) {
    const file = codec.decode(bytes) as { package?: string; messageType: Message[] };
    if (file.package !== pkgName) continue;
    let found = file.messageType.find((m) => m.name === nested[0]);
    for (const name of nested.slice(1)) found = found?.nestedType.find((m) => m.name === name);
    if (found) return found;
  }
  throw new Error(`${fullName} not found`);
};

const tmp = mkdtempSync(join(tmpdir(), 'descriptors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('descriptors for server reflection', () => {
  it('names map entries as protoc and Go do', () => {
    expect(mapEntryName('statuses')).toBe('StatusesEntry');
    expect(mapEntryName('seats_by_zone')).toBe('SeatsByZoneEntry');
    expect(mapEntryName('_x__y')).toBe('XYEntry');
  });

  it('renames map entries of top-level and nested messages and points the map fields at them', () => {
    const file = join(tmp, 'maps.proto');
    writeFileSync(
      file,
      'syntax = "proto3";\npackage test.maps;\nmessage Outer {\n  map<string, int32> seats_by_zone = 1;\n  message Inner { map<int64, Outer> children = 1; }\n  Inner inner = 2;\n}\n',
    );
    const before = protoLoader.loadSync(file, { keepCase: true });
    expect(message(before, 'test.maps.Outer').nestedType.map((n) => n.name)).not.toContain('SeatsByZoneEntry');

    const after = withProtocMapEntries(protoLoader.loadSync(file, { keepCase: true }));
    const outer = message(after, 'test.maps.Outer');
    expect(outer.nestedType.filter((n) => n.options?.mapEntry).map((n) => n.name)).toEqual(['SeatsByZoneEntry']);
    expect(outer.field.find((f) => f.name === 'seats_by_zone')!.typeName).toBe('.test.maps.Outer.SeatsByZoneEntry');
    const inner = message(after, 'test.maps.Outer.Inner');
    expect(inner.nestedType.map((n) => n.name)).toEqual(['ChildrenEntry']);
    expect(inner.field[0]!.typeName).toBe('.test.maps.Outer.Inner.ChildrenEntry');
  });

  it('the served grpc.health.v1 descriptor has HealthListResponse.StatusesEntry (grpcurl refused "Statuses")', () => {
    const list = message(loadPackageDefinition(), 'grpc.health.v1.HealthListResponse');
    expect(list.nestedType.map((n) => n.name)).toEqual(['StatusesEntry']);
    expect(list.field[0]).toMatchObject({ name: 'statuses', typeName: '.grpc.health.v1.HealthListResponse.StatusesEntry' });
  });
});
