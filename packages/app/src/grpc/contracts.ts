import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { eventProtoPath, PROTO_PACKAGE } from './proto';

/**
 * The compatibility guard of the public contracts: the gRPC API (from the .proto) and the frozen
 * REST v1 shapes (from the committed openapi.json), reduced to what clients depend on and compared
 * with the snapshot committed in contracts/. Adding is always allowed; removing, renumbering,
 * retyping and renaming are breaking.
 */

export interface FieldContract {
  number: number;
  /** A scalar (`string`, `int64`, ...) or the full name of a message or enum; `map<k,v>` for maps. */
  type: string;
  /** `singular` (proto3 implicit presence), `optional` (explicit presence), `repeated` or `map`. */
  label: 'singular' | 'optional' | 'repeated' | 'map';
}

export interface MethodContract {
  request: string;
  response: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
  deprecated: boolean;
}

export interface ProtoContract {
  package: string;
  services: Record<string, { methods: Record<string, MethodContract> }>;
  messages: Record<string, { fields: Record<string, FieldContract> }>;
  enums: Record<string, { values: Record<string, number> }>;
}

export interface RestPropertyContract {
  type?: string;
  format?: string;
  $ref?: string;
  items?: unknown;
  enum?: unknown[];
  nullable: boolean;
}

export interface RestContract {
  /** Response schemas of the v1 API, from components.schemas. */
  schemas: Record<string, { properties: Record<string, RestPropertyContract>; required: string[] }>;
  /** `METHOD /path` of every v1 operation. */
  operations: string[];
  /**
   * The operationId of every operation (v1, v2, actuator) by `METHOD /path`: generated clients name
   * their methods after it, so a renamed id breaks them as surely as a removed path. `null` when an
   * operation has none.
   */
  operationIds: Record<string, string | null>;
}

export interface ContractSnapshot {
  $comment?: string;
  grpc: ProtoContract;
  rest: RestContract;
}

/** The v1 REST response schemas under the guard. */
export const REST_V1_SCHEMAS = ['EventV1'] as const;
export const REST_V1_PREFIX = '/api/v1/';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../../..');
export const SNAPSHOT_PATH = resolve(REPO_ROOT, 'contracts/public-api.snapshot.json');
export const OPENAPI_PATH = resolve(REPO_ROOT, 'openapi.json');

const sorted = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

const stripDot = (name: string) => name.replace(/^\./, '');

/** Reads a .proto (imports resolved relative to its folder, then includeDirs) into a contract. */
export function describeProto(file: string, includeDirs: string[] = [], pkg = PROTO_PACKAGE): ProtoContract {
  const root = new protobuf.Root();
  const dirs = [dirname(file), ...includeDirs];
  root.resolvePath = (origin, target) => {
    if (target === file || resolve(target) === resolve(file)) return file;
    for (const dir of dirs) {
      const candidate = resolve(dir, target);
      try {
        readFileSync(candidate);
        return candidate;
      } catch {
        // try the next include dir
      }
    }
    return target;
  };
  root.loadSync(file, { keepCase: true });
  root.resolveAll();

  const contract: ProtoContract = { package: pkg, services: {}, messages: {}, enums: {} };
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const nested of ns.nestedArray) {
      const fullName = stripDot(nested.fullName);
      const inPackage = fullName.startsWith(`${pkg}.`);
      if (nested instanceof protobuf.Type && inPackage) {
        const fields: Record<string, FieldContract> = {};
        for (const f of nested.fieldsArray) {
          const valueType = f.resolvedType ? stripDot(f.resolvedType.fullName) : f.type;
          if (f instanceof protobuf.MapField) fields[f.name] = { number: f.id, type: `map<${f.keyType},${valueType}>`, label: 'map' };
          else
            fields[f.name] = {
              number: f.id,
              type: valueType,
              label: f.repeated ? 'repeated' : (f.options as { proto3_optional?: boolean } | undefined)?.proto3_optional ? 'optional' : 'singular',
            };
        }
        contract.messages[fullName] = { fields: Object.fromEntries(Object.entries(fields).sort(([, a], [, b]) => a.number - b.number)) };
      } else if (nested instanceof protobuf.Enum && inPackage) {
        contract.enums[fullName] = { values: Object.fromEntries(Object.entries(nested.values).sort(([, a], [, b]) => a - b)) };
      } else if (nested instanceof protobuf.Service && inPackage) {
        const methods: Record<string, MethodContract> = {};
        for (const m of nested.methodsArray) {
          methods[m.name] = {
            request: stripDot(m.resolvedRequestType?.fullName ?? m.requestType),
            response: stripDot(m.resolvedResponseType?.fullName ?? m.responseType),
            clientStreaming: !!m.requestStream,
            serverStreaming: !!m.responseStream,
            deprecated: (m.options as { deprecated?: boolean } | undefined)?.deprecated === true,
          };
        }
        contract.services[fullName] = { methods: sorted(methods) };
      }
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
    }
  };
  visit(root);
  contract.services = sorted(contract.services);
  contract.messages = sorted(contract.messages);
  contract.enums = sorted(contract.enums);
  return contract;
}

