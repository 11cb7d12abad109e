import { test } from "node:test";
import assert from "node:assert/strict";
import { kubernetesSpawnerConfigSchema, resolveProfile } from "./config";
import { buildPodManifest, buildPvcManifest, buildServerUrl, buildTokenSecretManifest, formatCpu, readServerPort } from "./manifests";

test("default settings: the whole pod, written out", () => {
  const pod = buildPodManifest({
    userName: "alice",
    serverName: "",
    namespace: "gyre-users",
    baseUrl: "/user/alice/",
    spawnId: "sp-1",
    settings: kubernetesSpawnerConfigSchema.parse({}),
    profileName: null,
    env: {},
  });
  assert.deepEqual(pod, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "jupyter-alice",
      namespace: "gyre-users",
      labels: {
        "app.kubernetes.io/name": "gyre",
        "app.kubernetes.io/component": "singleuser-server",
        "app.kubernetes.io/managed-by": "gyre",
        "gyre.io/user": "alice",
        "gyre.io/server-name": "",
      },
      annotations: { "gyre.io/user": "alice", "gyre.io/server-name": "", "gyre.io/spawn-id": "sp-1" },
    },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 10,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 100, fsGroup: 100, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "notebook",
          image: "quay.io/jupyter/base-notebook:latest",
          imagePullPolicy: "IfNotPresent",
          command: ["jupyter", "server"],
          args: [
            "--ServerApp.ip=0.0.0.0",
            "--ServerApp.port=8888",
            "--ServerApp.base_url=/user/alice/",
            "--ServerApp.default_url=/lab",
            "--ServerApp.root_dir=/home/jovyan",
            "--ServerApp.allow_remote_access=True",
            "--ServerApp.port_retries=0",
          ],
          env: [
            { name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name: "jupyter-token-alice", key: "token" } } },
            { name: "JUPYTERHUB_API_TOKEN", valueFrom: { secretKeyRef: { name: "jupyter-token-alice", key: "api-token" } } },
            { name: "JPY_API_TOKEN", valueFrom: { secretKeyRef: { name: "jupyter-token-alice", key: "api-token" } } },
            { name: "DASK_DISTRIBUTED__DASHBOARD__LINK", value: "/user/alice/proxy/{port}/status" },
          ],
          ports: [{ name: "http", containerPort: 8888, protocol: "TCP" }],
          resources: { requests: { memory: "1073741824" } },
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumeMounts: [{ name: "home", mountPath: "/home/jovyan" }],
          workingDir: "/home/jovyan",
          readinessProbe: { httpGet: { path: "/user/alice/api", port: 8888 }, periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 2 },
        },
      ],
      volumes: [{ name: "home", persistentVolumeClaim: { claimName: "claim-alice" } }],
    },
  });
});

const gpuConfig = kubernetesSpawnerConfigSchema.parse({
  namespace: "pangeo",
  image: "quay.io/jupyter/scipy-notebook:2025-01-01",
  imagePullSecrets: ["registry"],
  command: ["/opt/conda/bin/jupyter", "server"],
  args: ["--ServerApp.terminals_enabled=False"],
  env: { OMP_NUM_THREADS: "2", JUPYTER_TOKEN: "leak" },
  cpuRequest: 0.5,
  cpuLimit: 2,
  memoryRequestBytes: "2Gi",
  memoryLimitBytes: "4Gi",
  extraLabels: { "app.kubernetes.io/instance": "hub1", "gyre.io/user": "spoof" },
  extraAnnotations: { "cluster-autoscaler.kubernetes.io/safe-to-evict": "false" },
  securityContext: { runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001 },
  storage: { storageClassName: "standard-rwo", capacityBytes: "20Gi", mountPath: "/home/pangeo", claimPerServer: true },
  extraVolumes: [{ name: "shared", persistentVolumeClaim: { claimName: "shared-data", readOnly: true } }],
  extraVolumeMounts: [{ name: "shared", mountPath: "/shared", readOnly: true }],
  stopGraceSeconds: 30,
  profiles: [
    {
      name: "gpu",
      displayName: "One T4 GPU",
      overrides: {
        image: "quay.io/jupyter/pytorch-notebook:cuda12-2025-01-01",
        extraResourceLimits: { "nvidia.com/gpu": 1 },
        nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-tesla-t4" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["gpu"] }] }],
            },
          },
        },
        priorityClassName: "user-gpu",
        env: { NVIDIA_VISIBLE_DEVICES: "all" },
      },
    },
  ],
});

