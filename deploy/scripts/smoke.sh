#!/usr/bin/env bash
# End-to-end smoke test of a running backend-event: readiness, then a v2 read and a v1 read (the v1
# answer must carry the Deprecation header of the old contract).
#
# Usage: smoke.sh BASE_URL            e.g. smoke.sh http://localhost:18080
# Env:   SMOKE_TOKEN     optional bearer token sent with the API reads
#        SMOKE_WAIT_S    seconds to wait for readiness (default 60)
#        SMOKE_HEADER    optional extra header, e.g. "X-Canary: always" to target a canary
set -euo pipefail
base="${1:?usage: smoke.sh BASE_URL}"
wait_s="${SMOKE_WAIT_S:-60}"
headers=(-H "Accept: application/json")
[[ -n "${SMOKE_TOKEN:-}" ]] && headers+=(-H "Authorization: Bearer $SMOKE_TOKEN")
[[ -n "${SMOKE_HEADER:-}" ]] && headers+=(-H "$SMOKE_HEADER")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

deadline=$((SECONDS + wait_s))
until code="$(curl -s -o "$tmp/ready" -w '%{http_code}' --max-time 5 "${headers[@]}" "$base/actuator/health/readiness")" && [[ "$code" == 200 ]]; do
  if ((SECONDS >= deadline)); then
    echo "FAIL readiness: HTTP ${code:-none} after ${wait_s}s: $(cat "$tmp/ready" 2>/dev/null)" >&2
    exit 1
  fi
  sleep 2
done
echo "ok   GET /actuator/health/readiness -> 200 $(head -c 200 "$tmp/ready")"

read_json() { # path -> body in $tmp/body, headers in $tmp/headers
  local path="$1" code
  code="$(curl -s -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' --max-time 10 "${headers[@]}" "$base$path")"
  if [[ "$code" != 200 ]]; then
    echo "FAIL GET $path -> HTTP $code: $(head -c 500 "$tmp/body")" >&2
    exit 1
  fi
  if ! node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$tmp/body" 2>/dev/null &&
    ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/body" 2>/dev/null; then
    echo "FAIL GET $path: the body is not JSON: $(head -c 300 "$tmp/body")" >&2
    exit 1
  fi
  echo "ok   GET $path -> 200 ($(wc -c <"$tmp/body") bytes of JSON)"
}

read_json /api/v2/events
read_json /api/v1/events
if ! grep -qi '^deprecation:' "$tmp/headers"; then
  echo "FAIL GET /api/v1/events: no Deprecation header" >&2
  exit 1
fi
echo "ok   /api/v1/events carries the Deprecation header"
echo "smoke test passed against $base"
