{{/*
The chart name, or nameOverride.
*/}}
{{- define "hugr-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects: fullnameOverride, else the release name when it already contains
the chart name, else <release>-<chart>. At most 63 characters (a DNS label).
*/}}
{{- define "hugr-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "hugr-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object of the release.
*/}}
{{- define "hugr-operator.labels" -}}
helm.sh/chart: {{ include "hugr-operator.chart" . }}
{{ include "hugr-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hugr
{{- end }}

{{/*
Labels that select the operator's pods (the Deployment's selector, the Service's, anti-affinity).
Never change them: a Deployment's selector is immutable.
*/}}
{{- define "hugr-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hugr-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
The ServiceAccount the operator runs as.
*/}}
{{- define "hugr-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hugr-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The leader-election Role and RoleBinding.
*/}}
{{- define "hugr-operator.leaderElectionName" -}}
{{- printf "%s-leader-election" (include "hugr-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The operator image: repository and tag, the tag defaulting to the chart's appVersion.
*/}}
{{- define "hugr-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The URL at which work nodes reach the management API: operator.managementUrl, else this Service's
in-cluster address.
*/}}
{{- define "hugr-operator.managementUrl" -}}
{{- if .Values.operator.managementUrl }}
{{- .Values.operator.managementUrl }}
{{- else }}
{{- printf "http://%s.%s.svc:%d" (include "hugr-operator.fullname" .) .Release.Namespace (int .Values.service.port) }}
{{- end }}
{{- end }}
