{{/* The chart's name. */}}
{{- define "nhi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object's name: the release name, with the chart's name unless it already has it. */}}
{{- define "nhi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object: app.kubernetes.io/* and the owner label (team) of NHI-POS-007 / NHI-MAN-004. */}}
{{- define "nhi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "nhi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nhi-dashboard
{{- with .Values.team }}
app.kubernetes.io/team: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (web, collector). Call with (dict "root" $ "component" "web"). */}}
{{- define "nhi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nhi.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component's objects. */}}
{{- define "nhi.componentLabels" -}}
{{ include "nhi.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image reference: repository@digest, else repository:tag (default: the chart's appVersion). */}}
{{- define "nhi.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* DATABASE_URL from the existing Secret. */}}
{{- define "nhi.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret: the Secret holding the PostgreSQL URL" .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
{{- end -}}

{{/* Environment every nhi process gets. */}}
{{- define "nhi.commonEnv" -}}
- name: NEXT_TELEMETRY_DISABLED
  value: "1"
- name: TMPDIR
  value: /tmp
{{- end -}}

{{/* The /tmp emptyDir (tsx keeps its compile cache there). */}}
{{- define "nhi.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* The externally reachable base URL of the dashboard (from the Ingress), or empty. */}}
{{- define "nhi.publicUrl" -}}
{{- if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- end -}}
{{- end -}}
