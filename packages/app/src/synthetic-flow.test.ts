import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../../testing/database';
import { startFakePaymentService, type FakePaymentService } from '../../../testing/fake-payment-service';
import { TEST_SECRET } from '../../../testing/app';
import { freePort } from '../../../testing/services/free-port';
import { startServiceProcess, type ServiceProcess } from '../../../testing/service-process';

// deploy/scripts/synthetic-flow.mjs (the chart's helm test after a deploy) against the service
// started locally as the chart runs it: management port, a Payment Service, the synthetic
// organizer hidden from public lists. It passes, leaves its event and booking cancelled and the
// payment refunded; it fails when the event would be public or a threshold is crossed.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = path.join(ROOT, 'deploy/scripts/synthetic-flow.mjs');
const ORGANIZER = '5e17e71c-0000-4000-8000-00000000000a';

let payments: FakePaymentService;
let service: ServiceProcess;
let management: string;
let db: pg.Pool;

function flow(vars: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { env: { PATH: process.env.PATH, BASE_URL: service.url, METRICS_URL: management, AUTH_JWT_SECRET: TEST_SECRET, ...vars }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

beforeAll(async () => {
  payments = await startFakePaymentService();
  const databaseUrl = await freshDatabase('synthetic');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const port = await freePort();
  management = `http://127.0.0.1:${port}`;
  service = await startServiceProcess({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    AUTH_JWT_SECRET: TEST_SECRET,
    PAYMENT_SERVICE_URL: payments.url,
    MANAGEMENT_PORT: String(port),
    SYNTHETIC_ORGANIZER_IDS: ORGANIZER,
    JOBS_INTERVAL: '300ms',
  });
  // Traffic before the check, as a deployed replica has: the first requests of a fresh process
  // (module loading, JIT) are not what the p95 threshold is about.
  // (Reads of single events: lists are shed first when the machine is busy, and a 503 would count.)
  for (let i = 0; i < 40; i++) expect((await fetch(`${service.url}/api/v2/events/${randomUUID()}`)).status).toBe(404);
}, 120_000);

afterAll(async () => {
  await service?.kill('SIGTERM');
  await payments?.close();
  await db?.end();
});

describe('the synthetic flow after a deploy', () => {
  it('creates a hidden event, books, pays, cancels and removes it, then checks 5xx and p95', async () => {
    const { code, output } = await flow({});
    console.log(output);
    expect(code, output).toBe(0);
    expect(output).toMatch(/ok the synthetic event is not in the public list/);
    expect(output).toMatch(/metrics: \d+ API requests, 0 5xx \(0\.00 %\), p95 \d+ ms/);
    expect(output).toMatch(/PASSED/);
    const events = (await db.query(`SELECT id, status FROM events WHERE organizer_id = $1`, [ORGANIZER])).rows;
    expect(events).toEqual([{ id: expect.any(String), status: 'CANCELLED' }]);
    const bookings = (await db.query(`SELECT status, payment_id FROM bookings WHERE event_id = $1`, [events[0].id])).rows;
    expect(bookings).toEqual([{ status: 'CANCELLED', payment_id: expect.any(String) }]);
    // Charged once through the Payment Service, and the refund job gives it back.
    expect(payments.chargesPerKey().get(bookings[0].payment_id)).toBe(1);
    const until = Date.now() + 20_000;
    while (!payments.refunds.includes(bookings[0].payment_id) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(payments.refunds).toContain(bookings[0].payment_id);
    // Anonymous lists never showed it.
    const list = (await (await fetch(`${service.url}/api/v2/events?size=100`)).json()) as { items: { id: string }[] };
    expect(list.items.map((e) => e.id)).not.toContain(events[0].id);
  });

  it('fails when the event would be public (an organizer the service does not hide), and leaves it cancelled', async () => {
    const other = '5e17e71c-0000-4000-8000-0000000000ff';
    const { code, output } = await flow({ SYNTHETIC_ORGANIZER_ID: other });
    expect(code, output).toBe(1);
    expect(output).toMatch(/FAILED: the synthetic event is in the public list/);
    expect((await db.query(`SELECT status FROM events WHERE organizer_id = $1`, [other])).rows).toEqual([{ status: 'CANCELLED' }]);
  });

  it('checks the thresholds through Prometheus when PROMETHEUS_URL is set: over every replica, as the alerts see them', async () => {
    const queries: string[] = [];
    const answers: Record<string, string> = { count: '1000', '5..': '20', histogram_quantile: '0.12' };
    const prometheus = createServer((req, res) => {
      const query = new URL(req.url!, 'http://x').searchParams.get('query')!;
      queries.push(query);
      const value = query.includes('histogram_quantile') ? answers.histogram_quantile : query.includes('5..') ? answers['5..'] : answers.count;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, value] }] } }));
    });
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
      const failing = await flow({ PROMETHEUS_URL: url });
      expect(failing.code, failing.output).toBe(1);
      expect(failing.output).toMatch(/metrics: 1000 API requests, 20 5xx \(2\.00 %\), p95 120 ms/);
      expect(failing.output).toMatch(/FAILED: 5xx ratio 2\.00 % is above 1 %/);
      expect(queries).toContain('sum(increase(http_server_requests_seconds_count{job="backend-event", route!~"/actuator.*", status=~"5.."}[5m]))');
      answers['5..'] = '5';
      const passing = await flow({ PROMETHEUS_URL: url });
      expect(passing.code, passing.output).toBe(0);
    } finally {
      prometheus.close();
    }
  });

  it('fails when a metric crosses its threshold', async () => {
    const { code, output } = await flow({ MAX_P95_SECONDS: '0.000001' });
    expect(code, output).toBe(1);
    expect(output).toMatch(/FAILED: p95 \d+ ms is above 0\.001 ms/);
  });
});
