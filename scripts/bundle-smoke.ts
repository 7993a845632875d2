/**
 * Proves the production image's content: copies build/bundle (what the Dockerfile ships) to a
 * folder outside the repository, migrates with its cli.mjs, starts server.mjs against real
 * PostgreSQL, Redis and Kafka (from DATABASE_URL/REDIS_URL/KAFKA_BROKERS or started here), and
 * checks readiness, a v2 write, a v1 read, metrics and a graceful SIGTERM.
 * Usage: tsx scripts/bundle-smoke.ts [--node /path/to/node]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '@aquastream/adapters';
import { freePort } from '../testing/services/free-port';
import { startKafka, type KafkaServer } from '../testing/services/kafka';
import { startPostgres, type PostgresServer } from '../testing/services/postgres';
import { startRedis, type RedisServer } from '../testing/services/redis';

const { values } = parseArgs({ options: { node: { type: 'string', default: process.execPath } } });
const node = values.node!;
const secret = 'bundle-smoke-secret-bundle-smoke-secret-0123';
const started: { destroy(): Promise<void> }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'bundle-smoke-'));

function check(ok: unknown, what: string): void {
  if (!ok) throw new Error(`bundle smoke: ${what}`);
  console.log(`  ok  ${what}`);
}

async function main() {
  cpSync('build/bundle', dir, { recursive: true });
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`bundle smoke: ${dir} on Node ${version}`);
  // One non-ASCII character makes Node keep the whole module as a two-byte string (bundle.mjs).
  for (const file of ['server.mjs', 'cli.mjs'])
    check(!/[^\x00-\x7f]/.test(readFileSync(join(dir, file), 'latin1')), `${file} is ASCII only (its source is kept in one byte per character)`);

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg: PostgresServer = await startPostgres();
    started.push(pg);
    databaseUrl = await pg.createDatabase('bundle_smoke');
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const redis: RedisServer = await startRedis();
    started.push(redis);
    redisUrl = redis.url;
  }
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const kafka: KafkaServer = await startKafka();
    started.push(kafka);
    brokers = kafka.brokers;
  }
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    KAFKA_BROKERS: brokers,
    AUTH_JWT_SECRET: secret,
    PORT: String(port),
    GRPC_PORT: String(await freePort()),
    RUN_MIGRATIONS: 'false',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };

  const migrate = spawnSync(node, ['cli.mjs', 'migrate'], { cwd: dir, env, encoding: 'utf8' });
  check(migrate.status === 0, `cli.mjs migrate (${migrate.stdout.trim().split('\n').length} migrations) ${migrate.stderr}`);

  const t0 = performance.now();
  const server = spawn(node, ['server.mjs'], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  while (!ready && performance.now() - t0 < 30_000) {
    ready = await fetch(`${base}/actuator/health/readiness`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  const readyMs = Math.round(performance.now() - t0);
  check(ready, `readiness UP ${readyMs} ms after start`);

  const organizer = `Bearer ${await signToken(secret, { sub: '7b0b4c1e-0000-4000-8000-000000000001', roles: ['ORGANIZER', 'USER'] })}`;
  const json = { authorization: organizer, 'content-type': 'application/json' };
  const start = new Date(Date.now() + 7 * 86_400_000);
  const created = await fetch(`${base}/api/v2/events`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      title: 'Bundle smoke rafting',
      startDate: start.toISOString(),
      endDate: new Date(start.getTime() + 3_600_000).toISOString(),
      capacity: 3,
    }),
  });
  const event = (await created.json()) as { id: string };
  check(created.status === 201, 'POST /api/v2/events 201');
  check((await fetch(`${base}/api/v2/events/${event.id}/publish`, { method: 'POST', headers: { authorization: organizer } })).status === 200, 'publish 200');
  const v1 = await fetch(`${base}/api/v1/events/${event.id}`);
  check(v1.status === 200 && v1.headers.get('deprecation') === 'true', 'GET /api/v1/events/{id} 200 with Deprecation');
  const booked = await fetch(`${base}/api/v2/bookings`, { method: 'POST', headers: json, body: JSON.stringify({ eventId: event.id }) });
  check(booked.status === 201, 'POST /api/v2/bookings 201');
  const anonymous = (await (await fetch(`${base}/actuator/health`)).json()) as Record<string, unknown>;
  check(JSON.stringify(Object.keys(anonymous)) === '["status"]', 'anonymous health: status only');
  const adminToken = `Bearer ${await signToken(secret, { sub: '7b0b4c1e-0000-4000-8000-000000000002', roles: ['ADMIN'] })}`;
  const health = (await (await fetch(`${base}/actuator/health`, { headers: { authorization: adminToken } })).json()) as {
    status: string;
    components: Record<string, { status: string }>;
  };
  check(
    health.components.redis?.status === 'UP' && health.components.kafka?.status === 'UP' && health.components.db?.status === 'UP',
    `health: db, redis, kafka UP (${health.status})`,
  );
  check((await fetch(`${base}/actuator/prometheus`)).status === 401, 'anonymous metrics: 401 without MANAGEMENT_PORT');
  const metrics = await (await fetch(`${base}/actuator/prometheus`, { headers: { authorization: adminToken } })).text();
  check(metrics.includes('http_server_requests_seconds_count'), 'metrics exposed to an ADMIN token');

  server.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  check(code === 0, `SIGTERM: drained and exited with ${code}`);
  console.log(`bundle smoke passed: readiness in ${readyMs} ms`);
}

main()
  .catch((error) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  })
  .finally(async () => {
    await Promise.allSettled(started.map((s) => s.destroy()));
    rmSync(dir, { recursive: true, force: true });
  });
