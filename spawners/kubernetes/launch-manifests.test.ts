import { test } from "node:test";
import assert from "node:assert/strict";
import { buildPrepareSpec } from "../agent/agent-spec";
import { launchConfigSchema } from "@/config/launch-section";
import { kubernetesSpawnerConfigSchema, launchImageBuildSchema } from "./config";
import { buildPodManifest } from "./manifests";
import {
  KUBE_PREPARE_PY,
  buildImageBuildJob,
  buildImageBuildJobName,
  buildLaunchConfigMap,
  buildLaunchImageRef,
  buildLaunchPodPaths,
  readBuildJobState,
} from "./launch-manifests";

const COMMIT = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
const spec = buildPrepareSpec({
  repoUrl: "https://github.com/org/demo",
  commit: COMMIT,
  ref: "main",
  targetDir: "~/launches/demo-1a2b3c4d5e6f",
  allowHttp: false,
  platform: "kubernetes",
  config: launchConfigSchema.parse({}),
});

test("image of a repository at a commit: registry / slug of host and path : commit", () => {
  assert.equal(
    buildLaunchImageRef("registry.example.org/gyre-launches/", "https://github.com/Org/Demo.git", COMMIT),
    `registry.example.org/gyre-launches/github-com-org-demo:${COMMIT}`,
  );
  assert.equal(buildLaunchImageRef("reg:5000/l", "http://git.example.org:8080/a/b", COMMIT), `reg:5000/l/git-example-org-8080-a-b:${COMMIT}`);
  const long = buildLaunchImageRef("r/l", `https://gitlab.com/${"g/".repeat(60)}p`, COMMIT);
  assert.match(long, /^r\/l\/[a-z0-9-]{1,63}-[0-9a-f]{16}:1a2b/);
  assert.notEqual(long, buildLaunchImageRef("r/l", `https://gitlab.com/${"g/".repeat(60)}q`, COMMIT));
  assert.equal(buildImageBuildJobName("r/l/x:1"), buildImageBuildJobName("r/l/x:1"));
  assert.match(buildImageBuildJobName("r/l/x:1"), /^gyre-build-[0-9a-f]{20}$/);
});

test("the image build Job, written out (repo2docker pushing to the registry, push secret mounted)", () => {
  const build = launchImageBuildSchema.parse({
    enabled: true,
    registry: "registry.example.org/gyre-launches",
    pushSecret: "push-creds",
    builderEnv: { DOCKER_HOST: "tcp://dind:2375" },
    buildTimeoutSeconds: 900,
  });
  const image = `registry.example.org/gyre-launches/github-com-org-demo:${COMMIT}`;
  assert.deepEqual(buildImageBuildJob({ namespace: "gyre", imageRef: image, repoUrl: "https://github.com/org/demo", commit: COMMIT, ref: "main", build }), {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: buildImageBuildJobName(image),
      namespace: "gyre",
      labels: { "app.kubernetes.io/name": "gyre", "app.kubernetes.io/component": "launch-image-build", "app.kubernetes.io/managed-by": "gyre" },
      annotations: { "gyre.io/image": image, "gyre.io/repo": "https://github.com/org/demo", "gyre.io/commit": COMMIT },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 900,
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "gyre", "app.kubernetes.io/component": "launch-image-build", "app.kubernetes.io/managed-by": "gyre" } },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [
            {
              name: "builder",
              image: "quay.io/jupyterhub/repo2docker:2024.07.0",
              command: [
                "jupyter-repo2docker",
                "--no-run",
                "--user-id=1000",
                "--user-name=jovyan",
                `--image-name=${image}`,
                `--ref=${COMMIT}`,
                "--push",
                "https://github.com/org/demo",
              ],
              env: [{ name: "DOCKER_HOST", value: "tcp://dind:2375" }],
              volumeMounts: [{ name: "docker-config", mountPath: "/root/.docker", readOnly: true }],
            },
          ],
          volumes: [{ name: "docker-config", secret: { secretName: "push-creds", items: [{ key: ".dockerconfigjson", path: "config.json" }] } }],
        },
      },
    },
  });
  assert.throws(() => launchImageBuildSchema.parse({ enabled: true }), /registry is required/);
  assert.throws(() => launchImageBuildSchema.parse({ registry: "https://registry.example.org" }));
});