interface OpenApiDoc {
  paths?: Record<string, Record<string, { operationId?: string } | unknown>>;
  components?: { schemas?: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }> };
}

/** The v1 response schemas and operations of an OpenAPI 3.0 document. */
export function describeRest(doc: OpenApiDoc, schemas: readonly string[] = REST_V1_SCHEMAS): RestContract {
  const out: RestContract['schemas'] = {};
  for (const name of schemas) {
    const schema = doc.components?.schemas?.[name];
    if (!schema) continue;
    const properties: Record<string, RestPropertyContract> = {};
    for (const [prop, spec] of Object.entries(schema.properties ?? {})) {
      const { type, format, $ref, items, enum: values, nullable } = spec as Record<string, unknown>;
      properties[prop] = {
        ...(type !== undefined ? { type: String(type) } : {}),
        ...(format !== undefined ? { format: String(format) } : {}),
        ...($ref !== undefined ? { $ref: String($ref) } : {}),
        ...(items !== undefined ? { items } : {}),
        ...(values !== undefined ? { enum: values as unknown[] } : {}),
        nullable: nullable === true,
      };
    }
    out[name] = { properties: sorted(properties), required: [...(schema.required ?? [])].sort() };
  }
  const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
  const all = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => methods.includes(m))
      .map(([m, op]) => ({ path, key: `${m.toUpperCase()} ${path}`, operationId: (op as { operationId?: string }).operationId ?? null })),
  );
  const operations = all.filter((o) => o.path.startsWith(REST_V1_PREFIX)).map((o) => o.key).sort();
  const operationIds = sorted(Object.fromEntries(all.map((o) => [o.key, o.operationId])));
  return { schemas: sorted(out), operations, operationIds };
}

/** The contracts of the working tree: the real proto and the committed openapi.json. */
export function currentContracts(): ContractSnapshot {
  return {
    grpc: describeProto(eventProtoPath()),
    rest: describeRest(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApiDoc),
  };
}

export function readSnapshot(path = SNAPSHOT_PATH): ContractSnapshot {
  return JSON.parse(readFileSync(path, 'utf8')) as ContractSnapshot;
}

export const SNAPSHOT_COMMENT =
  'Public API contracts that clients depend on. Checked by packages/app/src/grpc/contracts.test.ts; refresh deliberately with `pnpm --filter @aquastream/app exec tsx src/grpc/contracts-cli.ts snapshot` (see contracts/README.md).';

export const renderSnapshot = (contracts: ContractSnapshot): string =>
  JSON.stringify({ $comment: SNAPSHOT_COMMENT, grpc: contracts.grpc, rest: contracts.rest }, null, 2) + '\n';

