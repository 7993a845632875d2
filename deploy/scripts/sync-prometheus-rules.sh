#!/usr/bin/env bash
# Keeps the Helm chart's copies of the monitoring files equal to their sources:
#   deploy/observability/prometheus-rules.yml  ->  deploy/helm/backend-event/files/prometheus-rules.yml
#   deploy/observability/alertmanager.yml      ->  deploy/helm/backend-event/files/alertmanager.yml
#   deploy/scripts/synthetic-flow.mjs          ->  deploy/helm/backend-event/files/synthetic-flow.mjs
# (Helm can only embed files that live inside the chart, and a symlink would not survive packaging.)
#
# Usage: sync-prometheus-rules.sh           copy the sources over the chart's copies
#        sync-prometheus-rules.sh --check   exit 1 if they differ (validate.sh runs this)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
status=0
for source in observability/prometheus-rules.yml observability/alertmanager.yml scripts/synthetic-flow.mjs; do
  name="${source#*/}"
  src="$repo/deploy/$source"
  dst="$repo/deploy/helm/backend-event/files/$name"
  [[ -f "$src" ]] || { echo "missing $src" >&2; exit 1; }
  if [[ "${1:-}" == "--check" ]]; then
    if ! cmp -s "$src" "$dst"; then
      echo "deploy/helm/backend-event/files/$name differs from deploy/$source;" >&2
      echo "run: bash deploy/scripts/sync-prometheus-rules.sh" >&2
      diff -u "$dst" "$src" >&2 || true
      status=1
    fi
  else
    cp "$src" "$dst"
    echo "copied $src -> $dst"
  fi
done
if [[ "${1:-}" == "--check" && "$status" == 0 ]]; then
  echo "in sync: $(grep -cE '^ +- alert:' "$repo/deploy/observability/prometheus-rules.yml") alerts, alertmanager.yml, synthetic-flow.mjs"
fi
exit "$status"
