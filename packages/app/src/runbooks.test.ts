import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../../testing/database';
import { startFakePaymentService, type FakePaymentService } from '../../../testing/fake-payment-service';
import { admin, inDays, organizer, TEST_SECRET, user, type TestUser } from '../../../testing/app';
import { freePort } from '../../../testing/services/free-port';
import { startServiceProcess, type ServiceProcess } from '../../../testing/service-process';

// Every "See" command of docs/operations.md#runbooks, run as written (with the helpers the
// section defines) against replicas configured as the chart configures them: MANAGEMENT_PORT for
// the actuator's details and the metrics, migrations by the CLI before the replicas start, real
// PostgreSQL, Redis and Kafka, a Payment Service. Then once more against a replica without a
// management port, where the helpers send a token. A command fails the test when it exits
// non-zero, prints nothing, prints `null`, or meets a 404.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Runbook {
  title: string;
  commands: string[];
}

/** The helpers block and, per runbook section, the commands of its "See" blocks. */
function readRunbooks(): { prelude: string; runbooks: Runbook[] } {
  const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const start = doc.indexOf('\n## Runbooks\n');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end);
  const [intro, ...parts] = section.split(/\n### /);
  const prelude = /```sh\n([\s\S]*?)```/.exec(intro!)![1]!;
  const runbooks = parts.map((part) => {
    const title = part.slice(0, part.indexOf('\n'));
    // The "See" part: from the paragraph that starts with "See" to the one that starts with "Fix".
    const see = part.slice(part.search(/^See\b/m), part.search(/^Fix\b/m) >= 0 ? part.search(/^Fix\b/m) : undefined);
    const commands = [...see.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
      block[1]!
        .replace(/\\\n/g, ' ')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
    return { title, commands };
  });
  return { prelude, runbooks };
}

const { prelude, runbooks } = readRunbooks();

let payments: FakePaymentService;
let databaseUrl: string;
let bin: string;
const replicas: { service: ServiceProcess; management?: string }[] = [];
const group = `runbooks-${randomUUID().slice(0, 8)}`;
const ACTUATOR_TOKEN = `actuator-${randomUUID()}`;

function env(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_CONSUMER_GROUP: group,
    AUTH_JWT_SECRET: TEST_SECRET,
    PAYMENT_SERVICE_URL: payments.url,
    PAYMENT_WEBHOOK_SECRET: 'webhook-secret',
    RUN_MIGRATIONS: 'false',
    ...extra,
  };
}

function run(command: string, vars: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `set -o pipefail\n${prelude}\n${command}`],
      {
        cwd: ROOT,
        timeout: 90_000,
        env: { ...process.env, ...env({}), ...vars, PATH: `${bin}:${process.env.PATH}` },
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  payments = await startFakePaymentService();
  databaseUrl = await freshDatabase('runbooks');
  bin = mkdtempSync(path.join(tmpdir(), 'runbooks-bin-'));
  // kubectl stand-in: `kubectl -n NS exec deploy/backend-event -- node cli.mjs ARGS` runs this
  // checkout's CLI (the image's cli.mjs is its bundle) with the replicas' configuration.
  writeFileSync(
    path.join(bin, 'kubectl'),
    `#!/usr/bin/env bash
while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
if [ "$1" != node ] || [ "$2" != cli.mjs ]; then echo "kubectl stand-in: only exec ... -- node cli.mjs is supported: $*" >&2; exit 2; fi
shift 2
cd ${JSON.stringify(ROOT)} && exec node --import tsx packages/app/src/cli/main.ts "$@"
`,
  );
  chmodSync(path.join(bin, 'kubectl'), 0o755);
  // The chart's migration Job, then the replicas (RUN_MIGRATIONS=false, as the chart sets it).
  const migrated = await run('cli migrate', {});
  expect(migrated.code, migrated.stderr).toBe(0);
  for (let i = 0; i < 2; i++) {
    const management = await freePort();
    replicas.push({ service: await startServiceProcess(env({ MANAGEMENT_PORT: String(management) })), management: `http://127.0.0.1:${management}` });
  }
  replicas.push({ service: await startServiceProcess(env({ ACTUATOR_TOKEN })) });

  // Some traffic, so the metrics have API requests, a paid booking and a payment attempt.
  const owner = await organizer();
  const call = async (method: string, url: string, who: TestUser, body?: unknown) => {
    const res = await fetch(`${replicas[0]!.service.url}${url}`, {
      method,
      headers: { ...who.auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const event = await call('POST', '/api/v2/events', owner, {
    title: 'Runbook rafting',
    startDate: inDays(10),
    endDate: inDays(11),
    capacity: 10,
    price: { amount: 2500, currency: 'EUR' },
  });
  expect(event.status).toBe(201);
  expect((await call('POST', `/api/v2/events/${event.body.id}/publish`, owner)).status).toBe(200);
  const booker = await user();
  const booking = await call('POST', '/api/v2/bookings', booker, { eventId: event.body.id });
  expect(booking.status).toBe(201);
  expect((await call('POST', `/api/v2/bookings/${booking.body.id}/pay`, booker)).status).toBeLessThan(300);
  // Every replica has served the API (the helpers read the one they are pointed at).
  for (const r of replicas) expect((await fetch(`${r.service.url}/api/v2/events`)).status).toBe(200);
}, 240_000);

afterAll(async () => {
  for (const r of replicas) await r.service.kill('SIGTERM');
  await payments?.close();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe('docs/operations.md#runbooks', () => {
  it('has a "See" block for every runbook', () => {
    expect(runbooks.length).toBeGreaterThanOrEqual(14);
    for (const r of runbooks) expect(r.commands.length, `runbook "${r.title}" has no See command`).toBeGreaterThan(0);
  });

  const modes = [
    { name: 'with the management port (as the chart deploys)', vars: (i: number) => ({ URL: replicas[i]!.service.url, MGMT: replicas[i]!.management! }) },
    {
      name: 'without a management port, with ACTUATOR_TOKEN',
      vars: () => ({ URL: replicas[2]!.service.url, MGMT: replicas[2]!.service.url, MGMT_TOKEN: ACTUATOR_TOKEN }),
    },
  ];
  for (const mode of modes)
    describe(mode.name, () => {
      for (const r of runbooks)
        it(`"${r.title}": every See command answers`, { timeout: 180_000 }, async () => {
          for (const command of r.commands) {
            const { code, stdout, stderr } = await run(command, mode.vars(0));
            const where = `${r.title}: ${command}\nexit ${code}\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr.slice(0, 2000)}`;
            expect(code, where).toBe(0);
            expect(stdout.trim(), where).not.toBe('');
            expect(
              stdout.split('\n').some((line) => line.trim() === 'null'),
              where,
            ).toBe(false);
            expect(stdout, where).not.toMatch(/"status":\s*404|404 Not Found|"statusCode":\s*404/);
          }
        });
    });

  it('shows nothing of the management endpoints to an anonymous caller of the API port', async () => {
    for (const r of [replicas[0]!, replicas[2]!]) {
      const health = (await (await fetch(`${r.service.url}/actuator/health`)).json()) as Record<string, unknown>;
      expect(health.components).toBeUndefined();
      for (const endpoint of ['prometheus', 'info']) expect((await fetch(`${r.service.url}/actuator/${endpoint}`)).status).toBeGreaterThanOrEqual(400);
    }
    // An ADMIN token sees them where no management port takes them.
    const token = (await admin()).auth;
    expect((await fetch(`${replicas[2]!.service.url}/actuator/prometheus`, { headers: token })).status).toBe(200);
  });
});
