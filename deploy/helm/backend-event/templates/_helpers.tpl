{{/* Chart name. */}}
{{- define "backend-event.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; room is left for the "-canary" suffix. */}}
{{- define "backend-event.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 56 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 56 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 56 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "backend-event.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "backend-event.labels" -}}
helm.sh/chart: {{ include "backend-event.chart" . }}
{{ include "backend-event.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aquastream
{{- end }}

{{/* Labels shared by every pod of the release (the NetworkPolicy and ServiceMonitor select on them). */}}
{{- define "backend-event.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend-event.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of the pods of one track and component: include with (dict "root" $ "track" "stable"|"canary"
     "component" "server"|"worker"; component defaults to server). Under Argo Rollouts the Rollout
     owns both tracks of the server pods: its selector has no track (the controller labels the pods
     track=stable/canary through stableMetadata/canaryMetadata and adds its pod-template hash to the
     Services). */}}
{{- define "backend-event.trackSelectorLabels" -}}
{{- $component := .component | default "server" -}}
{{ include "backend-event.selectorLabels" .root }}
app.kubernetes.io/component: {{ $component }}
{{- if not (include "backend-event.rolloutPod" .) }}
track: {{ .track }}
{{- end }}
{{- end }}

{{/* "true" for the server pods the Rollout owns (not the Deployment kept while migrating to it). */}}
{{- define "backend-event.rolloutPod" -}}
{{- if and .root.Values.rollout.enabled (eq (.component | default "server") "server") (not .deployment) }}true{{ end }}
{{- end }}

{{/* Object name of a track: fullname for stable, fullname-canary for canary, fullname-worker for the workers. */}}
{{- define "backend-event.trackName" -}}
{{- if eq (.component | default "server") "worker" }}{{ include "backend-event.fullname" .root }}-worker
{{- else if eq .track "canary" }}{{ include "backend-event.fullname" .root }}-canary
{{- else }}{{ include "backend-event.fullname" .root }}{{ end }}
{{- end }}

{{/* Resources of a component's container: include with (dict "root" $ "component" ...). */}}
{{- define "backend-event.resources" -}}
{{- if and (eq (.component | default "server") "worker") .root.Values.workers.resources }}
{{- toYaml .root.Values.workers.resources }}
{{- else }}
{{- toYaml .root.Values.resources }}
{{- end }}
{{- end }}

{{- define "backend-event.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "backend-event.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "backend-event.secretName" -}}
{{- if .Values.secret.existingSecret }}{{ .Values.secret.existingSecret }}{{ else }}{{ .Values.secret.name }}{{ end }}
{{- end }}

{{/* Whether the pods reference a Secret at all. */}}
{{- define "backend-event.hasSecret" -}}
{{- if or .Values.secret.existingSecret .Values.secret.create }}true{{ end }}
{{- end }}

{{/* image reference for a track: include with (dict "root" $ "track" ...). */}}
{{- define "backend-event.image" -}}
{{- $img := .root.Values.image }}
{{- $repo := $img.repository }}
{{- $tag := default .root.Chart.AppVersion $img.tag }}
{{- $digest := $img.digest }}
{{- if eq .track "canary" }}
{{- $c := .root.Values.canary.image }}
{{- $repo = default $repo $c.repository }}
{{- if or $c.tag $c.digest }}
{{- $tag = default $tag $c.tag }}
{{- $digest = $c.digest }}
{{- end }}
{{- end }}
{{- if $digest }}{{ printf "%s@%s" $repo $digest }}{{ else }}{{ printf "%s:%s" $repo (toString $tag) }}{{ end }}
{{- end }}

{{/* The tag (or digest) a track runs, for labels and telemetry: include with (dict "root" $ "track" ...). */}}
{{- define "backend-event.imageTag" -}}
{{- $ref := include "backend-event.image" . }}
{{- if contains "@" $ref }}{{ (splitList "@" $ref) | last | trunc 63 }}{{ else }}{{ (splitList ":" $ref) | last | trunc 63 }}{{ end }}
{{- end }}

{{/* The track whose image the migration Job runs: the newest code, i.e. the canary while one is
     deployed (its migrations must be applied before it starts; the stable version keeps working on
     the expanded schema). */}}
{{- define "backend-event.migrationTrack" -}}
{{- if .Values.canary.enabled }}canary{{ else }}stable{{ end }}
{{- end }}

{{/* Memory limit in MiB, parsed from resources.limits.memory (Ki/Mi/Gi/Ti/K/M/G/T or bytes); 0 if unset. */}}
{{- define "backend-event.memoryLimitMiB" -}}
{{- $mem := "" }}
{{- with .Values.resources }}{{ with .limits }}{{ with .memory }}{{ $mem = toString . }}{{ end }}{{ end }}{{ end }}
{{- $mib := 0.0 }}
{{- if $mem }}
{{- if hasSuffix "Gi" $mem }}{{ $mib = mulf (trimSuffix "Gi" $mem | float64) 1024 }}
{{- else if hasSuffix "Mi" $mem }}{{ $mib = trimSuffix "Mi" $mem | float64 }}
{{- else if hasSuffix "Ki" $mem }}{{ $mib = divf (trimSuffix "Ki" $mem | float64) 1024 }}
{{- else if hasSuffix "Ti" $mem }}{{ $mib = mulf (trimSuffix "Ti" $mem | float64) 1048576 }}
{{- else if hasSuffix "G" $mem }}{{ $mib = divf (mulf (trimSuffix "G" $mem | float64) 1000000000) 1048576 }}
{{- else if hasSuffix "M" $mem }}{{ $mib = divf (mulf (trimSuffix "M" $mem | float64) 1000000) 1048576 }}
{{- else if hasSuffix "K" $mem }}{{ $mib = divf (mulf (trimSuffix "K" $mem | float64) 1000) 1048576 }}
{{- else if hasSuffix "T" $mem }}{{ $mib = divf (mulf (trimSuffix "T" $mem | float64) 1000000000000) 1048576 }}
{{- else }}{{ $mib = divf ($mem | float64) 1048576 }}
{{- end }}
{{- end }}
{{- floor $mib | int }}
{{- end }}

{{/* NODE_OPTIONS value: --max-old-space-size from the memory limit, the semi-space cap, plus extra options. */}}
{{- define "backend-event.nodeOptions" -}}
{{- $opts := list }}
{{- $heap := int .Values.node.maxOldSpaceSizeMiB }}
{{- if and (eq $heap 0) (gt (int .Values.node.heapPercent) 0) }}
{{- $limit := include "backend-event.memoryLimitMiB" . | int }}
{{- $heap = min (div (mul $limit (int .Values.node.heapPercent)) 100) (sub $limit (int (.Values.node.reserveMiB | default 0))) }}
{{- end }}
{{- if gt $heap 0 }}{{ $opts = append $opts (printf "--max-old-space-size=%d" $heap) }}{{ end }}
{{- with int (.Values.node.maxSemiSpaceSizeMiB | default 0) }}{{ $opts = append $opts (printf "--max-semi-space-size=%d" .) }}{{ end }}
{{- with .Values.node.extraOptions }}{{ $opts = append $opts . }}{{ end }}
{{- join " " $opts }}
{{- end }}

{{/* Drain time in whole seconds (SHUTDOWN_GRACE_MS rounded up). */}}
{{- define "backend-event.drainSeconds" -}}
{{- div (add (int .Values.config.shutdownGraceMs) 999) 1000 }}
{{- end }}

{{- define "backend-event.terminationGracePeriodSeconds" -}}
{{- $min := add (int .Values.shutdown.preStopSleepSeconds) (include "backend-event.drainSeconds" . | int) }}
{{- $grace := int .Values.shutdown.terminationGracePeriodSeconds }}
{{- if eq $grace 0 }}{{ $grace = add $min 10 }}{{ end }}
{{- if le $grace $min }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds + shutdownGraceMs (%d s)" $grace $min) }}
{{- end }}
{{- $grace }}
{{- end }}

{{/* A name/value env entry, omitted when the value is empty. */}}
{{- define "backend-event.envVar" -}}
{{- $v := tpl (toString .value) .root }}
{{- if and $v (ne $v "<nil>") }}
- name: {{ .name }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{/* Environment of the service and of the migration Job: include with (dict "root" $ "track" ...
     "component" "server"|"worker"|"migrations"). */}}
{{- define "backend-event.env" -}}
{{- $root := .root }}
{{- $c := $root.Values.config }}
{{- $component := .component | default "server" }}
{{- if not $c.database.url }}
{{- fail "config.database.url is required: without DATABASE_URL the service would run its embedded database" }}
{{- end }}
- name: NODE_ENV
  value: production
- name: PORT
  value: {{ $c.port | quote }}
- name: GRPC_PORT
  value: {{ $c.grpcPort | quote }}
{{- if $c.managementPort }}
- name: MANAGEMENT_PORT
  value: {{ $c.managementPort | quote }}
{{- end }}
- name: LOG_LEVEL
  value: {{ $c.logLevel | quote }}
{{- with include "backend-event.nodeOptions" (dict "Values" (dict "node" $root.Values.node "resources" (include "backend-event.resources" . | fromYaml))) }}
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with $root.Values.node.mallocArenaMax }}
- name: MALLOC_ARENA_MAX
  value: {{ . | quote }}
{{- end }}
{{- if and $root.Values.pgbouncer.enabled (ne $component "migrations") }}
# Through PgBouncer (transaction pooling); the migration Job connects directly (its DDL needs a session).
{{- end }}
- name: DATABASE_URL
  {{- if and $root.Values.pgbouncer.enabled (ne $component "migrations") }}
  value: {{ include "backend-event.pgbouncerUrl" $root | quote }}
  {{- else }}
  value: {{ tpl $c.database.url $root | quote }}
  {{- end }}
- name: DB_POOL_MAX
  value: {{ include "backend-event.poolMax" . | quote }}
{{- if $root.Values.workers.enabled }}
{{- $background := ternary "true" "false" (eq $component "worker") }}
# Background work runs on the worker pods only (templates/worker.yaml); the API pods serve requests.
- name: JOBS_ENABLED
  value: {{ $background | quote }}
- name: CONSUMERS_ENABLED
  value: {{ $background | quote }}
- name: OUTBOX_RELAY_ENABLED
  value: {{ $background | quote }}
{{- end }}
- name: GRPC_MAX_CONNECTION_AGE
  value: {{ $c.grpc.maxConnectionAge | quote }}
- name: GRPC_MAX_CONNECTION_AGE_GRACE
  value: {{ $c.grpc.maxConnectionAgeGrace | quote }}
{{- include "backend-event.envVar" (dict "root" $root "name" "REDIS_URL" "value" $c.redis.url) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "KAFKA_BROKERS" "value" $c.kafka.brokers) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "KAFKA_USERNAME" "value" $c.kafka.username) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "KAFKA_SASL_MECHANISM" "value" $c.kafka.saslMechanism) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "AUTH_SERVICE_URL" "value" $c.auth.serviceUrl) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "AUTH_JWKS_URL" "value" $c.auth.jwksUrl) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "AUTH_PUBLIC_KEY" "value" $c.auth.publicKey) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "PAYMENT_SERVICE_URL" "value" $c.payment.serviceUrl) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "WEATHER_API_URL" "value" $c.weather.apiUrl) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "OTEL_EXPORTER_OTLP_ENDPOINT" "value" $c.otel.endpoint) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "OTEL_SERVICE_NAME" "value" $c.otel.serviceName) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "BOOKING_TTL" "value" $c.bookingTtl) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "WAITLIST_HOLD" "value" $c.waitlistHold) }}
{{- include "backend-event.envVar" (dict "root" $root "name" "TRUST_PROXY" "value" $c.trustProxy) }}
- name: SHUTDOWN_GRACE_MS
  value: {{ $c.shutdownGraceMs | quote }}
