#!/usr/bin/env bash
# The gRPC API through the field's own tools, as operators and Kubernetes use it: grpcurl (server
# reflection, no .proto file) and grpc_health_probe (the probe binary of Kubernetes gRPC health
# checks), both Go programs, so this also proves that Go's protobuf accepts the descriptors that
# server reflection hands out.
#
# Builds the pinned versions from the Go module proxy (`go install module@version`) into
# $(go env GOPATH)/backend-event/bin, reused while `go version -m` reports the pinned version.
# Starts the service itself in embedded mode (PGlite in a temporary directory) on free ports,
# creates a published event over REST, then checks:
#   grpcurl list and describe (EventService, grpc.health.v1 including its map message),
#   every EventService method (the script fails on a method it has no call for),
#   grpc.health.v1.Health/Check, and grpc_health_probe for the server and for EventService.
# Stops the service at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

GRPCURL_VERSION=v1.9.4          # github.com/fullstorydev/grpcurl
HEALTH_PROBE_VERSION=v0.4.62    # github.com/grpc-ecosystem/grpc-health-probe

. scripts/go-tools.sh
build_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl github.com/fullstorydev/grpcurl "$GRPCURL_VERSION"
build_tool grpc-health-probe github.com/grpc-ecosystem/grpc-health-probe github.com/grpc-ecosystem/grpc-health-probe "$HEALTH_PROBE_VERSION"
grpcurl="$bin/grpcurl"
probe="$bin/grpc-health-probe"
# `build`: only make sure the tools are built (the suite builds them in the background).
if [ "${1:-}" = build ]; then exit 0; fi
echo "::: grpc tools: grpcurl $GRPCURL_VERSION, grpc_health_probe $HEALTH_PROBE_VERSION ($(go version | cut -d' ' -f3))"

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/backend-event-grpc-tools.XXXXXX")
mkdir -p build
log="$root/build/grpc-tools-service.log"
. scripts/embedded-service.sh
cleanup() {
  local code=$?
  stop_service
  rm -rf "$data_dir"
  [ "$code" -eq 0 ] || { echo "::: grpc tools: the service log ($log), last lines:"; tail -20 "$log" 2>/dev/null || true; }
  echo "::: grpc tools: total time $(( $(date +%s) - started ))s"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_port)
grpc_port=$(free_port)
export HOST=127.0.0.1 PORT="$port" GRPC_PORT="$grpc_port"
embedded_env grpc-tools "$data_dir"
start_service "$log"

base="http://127.0.0.1:$port"
addr="127.0.0.1:$grpc_port"
for _ in $(seq 1 240); do
  kill -0 "$server_pid" 2>/dev/null || { echo "::: grpc tools: the service exited during start-up"; exit 1; }
  curl -fsS -o /dev/null "$base/actuator/health/readiness" 2>/dev/null && break
  sleep 0.25
done
curl -fsS -o /dev/null "$base/actuator/health/readiness" || { echo "::: grpc tools: the service did not become ready"; exit 1; }

# A published event to read over gRPC.
organizer=$(node --import tsx packages/app/src/cli/main.ts token --sub 3f1d2c4b-5a6e-4f70-8a91-b2c3d4e5f601 --role ORGANIZER | tail -1)
json() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }
event_id=$(curl -fsS -XPOST "$base/api/v2/events" -H "authorization: Bearer $organizer" -H 'content-type: application/json' \
  -d '{"title":"Rafting on the Katun","startDate":"2031-06-01T08:00:00Z","endDate":"2031-06-01T18:00:00Z","capacity":12,"price":{"amount":5000,"currency":"EUR"}}' | json id)
curl -fsS -o /dev/null -XPOST "$base/api/v2/events/$event_id/publish" -H "authorization: Bearer $organizer"
echo "::: grpc tools: service ready, gRPC on $addr, event $event_id"

