// Kubernetes objects of one user server (pure): the pod, the user's home claim and the secret that
// carries the server token. Each builder takes one options object and returns plain JSON that the
// spawner sends as is; nothing here reads the clock, the environment or the network.
import type { V1Container, V1EnvVar, V1PersistentVolumeClaim, V1Pod, V1ResourceRequirements, V1Secret, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { KubernetesSpawnerConfig } from "./config";
import { buildLabelValue, buildObjectName } from "./names";
import { buildPrepareContainer, type LaunchPodPaths } from "./launch-manifests";
import { buildExtensionArg, buildExtensionCommand, buildExtensionMount, buildExtensionVolume } from "./extension-manifests";

/** Port the Jupyter server listens on inside its pod. */
export const SERVER_PORT = 8888;
/** Name of the server container (for logs and containerStatuses). */
export const CONTAINER_NAME = "notebook";
/** Key of the server token in its Secret. */
export const TOKEN_SECRET_KEY = "token";
/** Key of the server's hub API token (JUPYTERHUB_API_TOKEN) in the same Secret. */
export const API_TOKEN_SECRET_KEY = "api-token";
/** Variables only ever read from the server's Secret, never set in the pod spec. */
const SECRET_ENV: Record<string, string> = { JUPYTER_TOKEN: TOKEN_SECRET_KEY, JUPYTERHUB_API_TOKEN: API_TOKEN_SECRET_KEY, JPY_API_TOKEN: API_TOKEN_SECRET_KEY };
/** Label selector of every Gyre user pod, for the spawner's shared watch. */
export const SERVER_POD_SELECTOR = "app.kubernetes.io/name=gyre,app.kubernetes.io/component=singleuser-server";

export const LABELS = {
  name: "app.kubernetes.io/name",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
  user: "gyre.io/user",
  serverName: "gyre.io/server-name",
} as const;

export const ANNOTATIONS = {
  user: "gyre.io/user",
  serverName: "gyre.io/server-name",
  spawnId: "gyre.io/spawn-id",
  profile: "gyre.io/profile",
} as const;

/** Which server an object belongs to. */
export interface ServerRef {
  /** hub user name, raw */
  userName: string;
  /** "" for the default server */
  serverName: string;
  namespace: string;
}

export interface PodManifestOptions extends ServerRef {
  /** public path prefix of the server, ending in "/", e.g. "/user/alice/" */
  baseUrl: string;
  /** id of this spawn, recorded so a restarted hub can tell an old pod from the current one */
  spawnId: string;
  /** effective settings: the spawner config with the chosen profile applied (resolveProfile) */
  settings: KubernetesSpawnerConfig;
  /** chosen profile, or null when the hub has none */
  profileName: string | null;
  /** environment computed by the hub (SpawnContext.env); wins over the configured env */
  env: Record<string, string>;
  /**
   * A launch (launch-manifests.ts): an init container runs Gyre's agent from the ConfigMap
   * `configMapName` to fetch the repository (and, without an image build, its environment) into
   * the home; the server serves `paths.rootDir` with `paths.jupyterLink` first on JUPYTER_PATH,
   * in `image` when one was built for the launch.
   */
  launch?: { configMapName: string; paths: LaunchPodPaths; image?: string; python: string };
  /**
   * Gyre's Jupyter server extension (extension-manifests.ts): the files of the ConfigMap
   * `configMapName` mounted read-only as the package gyre_agent, put first on PYTHONPATH by a
   * wrapper around the command, and the extension loaded by a flag. Absent: none of it.
   */
  extension?: { configMapName: string; fileNames: readonly string[] };
}

/** Labels that identify a user's server pod (and its secret). Gyre's own keys win over extra labels. */
export function buildServerLabels(opts: {
  userName: string;
  serverName: string;
  component: string;
  extraLabels?: Record<string, string>;
}): Record<string, string> {
  return {
    ...opts.extraLabels,
    [LABELS.name]: "gyre",
    [LABELS.component]: opts.component,
    [LABELS.managedBy]: "gyre",
    [LABELS.user]: buildLabelValue(opts.userName),
    [LABELS.serverName]: buildLabelValue(opts.serverName),
  };
}

/** Kubernetes CPU quantity: whole cores as "2", fractions as millicores ("500m"). */
export function formatCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

/**
 * Annotation through which a node agent that remaps the server's port says where it listens.
 * Gyre never sets it and real kubelets do not remap ports, so on a cluster the port is
 * SERVER_PORT. The test kubelet (testing/fake-kubelet.ts) runs every pod as a local process on
 * 127.0.0.1, where they cannot all listen on 8888, and reports its choice here.
 */
export const SERVER_PORT_ANNOTATION = "gyre.io/server-port";

/** The port a pod's server listens on: SERVER_PORT unless SERVER_PORT_ANNOTATION names another. */
export function readServerPort(pod: V1Pod): number {
  const raw = pod.metadata?.annotations?.[SERVER_PORT_ANNOTATION];
  const port = raw !== undefined && /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
  return port >= 1 && port <= 65535 ? port : SERVER_PORT;
}

/** The http origin of a server whose pod has `podIp` (IPv6 addresses bracketed). */
export function buildServerUrl(podIp: string, port: number = SERVER_PORT): string {
  return `http://${podIp.includes(":") ? `[${podIp}]` : podIp}:${port}`;
}

/** Name of the claim holding a user's home: one per user, or one per server with claimPerServer. */
export function buildClaimName(opts: { userName: string; serverName: string; claimPerServer: boolean }): string {
  return buildObjectName({ kind: "pvc", userName: opts.userName, serverName: opts.claimPerServer ? opts.serverName : "" });
}

function buildResources(s: KubernetesSpawnerConfig): V1ResourceRequirements | undefined {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (s.cpuRequest !== undefined) requests.cpu = formatCpu(s.cpuRequest);
  if (s.memoryRequestBytes !== undefined) requests.memory = String(s.memoryRequestBytes);
  if (s.cpuLimit !== undefined) limits.cpu = formatCpu(s.cpuLimit);
  if (s.memoryLimitBytes !== undefined) limits.memory = String(s.memoryLimitBytes);
  for (const [name, value] of Object.entries(s.extraResourceLimits)) limits[name] = String(value);
  const out: V1ResourceRequirements = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return Object.keys(out).length ? out : undefined;
}

function buildEnv(opts: PodManifestOptions): V1EnvVar[] {
  // Later sources win: Gyre's defaults, then the admin's env, then what the hub computed.
  const plain: Record<string, string> = {
    // jupyter-server-proxy serves ports under the server's base URL; Dask's widgets link there.
    DASK_DISTRIBUTED__DASHBOARD__LINK: `${opts.baseUrl}proxy/{port}/status`,
    ...opts.settings.env,
    ...opts.env,
  };
  // The tokens only ever come from the Secret: never in the pod spec, argv or a log.
  for (const name of Object.keys(SECRET_ENV)) delete plain[name];
  // a launch's kernels first (the first "python3" kernel found wins)
  if (opts.launch) plain.JUPYTER_PATH = plain.JUPYTER_PATH ? `${opts.launch.paths.jupyterLink}:${plain.JUPYTER_PATH}` : opts.launch.paths.jupyterLink;
  const secretName = buildObjectName({ kind: "secret", userName: opts.userName, serverName: opts.serverName });
  return [
    ...Object.entries(SECRET_ENV).map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } })),
    ...Object.keys(plain)
      .sort()
      .map((name) => ({ name, value: plain[name] })),
  ];
}

