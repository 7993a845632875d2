import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/contracts.sh, the guard CI runs, against breaking changes planted in temporary copies of
 * the proto and openapi.json: buf and oasdiff must refuse each one with the committed baselines and
 * accept the tree as it is, and additions. Builds the pinned tools on first use (minutes, cold).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROTO_FILE = 'org/aquastream/event/api/event_service.proto';
const PROTO = join(ROOT, 'packages/app/proto', PROTO_FILE);
const OPENAPI = join(ROOT, 'openapi.json');
const BROKEN = join(ROOT, 'tools/contracts/fixtures/broken.proto');
const tmp = mkdtempSync(join(tmpdir(), 'contracts-guard-'));

interface Run {
  status: number | null;
  output: string;
}

function guard(args: string[], env: Record<string, string> = {}): Run {
  const run = spawnSync('bash', ['scripts/contracts.sh', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 900_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

let copies = 0;
/** A proto directory holding `source` as the event service proto. */
function protoDir(source: string): string {
  const dir = join(tmp, `proto-${++copies}`);
  mkdirSync(dirname(join(dir, PROTO_FILE)), { recursive: true });
  writeFileSync(join(dir, PROTO_FILE), source);
  return dir;
}
function editedProto(edit: (source: string) => string): string {
  const source = readFileSync(PROTO, 'utf8');
  const edited = edit(source);
  expect(edited).not.toBe(source);
  return protoDir(edited);
}

type Doc = {
  paths: Record<string, Record<string, { operationId?: string; [key: string]: unknown }>>;
  components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
};
function editedOpenApi(edit: (doc: Doc) => void): string {
  const doc = JSON.parse(readFileSync(OPENAPI, 'utf8')) as Doc;
  edit(doc);
  const file = join(tmp, `openapi-${++copies}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

beforeAll(() => {
  const build = guard(['build']);
  expect(build.status, build.output).toBe(0);
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('contract guard: the tree as it is', () => {
  it('the proto and openapi.json break nothing in contracts/baseline', () => {
    const run = guard(['check']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('ok   gRPC: no breaking change');
    expect(run.output).toContain('ok   REST: no breaking change');
  });

  it('fails without its baselines rather than guarding nothing', () => {
    const run = guard(['check'], { CONTRACTS_PROTO_BASELINE: join(tmp, 'missing') });
    expect(run.status).toBe(1);
    expect(run.output).toContain('no baseline');
  });
});

describe('contract guard: buf breaking on the proto', () => {
  it('refuses the broken fixture: a removed field, a renumbered field, a changed type, a removed method', () => {
    const run = guard(['check'], { CONTRACTS_PROTO: protoDir(readFileSync(BROKEN, 'utf8')) });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain('Previously present field "5" with name "location" on message "EventResponseV1" was deleted.');
    expect(run.output).toContain('Previously present field "3" with name "fields" on message "GetEventRequest" was deleted.');
    expect(run.output).toContain('Field "4" with name "start_date" on message "EventResponse" changed type from "string" to "int64".');
    expect(run.output).toContain('Previously present RPC "CheckEventAvailability" on service "EventService" was deleted.');
    expect(run.output).toContain('FAIL gRPC');
    expect(run.output).toContain('ok   REST');
  });

  it('refuses a renamed field, a changed cardinality, a removed message, a removed or renumbered enum value', () => {
    const dir = editedProto((s) =>
      s
        .replace('string organizer_id = 6;', 'string owner_id = 6;')
        .replace('bool include_details = 2;', 'repeated bool include_details = 2;')
        .replace(/message Coordinates \{[^}]*\}/, '')
        .replace('Coordinates coordinates = 4;', 'string coordinates = 4;')
        .replace('  EVENT_STATUS_CANCELLED = 4;\n', '')
        .replace('NOT_BOOKABLE_REASON_SOLD_OUT = 1;', 'NOT_BOOKABLE_REASON_SOLD_OUT = 9;'),
    );
    const run = guard(['check'], { CONTRACTS_PROTO: dir });
    expect(run.status, run.output).toBe(1);
    for (const expected of [
      'Field "6" on message "EventDetails" changed name from "organizer_id" to "owner_id".',
      'Field "2" with name "include_details" on message "GetEventRequest" changed cardinality',
      'Previously present message "Coordinates" was deleted from file.',
      'Field "4" with name "coordinates" on message "LocationDetails" changed type from "message" to "string".',
      'Previously present enum value "4" on enum "EventStatus" was deleted.',
      'Previously present enum value "1" on enum "NotBookableReason" was deleted.',
    ])
      expect(run.output).toContain(expected);
  });

  it('refuses a changed request type and a method that became streaming', () => {
    const dir = editedProto((s) =>
      s
        .replace('rpc GetEvent(GetEventRequest) returns (EventResponse);', 'rpc GetEvent(GetEventRequestV1) returns (EventResponse);')
        .replace('rpc CheckEventAvailability(CheckEventAvailabilityRequest) returns (EventAvailability);', 'rpc CheckEventAvailability(CheckEventAvailabilityRequest) returns (stream EventAvailability);'),
    );
    const run = guard(['check'], { CONTRACTS_PROTO: dir });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain('RPC "GetEvent" on service "EventService" changed request type from "org.aquastream.event.api.GetEventRequest" to "org.aquastream.event.api.GetEventRequestV1".');
    expect(run.output).toContain('RPC "CheckEventAvailability" on service "EventService" changed from server unary to server streaming.');
  });

  it('allows new fields, messages, enum values and methods', () => {
    const dir = editedProto(
      (s) =>
        s
          .replace('optional EventDetails details = 7;', 'optional EventDetails details = 7;\n  repeated string tags = 8;')
          .replace('  EVENT_STATUS_CANCELLED = 4;', '  EVENT_STATUS_CANCELLED = 4;\n  EVENT_STATUS_POSTPONED = 5;')
          .replace(
            'rpc CheckEventAvailability(CheckEventAvailabilityRequest) returns (EventAvailability);',
            'rpc CheckEventAvailability(CheckEventAvailabilityRequest) returns (EventAvailability);\n  rpc ListEvents(ListEventsRequest) returns (ListEventsResponse);',
          ) + '\nmessage ListEventsRequest { int32 page = 1; }\nmessage ListEventsResponse { repeated EventResponse events = 1; }\n',
    );
    const run = guard(['check'], { CONTRACTS_PROTO: dir });
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('the baselines are behind');
  });
});

describe('contract guard: oasdiff breaking on openapi.json', () => {
  const schema = (doc: Doc) => doc.components.schemas.EventV1!;

  it('refuses a removed, retyped, nullable or optional v1 JSON field', () => {
    const file = editedOpenApi((doc) => {
      delete schema(doc).properties.start_date;
      schema(doc).properties.location = { type: 'object', nullable: true };
      schema(doc).properties.title = { type: 'string', nullable: true };
      schema(doc).required = schema(doc).required.filter((r) => r !== 'id');
    });
    const run = guard(['check'], { CONTRACTS_OPENAPI: file });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain('in API GET /api/v1/events/{id} removed the required property `start_date` from the response with the `200` status [response-required-property-removed]');
    expect(run.output).toContain("in API GET /api/v1/events/{id} the `location` response's property `type` changed from `string` to `object` for status `200` [response-property-type-changed]");
    expect(run.output).toContain('in API GET /api/v1/events/{id} the response property `title` became nullable for the status `200` [response-property-became-nullable]');
    expect(run.output).toContain('in API GET /api/v1/events/{id} the response property `id` became optional for the status `200` [response-property-became-optional]');
    expect(run.output).toContain('ok   gRPC');
    expect(run.output).toContain('FAIL REST');
  });

  it('refuses a removed v1 operation although v1 is deprecated, and a removed v2 path', () => {
    const file = editedOpenApi((doc) => {
      delete doc.paths['/api/v1/events/{id}']!.put;
      delete doc.paths['/api/v2/events/{id}/publish'];
    });
    const run = guard(['check'], { CONTRACTS_OPENAPI: file });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain('in API PUT /api/v1/events/{id} API removed with deprecation [api-removed-with-deprecation]');
    expect(run.output).toContain('in API POST /api/v2/events/{id}/publish API path removed without deprecation [api-path-removed-without-deprecation]');
  });

  it('refuses a renamed or dropped operationId: generated clients call methods by those names', () => {
    const file = editedOpenApi((doc) => {
      doc.paths['/api/v2/events/{id}']!.get!.operationId = 'fetchEvent';
      delete doc.paths['/api/v2/bookings']!.post!.operationId;
    });
    const run = guard(['check'], { CONTRACTS_OPENAPI: file });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain('in API GET /api/v2/events/{id} API operation id `getEvent` removed and replaced with `fetchEvent` [api-operation-id-removed]');
    expect(run.output).toContain('in API POST /api/v2/bookings API operation id `bookSeat` removed and replaced with `` [api-operation-id-removed]');
  });

  it('allows a new v1 JSON field and a new operation', () => {
    const file = editedOpenApi((doc) => {
      schema(doc).properties.end_date = { type: 'string' };
      doc.paths['/api/v1/events/{id}']!.patch = { operationId: 'patchEventV1', responses: { '200': { description: 'patched' } } };
    });
    const run = guard(['check'], { CONTRACTS_OPENAPI: file });
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('ok   REST: no breaking change');
  });
});

describe('contract guard: accept', () => {
  /** Baselines and revisions in a temporary folder, starting from the committed baselines. */
  function workspace() {
    const dir = join(tmp, `accept-${++copies}`);
    cpSync(join(ROOT, 'contracts/baseline'), join(dir, 'baseline'), { recursive: true });
    cpSync(join(ROOT, 'packages/app/proto'), join(dir, 'proto'), { recursive: true });
    cpSync(OPENAPI, join(dir, 'openapi.json'));
    const env = {
      CONTRACTS_PROTO: join(dir, 'proto'),
      CONTRACTS_OPENAPI: join(dir, 'openapi.json'),
      CONTRACTS_PROTO_BASELINE: join(dir, 'baseline/proto'),
      CONTRACTS_OPENAPI_BASELINE: join(dir, 'baseline/openapi.json'),
    };
    return { dir, env, baselineProto: join(dir, 'baseline/proto', PROTO_FILE) };
  }

  it('records additions, after which they are frozen too', () => {
    const { dir, env, baselineProto } = workspace();
    writeFileSync(join(dir, 'proto', PROTO_FILE), readFileSync(PROTO, 'utf8').replace('optional EventDetails details = 7;', 'optional EventDetails details = 7;\n  repeated string tags = 8;'));
    const accepted = guard(['accept'], env);
    expect(accepted.status, accepted.output).toBe(0);
    expect(readFileSync(baselineProto, 'utf8')).toContain('repeated string tags = 8;');
    // Removing the field recorded a moment ago is now a breaking change.
    writeFileSync(join(dir, 'proto', PROTO_FILE), readFileSync(PROTO, 'utf8'));
    const removed = guard(['check'], env);
    expect(removed.status, removed.output).toBe(1);
    expect(removed.output).toContain('Previously present field "8" with name "tags" on message "EventResponse" was deleted.');
  });

  it('refuses to record a breaking change without --allow-breaking, and leaves the baselines alone', () => {
    const { dir, env, baselineProto } = workspace();
    const before = readFileSync(baselineProto, 'utf8');
    writeFileSync(join(dir, 'proto', PROTO_FILE), readFileSync(BROKEN, 'utf8'));
    const refused = guard(['accept'], env);
    expect(refused.status, refused.output).toBe(1);
    expect(refused.output).toContain('refusing to record a breaking change');
    expect(readFileSync(baselineProto, 'utf8')).toBe(before);

    const forced = guard(['accept', '--allow-breaking'], env);
    expect(forced.status, forced.output).toBe(0);
    expect(readFileSync(baselineProto, 'utf8')).toBe(readFileSync(BROKEN, 'utf8'));
    expect(existsSync(join(dir, 'baseline/openapi.json'))).toBe(true);
  });
});
