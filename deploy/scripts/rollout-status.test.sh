#!/usr/bin/env bash
# Tests deploy/scripts/rollout-status.sh against a stand-in kubectl that plays the Argo Rollouts
# controller: a sequence of Rollout states (one JSON file per poll, the last one repeated). Checks
# the exit status and the RESULT line for a promotion, an abort by the analysis, an inconclusive
# analysis, a spec the controller has not observed yet, and the timeout.
# Usage: bash deploy/scripts/rollout-status.test.sh   (validate.sh runs it)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fake="$(mktemp -d)"
trap 'rm -rf "$fake"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cat >"$fake/kubectl" <<'KUBECTL'
#!/usr/bin/env bash
set -euo pipefail
d="$FAKE_DIR"
[[ "$*" == "-n aquastream get rollout backend-event -o json" ]] || { echo "unexpected call: $*" >&2; exit 2; }
n=$(($(cat "$d/polls" 2>/dev/null || echo 0) + 1)); echo "$n" >"$d/polls"
state="$d/state.$n"
[[ -e "$state" ]] || state="$(ls "$d"/state.* | sort -t. -k2 -n | tail -1)"
cat "$state"
KUBECTL
chmod +x "$fake/kubectl"

state() { # generation observed phase [abort] [pause-reason] [message]
  printf '{"metadata":{"generation":%s},"status":{"observedGeneration":"%s","phase":"%s","abort":%s,"pauseConditions":[%s],"currentStepIndex":1,"canary":{"weights":{"canary":{"weight":10}}},"message":"%s"}}\n' \
    "$1" "$2" "$3" "${4:-false}" "${5:+{\"reason\":\"$5\"\}}" "${6:-}"
}

run() { # name expected-exit expected-result-regex states...
  local name="$1" want="$2" re="$3" i=0 out rc
  shift 3
  rm -f "$fake"/state.* "$fake/polls"
  for s in "$@"; do i=$((i + 1)); printf '%s\n' "$s" >"$fake/state.$i"; done
  rc=0
  out="$(PATH="$fake:$PATH" FAKE_DIR="$fake" ROLLOUT_POLL_SECONDS=0 bash "$here/rollout-status.sh" backend-event aquastream "${TIMEOUT:-30}" 2>&1)" || rc=$?
  [[ "$rc" == "$want" ]] || fail "$name: exit $rc, expected $want. Output:"$'\n'"$out"
  grep -Eq "RESULT: $re" <<<"$out" || fail "$name: no 'RESULT: $re' in:"$'\n'"$out"
  [[ -z "${POLLS:-}" || "$(cat "$fake/polls")" == "$POLLS" ]] || fail "$name: $(cat "$fake/polls") polls, expected $POLLS"
}

# Before the controller sees the new spec the old status still says Healthy: not a verdict.
POLLS=4 run "promotion" 0 "promoted \(rollout/backend-event Healthy at generation 7\)" \
  "$(state 7 6 Healthy)" "$(state 7 7 Progressing)" "$(state 7 7 Paused false "" "CanaryPauseStep")" "$(state 7 7 Healthy)"
run "abort by the analysis" 1 "aborted by the controller: RolloutAborted: Metric \"success-rate\" assessed Failed" \
  "$(state 7 7 Progressing)" "$(state 7 7 Degraded true "" "RolloutAborted: Metric \\\"success-rate\\\" assessed Failed")"
run "inconclusive analysis" 1 "paused on an inconclusive analysis" \
  "$(state 7 7 Progressing)" "$(state 7 7 Paused false InconclusiveAnalysis)"
run "degraded" 1 "degraded: ProgressDeadlineExceeded" "$(state 7 7 Degraded false "" "ProgressDeadlineExceeded")"
TIMEOUT=0 run "never observed" 1 "no verdict within 0s" "$(state 7 6 Healthy)"

if ((failures > 0)); then echo "$failures failure(s)"; exit 1; fi
echo "rollout-status.sh: promotion, abort, inconclusive, degraded and timeout cases pass"