- name: RUN_MIGRATIONS
  value: {{ $c.runMigrations | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- if ne $component "migrations" }}
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- end }}
{{- if include "backend-event.rolloutPod" . }}
# Argo Rollouts labels each pod track=stable or track=canary (stableMetadata/canaryMetadata) when it
# creates it; the attribute keeps the track the pod started in (a promoted canary pod says canary).
- name: DEPLOYMENT_TRACK
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['track']
{{- else }}
- name: DEPLOYMENT_TRACK
  value: {{ .track | quote }}
{{- end }}
# Resource attributes of every span and log line (the SDK's environment detector reads them).
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),{{ if ne $component "migrations" }}k8s.node.name=$(NODE_NAME),k8s.deployment.name={{ include "backend-event.trackName" . }},{{ end }}service.version={{ include "backend-event.imageTag" . }},deployment.track=$(DEPLOYMENT_TRACK)"
{{- if $root.Values.syntheticFlow.enabled }}
# The synthetic flow's organizer: its hidden test events stay off the public lists.
- name: SYNTHETIC_ORGANIZER_IDS
  value: {{ $root.Values.syntheticFlow.organizerId | quote }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* envFrom referencing the Secret. */}}
{{- define "backend-event.envFrom" -}}
{{- if include "backend-event.hasSecret" . }}
envFrom:
  - secretRef:
      name: {{ include "backend-event.secretName" . }}
{{- end }}
{{- end }}