/**
 * The pod of one server: a single container running the Jupyter server on port 8888 under
 * `baseUrl`, non-root with all capabilities dropped, no service-account token, the token from
 * the server's Secret, the user's claim (or an empty dir) mounted as home, and a readiness
 * probe on `<baseUrl>api`. `restartPolicy: Never`, so that a crash or an OOM kill ends the
 * server and poll() can say why, instead of a silent restart that loses the user's kernels.
 */
export function buildPodManifest(opts: PodManifestOptions): V1Pod {
  const s = opts.settings;
  const { runAsUser, runAsGroup, fsGroup } = s.securityContext;
  const homeVolume: V1Volume =
    s.storage.type === "dynamic"
      ? { name: "home", persistentVolumeClaim: { claimName: buildClaimName({ ...opts, claimPerServer: s.storage.claimPerServer }) } }
      : { name: "home", emptyDir: {} };
  const volumeMounts: V1VolumeMount[] = [
    { name: "home", mountPath: s.storage.mountPath },
    ...(opts.extension ? [buildExtensionMount()] : []),
    ...s.extraVolumeMounts,
  ];
  const resources = buildResources(s);
  const image = opts.launch?.image ?? s.image;
  const container: V1Container = {
    name: CONTAINER_NAME,
    image,
    imagePullPolicy: s.imagePullPolicy,
    command: opts.extension ? buildExtensionCommand(s.command) : s.command,
    args: [
      "--ServerApp.ip=0.0.0.0",
      `--ServerApp.port=${SERVER_PORT}`,
      `--ServerApp.base_url=${opts.baseUrl}`,
      `--ServerApp.default_url=${s.defaultUrl}`,
      `--ServerApp.root_dir=${opts.launch?.paths.rootDir ?? s.storage.mountPath}`,
      "--ServerApp.allow_remote_access=True",
      "--ServerApp.port_retries=0",
      // before the admin's args, which may override it
      ...(opts.extension ? [buildExtensionArg(s.command)] : []),
      ...s.args,
    ],
    env: buildEnv(opts),
    ports: [{ name: "http", containerPort: SERVER_PORT, protocol: "TCP" }],
    ...(resources ? { resources } : {}),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts,
    workingDir: opts.launch?.paths.rootDir ?? s.storage.mountPath,
    readinessProbe: {
      httpGet: { path: `${opts.baseUrl}api`, port: SERVER_PORT },
      periodSeconds: 2,
      failureThreshold: 3,
      timeoutSeconds: 2,
    },
  };
  const annotations: Record<string, string> = {
    ...s.extraAnnotations,
    [ANNOTATIONS.user]: opts.userName,
    [ANNOTATIONS.serverName]: opts.serverName,
    [ANNOTATIONS.spawnId]: opts.spawnId,
  };
  if (opts.profileName !== null) annotations[ANNOTATIONS.profile] = opts.profileName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: buildObjectName({ kind: "pod", userName: opts.userName, serverName: opts.serverName }),
      namespace: opts.namespace,
      labels: buildServerLabels({ ...opts, component: "singleuser-server", extraLabels: s.extraLabels }),
      annotations,
    },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: s.automountServiceAccountToken,
      ...(s.serviceAccountName ? { serviceAccountName: s.serviceAccountName } : {}),
      // Service links put one variable per Service of the namespace into the environment.
      enableServiceLinks: false,
      terminationGracePeriodSeconds: s.stopGraceSeconds,
      securityContext: {
        runAsNonRoot: true,
        runAsUser,
        runAsGroup,
        fsGroup,
        seccompProfile: { type: "RuntimeDefault" },
      },
      ...(Object.keys(s.nodeSelector).length ? { nodeSelector: s.nodeSelector } : {}),
      ...(s.tolerations.length ? { tolerations: s.tolerations } : {}),
      ...(s.affinity ? { affinity: s.affinity } : {}),
      ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
      ...(s.imagePullSecrets.length ? { imagePullSecrets: s.imagePullSecrets.map((name) => ({ name })) } : {}),
      ...(opts.launch
        ? {
            initContainers: [
              { ...buildPrepareContainer({ settings: s, image, paths: opts.launch.paths, python: opts.launch.python }), ...(resources ? { resources } : {}) },
            ],
          }
        : {}),
      containers: [container],
      // Passed through as written; the API server validates the volume sources.
      volumes: [
        homeVolume,
        ...(opts.launch ? [{ name: "gyre-launch", configMap: { name: opts.launch.configMapName } }] : []),
        ...(opts.extension ? [buildExtensionVolume(opts.extension)] : []),
        ...(s.extraVolumes as unknown as V1Volume[]),
      ],
    },
  };
}

