import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  breaking,
  compareContracts,
  currentContracts,
  describeProto,
  describeRest,
  OPENAPI_PATH,
  readSnapshot,
  renderSnapshot,
  type ContractSnapshot,
} from './contracts';
import { eventServiceImplementation } from './event-service';
import { EVENT_SERVICE, eventProtoPath } from './proto';

const BROKEN = new URL('./fixtures/broken.proto', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'contracts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const snapshot = readSnapshot();
const openapi = () => JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
const withGrpc = (file: string): ContractSnapshot => ({ ...currentContracts(), grpc: describeProto(file) });
const withOpenApi = (doc: unknown): ContractSnapshot => ({ ...currentContracts(), rest: describeRest(doc as never) });
const summary = (s: ContractSnapshot) => breaking(compareContracts(snapshot, s)).map((c) => `${c.kind} ${c.path}`);

/** A copy of the real proto with `edit` applied, for changes that must stay allowed. */
function editedProto(edit: (source: string) => string): string {
  const source = readFileSync(eventProtoPath(), 'utf8');
  const edited = edit(source);
  expect(edited).not.toBe(source);
  const file = join(tmp, `edited-${Math.random().toString(36).slice(2)}.proto`);
  writeFileSync(file, edited);
  return file;
}

describe('contract guard: the committed snapshot', () => {
  it('the real proto and openapi.json break nothing in contracts/public-api.snapshot.json', () => {
    const changes = compareContracts(snapshot, currentContracts());
    expect(breaking(changes), 'a breaking change to a public contract: see contracts/README.md').toEqual([]);
  });

  it('holds the seed contract: GetEventV1 (deprecated), GetEvent, the v1 message numbers and the REST EventV1 fields', () => {
    const { grpc, rest } = snapshot;
    const methods = grpc.services[EVENT_SERVICE]!.methods;
    expect(methods.GetEventV1).toMatchObject({ request: 'org.aquastream.event.api.GetEventRequestV1', response: 'org.aquastream.event.api.EventResponseV1', deprecated: true });
    expect(methods.GetEvent).toMatchObject({ request: 'org.aquastream.event.api.GetEventRequest', response: 'org.aquastream.event.api.EventResponse' });
    const numbers = (message: string) => Object.fromEntries(Object.entries(grpc.messages[`org.aquastream.event.api.${message}`]!.fields).map(([n, f]) => [n, `${f.label} ${f.type} = ${f.number}`]));
    expect(numbers('GetEventRequestV1')).toEqual({ event_id: 'singular string = 1' });
    expect(numbers('GetEventRequest')).toEqual({ event_id: 'singular string = 1', include_details: 'singular bool = 2', fields: 'repeated string = 3' });
    const v1 = { id: 'singular string = 1', title: 'singular string = 2', description: 'singular string = 3', start_date: 'singular string = 4', location: 'singular string = 5' };
    expect(numbers('EventResponseV1')).toEqual(v1);
    expect(numbers('EventResponse')).toEqual({ ...v1, end_date: 'optional string = 6', details: 'optional org.aquastream.event.api.EventDetails = 7' });
    expect(Object.keys(rest.schemas.EventV1!.properties).sort()).toEqual(['description', 'id', 'location', 'start_date', 'title']);
  });

  it('is the normalized rendering of itself (refresh it with the CLI, never by hand)', () => {
    expect(readFileSync(new URL('../../../../contracts/public-api.snapshot.json', import.meta.url), 'utf8')).toBe(renderSnapshot(snapshot));
  });

  it('every method of the proto is implemented by the server', () => {
    const implementation = eventServiceImplementation({
      useCases: { getEvent: async () => Promise.reject(new Error('unused')) },
      verifier: { verify: async () => Promise.reject(new Error('unused')) },
      logger: pino({ enabled: false }),
      requireAuth: false,
      maskNames: { response: [], details: [] },
      clock: { now: () => new Date() },
    });
    expect(Object.keys(implementation).sort()).toEqual(Object.keys(currentContracts().grpc.services[EVENT_SERVICE]!.methods).sort());
  });
});

describe('contract guard: proto changes', () => {
  it('reports the broken fixture: removed field, renumbered field, changed type, removed method', () => {
    const changes = compareContracts(snapshot, withGrpc(BROKEN));
    expect(summary(withGrpc(BROKEN)).sort()).toEqual(
      [
        'removed-field grpc:org.aquastream.event.api.EventResponseV1.location',
        'renumbered-field grpc:org.aquastream.event.api.GetEventRequest.fields',
        'changed-type grpc:org.aquastream.event.api.EventResponse.start_date',
        'removed-method grpc:org.aquastream.event.api.EventService/CheckEventAvailability',
      ].sort(),
    );
    expect(changes.find((c) => c.kind === 'changed-type')?.message).toBe('field start_date = 4 changed type from string to int64');
    expect(changes.find((c) => c.kind === 'renumbered-field')?.message).toBe('field fields was renumbered from 3 to 4');
    // The field it added is allowed and only reported.
    expect(changes.filter((c) => c.severity === 'added').map((c) => c.path)).toEqual(['grpc:org.aquastream.event.api.EventDetails.waitlist_size']);
  });

  it('reports a renamed field, a changed cardinality, a removed message, a removed or renumbered enum value', () => {
    const file = editedProto((s) =>
      s
        .replace('string organizer_id = 6;', 'string owner_id = 6;')
        .replace('bool include_details = 2;', 'repeated bool include_details = 2;')
        .replace(/message Coordinates \{[^}]*\}/, '')
        .replace('Coordinates coordinates = 4;', 'string coordinates = 4;')
        .replace('  EVENT_STATUS_CANCELLED = 4;\n', '')
        .replace('NOT_BOOKABLE_REASON_SOLD_OUT = 1;', 'NOT_BOOKABLE_REASON_SOLD_OUT = 9;'),
    );
    expect(summary(withGrpc(file)).sort()).toEqual(
      [
        'renamed-field grpc:org.aquastream.event.api.EventDetails.organizer_id',
        'changed-label grpc:org.aquastream.event.api.GetEventRequest.include_details',
        'removed-message grpc:org.aquastream.event.api.Coordinates',
        'changed-type grpc:org.aquastream.event.api.LocationDetails.coordinates',
        'removed-enum-value grpc:org.aquastream.event.api.EventStatus.EVENT_STATUS_CANCELLED',
        'renumbered-enum-value grpc:org.aquastream.event.api.NotBookableReason.NOT_BOOKABLE_REASON_SOLD_OUT',
      ].sort(),
    );
  });

  it('allows new fields, messages, enum values and methods', () => {
    const file = editedProto((s) =>
      s
        .replace('optional EventDetails details = 7;', 'optional EventDetails details = 7;\n  repeated string tags = 8;')
        .replace('  EVENT_STATUS_CANCELLED = 4;', '  EVENT_STATUS_CANCELLED = 4;\n  EVENT_STATUS_POSTPONED = 5;')
        .replace(
          'rpc CheckEventAvailability(CheckEventAvailabilityRequest) returns (EventAvailability);',
          'rpc CheckEventAvailability(CheckEventAvailabilityRequest) returns (EventAvailability);\n  rpc ListEvents(ListEventsRequest) returns (ListEventsResponse);',
        ) + '\nmessage ListEventsRequest { int32 page = 1; }\nmessage ListEventsResponse { repeated EventResponse events = 1; }\n',
    );
    const changes = compareContracts(snapshot, withGrpc(file));
    expect(breaking(changes)).toEqual([]);
    expect(changes.map((c) => c.path)).toEqual(
      expect.arrayContaining(['grpc:org.aquastream.event.api.EventService/ListEvents', 'grpc:org.aquastream.event.api.EventResponse.tags', 'grpc:org.aquastream.event.api.ListEventsRequest']),
    );
  });
});

