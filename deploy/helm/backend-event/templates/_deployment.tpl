{{/* Workload of one track or component: include with (dict "root" $ "track" "stable"|"canary" "component" "server"|"worker").
     The stable and canary Deployments and the worker Deployment differ only in name, labels,
     image, replicas and environment; the Rollout (templates/rollout.yaml) shares the pod template. */}}
{{- define "backend-event.deployment" -}}
{{- $ctx := merge (dict "deployment" true) . }}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $canary := eq .track "canary" }}
{{- $worker := eq (.component | default "server") "worker" }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "backend-event.trackName" . }}
  labels:
    {{- include "backend-event.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component | default "server" }}
    track: {{ .track }}
spec:
  {{- if $worker }}
  {{- if not $v.workers.keda.enabled }}
  replicas: {{ $v.workers.replicaCount }}
  {{- end }}
  {{- else if $canary }}
  replicas: {{ $v.canary.replicaCount }}
  {{- else if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    {{- toYaml (ternary $v.workers.strategy $v.strategy $worker) | nindent 4 }}
  selector:
    matchLabels:
      {{- include "backend-event.trackSelectorLabels" $ctx | nindent 6 }}
  template:
    {{- include "backend-event.podTemplate" $ctx | nindent 4 }}
{{- end }}

{{/* Pod template of the service: include with (dict "root" $ "track" ... "component" ...). */}}
{{- define "backend-event.podTemplate" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $worker := eq (.component | default "server") "worker" -}}
metadata:
  labels:
    {{- include "backend-event.trackSelectorLabels" . | nindent 4 }}
    app.kubernetes.io/version: {{ include "backend-event.imageTag" . | replace ":" "-" | replace "@" "-" | trunc 63 | trimSuffix "-" | quote }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- if and (not $v.secret.existingSecret) $v.secret.create }}
    checksum/secret: {{ toJson $v.secret.values | sha256sum }}
    {{- end }}
    {{- if $v.metrics.podAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ $v.config.managementPort | default $v.config.port | quote }}
    prometheus.io/path: /actuator/prometheus
    {{- end }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "backend-event.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $v.automountServiceAccountToken }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ include "backend-event.terminationGracePeriodSeconds" $root }}
  containers:
    - name: backend-event
      image: {{ include "backend-event.image" . | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      ports:
        - name: http
          containerPort: {{ $v.config.port }}
          protocol: TCP
        - name: grpc
          containerPort: {{ $v.config.grpcPort }}
          protocol: TCP
        {{- if $v.config.managementPort }}
        # The actuator with details and metrics; probes stay on http (they need the status only).
        - name: management
          containerPort: {{ $v.config.managementPort }}
          protocol: TCP
        {{- end }}
      env:
        {{- include "backend-event.env" . | trim | nindent 8 }}
      {{- with include "backend-event.envFrom" $root }}
      {{- . | trim | nindent 6 }}
      {{- end }}
      startupProbe:
        {{- toYaml $v.startupProbe | nindent 8 }}
      livenessProbe:
        {{- toYaml $v.livenessProbe | nindent 8 }}
      readinessProbe:
        {{- toYaml $v.readinessProbe | nindent 8 }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", "{{ $v.shutdown.preStopSleepSeconds }}"]
      resources:
        {{- toYaml (include "backend-event.resources" . | fromYaml) | nindent 8 }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    # The root filesystem is read-only; Node and its libraries may still write temporary files.
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
  {{- if $v.topologySpread.enabled }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "backend-event.trackSelectorLabels" . | nindent 10 }}
    - maxSkew: 1
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "backend-event.trackSelectorLabels" . | nindent 10 }}
  {{- end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