test("a GPU profile on a named server: resources, placement, storage and environment", () => {
  const { settings } = resolveProfile(gpuConfig, "gpu");
  const pod = buildPodManifest({
    userName: "Dr.Who",
    serverName: "gpu-1",
    namespace: "pangeo",
    baseUrl: "/user/Dr.Who/gpu-1/",
    spawnId: "sp-2",
    settings,
    profileName: "gpu",
    env: { JUPYTERHUB_API_URL: "http://hub:8081/hub/api", OMP_NUM_THREADS: "4", JUPYTER_TOKEN: "leak" },
  });
  assert.deepEqual(pod, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "jupyter--44r-2e-57ho--gpu-2d1",
      namespace: "pangeo",
      labels: {
        "app.kubernetes.io/instance": "hub1",
        "gyre.io/user": "x_-44r-2e-57ho",
        "app.kubernetes.io/name": "gyre",
        "app.kubernetes.io/component": "singleuser-server",
        "app.kubernetes.io/managed-by": "gyre",
        "gyre.io/server-name": "gpu-2d1",
      },
      annotations: {
        "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
        "gyre.io/user": "Dr.Who",
        "gyre.io/server-name": "gpu-1",
        "gyre.io/spawn-id": "sp-2",
        "gyre.io/profile": "gpu",
      },
    },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
      nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-tesla-t4" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["gpu"] }] }],
          },
        },
      },
      priorityClassName: "user-gpu",
      imagePullSecrets: [{ name: "registry" }],
      containers: [
        {
          name: "notebook",
          image: "quay.io/jupyter/pytorch-notebook:cuda12-2025-01-01",
          imagePullPolicy: "IfNotPresent",
          command: ["/opt/conda/bin/jupyter", "server"],
          args: [
            "--ServerApp.ip=0.0.0.0",
            "--ServerApp.port=8888",
            "--ServerApp.base_url=/user/Dr.Who/gpu-1/",
            "--ServerApp.default_url=/lab",
            "--ServerApp.root_dir=/home/pangeo",
            "--ServerApp.allow_remote_access=True",
            "--ServerApp.port_retries=0",
            "--ServerApp.terminals_enabled=False",
          ],
          env: [
            { name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name: "jupyter-token--44r-2e-57ho--gpu-2d1", key: "token" } } },
            { name: "JUPYTERHUB_API_TOKEN", valueFrom: { secretKeyRef: { name: "jupyter-token--44r-2e-57ho--gpu-2d1", key: "api-token" } } },
            { name: "JPY_API_TOKEN", valueFrom: { secretKeyRef: { name: "jupyter-token--44r-2e-57ho--gpu-2d1", key: "api-token" } } },
            { name: "DASK_DISTRIBUTED__DASHBOARD__LINK", value: "/user/Dr.Who/gpu-1/proxy/{port}/status" },
            { name: "JUPYTERHUB_API_URL", value: "http://hub:8081/hub/api" },
            { name: "NVIDIA_VISIBLE_DEVICES", value: "all" },
            { name: "OMP_NUM_THREADS", value: "4" },
          ],
          ports: [{ name: "http", containerPort: 8888, protocol: "TCP" }],
          resources: {
            requests: { cpu: "500m", memory: "2147483648" },
            limits: { cpu: "2", memory: "4294967296", "nvidia.com/gpu": "1" },
          },
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumeMounts: [
            { name: "home", mountPath: "/home/pangeo" },
            { name: "shared", mountPath: "/shared", readOnly: true },
          ],
          workingDir: "/home/pangeo",
          readinessProbe: { httpGet: { path: "/user/Dr.Who/gpu-1/api", port: 8888 }, periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 2 },
        },
      ],
      volumes: [
        { name: "home", persistentVolumeClaim: { claimName: "claim--44r-2e-57ho--gpu-2d1" } },
        { name: "shared", persistentVolumeClaim: { claimName: "shared-data", readOnly: true } },
      ],
    },
  });
});