describe('contract guard: REST v1 and operationIds', () => {
  it('reports a removed, retyped, nullable or optional v1 JSON field and a removed v1 operation', () => {
    const doc = openapi();
    const props = doc.components.schemas.EventV1.properties;
    delete props.start_date;
    props.location = { type: 'object', nullable: true };
    props.title = { type: 'string', nullable: true };
    doc.components.schemas.EventV1.required = doc.components.schemas.EventV1.required.filter((r: string) => r !== 'id');
    delete doc.paths['/api/v1/events/{id}'].put;
    expect(summary(withOpenApi(doc)).sort()).toEqual(
      [
        'removed-property rest:EventV1.start_date',
        'changed-property rest:EventV1.location',
        'changed-property rest:EventV1.title',
        'changed-property rest:EventV1.id',
        'removed-operation rest:PUT /api/v1/events/{id}',
      ].sort(),
    );
    const gone = openapi();
    delete gone.components.schemas.EventV1;
    expect(summary(withOpenApi(gone))).toEqual(['removed-schema rest:EventV1']);
  });

  it('reports a renamed or dropped operationId and a removed v2 operation: generated clients call methods by those names', () => {
    const doc = openapi();
    doc.paths['/api/v2/events/{id}'].get.operationId = 'fetchEvent';
    delete doc.paths['/api/v2/bookings'].post.operationId;
    delete doc.paths['/api/v2/events/{id}/publish'];
    expect(summary(withOpenApi(doc)).sort()).toEqual(
      ['changed-operation-id rest:GET /api/v2/events/{id}', 'changed-operation-id rest:POST /api/v2/bookings', 'removed-operation rest:POST /api/v2/events/{id}/publish'].sort(),
    );
    expect(snapshot.rest.operationIds['GET /api/v2/events/{id}']).toBe('getEvent');
    expect(snapshot.rest.operationIds['POST /api/v2/bookings']).toBe('bookSeat');
  });

  it('allows a new v1 JSON field and a new operation', () => {
    const doc = openapi();
    doc.components.schemas.EventV1.properties.end_date = { type: 'string' };
    doc.paths['/api/v1/events/{id}'].patch = { operationId: 'patchEventV1', responses: {} };
    const changes = compareContracts(snapshot, withOpenApi(doc));
    expect(breaking(changes)).toEqual([]);
    expect(changes.map((c) => c.path)).toContain('rest:EventV1.end_date');
    expect(changes.map((c) => c.path)).toContain('rest:PATCH /api/v1/events/{id}');
  });
});
