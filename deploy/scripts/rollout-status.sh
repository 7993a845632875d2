#!/usr/bin/env bash
# Waits for Argo Rollouts' verdict on the Rollout of a release after `helm upgrade` changed it: the
# controller runs the canary (steps, pauses, analysis); this only reads its status.
#   exit 0  the controller observed the new spec and the Rollout is Healthy (promoted: every pod
#           runs the new version);
#   exit 1  aborted (a failed analysis: the controller has already sent the traffic back to the
#           stable pods and scaled the canary down), Degraded, paused on an inconclusive analysis
#           (no data: a human decides with `kubectl argo rollouts promote|abort`), or the timeout.
# Needs kubectl and jq. Usage: rollout-status.sh NAME NAMESPACE [TIMEOUT_SECONDS, default 2700]
# ROLLOUT_POLL_SECONDS (default 15) sets the polling interval.
set -euo pipefail

name="${1:?rollout name}"
namespace="${2:?namespace}"
timeout="${3:-2700}"
interval="${ROLLOUT_POLL_SECONDS:-15}"
end=$((SECONDS + timeout))
last=""

while :; do
  if ! json="$(kubectl -n "$namespace" get rollout "$name" -o json)"; then
    echo "RESULT: rollout/$name not readable" >&2
    exit 1
  fi
  # One field per line: phase, abort, generation, observed generation, inconclusive pause, step,
  # canary weight, message.
  mapfile -t f < <(jq -r '
    .status.phase // "",
    (.status.abort // false | tostring),
    (.metadata.generation | tostring),
    (.status.observedGeneration // "" | tostring),
    ([.status.pauseConditions[]?.reason] | index("InconclusiveAnalysis") != null | tostring),
    (.status.currentStepIndex // "" | tostring),
    (.status.canary.weights.canary.weight // "" | tostring),
    ((.status.message // "") | gsub("\\s+"; " "))' <<<"$json")
  phase="${f[0]}" abort="${f[1]}" generation="${f[2]}" observed="${f[3]}" inconclusive="${f[4]}"
  step="${f[5]}" weight="${f[6]}" message="${f[7]}"

  if [[ "$abort" == true ]]; then
    echo "RESULT: aborted by the controller: ${message:-no message} (traffic is back on the stable pods)" >&2
    exit 1
  fi
  if [[ "$observed" == "$generation" ]]; then
    case "$phase" in
      Healthy)
        echo "RESULT: promoted (rollout/$name Healthy at generation $generation)"
        exit 0 ;;
      Degraded)
        echo "RESULT: degraded: ${message:-no message}" >&2
        exit 1 ;;
    esac
    if [[ "$inconclusive" == true ]]; then
      echo "RESULT: paused on an inconclusive analysis (no data): kubectl argo rollouts promote|abort $name -n $namespace" >&2
      exit 1
    fi
  fi
  line="phase=${phase:-?} step=${step:-?} canary-weight=${weight:-?} ${message}"
  [[ "$line" != "$last" ]] && echo "$line" && last="$line"
  if ((SECONDS >= end)); then
    echo "RESULT: no verdict within ${timeout}s (last: $line)" >&2
    exit 1
  fi
  sleep "$interval"
done
