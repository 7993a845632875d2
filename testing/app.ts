import { signToken } from '@aquastream/adapters';
import type { Clock, Role } from '@aquastream/domain';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { buildApp, type App, type AppOptions } from '../packages/app/src/app';
import { createDeps, type Deps } from '../packages/app/src/composition-root';
import { loadConfig } from '../packages/app/src/config';
import { freshDatabase } from './database';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';
/** The replicas' ACTUATOR_TOKEN: without a management port the metrics need it (or an ADMIN token). */
export const TEST_ACTUATOR_TOKEN = 'test-actuator-token-0123456789abcdef';
/** Headers that may read /actuator/prometheus and /actuator/info of a test replica. */
export const actuatorAuth = { authorization: `Bearer ${TEST_ACTUATOR_TOKEN}` };

export interface TestApp {
  app: App;
  deps: Deps;
  databaseUrl: string;
  close(): Promise<void>;
}

/** The real app on a fresh PostgreSQL database (or the one given), driven through app.inject. */
export async function startTestApp(env: Record<string, string> = {}, options: AppOptions = {}, overrides: { clock?: Clock } = {}): Promise<TestApp> {
  const databaseUrl = env.DATABASE_URL ?? (await freshDatabase());
  const config = loadConfig({
    AUTH_JWT_SECRET: TEST_SECRET,
    ACTUATOR_TOKEN: TEST_ACTUATOR_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JOBS_ENABLED: 'false',
    PAYMENT_WEBHOOK_SECRET: 'webhook-secret',
    ...env,
    DATABASE_URL: databaseUrl,
  });
  const deps = await createDeps(config, undefined, overrides);
  const app = await buildApp(deps, { swaggerUi: false, ...options });
  await app.ready();
  return {
    app,
    deps,
    databaseUrl,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}

export interface TestUser {
  id: string;
  token: string;
  auth: { authorization: string };
}

export async function user(roles: Role[] = ['USER'], id = randomUUID()): Promise<TestUser> {
  const token = await signToken(TEST_SECRET, { sub: id, roles });
  return { id, token, auth: { authorization: `Bearer ${token}` } };
}

export const organizer = () => user(['ORGANIZER']);
export const admin = () => user(['ADMIN']);

export const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** A published event ready for booking. */
export async function publishedEvent(app: App, owner: TestUser, body: Record<string, unknown> = {}) {
  const created = await app.inject({
    method: 'POST',
    url: '/api/v2/events',
    headers: owner.auth,
    payload: { title: 'Rafting on the Katun', startDate: inDays(10), endDate: inDays(11), capacity: 10, ...body },
  });
  if (created.statusCode !== 201) throw new Error(`create failed: ${created.statusCode} ${created.body}`);
  const id = created.json().id as string;
  const published = await app.inject({ method: 'POST', url: `/api/v2/events/${id}/publish`, headers: owner.auth });
  if (published.statusCode !== 200) throw new Error(`publish failed: ${published.statusCode} ${published.body}`);
  return published.json() as { id: string; available: number; capacity: number };
}

/** Resolves once the replica's Redis connection is up (tests about copies and refusals need it from the first request). */
export async function redisConnected(t: TestApp): Promise<void> {
  const client = t.deps.redis!;
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}

/** `count` replicas of the service on one fresh database and the suite's Redis, every setting at its default but `env`. */
export async function startReplicas(count: number, database: string, env: Record<string, string> = {}): Promise<TestApp[]> {
  const databaseUrl = await freshDatabase(database);
  const replicas: TestApp[] = [];
  for (let i = 0; i < count; i++) replicas.push(await startTestApp({ DATABASE_URL: databaseUrl, REDIS_URL: inject('redisUrl'), ...env }));
  await Promise.all(replicas.map(redisConnected));
  return replicas;
}
