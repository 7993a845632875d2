#!/usr/bin/env bash
# Tests deploy/scripts/migration-job.sh with the chart's real rendering (helm template) and a
# stand-in kubectl that plays a cluster: a Job left from a failed hook, then a new Job that ends
# Complete, Failed, or never. Checks the order of the calls (old Job deleted before the new one is
# applied), what is applied (the chart's migration Job running the asked command), the exit status,
# the RESULT line, and that a failed Job is reported at once instead of after the timeout.
#
# Usage: HELM=/path/to/helm bash deploy/scripts/migration-job.test.sh [applied-manifest-out]
# (validate.sh runs it and validates the applied manifest with kubeconform.)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/migration-job.sh"
fake="$(mktemp -d)"
trap 'rm -rf "$fake"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The stand-in kubectl. State lives in files under $FAKE_DIR: exists (a Job of that name is in the
# cluster), outcome (complete|failed|never), polls, calls (one line per call), applied.yaml.
cat >"$fake/kubectl" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
d="$FAKE_DIR"
[[ "$1" == "-n" ]] && shift 2
echo "$*" >>"$d/calls"
case "$1 $2" in
  "delete job") rm -f "$d/exists" ;;
  "apply -f")
    [[ -e "$d/exists" ]] && { echo 'The Job "backend-event-migrate" is invalid: spec.template: field is immutable' >&2; exit 1; }
    cp "$3" "$d/applied.yaml"; touch "$d/exists"; echo "job.batch/backend-event-migrate created" ;;
  "get job")
    [[ -e "$d/exists" ]] || { echo 'Error from server (NotFound): jobs.batch "backend-event-migrate" not found' >&2; exit 1; }
    if [[ "$*" == *'@.status=="True"'* ]]; then
      polls=$(($(cat "$d/polls" 2>/dev/null || echo 0) + 1)); echo "$polls" >"$d/polls"
      if ((polls >= 3)); then
        case "$(cat "$d/outcome")" in
          complete) printf 'SuccessCriteriaMet Complete ' ;;
          failed) printf 'FailureTarget Failed ' ;;
        esac
      fi
    else
      printf 'BackoffLimitExceeded: Job has reached the specified backoff limit'
    fi ;;
  "logs -l") echo "[pod/backend-event-migrate-x7k2p/migrate] 0009-idempotency-key-expiry" ;;
  *) echo "unexpected kubectl call: $*" >&2; exit 1 ;;
esac
EOF
chmod +x "$fake/kubectl"

# run <outcome> <old job present: yes|no> [extra args...]: runs the script, sets $status and $out.
run() {
  local outcome="$1" old="$2"; shift 2
  rm -f "$fake/calls" "$fake/polls" "$fake/exists" "$fake/applied.yaml"
  echo "$outcome" >"$fake/outcome"
  [[ "$old" == yes ]] && touch "$fake/exists"
  set +e
  out="$(FAKE_DIR="$fake" KUBECTL="$fake/kubectl" MIGRATION_JOB_POLL_SECONDS=0.05 bash "$script" "$@" 2>&1)"
  status=$?
  set -e
}
calls() { cat "$fake/calls"; }
expect_line() { # regex description
  grep -Eq -- "$1" <<<"$out" || fail "$2: no line matches /$1/ in:
$out"
}

# 1. A failed hook Job is still there; the rollback Job fails.
started=$SECONDS
run failed yes -n aquastream --set image.tag=sha-test --timeout 20 rollback
((status == 1)) || fail "failed Job: exit status $status, expected 1"
((SECONDS - started < 30)) || fail "failed Job: reported after $((SECONDS - started)) s, not at once"
expect_line '^RESULT: backend-event-migrate failed after [0-9]+s \(BackoffLimitExceeded: Job has reached the specified backoff limit\)' "failed Job"
expect_line 'migrate-x7k2p/migrate\] 0009' "failed Job: pod logs printed"
order="$(grep -Eo '^(delete|apply)' "$fake/calls" | tr '\n' ' ')"
[[ "$order" == "delete apply " ]] || fail "failed Job: calls were '$order', expected the old Job deleted, then the new one applied, and the failed one kept"
grep -q -- '--cascade=foreground --wait=true' "$fake/calls" || fail "the old Job is not deleted with its pods before applying"
[[ "$(cat "$fake/polls")" == 3 ]] || fail "failed Job: polled $(cat "$fake/polls") times, expected to stop at the first Failed"
applied="$fake/applied.yaml"
grep -q '^kind: Job$' "$applied" || fail "applied manifest is not a Job"
grep -q '^  name: backend-event-migrate$' "$applied" || fail "applied Job is not the chart's backend-event-migrate"
grep -A4 '^          args:' "$applied" | tr -d ' ' | tr '\n' ' ' | grep -q -- '-node -cli.mjs -rollback' || fail "applied Job does not run node cli.mjs rollback"
grep -q 'image: "aquastream/backend-event:sha-test"' "$applied" || fail "applied Job does not use the image given with --set image.tag"
grep -q 'name: DATABASE_URL' "$applied" || fail "applied Job lacks the service configuration (DATABASE_URL)"
[[ -n "${1:-}" ]] && cp "$applied" "$1"

# 2. No Job left over; the status Job completes: exit 0, and the finished Job is removed.
run complete no -n aquastream status
((status == 0)) || fail "complete Job: exit status $status, expected 0: $out"
expect_line '^RESULT: backend-event-migrate complete after [0-9]+s$' "complete Job"
order="$(grep -Eo '^(delete|apply)' "$fake/calls" | tr '\n' ' ')"
[[ "$order" == "delete apply delete " ]] || fail "complete Job: calls were '$order', expected delete (none there), apply, delete"
grep -A4 '^          args:' "$fake/applied.yaml" | tr -d ' ' | tr '\n' ' ' | grep -q -- '-node -cli.mjs -status' || fail "status Job does not run node cli.mjs status"

# The release step of contract migrations runs `node cli.mjs migrate --contract`.
run complete no -n aquastream contract
((status == 0)) || fail "contract Job: exit status $status, expected 0: $out"
grep -A5 '^          args:' "$fake/applied.yaml" | tr -d ' ' | tr '\n' ' ' | grep -q -- '-node -cli.mjs -migrate ---contract' || fail "contract Job does not run node cli.mjs migrate --contract"

# 3. A Job that never ends: the timeout, exit 2, Job kept.
run never no -n aquastream --timeout 1 migrate
((status == 2)) || fail "stuck Job: exit status $status, expected 2"
expect_line '^RESULT: backend-event-migrate neither complete nor failed after 1s' "stuck Job"
[[ "$(grep -c '^delete' "$fake/calls")" == 1 ]] || fail "stuck Job: it must be kept for inspection"

# 4. Usage errors touch nothing.
run complete no status
((status == 64)) || fail "no namespace: exit status $status, expected 64"
run complete no -n aquastream drop-everything
((status == 64)) || fail "unknown command: exit status $status, expected 64"
[[ ! -e "$fake/calls" ]] || fail "a usage error called kubectl"

if ((failures > 0)); then
  echo "migration-job.sh: $failures check(s) failed"
  exit 1
fi
echo "migration-job.sh: failed, complete, stuck and usage cases behave as documented"
