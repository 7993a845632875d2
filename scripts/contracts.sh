#!/usr/bin/env bash
# The compatibility guard of the public contracts, with the field's tools:
#   buf breaking   the gRPC API (packages/app/proto) against contracts/baseline/proto
#   oasdiff        the REST API (openapi.json, kept equal to the code by openapi.unit.test.ts) against
#                  contracts/baseline/openapi.json
# Both baselines are the contract clients already have. Adding is allowed; a breaking change fails.
#
#   bash scripts/contracts.sh [check]                 exit 1 on a breaking change
#   bash scripts/contracts.sh accept                  record additions in the baselines (refuses a breaking change)
#   bash scripts/contracts.sh accept --allow-breaking record a deliberate break (a new major version, a sunset)
#   bash scripts/contracts.sh build                   only build the tools
#
# CONTRACTS_PROTO, CONTRACTS_PROTO_BASELINE, CONTRACTS_OPENAPI, CONTRACTS_OPENAPI_BASELINE point the
# check at other copies (tools/contracts/guard.test.ts plants breaking changes in temporary ones).
# Builds the pinned versions from the Go module proxy like scripts/grpc-tools.sh (scripts/go-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BUF_VERSION=v1.75.0        # github.com/bufbuild/buf
OASDIFF_VERSION=v1.37.0    # github.com/oasdiff/oasdiff

proto=${CONTRACTS_PROTO:-packages/app/proto}
proto_baseline=${CONTRACTS_PROTO_BASELINE:-contracts/baseline/proto}
openapi=${CONTRACTS_OPENAPI:-openapi.json}
openapi_baseline=${CONTRACTS_OPENAPI_BASELINE:-contracts/baseline/openapi.json}

command=${1:-check}
case "$command" in check | accept | build) ;; *) echo "usage: bash scripts/contracts.sh [check | accept [--allow-breaking] | build]" >&2; exit 2 ;; esac

. scripts/go-tools.sh
build_tool buf github.com/bufbuild/buf/cmd/buf github.com/bufbuild/buf "$BUF_VERSION"
build_tool oasdiff github.com/oasdiff/oasdiff github.com/oasdiff/oasdiff "$OASDIFF_VERSION"
[ "$command" = build ] && exit 0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backend-event-contracts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# FILE: buf's strictest category. Besides the wire (field numbers, types, cardinality, removed
# fields, enum values, messages, methods, request/response/streaming) it keeps names and JSON
# names, which grpc-gateway-style JSON, grpcurl and generated code depend on. v1 config: the
# module is the input directory itself, wherever it is.
buf_config='{"version":"v1","breaking":{"use":["FILE"]}}'

# oasdiff's own rules at ERR, plus three it reports only as info, raised to ERR because they break
# this API's clients: generated clients name their methods after operationId (examples/
# typescript-client), and a deprecated v1 operation stays until it is removed deliberately (the v1
# API has no sunset date; `accept --allow-breaking` is that decision). oasdiff reads no comment in
# this file, hence the heredoc.
levels="$tmp/oasdiff-levels.txt"
cat > "$levels" <<'LEVELS'
api-operation-id-removed ERR
api-removed-with-deprecation ERR
api-path-removed-with-deprecation ERR
LEVELS

# compare: runs both tools; sets failures to the number of contracts with a breaking change.
failures=0
compare() {
  local t0; t0=$(date +%s%N)
  echo "::: contracts: buf breaking $proto --against $proto_baseline (FILE rules, buf $BUF_VERSION)"
  if "$bin/buf" breaking "$proto" --against "$proto_baseline" --config "$buf_config" --against-config "$buf_config" --error-format text; then
    echo "ok   gRPC: no breaking change"
  else
    echo "FAIL gRPC: a breaking change to the proto (above)"; failures=$((failures + 1))
  fi
  echo "::: contracts: oasdiff breaking $openapi_baseline $openapi (oasdiff $OASDIFF_VERSION)"
  if "$bin/oasdiff" breaking "$openapi_baseline" "$openapi" --severity-levels "$levels" --fail-on ERR --format singleline --color never; then
    echo "ok   REST: no breaking change"
  else
    echo "FAIL REST: a breaking change to openapi.json (above)"; failures=$((failures + 1))
  fi
  echo "::: contracts: checked in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
if [ -d "$proto_baseline" ] && [ -f "$openapi_baseline" ]; then
  compare
else
  # Only `accept` may start from nothing: a check without its baselines would guard nothing.
  echo "::: contracts: no baseline ($proto_baseline, $openapi_baseline)"
  [ "$command" = accept ] || exit 1
fi

proto_files() { [ ! -d "$1" ] || (cd "$1" && find . -name '*.proto' | sort); }
behind=0
cmp -s "$openapi" "$openapi_baseline" 2>/dev/null || behind=1
[ "$(proto_files "$proto")" = "$(proto_files "$proto_baseline")" ] || behind=1
while read -r f; do cmp -s "$proto/$f" "$proto_baseline/$f" || behind=1; done < <(proto_files "$proto")

if [ "$command" = check ]; then
  if [ "$failures" -gt 0 ]; then
    echo "::: contracts: a breaking change to a public contract; see contracts/README.md"
    exit 1
  fi
  [ "$behind" -eq 0 ] || echo "::: contracts: compatible, and the baselines are behind: \`bash scripts/contracts.sh accept\` freezes the additions"
  exit 0
fi

# accept
if [ "$failures" -gt 0 ] && [ "${2:-}" != --allow-breaking ]; then
  echo "::: contracts: refusing to record a breaking change; clients of the current contract would break."
  echo "::: contracts: re-run with --allow-breaking only if that is intended, and say so in the review."
  exit 1
fi
rm -rf "$proto_baseline"
mkdir -p "$proto_baseline" "$(dirname "$openapi_baseline")"
while read -r f; do mkdir -p "$proto_baseline/$(dirname "$f")"; cp "$proto/$f" "$proto_baseline/$f"; done < <(proto_files "$proto")
cp "$openapi" "$openapi_baseline"
echo "::: contracts: recorded $proto and $openapi in $proto_baseline and $openapi_baseline"