{{/* DB_POOL_MAX of a component: include with (dict "root" $ "component" ...). */}}
{{- define "backend-event.poolMax" -}}
{{- if eq (.component | default "server") "worker" }}{{ .root.Values.workers.poolMax | default .root.Values.config.database.poolMax }}
{{- else }}{{ .root.Values.config.database.poolMax }}{{ end }}
{{- end }}

{{/* config.database.url taken apart: host, port, database, user, query (for PgBouncer). */}}
{{- define "backend-event.databaseParts" -}}
{{- $u := urlParse (tpl .Values.config.database.url .) }}
{{- $hostPort := splitList ":" $u.host }}
{{- $parts := dict "host" (first $hostPort) "port" (ternary (last $hostPort) "5432" (gt (len $hostPort) 1)) "database" (trimPrefix "/" $u.path) "user" (first (splitList ":" $u.userinfo)) "query" $u.query }}
{{- toYaml $parts }}
{{- end }}

{{/* DATABASE_URL of the service pods when PgBouncer runs: the same user, database and options, through the pooler's Service. */}}
{{- define "backend-event.pgbouncerUrl" -}}
{{- $db := include "backend-event.databaseParts" . | fromYaml }}
{{- printf "postgres://%s%s-pgbouncer:%d/%s" (ternary (printf "%s@" $db.user) "" (ne $db.user "")) (include "backend-event.fullname" .) (int .Values.pgbouncer.port) $db.database }}{{ with $db.query }}?{{ . }}{{ end }}
{{- end }}

