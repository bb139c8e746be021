{{- define "phonghop.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "phonghop.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "phonghop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "phonghop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "phonghop.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "phonghop.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The checks that stop a release that could not work. */}}
{{- define "phonghop.validate" -}}
{{- if not .Values.s3.endpoint -}}
{{- fail "s3.endpoint is required (host:port of the MinIO / S3 service that keeps everything)" -}}
{{- end -}}
{{- if not .Values.s3.existingSecret -}}
{{- fail "s3.existingSecret is required (a Secret with the S3 access and secret key)" -}}
{{- end -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.nats.url) -}}
{{- fail "nats.url is required with more than one replica (NATS carries the live rooms between them)" -}}
{{- end -}}
{{- range $k, $v := .Values.env -}}
{{- if not (hasPrefix "PHONGHOP_" $k) -}}
{{- fail (printf "env.%s: only PHONGHOP_ settings (phonghop help lists them)" $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
