#!/usr/bin/env bash
# Lints the committed openapi.json with @redocly/cli (the version pinned in package.json) and the
# rules in redocly.yaml. Fails on any error and on any warning: a warning is either fixed in the
# document or switched off in redocly.yaml with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
# No telemetry or update check: CI reaches only package registries.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
status=0
pnpm exec redocly lint openapi.json --config redocly.yaml --format=stylish 2>&1 | grep -v '^\s*$' || status=$?
pnpm exec redocly lint openapi.json --config redocly.yaml --format=json > build/redocly-lint.json 2>/dev/null || status=1
node -e '
  const { totals } = JSON.parse(require("fs").readFileSync("build/redocly-lint.json", "utf8"));
  console.log(`redocly lint: ${totals.errors} errors, ${totals.warnings} warnings, ${totals.ignored} ignored`);
  process.exit(totals.errors + totals.warnings + totals.ignored === 0 ? 0 : 1);
' || status=1
exit "$status"
