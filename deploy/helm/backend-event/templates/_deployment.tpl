{{/* Deployment of one track: include with (dict "root" $ "track" "stable"|"canary").
     The stable and canary Deployments differ only in name, track label, image and replicas. */}}
{{- define "backend-event.deployment" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $canary := eq .track "canary" }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "backend-event.trackName" . }}
  labels:
    {{- include "backend-event.labels" $root | nindent 4 }}
    app.kubernetes.io/component: server
    track: {{ .track }}
spec:
  {{- if $canary }}
  replicas: {{ $v.canary.replicaCount }}
  {{- else if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    {{- toYaml $v.strategy | nindent 4 }}
  selector:
    matchLabels:
      {{- include "backend-event.trackSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "backend-event.trackSelectorLabels" . | nindent 8 }}
        app.kubernetes.io/version: {{ include "backend-event.imageTag" . | replace ":" "-" | replace "@" "-" | trunc 63 | trimSuffix "-" | quote }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
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
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "backend-event.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.automountServiceAccountToken }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
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
            {{- include "backend-event.env" . | trim | nindent 12 }}
          {{- with include "backend-event.envFrom" $root }}
          {{- . | trim | nindent 10 }}
          {{- end }}
          startupProbe:
            {{- toYaml $v.startupProbe | nindent 12 }}
          livenessProbe:
            {{- toYaml $v.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml $v.readinessProbe | nindent 12 }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "{{ $v.shutdown.preStopSleepSeconds }}"]
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
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
              {{- include "backend-event.trackSelectorLabels" . | nindent 14 }}
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "backend-event.trackSelectorLabels" . | nindent 14 }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
