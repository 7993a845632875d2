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

# PostgreSQL and Redis (unless given), and nginx-light: the reverse proxy in front of the service
# in the trusted-proxy test. A fast no-op when everything is installed.
bash scripts/ensure-system-packages.sh nginx-light

step "typecheck" pnpm exec tsc -p tsconfig.json --noEmit
step "lint" pnpm exec eslint .
step "architecture" pnpm exec depcruise packages db --config .dependency-cruiser.cjs
step "OpenAPI lint (@redocly/cli, recommended ruleset, redocly.yaml)" bash scripts/openapi-lint.sh
step "tests (vitest)" pnpm exec vitest run --project domain --project unit --project integration --reporter=default --reporter=json --outputFile.json=build/vitest.json
# Production runs Node 24: the whole suite again on it, then the production bundle alone on it.
NODE24=$(bash scripts/node24.sh)
step "tests on Node 24 (vitest)" "$NODE24" node_modules/vitest/vitest.mjs run --project domain --project unit --project integration --reporter=dot
step "production bundle (pnpm bundle)" pnpm bundle
# Alone on the machine: three replicas of the bundle, thousands of bookers at once.
step "flash sale: replicas of the production bundle under a rush (vitest --project scale)" pnpm exec vitest run --project scale --reporter=default --reporter=json --outputFile.json=build/vitest-scale.json
step "production bundle runs alone against PostgreSQL, Redis and Kafka (Node 24)" pnpm exec tsx scripts/bundle-smoke.ts --node "$NODE24"
step "API contract fuzzing (Schemathesis, every v1 and v2 operation, every role)" bash scripts/schemathesis.sh
step "gRPC from grpcurl and grpc_health_probe (reflection, every EventService method, health)" bash scripts/grpc-tools.sh
step "alert rules (promtool)" bash deploy/observability/test.sh
step "deployment (helm lint/template, kubeconform, compose, actionlint, hadolint)" bash deploy/scripts/validate.sh

# One closing line that any reader understands: vitest's own counts plus the other steps.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const file of ["build/vitest.json", "build/vitest-scale.json"]) {
    try { const r = JSON.parse(fs.readFileSync(file, "utf8")); passed += r.numPassedTests; failed += r.numFailedTests + (r.numFailedTestSuites || 0); } catch { failed += 1; }
  }
  const stepFailures = Number(process.argv[1]);
  console.log(`\n${passed} passed, ${failed + stepFailures} failed`);
' "${#failures[@]}"
echo "total time: $(( $(date +%s) - started ))s"
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed steps: ${failures[*]}"
  exit 1
fi
