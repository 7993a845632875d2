#!/usr/bin/env bash
# Runs one database migration command (status, rollback, migrate, contract) in the cluster as the chart's
# migration Job, and reports how it ended. The procedure of docs/operations.md "Rolling back /
# Database":
#
#   1. render templates/migration-job.yaml with the release's values and `migrations.args` set to
#      the command (the image that introduced a migration is the one that knows its down);
#   2. delete the Job of the same name if one is left (a failed pre-upgrade hook Job is kept for
#      its logs, and a Job's pod template cannot be replaced), and wait until it is gone;
#   3. apply the rendered Job;
#   4. wait until it is Complete or Failed (not only Complete: a failed Job would block until the
#      timeout), or until the timeout;
#   5. print the pods' logs and one RESULT line. On success the Job is deleted; on failure or
#      timeout it is kept for inspection (the next run deletes it).
#
# Usage:
#   deploy/scripts/migration-job.sh -n <namespace> [-r <release>] [-f <values.yaml>]... [--set k=v]...
#                                   [--timeout <seconds>] [--chart <dir>] <status|rollback|migrate|contract>
# (contract = `node cli.mjs migrate --contract`: the release step that applies contract migrations.)
# Example (roll back the latest migration with the image that introduced it):
#   deploy/scripts/migration-job.sh -n aquastream-production -f deploy/helm/backend-event/values-production.yaml \
#     --set image.tag=sha-NEW rollback
#
# Exit status: 0 Complete, 1 Failed, 2 timed out, 64 usage error, other: helm/kubectl failed.
# Needs helm and kubectl (override with $HELM / $KUBECTL). $MIGRATION_JOB_POLL_SECONDS sets the
# polling interval (default 2).
set -euo pipefail

HELM="${HELM:-helm}"
KUBECTL="${KUBECTL:-kubectl}"
POLL="${MIGRATION_JOB_POLL_SECONDS:-2}"
chart="$(cd "$(dirname "${BASH_SOURCE[0]}")/../helm/backend-event" && pwd)"
release=backend-event
namespace=""
timeout=""
helm_args=()

usage() {
  sed -n '/^# Usage:/,/^# Exit status/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

while (($# > 0)); do
  case "$1" in
    -n | --namespace) namespace="${2:?}"; shift 2 ;;
    -r | --release) release="${2:?}"; shift 2 ;;
    -f | --values) helm_args+=(-f "${2:?}"); shift 2 ;;
    --set) helm_args+=(--set "${2:?}"); shift 2 ;;
    --timeout) timeout="${2:?}"; shift 2 ;;
    --chart) chart="${2:?}"; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
command="${1:-}"
case "$command" in
  status | rollback | migrate) args="{node,cli.mjs,$command}" ;;
  contract) args="{node,cli.mjs,migrate,--contract}" ;;
  *) echo "the command must be status, rollback, migrate or contract" >&2; usage ;;
esac
[[ -n "$namespace" ]] || { echo "-n <namespace> is required" >&2; usage; }

k() { "$KUBECTL" -n "$namespace" "$@"; }

manifest="$(mktemp)"
trap 'rm -f "$manifest"' EXIT
"$HELM" template "$release" "$chart" -n "$namespace" "${helm_args[@]}" \
  --set "migrations.args=$args" --show-only templates/migration-job.yaml >"$manifest"
job="$(sed -n 's/^  name: //p' "$manifest" | head -n 1)"
[[ -n "$job" ]] || { echo "no Job name in the rendered migration-job.yaml" >&2; exit 3; }
if [[ -z "$timeout" ]]; then
  deadline_s="$(sed -n 's/^  activeDeadlineSeconds: //p' "$manifest" | head -n 1)"
  timeout=$((${deadline_s:-600} + 60))
fi

echo "migration job $job: ${args//,/ } (namespace $namespace, timeout ${timeout}s)"
k delete job "$job" --ignore-not-found --cascade=foreground --wait=true --timeout=120s
k apply -f "$manifest"

result=""
start=$SECONDS
while [[ -z "$result" ]]; do
  conditions=" $(k get job "$job" -o 'jsonpath={range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}') "
  case "$conditions" in
    *" Complete "*) result=complete ;;
    *" Failed "*) result=failed ;;
    *) if ((SECONDS - start >= timeout)); then result=timeout; else sleep "$POLL"; fi ;;
  esac
done

echo "--- logs of $job"
k logs -l "job-name=$job" --all-containers=true --prefix=true --tail=-1 || echo "(no logs)"
echo "---"
case "$result" in
  complete)
    echo "RESULT: $job complete after $((SECONDS - start))s"
    k delete job "$job" --cascade=foreground --wait=false >/dev/null
    ;;
  failed)
    reason="$(k get job "$job" -o 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}: {.status.conditions[?(@.type=="Failed")].message}')"
    echo "RESULT: $job failed after $((SECONDS - start))s ($reason); kept for inspection: kubectl -n $namespace describe job $job"
    exit 1
    ;;
  timeout)
    echo "RESULT: $job neither complete nor failed after ${timeout}s; kept for inspection: kubectl -n $namespace describe job $job"
    exit 2
    ;;
esac
