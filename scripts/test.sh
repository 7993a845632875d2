#!/usr/bin/env bash
# The whole test suite, as CI runs it. Real PostgreSQL and Redis come from DATABASE_URL/REDIS_URL,
# or are installed (Debian packages) and started on free ports by the test setup itself.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
started=$(date +%s)
failures=()

step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "::: $name"
  if "$@"; then
    echo "::: $name passed in $(( $(date +%s) - t0 ))s"
  else
    echo "::: $name FAILED in $(( $(date +%s) - t0 ))s"
    failures+=("$name")
  fi
}

# PostgreSQL and Redis (unless given; redis-sentinel for the topology step), and nginx-light: the
# reverse proxy in front of the service in the trusted-proxy test; pgbouncer: the transaction pooler
# of packages/app/src/pgbouncer.test.ts. A fast no-op when everything is installed.
bash scripts/ensure-system-packages.sh nginx-light pgbouncer

# The Go tools of the field (buf, oasdiff, grpcurl, grpc_health_probe) are built from the module
# proxy in the background at the lowest priority while the first steps run: minutes of compiling on
# a fresh machine, nothing once built. The steps that use them wait for the build.
( nice -n 19 bash scripts/contracts.sh build && nice -n 19 bash scripts/grpc-tools.sh build ) > build/go-tools.log 2>&1 &
go_tools=$!
go_tools_status=
with_go_tools() {
  if [ -z "$go_tools_status" ]; then
    go_tools_status=0
    wait "$go_tools" || go_tools_status=$?
  fi
  if [ "$go_tools_status" != 0 ]; then cat build/go-tools.log; return 1; fi
  "$@"
}

step "typecheck" pnpm exec tsc -p tsconfig.json --noEmit
step "lint" pnpm exec eslint .
step "format (prettier --check; pnpm format rewrites)" pnpm exec prettier --check .
step "architecture" pnpm exec depcruise packages db --config .dependency-cruiser.cjs
step "migrations under live traffic (Squawk on the SQL each migration runs; scripts/squawk.sh)" bash scripts/squawk.sh
step "OpenAPI lint (@redocly/cli, recommended ruleset, redocly.yaml)" bash scripts/openapi-lint.sh
# Node 20 is what `npm start` runs on this kind of machine (and the oldest supported): everything.
step "tests (vitest: domain, unit, integration)" pnpm exec vitest run --project domain --project unit --project integration --reporter=default --reporter=json --outputFile.json=build/vitest.json
step "topology (vitest --project topology: replicated servers failed over: PostgreSQL primary and synchronous standby under two bundle replicas, Redis Sentinel and Cluster, three Kafka brokers)" pnpm exec vitest run --project topology --reporter=default --reporter=json --outputFile.json=build/vitest-topology.json
step "public contracts (buf breaking on the proto, oasdiff breaking on openapi.json, against contracts/baseline)" with_go_tools bash scripts/contracts.sh check
step "contract guard catches planted breaking changes (vitest --project contracts)" with_go_tools pnpm exec vitest run --project contracts --reporter=default --reporter=json --outputFile.json=build/vitest-contracts.json
# Production runs the bundle on Node 24: the server-free tests on it, then the bundle itself on it,
# as three replicas under a flash sale (alone on the machine) and alone against the real servers.
NODE24=$(bash scripts/node24.sh)
step "tests on Node 24 (vitest: domain, unit)" "$NODE24" node_modules/vitest/vitest.mjs run --project domain --project unit --reporter=dot
step "production bundle (pnpm bundle)" pnpm bundle
step "flash sale on Node 24: three replicas of the production bundle, 3,000 bookers (vitest --project scale)" "$NODE24" node_modules/vitest/vitest.mjs run --project scale --reporter=default --reporter=json --outputFile.json=build/vitest-scale.json
step "production bundle runs alone against PostgreSQL, Redis and Kafka (Node 24)" pnpm exec tsx scripts/bundle-smoke.ts --node "$NODE24"
step "upgrade: the previous release (releases.json) beside this checkout's bundle, and planted breaks (pnpm test:upgrade, Node 24)" "$NODE24" node_modules/vitest/vitest.mjs run --project upgrade --maxWorkers=2 --reporter=default --reporter=json --outputFile.json=build/vitest-upgrade.json
step "API contract fuzzing (Schemathesis, every v1 and v2 operation, every role)" bash scripts/schemathesis.sh
step "gRPC from grpcurl and grpc_health_probe (reflection, every EventService method, health)" with_go_tools bash scripts/grpc-tools.sh
step "alert rules (promtool)" bash deploy/observability/test.sh
step "deployment (helm lint/template, kubeconform, compose, actionlint, hadolint)" bash deploy/scripts/validate.sh

# Closing lines that any reader understands: the tests passed and failed (vitest's counts, each failure
# named with its error), then the steps that failed.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const file of ["build/vitest.json", "build/vitest-scale.json", "build/vitest-contracts.json", "build/vitest-topology.json", "build/vitest-upgrade.json"]) {
    let r;
    try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch { failed += 1; console.log(`no results in ${file}`); continue; }
    // Failed tests, plus files that failed outside any test (an import, a hook): the JSON
    // field numFailedTestSuites also counts each describe block around a failed test.
    passed += r.numPassedTests; failed += r.numFailedTests;
    // CI keeps only the tail of the log: name each failure here, with its error.
    for (const suite of r.testResults || []) {
      const where = suite.name.replace(process.cwd() + "/", "");
      if (suite.status === "failed" && suite.message) {
        failed += 1;
        console.log(`FAILED ${where}: ${suite.message.split("\n")[0].slice(0, 300)}`);
      }
      for (const t of suite.assertionResults || []) {
        if (t.status !== "failed") continue;
        // The message up to its stack (at most 8 lines): an assertion often says what it saw below its first line.
        const lines = (t.failureMessages || [""])[0].split("\n");
        const end = lines.findIndex((line) => /^\s+at /.test(line));
        const why = lines.slice(0, Math.min(end < 0 ? lines.length : end, 8)).map((line) => line.slice(0, 300));
        console.log(`FAILED ${where} > ${t.fullName}: ${why.join("\n  ")}`);
      }
    }
  }
  console.log(`\n${passed} passed, ${failed} failed`);
'
echo "total time: $(( $(date +%s) - started ))s"
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed steps: ${failures[*]}"
  exit 1
fi
