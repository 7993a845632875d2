import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { credentials, loadPackageDefinition, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadOnlyModeError, type Actor } from '@aquastream/domain';
import { inDays, organizer, publishedEvent, user, type TestApp, type TestUser, startTestApp } from '../../../../testing/app';
import { createEventServiceClient, type EventServiceClient } from '../../testing/grpc-client';
import { startGrpcServer, type GrpcServerHandle } from './server';

type Deps = TestApp['deps'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestApp;
let server: GrpcServerHandle;
let client: EventServiceClient;
let owner: TestUser;
let event: { id: string; capacity: number; available: number };
let locationId: string;
const closers: (() => Promise<void> | void)[] = [];

/** An extra server on a random port over (possibly wrapped) deps; closed after all tests. */
async function extraServer(deps: Pick<Deps, 'useCases' | 'verifier'>, options: Parameters<typeof startGrpcServer>[1] = { port: 0 }) {
  const handle = await startGrpcServer(deps, { host: '127.0.0.1', ...options, port: 0 });
  const c = createEventServiceClient(`127.0.0.1:${handle.port}`);
  closers.push(
    () => c.close(),
    () => handle.shutdown(200),
  );
  return { handle, client: c };
}

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

async function expectStatus(promise: Promise<unknown>, code: status, errorCode?: string): Promise<ServiceError> {
  const error = await grpcError(promise);
  expect(status[error.code], error.details).toBe(status[code]);
  if (errorCode) expect(error.metadata.get('error-code')).toEqual([errorCode]);
  return error;
}

function healthClient(port: number) {
  const Health = makeGenericClientConstructor(healthService as never, 'Health');
  const c = new Health(`127.0.0.1:${port}`, credentials.createInsecure()) as Client & Record<string, (...args: unknown[]) => void>;
  closers.push(() => c.close());
  return (service: string) =>
    new Promise<string>((resolve, reject) =>
      c.Check!({ service }, (error: ServiceError | null, res: { status: string }) => (error ? reject(error) : resolve(res.status))),
    );
}

beforeAll(async () => {
  t = await startTestApp();
  server = await startGrpcServer(t.deps, { port: 0, host: '127.0.0.1' });
  client = createEventServiceClient(`127.0.0.1:${server.port}`);
  owner = await organizer();
  const actor: Actor = { userId: owner.id, roles: ['ORGANIZER'] };
  locationId = (await t.deps.useCases.createLocation(actor, { name: 'Katun, Chemal', address: 'Chemal, Altai', coordinates: { lat: 51.41, lon: 86.0 } })).id;
  event = await publishedEvent(t.app, owner, { description: 'Class III rapids', price: { amount: 4500, currency: 'EUR' }, locationId, capacity: 12 });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  client?.close();
  await server?.shutdown(500);
  await t?.close();
});

describe('GetEvent', () => {
  it('answers every top-level field and no details by default', async () => {
    const res = await client.getEvent({ event_id: event.id });
    expect(res).toEqual({
      id: event.id,
      title: 'Rafting on the Katun',
      description: 'Class III rapids',
      start_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      end_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      location: 'Katun, Chemal',
    });
  });

  it('include_details fills EventDetails: capacity, available, status, price and location', async () => {
    const res = await client.getEvent({ event_id: event.id, include_details: true });
    expect(res.details).toEqual({
      capacity: 12,
      available: 12,
      status: 'EVENT_STATUS_PUBLISHED',
      price: { amount: 4500, currency: 'EUR' },
      location: { id: locationId, name: 'Katun, Chemal', address: 'Chemal, Altai', coordinates: { lat: 51.41, lon: 86 } },
      organizer_id: owner.id,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('a field mask fills only the listed fields', async () => {
    expect(await client.getEvent({ event_id: event.id, fields: ['title', 'start_date'] })).toEqual({
      title: 'Rafting on the Katun',
      start_date: expect.any(String),
    });
    expect(await client.getEvent({ event_id: event.id, fields: ['id', 'details.available', 'details.status'] })).toEqual({
      id: event.id,
      details: { available: 12, status: 'EVENT_STATUS_PUBLISHED' },
    });
    const withDetails = await client.getEvent({ event_id: event.id, fields: ['id'], include_details: true });
    expect(Object.keys(withDetails).sort()).toEqual(['details', 'id']);
    expect(withDetails.details?.capacity).toBe(12);
  });

  it('an unknown field name in the mask is INVALID_ARGUMENT', async () => {
    const error = await expectStatus(client.getEvent({ event_id: event.id, fields: ['title', 'organizer'] }), status.INVALID_ARGUMENT, 'VALIDATION.FAILED');
    expect(error.details).toContain('"organizer" is not a field of EventResponse');
    await expectStatus(client.getEvent({ event_id: event.id, fields: ['details.nope'] }), status.INVALID_ARGUMENT);
  });

  it('NOT_FOUND for an unknown uuid, INVALID_ARGUMENT for a non-uuid or a missing id', async () => {
    await expectStatus(client.getEvent({ event_id: randomUUID() }), status.NOT_FOUND, 'EVENT.NOT_FOUND');
    const error = await expectStatus(client.getEvent({ event_id: 'not-a-uuid' }), status.INVALID_ARGUMENT, 'VALIDATION.FAILED');
    expect(error.details).toContain('event_id must be a UUID');
    await expectStatus(client.getEvent({ event_id: '' }), status.INVALID_ARGUMENT);
  });

  it('a draft is NOT_FOUND without a token or for another organizer, and visible to its organizer', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v2/events',
      headers: owner.auth,
      payload: { title: 'Draft trip', startDate: inDays(20), endDate: inDays(21), capacity: 5 },
    });
    const draftId = created.json().id as string;
    await expectStatus(client.getEvent({ event_id: draftId }), status.NOT_FOUND);
    await expectStatus(client.getEvent({ event_id: draftId }, { token: (await organizer()).token }), status.NOT_FOUND);
    const mine = await client.getEvent({ event_id: draftId, fields: ['title', 'details.status'] }, { token: owner.token });
    expect(mine).toEqual({ title: 'Draft trip', details: { status: 'EVENT_STATUS_DRAFT' } });
  });

  it('UNAUTHENTICATED for a garbage bearer token or a metadata value that is not a bearer token', async () => {
    await expectStatus(client.getEvent({ event_id: event.id }, { token: 'garbage' }), status.UNAUTHENTICATED, 'AUTH.UNAUTHENTICATED');
    const metadata = new Metadata();
    metadata.set('authorization', 'Basic dXNlcjpwYXNz');
    await expectStatus(client.getEvent({ event_id: event.id }, { metadata }), status.UNAUTHENTICATED);
    expect((await client.getEvent({ event_id: event.id }, { token: (await user()).token })).id).toBe(event.id);
  });
});

describe('GetEventV1 (deprecated)', () => {
  it('still answers the five v1 fields and says it is deprecated', async () => {
    let headers: Metadata | undefined;
    const res = await client.getEventV1({ event_id: event.id }, { onMetadata: (m) => (headers = m) });
    expect(res).toEqual({
      id: event.id,
      title: 'Rafting on the Katun',
      description: 'Class III rapids',
      start_date: expect.any(String),
      location: 'Katun, Chemal',
    });
    expect(headers?.get('deprecation')).toEqual(['true']);
    // Same answer as REST v1.
    const rest = (await t.app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json();
    expect(res).toEqual(rest);
    let errorHeaders: Metadata | undefined;
    await expectStatus(client.getEventV1({ event_id: randomUUID() }, { onMetadata: (m) => (errorHeaders = m) }), status.NOT_FOUND);
    expect(errorHeaders?.get('deprecation')).toEqual(['true']);
    await expectStatus(client.getEventV1({ event_id: '42' }), status.INVALID_ARGUMENT);
  });
});

describe('CheckEventAvailability', () => {
  it('reports the seats left and whether a booking would get one', async () => {
    expect(await client.checkEventAvailability({ event_id: event.id })).toEqual({
      event_id: event.id,
      capacity: 12,
      available: 12,
      bookable: true,
      status: 'EVENT_STATUS_PUBLISHED',
      start_date: expect.any(String),
    }); // reason UNSPECIFIED (0) is the default: absent on the wire
  });

  it('not bookable when sold out or cancelled; NOT_FOUND and INVALID_ARGUMENT as GetEvent', async () => {
    const small = await publishedEvent(t.app, owner, { capacity: 1 });
    const booker = await user();
    await t.deps.useCases.bookSeat({ userId: booker.id, roles: ['USER'] }, { eventId: small.id });
    expect(await client.checkEventAvailability({ event_id: small.id })).toMatchObject({
      available: 0,
      bookable: false,
      reason: 'NOT_BOOKABLE_REASON_SOLD_OUT',
    });

    const cancelled = await publishedEvent(t.app, owner);
    await t.deps.useCases.cancelEvent({ userId: owner.id, roles: ['ORGANIZER'] }, cancelled.id);
    expect(await client.checkEventAvailability({ event_id: cancelled.id })).toMatchObject({
      bookable: false,
      reason: 'NOT_BOOKABLE_REASON_CANCELLED',
      status: 'EVENT_STATUS_CANCELLED',
    });
    await expectStatus(client.checkEventAvailability({ event_id: randomUUID() }), status.NOT_FOUND);
    await expectStatus(client.checkEventAvailability({ event_id: 'x' }), status.INVALID_ARGUMENT);
  });

  it('an event that has started is not bookable (clock option)', async () => {
    const { client: later } = await extraServer(t.deps, { port: 0, clock: { now: () => new Date(Date.now() + 30 * 86_400_000) } });
    expect(await later.checkEventAvailability({ event_id: event.id })).toMatchObject({ bookable: false, reason: 'NOT_BOOKABLE_REASON_ALREADY_STARTED' });
  });
});

describe('errors, auth and deadlines', () => {
  it('requireAuth: no token is UNAUTHENTICATED, a valid one passes; health needs no token', async () => {
    const { handle, client: strict } = await extraServer(t.deps, { port: 0, requireAuth: true });
    const error = await expectStatus(strict.getEvent({ event_id: event.id }), status.UNAUTHENTICATED, 'AUTH.UNAUTHENTICATED');
    expect(error.details).toContain('authorization: Bearer');
    await expectStatus(strict.checkEventAvailability({ event_id: event.id }), status.UNAUTHENTICATED);
    expect((await strict.getEvent({ event_id: event.id, fields: ['id'] }, { token: owner.token })).id).toBe(event.id);
    expect(await healthClient(handle.port)('')).toBe('SERVING');
  });

  it('read-only mode is UNAVAILABLE with retry-after; an unexpected error is INTERNAL without its message', async () => {
    const failing = (error: Error) => ({ ...t.deps, useCases: { ...t.deps.useCases, getEvent: async () => Promise.reject(error) } });
    const { client: readOnly } = await extraServer(failing(new ReadOnlyModeError(30)));
    const unavailable = await expectStatus(readOnly.getEvent({ event_id: event.id }), status.UNAVAILABLE, 'SERVICE.READ_ONLY');
    expect(unavailable.metadata.get('retry-after')).toEqual(['30']);
    const { client: broken } = await extraServer(failing(new Error('connection string postgres://secret@db')));
    const internal = await expectStatus(broken.getEvent({ event_id: event.id }), status.INTERNAL);
    expect(internal.details).not.toContain('secret');
  });

  it('a short deadline is honoured: DEADLINE_EXCEEDED at the deadline, and the server drops the call', async () => {
    const lines: { msg: string; grpc?: { method: string }; code?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let finished = 0;
    const slow = {
      ...t.deps,
      useCases: {
        ...t.deps.useCases,
        getEvent: async (...args: Parameters<Deps['useCases']['getEvent']>) => {
          await sleep(800);
          finished++;
          return t.deps.useCases.getEvent(...args);
        },
      },
    };
    const { client: slowClient } = await extraServer(slow, { port: 0, logger });
    const started = Date.now();
    await expectStatus(slowClient.getEvent({ event_id: event.id }, { deadlineMs: 200 }), status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(600);
    await expect.poll(() => lines.find((l) => l.msg.includes('abandoned'))).toMatchObject({ grpc: { method: 'GetEvent' }, code: 'DEADLINE_EXCEEDED' });
    // Without a deadline the same slow call completes.
    expect((await slowClient.getEvent({ event_id: event.id, fields: ['id'] })).id).toBe(event.id);
    expect(finished).toBeGreaterThanOrEqual(1);
  });
});

describe('health and reflection', () => {
  it('grpc.health.v1.Health: SERVING, NOT_SERVING after setServing(false), NOT_FOUND for an unknown service', async () => {
    const { handle } = await extraServer(t.deps);
    const check = healthClient(handle.port);
    expect(await check('')).toBe('SERVING');
    expect(await check('org.aquastream.event.api.EventService')).toBe('SERVING');
    handle.setServing(false);
    expect(await check('')).toBe('NOT_SERVING');
    expect(await check('org.aquastream.event.api.EventService')).toBe('NOT_SERVING');
    handle.setServing(true);
    expect(await check('')).toBe('SERVING');
    await expectStatus(check('no.such.Service'), status.NOT_FOUND);
  });

  it('server reflection lists EventService and Health and describes EventService', async () => {
    const reflectionRoot = resolve(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '../proto');
    const definition = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [reflectionRoot],
      keepCase: true,
      defaults: true,
      oneofs: true,
    });
    const pkg = loadPackageDefinition(definition) as any;
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${server.port}`, credentials.createInsecure()) as Client &
      Record<string, () => any>;
    closers.push(() => reflection.close());
    const ask = (request: Record<string, string>) =>
      new Promise<any>((resolveAnswer, reject) => {
        const stream = reflection.ServerReflectionInfo!();
        stream.on('data', (answer: unknown) => {
          resolveAnswer(answer);
          stream.end();
        });
        stream.on('error', reject);
        stream.write(request);
      });
    const listed = await ask({ list_services: '' });
    const names = listed.list_services_response.service.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['org.aquastream.event.api.EventService', 'grpc.health.v1.Health']));
    const file = await ask({ file_containing_symbol: 'org.aquastream.event.api.EventService' });
    expect(file.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
  });
});

describe('shutdown', () => {
  it('health goes NOT_SERVING first, running calls finish within the grace period, new calls are refused', async () => {
    const slow = {
      ...t.deps,
      useCases: { ...t.deps.useCases, getEvent: async (...a: Parameters<Deps['useCases']['getEvent']>) => (await sleep(300), t.deps.useCases.getEvent(...a)) },
    };
    const { handle, client: c } = await extraServer(slow);
    // A Watch stream sees the status change while the server still runs; the watcher then hangs up
    // (as a load balancer would), which lets the graceful shutdown complete.
    const Health = makeGenericClientConstructor(healthService as never, 'Health');
    const watcher = new Health(`127.0.0.1:${handle.port}`, credentials.createInsecure()) as Client & Record<string, (...args: unknown[]) => any>;
    closers.push(() => watcher.close());
    const seen: string[] = [];
    const watch = watcher.Watch!({ service: '' });
    watch.on('error', () => undefined);
    watch.on('data', (res: { status: string }) => {
      seen.push(res.status);
      if (res.status === 'NOT_SERVING') watch.cancel();
    });
    await expect.poll(() => seen).toEqual(['SERVING']);
    const running = c.getEvent({ event_id: event.id, fields: ['id'] });
    await sleep(50);
    const started = Date.now();
    await handle.shutdown(5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
    expect((await running).id).toBe(event.id);
    await handle.shutdown(5_000); // idempotent: resolves at once
    await expectStatus(c.getEvent({ event_id: event.id }, { deadlineMs: 1_000 }), status.UNAVAILABLE);
  });

  it('forces the shutdown when calls outlive the grace period', async () => {
    const stuck = { ...t.deps, useCases: { ...t.deps.useCases, getEvent: () => new Promise<never>(() => undefined) } };
    const { handle, client: c } = await extraServer(stuck);
    const running = grpcError(c.getEvent({ event_id: event.id }));
    await sleep(50);
    const started = Date.now();
    await handle.shutdown(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect([status.UNAVAILABLE, status.CANCELLED, status.INTERNAL]).toContain((await running).code);
  });
});
