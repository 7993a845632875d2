#!/usr/bin/env bash
# Keeps the Helm chart's copy of the alerting rules equal to their source:
#   deploy/observability/prometheus-rules.yml  ->  deploy/helm/backend-event/files/prometheus-rules.yml
# (Helm can only embed files that live inside the chart, and a symlink would not survive packaging.)
#
# Usage: sync-prometheus-rules.sh           copy the source over the chart's copy
#        sync-prometheus-rules.sh --check   exit 1 if they differ (validate.sh runs this)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$repo/deploy/observability/prometheus-rules.yml"
dst="$repo/deploy/helm/backend-event/files/prometheus-rules.yml"
[[ -f "$src" ]] || { echo "missing $src" >&2; exit 1; }
if [[ "${1:-}" == "--check" ]]; then
  if ! cmp -s "$src" "$dst"; then
    echo "deploy/helm/backend-event/files/prometheus-rules.yml differs from deploy/observability/prometheus-rules.yml;" >&2
    echo "run: bash deploy/scripts/sync-prometheus-rules.sh" >&2
    diff -u "$dst" "$src" >&2 || true
    exit 1
  fi
  echo "in sync: $(grep -cE '^ +- alert:' "$src") alerts"
else
  cp "$src" "$dst"
  echo "copied $src -> $dst"
fi