test("a build Job's state from its status", () => {
  assert.deepEqual(readBuildJobState({}), { state: "building" });
  assert.deepEqual(readBuildJobState({ status: { active: 1 } }), { state: "building" });
  assert.deepEqual(readBuildJobState({ status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } }), { state: "built" });
  assert.deepEqual(
    readBuildJobState({
      status: {
        failed: 1,
        conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }],
      },
    }),
    {
      state: "failed",
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
    },
  );
  assert.deepEqual(readBuildJobState({ status: { conditions: [{ type: "Failed", status: "True", reason: "DeadlineExceeded" }] } }), {
    state: "failed",
    reason: "DeadlineExceeded",
  });
});

test("a launch's pod: the init container runs the agent from the ConfigMap, the server serves the launch's folder with its kernels first", () => {
  const settings = kubernetesSpawnerConfigSchema.parse({ env: { JUPYTER_PATH: "/opt/extra/share/jupyter" } });
  const paths = buildLaunchPodPaths(spec, settings.storage.mountPath);
  assert.deepEqual(paths, { rootDir: "/home/jovyan/launches/demo-1a2b3c4d5e6f", jupyterLink: "/home/jovyan/.cache/gyre/jupyter-path/demo-1a2b3c4d5e6f" });
  const pod = buildPodManifest({
    userName: "alice",
    serverName: "demo-1a2b3c4d",
    namespace: "gyre",
    baseUrl: "/user/alice/demo-1a2b3c4d/",
    spawnId: "sp-1",
    settings,
    profileName: null,
    env: {},
    launch: { configMapName: "gyre-launch-alice--demo-1a2b3c4d", paths, image: `r/l/github-com-org-demo:${COMMIT}`, python: "python3" },
  });
  const server = pod.spec!.containers[0];
  assert.equal(server.image, `r/l/github-com-org-demo:${COMMIT}`);
  assert.ok(server.args!.includes("--ServerApp.root_dir=/home/jovyan/launches/demo-1a2b3c4d5e6f"));
  assert.ok(!server.args!.includes("--ServerApp.root_dir=/home/jovyan"));
  assert.deepEqual(
    server.env!.find((e) => e.name === "JUPYTER_PATH"),
    { name: "JUPYTER_PATH", value: "/home/jovyan/.cache/gyre/jupyter-path/demo-1a2b3c4d5e6f:/opt/extra/share/jupyter" },
  );
  assert.deepEqual(pod.spec!.initContainers, [
    {
      name: "prepare",
      image: `r/l/github-com-org-demo:${COMMIT}`,
      imagePullPolicy: "IfNotPresent",
      command: ["python3", "-c", KUBE_PREPARE_PY],
      env: [
        { name: "GYRE_LAUNCH_DIR", value: "/gyre-launch" },
        { name: "GYRE_LAUNCH_JUPYTER_LINK", value: "/home/jovyan/.cache/gyre/jupyter-path/demo-1a2b3c4d5e6f" },
        { name: "HOME", value: "/home/jovyan" },
      ],
      securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
      volumeMounts: [
        { name: "home", mountPath: "/home/jovyan" },
        { name: "gyre-launch", mountPath: "/gyre-launch", readOnly: true },
      ],
      workingDir: "/home/jovyan",
      resources: { requests: { memory: "1073741824" } },
    },
  ]);
  assert.deepEqual(pod.spec!.volumes![1], { name: "gyre-launch", configMap: { name: "gyre-launch-alice--demo-1a2b3c4d" } });
});

test("the launch ConfigMap carries the agent and the spec, labelled as the server's", () => {
  const cm = buildLaunchConfigMap({ userName: "alice", serverName: "demo", namespace: "gyre", spawnId: "sp-1", spec, agentScript: "print('agent')\n" });
  assert.deepEqual(cm.metadata, {
    name: "gyre-launch-alice--demo",
    namespace: "gyre",
    labels: {
      "app.kubernetes.io/name": "gyre",
      "app.kubernetes.io/component": "singleuser-launch",
      "app.kubernetes.io/managed-by": "gyre",
      "gyre.io/user": "alice",
      "gyre.io/server-name": "demo",
    },
    annotations: { "gyre.io/user": "alice", "gyre.io/server-name": "demo", "gyre.io/spawn-id": "sp-1" },
  });
  assert.deepEqual(cm.data, { "agent.py": "print('agent')\n", "spec.json": JSON.stringify(spec) });
});