export interface PvcManifestOptions extends ServerRef {
  storage: KubernetesSpawnerConfig["storage"];
}

/**
 * The claim holding a user's home. It is created on first start and never deleted by a stop,
 * so files survive; one per user unless `storage.claimPerServer`.
 */
export function buildPvcManifest(opts: PvcManifestOptions): V1PersistentVolumeClaim {
  const serverName = opts.storage.claimPerServer ? opts.serverName : "";
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: buildClaimName({ ...opts, claimPerServer: opts.storage.claimPerServer }),
      namespace: opts.namespace,
      labels: buildServerLabels({ userName: opts.userName, serverName, component: "singleuser-storage" }),
      annotations: { [ANNOTATIONS.user]: opts.userName, [ANNOTATIONS.serverName]: serverName },
    },
    spec: {
      accessModes: opts.storage.accessModes,
      resources: { requests: { storage: String(opts.storage.capacityBytes) } },
      ...(opts.storage.storageClassName !== undefined ? { storageClassName: opts.storage.storageClassName } : {}),
    },
  };
}

export interface TokenSecretManifestOptions extends ServerRef {
  /** the server's token (SpawnContext.token) */
  token: string;
  /** the server's hub API token (SpawnContext.apiToken) */
  apiToken: string;
  spawnId: string;
}

/** The Secret the pod reads JUPYTER_TOKEN and JUPYTERHUB_API_TOKEN from; replaced on every spawn, deleted on stop. */
export function buildTokenSecretManifest(opts: TokenSecretManifestOptions): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: buildObjectName({ kind: "secret", userName: opts.userName, serverName: opts.serverName }),
      namespace: opts.namespace,
      labels: buildServerLabels({ ...opts, component: "singleuser-token" }),
      annotations: { [ANNOTATIONS.user]: opts.userName, [ANNOTATIONS.serverName]: opts.serverName, [ANNOTATIONS.spawnId]: opts.spawnId },
    },
    stringData: { [TOKEN_SECRET_KEY]: opts.token, [API_TOKEN_SECRET_KEY]: opts.apiToken },
  };
}
