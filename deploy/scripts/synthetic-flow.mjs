#!/usr/bin/env node
// Synthetic write flow, run after every deploy and promotion (the chart's `helm test` hook
// templates/tests/synthetic-flow.yaml, or by hand): a synthetic organizer creates a test event and
// publishes it, a synthetic user books it, pays through the Payment Service, cancels; the event is
// cancelled. The organizer's events are hidden from public lists (the service's
// SYNTHETIC_ORGANIZER_IDS), which the flow checks. Then the replica's metrics are checked against
// the operations guide's thresholds: 5xx below 1 % of API requests, p95 below 500 ms.
// Node 20+ built-ins only (it runs in the service image). Exit 0: passed; 1: a step or check failed.
//
//   BASE_URL=http://backend-event:8080 METRICS_URL=http://backend-event:8081 \
//   AUTH_JWT_SECRET=... node deploy/scripts/synthetic-flow.mjs
//
// Settings (environment):
//   BASE_URL                    the API (required)
//   PROMETHEUS_URL              when set, the thresholds are checked over every replica for the last
//                               PROMETHEUS_WINDOW (5m) through Prometheus' query API (what the alerts see);
//                               otherwise on this replica's own /actuator/prometheus since it started:
//   METRICS_URL                 where /actuator/prometheus is served: the management port (default BASE_URL)
//   METRICS_TOKEN               bearer for METRICS_URL when it is the API port (ACTUATOR_TOKEN or an ADMIN token)
//   SYNTHETIC_ORGANIZER_TOKEN, SYNTHETIC_USER_TOKEN
//                               tokens of the synthetic organizer (ORGANIZER) and user (USER), or:
//   AUTH_JWT_SECRET             to sign them here (HS256, 10 minutes), for SYNTHETIC_ORGANIZER_ID and
//                               SYNTHETIC_USER_ID (AUTH_ISSUER / AUTH_AUDIENCE when the service checks them)
//   SYNTHETIC_PAY               true (default): pay the booking (use the Payment Service's test mode
//                               for the synthetic organizer); false: a free event, nothing is charged
//   SYNTHETIC_PRICE_MINOR       the price in minor units (default 100), SYNTHETIC_CURRENCY (EUR)
//   SYNTHETIC_EXPECT_HIDDEN     true (default): the event must not be in the public list
//   MAX_5XX_RATIO, MAX_P95_SECONDS   the thresholds (0.01, 0.5)
import { createHmac, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const env = process.env;
const BASE_URL = (env.BASE_URL ?? '').replace(/\/$/, '');
const METRICS_URL = (env.METRICS_URL || BASE_URL).replace(/\/$/, '');
const ORGANIZER_ID = env.SYNTHETIC_ORGANIZER_ID || '5e17e71c-0000-4000-8000-00000000000a';
const USER_ID = env.SYNTHETIC_USER_ID || '5e17e71c-0000-4000-8000-00000000000b';
const PAY = (env.SYNTHETIC_PAY ?? 'true') !== 'false';
const EXPECT_HIDDEN = (env.SYNTHETIC_EXPECT_HIDDEN ?? 'true') !== 'false';
const MAX_5XX_RATIO = Number(env.MAX_5XX_RATIO ?? 0.01);
const MAX_P95_SECONDS = Number(env.MAX_P95_SECONDS ?? 0.5);

const log = (line) => console.log(`[synthetic] ${line}`);
class FlowError extends Error {}

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function sign(sub, roles) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub, roles, iat: now, exp: now + 600, ...(env.AUTH_ISSUER ? { iss: env.AUTH_ISSUER } : {}), ...(env.AUTH_AUDIENCE ? { aud: env.AUTH_AUDIENCE } : {}) };
  const body = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${body}.${createHmac('sha256', env.AUTH_JWT_SECRET).update(body).digest('base64url')}`;
}
function token(kind, sub, roles) {
  const given = env[`SYNTHETIC_${kind}_TOKEN`];
  if (given) return given;
  if (!env.AUTH_JWT_SECRET) throw new FlowError(`SYNTHETIC_${kind}_TOKEN or AUTH_JWT_SECRET is required`);
  return sign(sub, roles);
}

async function call(method, path, who, body, expected) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { ...(who ? { authorization: `Bearer ${who}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new FlowError(`${method} ${path}: HTTP ${res.status} (expected ${expected.join('/')}): ${text.slice(0, 500)}`);
  log(`ok ${method} ${path} -> ${res.status}`);
  return text ? JSON.parse(text) : null;
}

/** 5xx ratio and p95 (linear within the bucket, as histogram_quantile) of the API routes since the replica started. */
export function httpSummary(exposition) {
  const buckets = new Map();
  let total = 0;
  let errors = 0;
  for (const line of exposition.split('\n')) {
    const m = /^http_server_requests_seconds_(bucket|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || /route="\/actuator/.test(m[2])) continue;
    const value = Number(m[3]);
    if (m[1] === 'count') {
      total += value;
      if (/status="5\d\d"/.test(m[2])) errors += value;
    } else {
      const le = /le="([^"]+)"/.exec(m[2])[1];
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    }
  }
  const sorted = [...buckets].map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), n]).sort((a, b) => a[0] - b[0]);
  let p95 = 0;
  const rank = 0.95 * total;
  let previous = [0, 0];
  for (const [le, n] of sorted) {
    if (n >= rank) {
      p95 = le === Infinity ? previous[0] : previous[0] + ((le - previous[0]) * (rank - previous[1])) / Math.max(n - previous[1], 1);
      break;
    }
    previous = [le, n];
  }
  return { total, errors, ratio: total ? errors / total : 0, p95 };
}