{{/* A rolling update's maxSurge as pods: include with (dict "surge" <int or "N%"> "replicas" N). */}}
{{- define "backend-event.surgePods" -}}
{{- $s := toString .surge }}
{{- if hasSuffix "%" $s }}{{ div (add (mul (int .replicas) (int (trimSuffix "%" $s))) 99) 100 }}{{ else }}{{ int $s }}{{ end }}
{{- end }}

{{/* The connection budget (docs/operations.md "Connection budget"): every PostgreSQL connection the
     release can hold at its peak (pools × pods at the HPA maximum, plus a rolling update's surge,
     plus the canary: under Argo Rollouts a whole second set of pods at 100 % before the old one
     scales down), checked against postgresql.maxConnections minus postgresql.reserveConnections.
     Renders nothing; fails the release when the budget is exceeded. */}}
{{- define "backend-event.connectionBudget" -}}
{{- $v := .Values }}
{{- $apiMax := int (ternary $v.autoscaling.maxReplicas $v.replicaCount $v.autoscaling.enabled) }}
{{- $apiPods := 0 }}
{{- $shape := "" }}
{{- if $v.rollout.enabled }}
{{- $apiPods = mul $apiMax 2 }}
{{- $shape = printf "(%d stable + %d canary at 100 %%)" $apiMax $apiMax }}
{{- else }}
{{- $surge := 0 }}
{{- if eq $v.strategy.type "RollingUpdate" }}{{ $surge = include "backend-event.surgePods" (dict "surge" $v.strategy.rollingUpdate.maxSurge "replicas" $apiMax) | int }}{{ end }}
{{- $canary := int $v.canary.replicaCount }}
{{- $apiPods = add $apiMax $surge $canary }}
{{- $shape = printf "(%d max + %d surge + %d canary)" $apiMax $surge $canary }}
{{- end }}
{{- $apiPool := int $v.config.database.poolMax }}
{{- $total := mul $apiPool $apiPods }}
{{- $formula := printf "API %d x %d pods %s" $apiPool $apiPods $shape }}
{{- if $v.workers.enabled }}
{{- $workerMax := int (ternary $v.workers.keda.maxReplicas $v.workers.replicaCount $v.workers.keda.enabled) }}
{{- $workerSurge := include "backend-event.surgePods" (dict "surge" ($v.workers.strategy.rollingUpdate | default dict).maxSurge "replicas" $workerMax) | int }}
{{- $workerPool := include "backend-event.poolMax" (dict "root" . "component" "worker") | int }}
{{- $total = add $total (mul $workerPool (add $workerMax $workerSurge)) }}
{{- $formula = printf "%s + workers %d x %d pods (%d max + %d surge)" $formula $workerPool (add $workerMax $workerSurge) $workerMax $workerSurge }}
{{- end }}
{{- $limit := sub (int $v.postgresql.maxConnections) (int $v.postgresql.reserveConnections) }}
{{- if $v.pgbouncer.enabled }}
{{- $pb := $v.pgbouncer }}
{{- $serverConns := mul (add (int $pb.replicas) 1) (add (int $pb.defaultPoolSize) (int $pb.reservePoolSize)) }}
{{- if gt $serverConns $limit }}
{{- fail (printf "connection budget: PgBouncer opens up to %d server connections ((%d replicas + 1 surge) x (pool %d + reserve %d)), more than postgresql.maxConnections (%d) - postgresql.reserveConnections (%d) = %d: lower pgbouncer.defaultPoolSize or pgbouncer.replicas, or raise max_connections" $serverConns (int $pb.replicas) (int $pb.defaultPoolSize) (int $pb.reservePoolSize) (int $v.postgresql.maxConnections) (int $v.postgresql.reserveConnections) $limit) }}
{{- end }}
{{- if gt $total (int $pb.maxClientConn) }}
{{- fail (printf "connection budget: the pods can open %d client connections to PgBouncer (%s), more than pgbouncer.maxClientConn (%d)" $total $formula (int $pb.maxClientConn)) }}
{{- end }}
{{- else if gt $total $limit }}
{{- fail (printf "connection budget exceeded: %s = %d PostgreSQL connections at the peak of a rollout, but postgresql.maxConnections (%d) - postgresql.reserveConnections (%d) = %d. Put PgBouncer in front (pgbouncer.enabled=true: transaction pooling, see docs/operations.md \"Connection budget\"), or lower config.database.poolMax / workers.poolMax / the maximum replicas, or raise max_connections and postgresql.maxConnections" $formula $total (int $v.postgresql.maxConnections) (int $v.postgresql.reserveConnections) $limit) }}
{{- end }}
{{- end }}