export interface Change {
  /** `breaking` fails the guard; `added` is allowed and only reported. */
  severity: 'breaking' | 'added';
  kind:
    | 'removed-service'
    | 'removed-method'
    | 'changed-method'
    | 'removed-message'
    | 'removed-field'
    | 'renumbered-field'
    | 'renamed-field'
    | 'changed-type'
    | 'changed-label'
    | 'removed-enum'
    | 'removed-enum-value'
    | 'renumbered-enum-value'
    | 'removed-schema'
    | 'removed-property'
    | 'changed-property'
    | 'removed-operation'
    | 'changed-operation-id'
    | 'added';
  /** Where: `grpc:org.aquastream.event.api.EventResponse.title`, `rest:EventV1.start_date`, ... */
  path: string;
  message: string;
}

function compareFields(message: string, before: Record<string, FieldContract>, after: Record<string, FieldContract>, changes: Change[]) {
  const byNumber = new Map(Object.entries(after).map(([name, f]) => [f.number, name] as const));
  for (const [name, old] of Object.entries(before)) {
    const path = `grpc:${message}.${name}`;
    let now = after[name];
    let nowName = name;
    if (now && now.number !== old.number) {
      changes.push({ severity: 'breaking', kind: 'renumbered-field', path, message: `field ${name} was renumbered from ${old.number} to ${now.number}` });
      continue;
    }
    if (!now) {
      const other = byNumber.get(old.number);
      if (!other) {
        changes.push({ severity: 'breaking', kind: 'removed-field', path, message: `field ${name} = ${old.number} was removed` });
        continue;
      }
      changes.push({ severity: 'breaking', kind: 'renamed-field', path, message: `field ${old.number} was renamed from ${name} to ${other} (breaks JSON and generated code)` });
      now = after[other]!;
      nowName = other;
    }
    if (now.type !== old.type)
      changes.push({ severity: 'breaking', kind: 'changed-type', path, message: `field ${nowName} = ${old.number} changed type from ${old.type} to ${now.type}` });
    else if (now.label !== old.label)
      changes.push({ severity: 'breaking', kind: 'changed-label', path, message: `field ${nowName} = ${old.number} changed from ${old.label} to ${now.label}` });
  }
  for (const name of Object.keys(after))
    if (!before[name] && !Object.values(before).some((f) => f.number === after[name]!.number))
      changes.push({ severity: 'added', kind: 'added', path: `grpc:${message}.${name}`, message: `field ${name} = ${after[name]!.number} added` });
}

