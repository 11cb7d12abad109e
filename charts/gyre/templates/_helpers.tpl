{{/* Names, labels and the values-derived settings every template shares. */}}

{{- define "gyre.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gyre.fullname" -}}
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

{{/* Selector labels of one component: include "gyre.selectorLabels" (list . "hub") */}}
{{- define "gyre.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "gyre.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "gyre.labels" -}}
{{- $root := index . 0 -}}
{{ include "gyre.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end -}}

{{- define "gyre.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "gyre.userNamespace" -}}
{{- default .Release.Namespace .Values.singleuser.namespace -}}
{{- end -}}

{{- define "gyre.secretName" -}}
{{- default (printf "%s-secret" (include "gyre.fullname" .)) .Values.hub.existingSecret -}}
{{- end -}}

{{- define "gyre.hubServiceAccountName" -}}
{{- if .Values.hub.serviceAccount.create -}}
{{- default (printf "%s-hub" (include "gyre.fullname" .)) .Values.hub.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.hub.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The hub's data directory: the SQLite PVC's mount point. */}}
{{- define "gyre.dataDir" -}}/srv/gyre/data{{- end -}}

{{- define "gyre.secretMountPath" -}}/etc/gyre/secret{{- end -}}

{{/* Fails on value combinations that cannot work, with a message naming the value. */}}
{{- define "gyre.validate" -}}
{{- range $name, $role := .Values.hub.loadRoles -}}
{{- if has $name (list "user" "admin" "server" "token") -}}
{{- fail (printf "hub.loadRoles.%s: %s is a built-in role and cannot be redefined; choose another name" $name $name) -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.database.type "sqlite") (gt (int .Values.hub.replicas) 1) -}}
{{- fail "hub.replicas > 1 needs database.type: postgresql (SQLite on a PVC serves one hub replica)" -}}
{{- end -}}
{{- if and (eq .Values.database.type "postgresql") (not .Values.database.postgresql.url) (not .Values.database.postgresql.existingSecret) -}}
{{- fail "database.type postgresql needs database.postgresql.url or database.postgresql.existingSecret" -}}
{{- end -}}
{{- if .Values.auth.github.enabled -}}
{{- $_ := required "auth.github.clientId is required when auth.github.enabled" .Values.auth.github.clientId -}}
{{- if not (or .Values.auth.github.clientSecret .Values.auth.github.existingSecret) -}}
{{- fail "auth.github.enabled needs auth.github.clientSecret or auth.github.existingSecret" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The spawner.kubernetes section of gyre.config.yaml, built from .Values.singleuser with the names
of spawners/kubernetes/config.ts (kubernetesSpawnerConfigSchema).
*/}}
{{- define "gyre.spawnerConfig" -}}
{{- $s := .Values.singleuser -}}
{{- $k := dict
  "namespace" (include "gyre.userNamespace" .)
  "image" (printf "%s:%s" $s.image.name $s.image.tag)
  "imagePullPolicy" $s.image.pullPolicy
  "imagePullSecrets" $s.image.pullSecrets
  "command" $s.cmd
  "args" $s.extraArgs
  "defaultUrl" $s.defaultUrl
  "env" $s.extraEnv
  "extraResourceLimits" $s.extraResource.limits
  "nodeSelector" $s.nodeSelector
  "tolerations" $s.extraTolerations
  "extraLabels" (merge (dict "app.kubernetes.io/instance" .Release.Name) $s.extraLabels)
  "extraAnnotations" $s.extraAnnotations
  "securityContext" (dict "runAsUser" $s.uid "runAsGroup" $s.gid "fsGroup" $s.fsGid)
  "extraVolumes" $s.storage.extraVolumes
  "extraVolumeMounts" $s.storage.extraVolumeMounts
  "automountServiceAccountToken" false
  "serverExtension" $s.serverExtension
  "startTimeoutSeconds" $s.startTimeout
  "stopGraceSeconds" $s.stopGraceSeconds
  "profiles" $s.profileList
-}}
{{- $storage := dict "type" $s.storage.type "capacityBytes" $s.storage.capacity "mountPath" $s.storage.homeMountPath "accessModes" $s.storage.dynamic.storageAccessModes "claimPerServer" $s.storage.claimPerServer -}}
{{- with $s.storage.dynamic.storageClass }}{{ $_ := set $storage "storageClassName" . }}{{ end -}}
{{- $_ := set $k "storage" $storage -}}
{{- if not (kindIs "invalid" $s.cpu.guarantee) }}{{ $_ := set $k "cpuRequest" $s.cpu.guarantee }}{{ end -}}
{{- if not (kindIs "invalid" $s.cpu.limit) }}{{ $_ := set $k "cpuLimit" $s.cpu.limit }}{{ end -}}
{{- if not (kindIs "invalid" $s.memory.guarantee) }}{{ $_ := set $k "memoryRequestBytes" $s.memory.guarantee }}{{ end -}}
{{- if not (kindIs "invalid" $s.memory.limit) }}{{ $_ := set $k "memoryLimitBytes" $s.memory.limit }}{{ end -}}
{{- with $s.affinity }}{{ $_ := set $k "affinity" . }}{{ end -}}
{{- with $s.priorityClassName }}{{ $_ := set $k "priorityClassName" . }}{{ end -}}
{{- with $s.serviceAccountName }}{{ $_ := set $k "serviceAccountName" . }}{{ end -}}
{{- toYaml $k -}}
{{- end -}}
