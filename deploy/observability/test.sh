#!/usr/bin/env bash
# Checks the monitoring artifacts in deploy/observability:
#   1. promtool check rules  prometheus-rules.yml
#   2. promtool test rules   prometheus-rules.test.yml
#   3. check-artifacts.mjs   dashboard JSON parses and is provisionable; every metric used by the
#                            alerts and the dashboard is one the service exposes; every alert has
#                            severity/summary/description/action and a firing and a quiet test;
#                            then promtool checks that every dashboard query parses as PromQL;
#                            every alert's runbook_url is a heading of docs/operations.md.
#   4. amtool check-config   alertmanager.yml, and `amtool config routes test`: critical pages the
#                            on-call receiver and tells the team's channel, warning goes to the
#                            channel only. amtool is built from the Go module proxy, pinned
#                            (scripts/go-tools.sh caches it).
# promtool comes from $PROMTOOL, the PATH, or is installed with apt-get (Debian package
# `prometheus`, needs root). Never skips: a missing tool is a failure. Exit status non-zero on any
# failure.
#
# Usage: bash deploy/observability/test.sh        (from any directory)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rules="$here/prometheus-rules.yml"
tests="$here/prometheus-rules.test.yml"

log() { printf '[observability] %s\n' "$*"; }
fail() { printf '[observability] FAIL: %s\n' "$*" >&2; exit 1; }

# PIDs of running processes whose executable name is exactly "prometheus" (no procps needed).
prometheus_pids() {
  local d comm
  for d in /proc/[0-9]*; do
    comm="$(cat "$d/comm" 2>/dev/null || true)"
    if [[ "$comm" == "prometheus" ]]; then printf '%s\n' "${d#/proc/}"; fi
  done
}

install_promtool() {
  [[ "$(id -u)" == "0" ]] || fail "promtool is missing and installing it needs root: run as root, or install the Debian package 'prometheus' (or set PROMTOOL=/path/to/promtool)"
  command -v apt-get >/dev/null 2>&1 || fail "promtool is missing and apt-get is not available: install promtool and set PROMTOOL=/path/to/promtool"

  local before created_policy=0 start end
  before="$(prometheus_pids | sort)"

  # Keep the package's maintainer scripts from starting the prometheus service (the Debian/Docker
  # convention: policy-rc.d exiting 101 denies service starts). Removed again if we created it.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, created by deploy/observability/test.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi

  log "promtool not found: installing Debian package 'prometheus' (apt-get update + install)"
  start="$(date +%s)"
  export DEBIAN_FRONTEND=noninteractive
  # The lock timeout lets this wait for another apt-get run (parallel test setup) instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus >/dev/null
  end="$(date +%s)"
  log "installed prometheus package in $((end - start))s"

  if [[ "$created_policy" == "1" ]]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi

  # Stop any prometheus daemon the installation started (only PIDs that were not running before).
  local pid new=()
  for pid in $(prometheus_pids); do
    if ! grep -qx "$pid" <<<"$before"; then new+=("$pid"); fi
  done
  if ((${#new[@]} > 0)); then
    log "stopping prometheus daemon started by the package installation: pid ${new[*]}"
    kill "${new[@]}" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      local alive=0
      for pid in "${new[@]}"; do
        if [[ -d "/proc/$pid" ]]; then alive=1; fi
      done
      if ((alive == 0)); then break; fi
      sleep 1
    done
    for pid in "${new[@]}"; do
      if [[ -d "/proc/$pid" ]]; then fail "prometheus daemon pid $pid is still running after the installation"; fi
    done
  fi
  log "no prometheus daemon left running by the installation"
}

promtool="${PROMTOOL:-}"
if [[ -z "$promtool" ]]; then
  promtool="$(command -v promtool || true)"
fi
if [[ -z "$promtool" ]]; then
  install_promtool
  promtool="$(command -v promtool || true)"
  [[ -n "$promtool" ]] || fail "promtool still not found after installing the prometheus package"
fi
[[ -x "$promtool" ]] || fail "promtool at '$promtool' is not executable"
log "promtool: $promtool ($("$promtool" --version 2>&1 | head -n 1))"

command -v node >/dev/null 2>&1 || fail "node is required for check-artifacts.mjs"

log "1/3 promtool check rules $rules"
"$promtool" check rules "$rules" || fail "promtool check rules"

log "2/3 promtool test rules $tests"
# promtool resolves rule_files relative to the test file.
"$promtool" test rules "$tests" || fail "promtool test rules"

log "3/3 node check-artifacts.mjs (dashboard, provisioning, metric names, alert metadata, test coverage)"
dashboard_rules="$(mktemp --suffix=.yml)"
trap 'rm -f "$dashboard_rules"' EXIT
DASHBOARD_RULES_OUT="$dashboard_rules" node "$here/check-artifacts.mjs" || fail "check-artifacts.mjs"
log "    promtool check rules <dashboard queries as recording rules>"
"$promtool" check rules "$dashboard_rules" || fail "a dashboard query is not valid PromQL"

log "4/4 amtool check-config $here/alertmanager.yml (and its routes)"
# shellcheck source=scripts/go-tools.sh
( cd "$here/../.." && . scripts/go-tools.sh && build_tool amtool github.com/prometheus/alertmanager/cmd/amtool github.com/prometheus/alertmanager v0.35.0 ) ||
  fail "could not build amtool (Go, module proxy)"
amtool="$(cd "$here/../.." && go env GOPATH)/backend-event/bin/amtool"
"$amtool" check-config "$here/alertmanager.yml" || fail "amtool check-config"
route() {
  local want=$1; shift
  "$amtool" config routes test --config.file="$here/alertmanager.yml" --verify.receivers="$want" "$@" >/dev/null ||
    fail "alertmanager.yml: $* should reach $want, reaches $("$amtool" config routes test --config.file="$here/alertmanager.yml" "$@")"
  log "    $* -> $want"
}
route backend-event-oncall,backend-event-chat severity=critical alertname=HighErrorRate
route backend-event-chat severity=warning alertname=HighLatencyP95
route backend-event-info severity=info

log "OK: all observability checks passed"
