// Static checks of the monitoring artifacts, run by test.sh after promtool (no dependencies).
// - every metric name used by an alert or a dashboard query is one the service exposes;
// - every alert has a severity label, summary/description/action annotations, and at least one
//   firing and one quiet (empty exp_alerts) case in prometheus-rules.test.yml, and a runbook_url
//   to a section of docs/operations.md that exists (the anchor of one of its headings);
// - alertmanager.yml routes every severity the alerts use to a receiver, and its inhibitions name
//   alerts that exist;
// - the dashboard JSON parses, uses the ${DS_PROMETHEUS} datasource variable, and has a panel for
//   every exposed metric;
// - the Grafana provisioning files point at http://prometheus:9090 and /var/lib/grafana/dashboards.
// YAML is read textually (promtool has already parsed and validated the rule and test files).
// With DASHBOARD_RULES_OUT=<file>, the dashboard queries are also written there as recording rules
// (Grafana variables replaced) so that test.sh can have promtool check that they parse.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const read = (p) => readFileSync(join(here, p), 'utf8');
const failures = [];
const fail = (msg) => failures.push(msg);
const say = (msg) => console.log(`[observability]   ${msg}`);

// The metric names the service exposes (the contract with the application code).
const HISTOGRAMS = ['http_server_requests_seconds', 'nodejs_gc_duration_seconds'];
const EXPOSED = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_limit_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'backend_event_memory_limit_bytes',
  'backend_event_cpu_limit_cores',
  'db_pool_connections_active',
  'db_pool_connections_idle',
  'db_pool_connections_pending',
  'db_pool_connections_max',
  'db_admission_calls',
  'db_admission_rejected_total',
  'kafka_consumer_lag_messages',
  'kafka_consumer_lag_seconds',
  'kafka_consumer_partitions_assigned',
  'kafka_consumer_last_message_age_seconds',
  'outbox_backlog_messages',
  'outbox_oldest_age_seconds',
  'resilience_circuit_breaker_state',
  'cache_requests_total',
  'bookings_total',
  'payment_refunds_total',
  'payment_attempts_pending',
  'payment_attempts_overdue_seconds',
  'payment_refunds_failed_bookings',
  'payment_dlq_messages',
  'payment_dlq_oldest_age_seconds',
  'database_table_size_bytes',
  'retention_overdue_rows',
  'retention_deleted_rows_total',
  'degraded_mode',
  'db_replica_lag_seconds',
  'db_reads_total',
  'db_pool_connection_errors_total',
];
const KNOWN = new Set([
  ...EXPOSED,
  ...HISTOGRAMS.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
]);
const baseName = (m) => HISTOGRAMS.find((h) => m.startsWith(`${h}_`)) ?? m;

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'inf', 'nan', 'atan2',
]);

/** Metric names referenced by a PromQL expression (label matchers, ranges, strings, grouping removed). */
function metricNames(expr) {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set();
  for (const m of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const rest = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return names;
}

// ------------------------------------------------------------------------------------ alert rules
const rulesText = read('prometheus-rules.yml');
const alerts = [];
{
  const lines = rulesText.split('\n');
  let current = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const alert = line.match(/^(\s*)- alert:\s*(\S+)/);
    const record = line.match(/^(\s*)- record:\s*(\S+)/);
    if (alert || record) {
      current = alert ? { name: alert[2], exprs: [], body: '' } : null;
      if (current) alerts.push(current);
      continue;
    }
    if (!current) continue;
    current.body += `${line}\n`;
    const expr = line.match(/^(\s*)expr:\s*(.*)$/);
    if (!expr) continue;
    if (/^[|>][-+]?\s*$/.test(expr[2])) {
      const indent = expr[1].length;
      const block = [];
      while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) {
        block.push(lines[++i]);
      }
      current.exprs.push(block.join('\n'));
    } else {
      current.exprs.push(expr[2].replace(/^(['"])(.*)\1$/, '$2'));
    }
  }
}
if (alerts.length === 0) fail('no alerts found in prometheus-rules.yml');

const testsText = read('prometheus-rules.test.yml');
// Each alert_rule_test case: "alertname: X" followed by its exp_alerts (empty "[]" or a list).
const cases = [...testsText.matchAll(/alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\s*\])?/g)].map(
  (m) => ({ name: m[1], quiet: Boolean(m[2]) }),
);

// Runbook links: https://github.com/aquastream/backend-event/blob/main/docs/operations.md#<anchor>,
// where <anchor> is GitHub's slug of a heading of docs/operations.md.
const RUNBOOK_BASE = 'https://github.com/aquastream/backend-event/blob/main/docs/operations.md#';
const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const operations = readFileSync(join(here, '..', '..', 'docs', 'operations.md'), 'utf8');
const anchors = new Set([...operations.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1])));

