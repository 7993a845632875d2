import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_SERVICE, loadPackageDefinition, PROTO_PACKAGE } from '../../packages/app/src/grpc/proto';

/**
 * The seed contract, which no baseline refresh may drop: buf and oasdiff compare with
 * contracts/baseline, and `scripts/contracts.sh accept --allow-breaking` rewrites that. The v1 API of
 * the original service (GetEventV1 and its messages, the REST v1 operations and EventV1) stays as
 * the clients of the first release know it, in the live proto and openapi.json.
 */

const definition = loadPackageDefinition();

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
/** `name: [repeated ]type = number` of every field of a message of the event API. */
function fields(message: string): Record<string, string> {
  const type = definition[`${PROTO_PACKAGE}.${message}`] as { type: unknown } | undefined;
  if (!type) throw new Error(`${PROTO_PACKAGE}.${message} is not in the proto`);
  const described = (type.type as { field: FieldDescriptor[] }).field.map((f) => {
    const kind = f.typeName || f.type.replace(/^TYPE_/, '').toLowerCase();
    return [f.name, `${f.label === 'LABEL_REPEATED' ? 'repeated ' : ''}${kind} = ${f.number}`] as const;
  });
  return Object.fromEntries(described);
}

const V1_FIELDS = { id: 'string = 1', title: 'string = 2', description: 'string = 3', start_date: 'string = 4', location: 'string = 5' };

describe('seed contract: gRPC', () => {
  const service = definition[EVENT_SERVICE] as unknown as Record<
    string,
    { requestType: unknown; responseType: unknown; requestStream: boolean; responseStream: boolean; options?: { deprecated?: boolean } } | undefined
  >;
  const method = (name: string) => {
    const m = service[name];
    if (!m) throw new Error(`${EVENT_SERVICE}/${name} is not in the proto`);
    const typeName = (t: unknown) => (t as { type: { name: string } }).type.name;
    return { request: typeName(m.requestType), response: typeName(m.responseType), streaming: m.requestStream || m.responseStream, deprecated: m.options?.deprecated === true };
  };

  it('GetEventV1 stays, deprecated, with its v1 messages and their field numbers', () => {
    expect(method('GetEventV1')).toEqual({ request: 'GetEventRequestV1', response: 'EventResponseV1', streaming: false, deprecated: true });
    expect(fields('GetEventRequestV1')).toEqual({ event_id: 'string = 1' });
    expect(fields('EventResponseV1')).toEqual(V1_FIELDS);
  });

  it('GetEvent keeps the v1 fields under their numbers and adds after them', () => {
    expect(method('GetEvent')).toEqual({ request: 'GetEventRequest', response: 'EventResponse', streaming: false, deprecated: false });
    expect(fields('GetEventRequest')).toMatchObject({ event_id: 'string = 1', include_details: 'bool = 2', fields: 'repeated string = 3' });
    expect(fields('EventResponse')).toMatchObject({ ...V1_FIELDS, end_date: 'string = 6', details: 'EventDetails = 7' });
  });
});

describe('seed contract: REST v1', () => {
  const doc = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string }>>;
    components: { schemas: Record<string, { properties: Record<string, { type?: string; format?: string; nullable?: boolean }>; required?: string[] }> };
  };

  it('keeps the five v1 operations under their operationIds', () => {
    const v1 = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`));
    expect(v1.sort()).toEqual(
      [
        'GET /api/v1/events listEventsV1',
        'POST /api/v1/events createEventV1',
        'GET /api/v1/events/{id} getEventV1',
        'PUT /api/v1/events/{id} updateEventV1',
        'DELETE /api/v1/events/{id} cancelEventV1',
      ].sort(),
    );
  });

  it('answers EventV1 with the five snake_case fields, all present, their types and nullability unchanged', () => {
    const schema = doc.components.schemas.EventV1!;
    const shape = Object.fromEntries(Object.entries(schema.properties).map(([name, p]) => [name, `${p.type}${p.format ? `/${p.format}` : ''}${p.nullable ? ' | null' : ''}`]));
    expect(shape).toEqual({ id: 'string/uuid', title: 'string', description: 'string | null', start_date: 'string', location: 'string | null' });
    expect([...(schema.required ?? [])].sort()).toEqual(['description', 'id', 'location', 'start_date', 'title']);
  });
});
