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

{{/* Selector of the server pods of one track: include with (dict "root" $ "track" "stable"|"canary"). */}}
{{- define "backend-event.trackSelectorLabels" -}}
{{ include "backend-event.selectorLabels" .root }}
app.kubernetes.io/component: server
track: {{ .track }}
{{- end }}

{{/* Object name of a track: fullname for stable, fullname-canary for canary. */}}
{{- define "backend-event.trackName" -}}
{{- if eq .track "canary" }}{{ include "backend-event.fullname" .root }}-canary{{ else }}{{ include "backend-event.fullname" .root }}{{ end }}
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

{{/* Environment of the service and of the migration Job: include with (dict "root" $ "track" ...). */}}
{{- define "backend-event.env" -}}
{{- $root := .root }}
{{- $c := $root.Values.config }}
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
{{- with include "backend-event.nodeOptions" $root }}
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
- name: DATABASE_URL
  value: {{ tpl $c.database.url $root | quote }}
- name: DB_POOL_MAX
  value: {{ $c.database.poolMax | quote }}
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
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.version={{ include "backend-event.imageTag" . }},deployment.track={{ .track }}"
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