const usedByAlerts = new Set();
for (const a of alerts) {
  const names = new Set(a.exprs.flatMap((e) => [...metricNames(e)]));
  if (a.exprs.length === 0) fail(`${a.name}: no expr found`);
  for (const n of names) {
    usedByAlerts.add(n);
    if (!KNOWN.has(n)) fail(`${a.name}: metric "${n}" is not exposed by the service`);
  }
  if (!/^\s+severity:\s*(critical|warning|info)\s*$/m.test(a.body)) fail(`${a.name}: no severity label (critical|warning|info)`);
  for (const ann of ['summary', 'description', 'action']) {
    if (!new RegExp(`^\\s+${ann}:\\s*\\S`, 'm').test(a.body)) fail(`${a.name}: no ${ann} annotation`);
  }
  const runbook = a.body.match(/^\s+runbook_url:\s*"?([^"\s]+)"?\s*$/m)?.[1];
  if (!runbook) fail(`${a.name}: no runbook_url annotation`);
  else if (!runbook.startsWith(RUNBOOK_BASE)) fail(`${a.name}: runbook_url ${runbook} does not point into ${RUNBOOK_BASE}`);
  else if (!anchors.has(runbook.slice(RUNBOOK_BASE.length))) fail(`${a.name}: runbook_url anchor #${runbook.slice(RUNBOOK_BASE.length)} is no heading of docs/operations.md`);
  a.runbook = runbook;
  a.severity = a.body.match(/^\s+severity:\s*(\S+)\s*$/m)?.[1];
  const firing = cases.filter((c) => c.name === a.name && !c.quiet).length;
  const quiet = cases.filter((c) => c.name === a.name && c.quiet).length;
  if (firing === 0) fail(`${a.name}: no test case where it fires`);
  if (quiet === 0) fail(`${a.name}: no test case where it stays quiet`);
  const forMatch = a.body.match(/^\s+for:\s*(\S+)/m);
  say(`alert ${a.name}: for=${forMatch ? forMatch[1] : '-'} metrics=[${[...names].join(', ')}] tests: ${firing} firing, ${quiet} quiet`);
}
for (const c of new Set(cases.map((c) => c.name))) {
  if (!alerts.some((a) => a.name === c)) fail(`tests reference unknown alert ${c}`);
}
say(`${alerts.length} alerts checked: metric names, severity, summary/description/action, runbook_url anchors, test coverage`);
say(`${new Set(alerts.map((a) => a.runbook)).size} runbook sections linked, every one a heading of docs/operations.md`);

// ----------------------------------------------------------------------------------- alertmanager
// Read textually, like the rules (amtool check-config has validated it in test.sh).
const alertmanager = read('alertmanager.yml');
for (const severity of new Set(alerts.map((a) => a.severity))) {
  if (!new RegExp(`severity\\s*=~?\\s*"?[^"\\n]*\\b${severity}\\b`).test(alertmanager)) fail(`alertmanager.yml: no route matches severity ${severity}`);
}
const names = new Set(alerts.map((a) => a.name));
for (const m of alertmanager.matchAll(/alertname\s*=~?\s*"?([A-Za-z0-9|]+)"?/g)) {
  for (const name of m[1].split('|')) if (!names.has(name)) fail(`alertmanager.yml: alertname ${name} is no alert of prometheus-rules.yml`);
}
say('alertmanager.yml: a route for every severity; every alert it names exists');