/** What changed from the snapshot to now; any `breaking` change fails the guard. */
export function compareContracts(before: ContractSnapshot, after: ContractSnapshot): Change[] {
  const changes: Change[] = [];
  const g0 = before.grpc;
  const g1 = after.grpc;
  for (const [service, { methods }] of Object.entries(g0.services)) {
    const now = g1.services[service];
    if (!now) {
      changes.push({ severity: 'breaking', kind: 'removed-service', path: `grpc:${service}`, message: `service ${service} was removed` });
      continue;
    }
    for (const [name, old] of Object.entries(methods)) {
      const m = now.methods[name];
      const path = `grpc:${service}/${name}`;
      if (!m) changes.push({ severity: 'breaking', kind: 'removed-method', path, message: `method ${name} was removed${old.deprecated ? ' (deprecated methods stay until their sunset)' : ''}` });
      else
        for (const key of ['request', 'response', 'clientStreaming', 'serverStreaming'] as const)
          if (m[key] !== old[key]) changes.push({ severity: 'breaking', kind: 'changed-method', path, message: `method ${name} changed ${key} from ${old[key]} to ${m[key]}` });
    }
    for (const name of Object.keys(now.methods))
      if (!methods[name]) changes.push({ severity: 'added', kind: 'added', path: `grpc:${service}/${name}`, message: `method ${name} added` });
  }
  for (const [message, { fields }] of Object.entries(g0.messages)) {
    const now = g1.messages[message];
    if (!now) changes.push({ severity: 'breaking', kind: 'removed-message', path: `grpc:${message}`, message: `message ${message} was removed` });
    else compareFields(message, fields, now.fields, changes);
  }
  for (const [name, { values }] of Object.entries(g0.enums)) {
    const now = g1.enums[name];
    if (!now) {
      changes.push({ severity: 'breaking', kind: 'removed-enum', path: `grpc:${name}`, message: `enum ${name} was removed` });
      continue;
    }
    for (const [value, number] of Object.entries(values)) {
      if (now.values[value] === undefined)
        changes.push({ severity: 'breaking', kind: 'removed-enum-value', path: `grpc:${name}.${value}`, message: `enum value ${value} = ${number} was removed` });
      else if (now.values[value] !== number)
        changes.push({ severity: 'breaking', kind: 'renumbered-enum-value', path: `grpc:${name}.${value}`, message: `enum value ${value} was renumbered from ${number} to ${now.values[value]}` });
    }
  }
  for (const name of Object.keys(g1.services)) if (!g0.services[name]) changes.push({ severity: 'added', kind: 'added', path: `grpc:${name}`, message: `service ${name} added` });
  for (const name of Object.keys(g1.messages)) if (!g0.messages[name]) changes.push({ severity: 'added', kind: 'added', path: `grpc:${name}`, message: `message ${name} added` });

  const r0 = before.rest;
  const r1 = after.rest;
  for (const [schema, old] of Object.entries(r0.schemas)) {
    const now = r1.schemas[schema];
    if (!now) {
      changes.push({ severity: 'breaking', kind: 'removed-schema', path: `rest:${schema}`, message: `schema ${schema} was removed from openapi.json` });
      continue;
    }
    for (const [prop, p0] of Object.entries(old.properties)) {
      const path = `rest:${schema}.${prop}`;
      const p1 = now.properties[prop];
      if (!p1) {
        changes.push({ severity: 'breaking', kind: 'removed-property', path, message: `JSON field ${prop} was removed` });
        continue;
      }
      const shape = ({ nullable: _nullable, ...rest }: RestPropertyContract) => JSON.stringify(rest, Object.keys(rest).sort());
      if (shape(p0) !== shape(p1)) changes.push({ severity: 'breaking', kind: 'changed-property', path, message: `JSON field ${prop} changed from ${shape(p0)} to ${shape(p1)}` });
      if (!p0.nullable && p1.nullable) changes.push({ severity: 'breaking', kind: 'changed-property', path, message: `JSON field ${prop} became nullable` });
      if (old.required.includes(prop) && !now.required.includes(prop))
        changes.push({ severity: 'breaking', kind: 'changed-property', path, message: `JSON field ${prop} is no longer required (clients may not find it)` });
    }
    for (const prop of Object.keys(now.properties))
      if (!old.properties[prop]) changes.push({ severity: 'added', kind: 'added', path: `rest:${schema}.${prop}`, message: `JSON field ${prop} added` });
  }
  for (const op of r0.operations)
    if (!r1.operations.includes(op)) changes.push({ severity: 'breaking', kind: 'removed-operation', path: `rest:${op}`, message: `v1 operation ${op} was removed` });
  const ids0 = r0.operationIds ?? {};
  const ids1 = r1.operationIds ?? {};
  for (const [op, id] of Object.entries(ids0)) {
    const path = `rest:${op}`;
    if (!(op in ids1)) {
      // A removed v1 operation is reported above already.
      if (!r0.operations.includes(op)) changes.push({ severity: 'breaking', kind: 'removed-operation', path, message: `operation ${op} (${id}) was removed` });
    } else if (ids1[op] !== id)
      changes.push({ severity: 'breaking', kind: 'changed-operation-id', path, message: `operationId of ${op} changed from ${id} to ${ids1[op]} (renames the method of generated clients)` });
  }
  for (const [op, id] of Object.entries(ids1))
    if (!(op in ids0)) changes.push({ severity: 'added', kind: 'added', path: `rest:${op}`, message: `operation ${op} (${id}) added` });
  return changes;
}

export const breaking = (changes: readonly Change[]) => changes.filter((c) => c.severity === 'breaking');

export const formatChanges = (changes: readonly Change[]): string =>
  changes.map((c) => `  ${c.severity === 'breaking' ? 'BREAKING' : 'added   '} ${c.path}: ${c.message}`).join('\n');
