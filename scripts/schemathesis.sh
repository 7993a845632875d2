#!/usr/bin/env bash
# Schemathesis against the running service and the committed openapi.json: every v1 and v2 operation,
# once anonymously and once each with a USER, ORGANIZER and ADMIN token. Fails when a response does
# not match its documented schema, status code, content type or headers, or when generated input
# causes a 5xx.
#
# Creates (or reuses) a venv with the pinned Schemathesis in
# ${XDG_CACHE_HOME:-$HOME/.cache}/backend-event/schemathesis-venv, starts the service itself in
# embedded mode (PGlite in a temporary directory, no servers) on a free port, seeds data through
# the API before each pass (scripts/schemathesis/run.py), and stops the service at the end, also on
# failure. Reports (JSON, JUnit) land in build/schemathesis/.
#
# Knobs: SCHEMATHESIS_MAX_EXAMPLES (default 50 per operation), SCHEMATHESIS_SEED (default random,
# printed; set it to replay a run), SCHEMATHESIS_PASSES (e.g. "USER,ADMIN").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

requirements="$root/scripts/schemathesis/requirements.txt"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/backend-event/schemathesis-venv"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3

# The venv is reused while requirements.txt is unchanged; a changed pin rebuilds it.
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/st" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "::: schemathesis: installing $(grep -E '^schemathesis==' "$requirements") into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  echo "$want" > "$venv/.requirements.sha256"
fi
echo "::: schemathesis: $("$venv/bin/st" --version) ($("$venv/bin/python" --version))"

free_port() { "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/backend-event-schemathesis.XXXXXX")
mkdir -p build/schemathesis
log="$root/build/schemathesis/service.log"
port=$(free_port)
. scripts/embedded-service.sh

cleanup() {
  local code=$?
  stop_service
  rm -rf "$data_dir"
  echo "::: schemathesis: total time $(( $(date +%s) - started ))s"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export HOST=127.0.0.1 PORT="$port" GRPC_PORT=0 RATE_LIMIT_MAX=1000000
export PAYMENT_WEBHOOK_SECRET="webhook-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
embedded_env schemathesis "$data_dir"
start_service "$log"

base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "::: schemathesis: the service exited during start-up; its log:"; cat "$log"; exit 1
  fi
  curl -fsS -o /dev/null "$base/actuator/health/readiness" 2>/dev/null && break
  sleep 0.25
done
curl -fsS -o /dev/null "$base/actuator/health/readiness" || { echo "::: schemathesis: the service did not become ready; its log:"; cat "$log"; exit 1; }
echo "::: schemathesis: service ready on $base (log: $log)"

status=0
# No __pycache__ next to the hooks in the work tree.
export PYTHONDONTWRITEBYTECODE=1
BASE_URL="$base" REPORT_DIR="$root/build/schemathesis" "$venv/bin/python" scripts/schemathesis/run.py || status=$?

# A 5xx is logged as "unhandled error": show those lines, they name the cause.
if grep -q '"unhandled error"' "$log"; then
  echo "::: schemathesis: the service logged unhandled errors:"
  grep '"unhandled error"' "$log" | head -20 | cut -c1-2000
  status=1
fi
exit "$status"