// -------------------------------------------------------------------------------------- dashboard
const dashboardPath = 'grafana/dashboards/backend-event.json';
let dashboard;
try {
  dashboard = JSON.parse(read(dashboardPath));
} catch (err) {
  fail(`${dashboardPath} does not parse: ${err.message}`);
}
if (dashboard) {
  const panels = [];
  const walk = (list) => {
    for (const p of list ?? []) {
      panels.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  if (!dashboard.uid || !dashboard.title) fail('dashboard: uid and title are required');
  const dsVar = (dashboard.templating?.list ?? []).find((v) => v.name === 'DS_PROMETHEUS');
  if (!dsVar || dsVar.type !== 'datasource' || dsVar.query !== 'prometheus') {
    fail('dashboard: templating variable DS_PROMETHEUS (type datasource, query prometheus) is missing');
  }
  const ids = new Set();
  const usedByDashboard = new Set();
  let queries = 0;
  for (const p of panels) {
    if (p.type === 'row') continue;
    if (ids.has(p.id)) fail(`dashboard: duplicate panel id ${p.id}`);
    ids.add(p.id);
    if (!p.title) fail(`dashboard: panel ${p.id} has no title`);
    if (!p.gridPos) fail(`dashboard: panel "${p.title}" has no gridPos`);
    if (p.datasource?.uid !== '${DS_PROMETHEUS}') fail(`dashboard: panel "${p.title}" does not use datasource uid \${DS_PROMETHEUS}`);
    if (!p.targets?.length) fail(`dashboard: panel "${p.title}" has no queries`);
    for (const t of p.targets ?? []) {
      queries++;
      if (t.datasource && t.datasource.uid !== '${DS_PROMETHEUS}') fail(`dashboard: a query of "${p.title}" uses another datasource`);
      for (const n of metricNames(t.expr ?? '')) {
        usedByDashboard.add(n);
        if (!KNOWN.has(n)) fail(`dashboard: panel "${p.title}" uses metric "${n}" that the service does not expose`);
      }
    }
  }
  if (process.env.DASHBOARD_RULES_OUT) {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    const concrete = (e) =>
      e.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?(\w+)\}?/g, '.*');
    const rules = exprs.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(concrete(e))}`);
    writeFileSync(process.env.DASHBOARD_RULES_OUT, `groups:\n  - name: dashboard-queries\n    rules:\n${rules.join('\n')}\n`);
    say(`dashboard queries written to ${process.env.DASHBOARD_RULES_OUT} for promtool`);
  }
  const usedBases = new Set([...usedByDashboard].map(baseName));
  for (const m of [...EXPOSED, ...HISTOGRAMS]) {
    if (!usedBases.has(m)) fail(`dashboard: no panel shows ${m}`);
  }
  say(`dashboard "${dashboard.title}" (uid ${dashboard.uid}): ${ids.size} panels, ${queries} queries, ${usedBases.size} metrics, all exposed`);
}

// ----------------------------------------------------------------------------------- provisioning
const ds = read('grafana/provisioning/datasources/prometheus.yml');
if (!/^\s*url:\s*http:\/\/prometheus:9090\s*$/m.test(ds)) fail('datasource provisioning: url http://prometheus:9090 missing');
if (!/^\s*type:\s*prometheus\s*$/m.test(ds)) fail('datasource provisioning: type prometheus missing');
const dbs = read('grafana/provisioning/dashboards/dashboards.yml');
if (!/^\s*path:\s*\/var\/lib\/grafana\/dashboards\s*$/m.test(dbs)) fail('dashboard provisioning: path /var/lib/grafana/dashboards missing');
say('provisioning: datasource http://prometheus:9090, dashboards from /var/lib/grafana/dashboards');

if (failures.length > 0) {
  for (const f of failures) console.error(`[observability] FAIL: ${f}`);
  process.exit(1);
}