async function main() {
  if (!BASE_URL) throw new FlowError('BASE_URL is required');
  const organizer = token('ORGANIZER', ORGANIZER_ID, ['ORGANIZER']);
  const booker = token('USER', USER_ID, ['USER']);
  const title = `[synthetic] deploy check ${new Date().toISOString()} ${randomUUID().slice(0, 8)}`;
  const start = new Date(Date.now() + 30 * 86_400_000);
  let eventId;
  let bookingId;
  try {
    const event = await call(
      'POST',
      '/api/v2/events',
      organizer,
      {
        title,
        description: 'Synthetic check after a deploy; cancelled at once.',
        startDate: start.toISOString(),
        endDate: new Date(start.getTime() + 3_600_000).toISOString(),
        capacity: 1,
        ...(PAY ? { price: { amount: Number(env.SYNTHETIC_PRICE_MINOR ?? 100), currency: env.SYNTHETIC_CURRENCY ?? 'EUR' } } : {}),
      },
      [201],
    );
    eventId = event.id;
    await call('POST', `/api/v2/events/${eventId}/publish`, organizer, undefined, [200]);
    if (EXPECT_HIDDEN) {
      const listed = await call('GET', `/api/v2/events?search=${encodeURIComponent(title)}`, null, undefined, [200]);
      if ((listed.items ?? []).some((e) => e.id === eventId))
        throw new FlowError('the synthetic event is in the public list: set SYNTHETIC_ORGANIZER_IDS of the service to the synthetic organizer');
      log('ok the synthetic event is not in the public list');
    }
    const booking = await call('POST', '/api/v2/bookings', booker, { eventId }, [201]);
    bookingId = booking.id;
    if (PAY) {
      const paid = await call('POST', `/api/v2/bookings/${bookingId}/pay`, booker, undefined, [200]);
      if (paid.status !== 'SUCCEEDED') throw new FlowError(`payment not settled: ${JSON.stringify(paid)}`);
    }
    const cancelled = await call('POST', `/api/v2/bookings/${bookingId}/cancel`, booker, undefined, [200]);
    if (cancelled.status !== 'CANCELLED') throw new FlowError(`booking not cancelled: ${JSON.stringify(cancelled)}`);
    bookingId = undefined;
    await call('POST', `/api/v2/events/${eventId}/cancel`, organizer, undefined, [200]);
    eventId = undefined;
  } finally {
    // A failed step leaves nothing behind that a person would have to clean up.
    if (bookingId) await call('POST', `/api/v2/bookings/${bookingId}/cancel`, booker, undefined, [200, 409]).catch(() => undefined);
    if (eventId) await call('POST', `/api/v2/events/${eventId}/cancel`, organizer, undefined, [200, 409]).catch(() => undefined);
  }

  const { total, errors, ratio, p95 } = env.PROMETHEUS_URL ? await fromPrometheus() : await fromReplica();
  log(`metrics: ${total} API requests, ${errors} 5xx (${(ratio * 100).toFixed(2)} %), p95 ${(p95 * 1000).toFixed(0)} ms`);
  if (ratio > MAX_5XX_RATIO) throw new FlowError(`5xx ratio ${(ratio * 100).toFixed(2)} % is above ${+(MAX_5XX_RATIO * 100).toPrecision(6)} %`);
  if (p95 > MAX_P95_SECONDS) throw new FlowError(`p95 ${(p95 * 1000).toFixed(0)} ms is above ${+(MAX_P95_SECONDS * 1000).toPrecision(6)} ms`);
  log('PASSED');
}

/** The same figures over all replicas of the job, from Prometheus (PromQL as in the alert rules). */
async function fromPrometheus() {
  const window = env.PROMETHEUS_WINDOW || '5m';
  const selector = `${env.PROMETHEUS_SELECTOR || 'job="backend-event"'}, route!~"/actuator.*"`;
  const query = async (promql) => {
    const url = `${env.PROMETHEUS_URL.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = await res.json().catch(() => null);
    if (res.status !== 200 || body?.status !== 'success') throw new FlowError(`Prometheus query failed (HTTP ${res.status}): ${promql}`);
    return Number(body.data.result[0]?.value?.[1] ?? 0);
  };
  const [total, errors, p95] = await Promise.all([
    query(`sum(increase(http_server_requests_seconds_count{${selector}}[${window}]))`),
    query(`sum(increase(http_server_requests_seconds_count{${selector}, status=~"5.."}[${window}]))`),
    query(`histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{${selector}}[${window}])))`),
  ]);
  return { total, errors, ratio: total ? errors / total : 0, p95: Number.isFinite(p95) ? p95 : 0 };
}

async function fromReplica() {
  const res = await fetch(`${METRICS_URL}/actuator/prometheus`, {
    headers: env.METRICS_TOKEN ? { authorization: `Bearer ${env.METRICS_TOKEN}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new FlowError(`GET ${METRICS_URL}/actuator/prometheus: HTTP ${res.status}`);
  return httpSummary(await res.text());
}

// Run as a program (a ConfigMap mounts it through symlinks: compare real paths), not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch((error) => {
    console.error(`[synthetic] FAILED: ${error instanceof FlowError ? error.message : (error?.stack ?? error)}`);
    process.exit(1);
  });