test("the token never appears in the pod, only as a secretKeyRef", () => {
  const pod = buildPodManifest({
    userName: "bob",
    serverName: "",
    namespace: "ns",
    baseUrl: "/user/bob/",
    spawnId: "s",
    settings: kubernetesSpawnerConfigSchema.parse({ env: { JUPYTER_TOKEN: "from-config-secret", JPY_API_TOKEN: "from-config-secret" } }),
    profileName: null,
    env: { JUPYTER_TOKEN: "from-hub-secret", JUPYTERHUB_API_TOKEN: "from-hub-secret" },
  });
  const text = JSON.stringify(pod);
  assert.ok(!text.includes('secret"'), text);
  assert.ok(!text.includes("from-config-secret") && !text.includes("from-hub-secret"));
  for (const name of ["JUPYTER_TOKEN", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"]) {
    const env = pod.spec!.containers[0].env!.filter((e) => e.name === name);
    assert.equal(env.length, 1, name);
    assert.ok(env[0].valueFrom?.secretKeyRef && env[0].value === undefined, `${name} only from the Secret`);
  }
});

test("storage type none gives an empty-dir home and no claim", () => {
  const pod = buildPodManifest({
    userName: "bob",
    serverName: "",
    namespace: "ns",
    baseUrl: "/user/bob/",
    spawnId: "s",
    settings: kubernetesSpawnerConfigSchema.parse({
      storage: { type: "none" },
      memoryRequestBytes: 0,
      serviceAccountName: "user-sa",
      automountServiceAccountToken: true,
    }),
    profileName: null,
    env: {},
  });
  assert.deepEqual(pod.spec!.volumes, [{ name: "home", emptyDir: {} }]);
  assert.deepEqual(pod.spec!.containers[0].resources, { requests: { memory: "0" } });
  assert.equal(pod.spec!.serviceAccountName, "user-sa");
  assert.equal(pod.spec!.automountServiceAccountToken, true);
});

test("buildPvcManifest: one claim per user by default, with the configured class and size", () => {
  const storage = kubernetesSpawnerConfigSchema.parse({}).storage;
  assert.deepEqual(buildPvcManifest({ userName: "alice", serverName: "gpu", namespace: "gyre-users", storage }), {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: "claim-alice",
      namespace: "gyre-users",
      labels: {
        "app.kubernetes.io/name": "gyre",
        "app.kubernetes.io/component": "singleuser-storage",
        "app.kubernetes.io/managed-by": "gyre",
        "gyre.io/user": "alice",
        "gyre.io/server-name": "",
      },
      annotations: { "gyre.io/user": "alice", "gyre.io/server-name": "" },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "10737418240" } },
    },
  });
  assert.deepEqual(buildPvcManifest({ userName: "Dr.Who", serverName: "gpu-1", namespace: "pangeo", storage: gpuConfig.storage }), {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: "claim--44r-2e-57ho--gpu-2d1",
      namespace: "pangeo",
      labels: {
        "app.kubernetes.io/name": "gyre",
        "app.kubernetes.io/component": "singleuser-storage",
        "app.kubernetes.io/managed-by": "gyre",
        "gyre.io/user": "x_-44r-2e-57ho",
        "gyre.io/server-name": "gpu-2d1",
      },
      annotations: { "gyre.io/user": "Dr.Who", "gyre.io/server-name": "gpu-1" },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "21474836480" } },
      storageClassName: "standard-rwo",
    },
  });
});

test("buildTokenSecretManifest", () => {
  assert.deepEqual(
    buildTokenSecretManifest({ userName: "alice", serverName: "", namespace: "gyre-users", token: "t0k3n", apiToken: "api-t0k3n", spawnId: "sp-1" }),
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: {
        name: "jupyter-token-alice",
        namespace: "gyre-users",
        labels: {
          "app.kubernetes.io/name": "gyre",
          "app.kubernetes.io/component": "singleuser-token",
          "app.kubernetes.io/managed-by": "gyre",
          "gyre.io/user": "alice",
          "gyre.io/server-name": "",
        },
        annotations: { "gyre.io/user": "alice", "gyre.io/server-name": "", "gyre.io/spawn-id": "sp-1" },
      },
      stringData: { token: "t0k3n", "api-token": "api-t0k3n" },
    },
  );
});

test("formatCpu and buildServerUrl", () => {
  const cpu: Array<[number, string]> = [
    [1, "1"],
    [0.5, "500m"],
    [0.25, "250m"],
    [2.5, "2500m"],
    [0.001, "1m"],
  ];
  for (const [cores, want] of cpu) assert.equal(formatCpu(cores), want);
  assert.equal(buildServerUrl("10.4.0.7"), "http://10.4.0.7:8888");
  assert.equal(buildServerUrl("fd00::7"), "http://[fd00::7]:8888");
});

test("readServerPort: 8888 unless the pod's gyre.io/server-port annotation names a valid port", () => {
  const withPort = (v?: string) => ({ metadata: v === undefined ? {} : { annotations: { "gyre.io/server-port": v } } });
  assert.equal(readServerPort(withPort()), 8888);
  assert.equal(readServerPort(withPort("7251")), 7251);
  for (const bad of ["", "0", "65536", "72a", "-1", " 80"]) assert.equal(readServerPort(withPort(bad)), 8888, bad);
  assert.equal(buildServerUrl("127.0.0.1", 7251), "http://127.0.0.1:7251");
});