failures=0
# check NAME EXPECTED_REGEX COMMAND...: runs the command, fails unless it exits 0 and prints a match.
check() {
  local name=$1 expected=$2; shift 2
  local out
  if out=$("$@" 2>&1) && grep -qE -- "$expected" <<< "$out"; then
    echo "ok   $name"
  else
    echo "FAIL $name: expected /$expected/, got:"; sed 's/^/       /' <<< "$out" | head -20
    failures=$((failures + 1))
  fi
}
# refuse NAME EXPECTED_REGEX COMMAND...: the command must fail and print a match.
refuse() {
  local name=$1 expected=$2; shift 2
  local out
  if ! out=$("$@" 2>&1) && grep -qE -- "$expected" <<< "$out"; then
    echo "ok   $name"
  else
    echo "FAIL $name: expected a failure matching /$expected/, got:"; sed 's/^/       /' <<< "$out" | head -20
    failures=$((failures + 1))
  fi
}

service=org.aquastream.event.api.EventService
check "grpcurl list: EventService" "^$service\$" "$grpcurl" -plaintext "$addr" list
check "grpcurl list: grpc.health.v1.Health" '^grpc\.health\.v1\.Health$' "$grpcurl" -plaintext "$addr" list
check "grpcurl describe EventService" "rpc GetEvent \\( \\.org\\.aquastream\\.event\\.api\\.GetEventRequest \\)" "$grpcurl" -plaintext "$addr" describe "$service"
check "grpcurl describe EventResponse" 'string start_date' "$grpcurl" -plaintext "$addr" describe org.aquastream.event.api.EventResponse
check "grpcurl describe grpc.health.v1.Health" 'rpc Check \( \.grpc\.health\.v1\.HealthCheckRequest \)' "$grpcurl" -plaintext "$addr" describe grpc.health.v1.Health
# The message whose map field Go's protobuf refused before the descriptors were fixed.
check "grpcurl describe grpc.health.v1.HealthListResponse (a map field)" 'map<string, \.grpc\.health\.v1\.HealthCheckResponse> statuses = 1' \
  "$grpcurl" -plaintext "$addr" describe grpc.health.v1.HealthListResponse

methods=$("$grpcurl" -plaintext "$addr" list "$service")
[ -n "$methods" ] || { echo "FAIL grpcurl list $service: no methods"; failures=$((failures + 1)); }
for method in $methods; do
  case "${method##*.}" in
    GetEvent)
      check "grpcurl $method" '"title": "Rafting on the Katun"' "$grpcurl" -plaintext -d "{\"event_id\":\"$event_id\",\"include_details\":true}" "$addr" "$method"
      refuse "grpcurl $method: unknown event is NotFound" 'Code: NotFound' "$grpcurl" -plaintext -d '{"event_id":"00000000-0000-4000-8000-000000000000"}' "$addr" "$method" ;;
    GetEventV1)
      check "grpcurl $method" '"start_date": "2031-06-01T08:00:00' "$grpcurl" -plaintext -d "{\"event_id\":\"$event_id\"}" "$addr" "$method" ;;
    CheckEventAvailability)
      check "grpcurl $method" '"bookable": true' "$grpcurl" -plaintext -d "{\"event_id\":\"$event_id\"}" "$addr" "$method" ;;
    *)
      echo "FAIL $method: a new EventService method; add a grpcurl call for it to scripts/grpc-tools.sh"; failures=$((failures + 1)) ;;
  esac
done

check "grpcurl grpc.health.v1.Health/Check (server)" '"status": "SERVING"' "$grpcurl" -plaintext -d '{"service":""}' "$addr" grpc.health.v1.Health/Check
check "grpcurl grpc.health.v1.Health/Check ($service)" '"status": "SERVING"' "$grpcurl" -plaintext -d "{\"service\":\"$service\"}" "$addr" grpc.health.v1.Health/Check
check "grpc_health_probe (server)" 'status: SERVING' "$probe" -addr="$addr"
check "grpc_health_probe -service=$service" 'status: SERVING' "$probe" -addr="$addr" -service="$service"
refuse "grpc_health_probe -service=no.such.Service fails" 'NotFound|not found|NOT_FOUND' "$probe" -addr="$addr" -service=no.such.Service

if [ "$failures" -gt 0 ]; then echo "::: grpc tools: $failures check(s) failed"; exit 1; fi
echo "::: grpc tools: every check passed"
