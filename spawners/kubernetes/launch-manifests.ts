// Kubernetes objects of a launch (pure): the image build Job (a builder image pushing
// <registry>/<repository>:<commit>, cached by commit), the ConfigMap that carries Gyre's agent and
// the launch's spec into the pod, the init container that runs the agent there, and where the
// server then finds the launch's folder and kernels. Nothing here reads the clock, the environment
// or the network.
import { createHash } from "node:crypto";
import type { V1ConfigMap, V1Container, V1Job } from "@kubernetes/client-node";
import type { PrepareSpec } from "../agent/agent-spec";
import type { KubernetesSpawnerConfig, LaunchImageBuild } from "./config";
import { buildObjectName } from "./names";
import { buildServerLabels, type ServerRef } from "./manifests";

/** Where the launch ConfigMap is mounted in the init container. */
export const LAUNCH_MOUNT_PATH = "/gyre-launch";
/** Name of the init container that prepares a launch. */
export const PREPARE_CONTAINER_NAME = "prepare";
/** Label of build Jobs and their pods. */
export const IMAGE_BUILD_COMPONENT = "launch-image-build";
export const BUILD_ANNOTATIONS = { image: "gyre.io/image", repo: "gyre.io/repo", commit: "gyre.io/commit" } as const;

/**
 * The image of a repository at a commit: "<registry>/<slug of host and path>:<commit>", e.g.
 * registry.example.org/gyre-launches/github.com-org-demo:1a2b…. A docker repository component is
 * [a-z0-9]+([._-][a-z0-9]+)*; long slugs end in a hash of the URL so that two repositories never
 * share an image.
 */
export function buildLaunchImageRef(registry: string, repoUrl: string, commit: string): string {
  const u = new URL(repoUrl);
  let slug = `${u.host}${u.pathname}`
    .toLowerCase()
    .replace(/\.git$/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length > 80) slug = `${slug.slice(0, 63).replace(/-+$/, "")}-${createHash("sha256").update(repoUrl).digest("hex").slice(0, 16)}`;
  return `${registry.replace(/\/+$/, "")}/${slug}:${commit}`;
}

/** The build Job's name for an image: the same image, the same Job (which is what caches builds). */
export function buildImageBuildJobName(imageRef: string): string {
  return `gyre-build-${createHash("sha256").update(imageRef).digest("hex").slice(0, 20)}`;
}

export interface ImageBuildJobOptions {
  namespace: string;
  imageRef: string;
  repoUrl: string;
  commit: string;
  ref: string;
  build: LaunchImageBuild;
}

/**
 * The Job that builds and pushes `imageRef`: one pod, never retried (backoffLimit 0: a failed build
 * is reported, not repeated), stopped at buildTimeoutSeconds, without the service account's token,
 * the push credentials (if any) mounted read-only as ~/.docker/config.json.
 */
export function buildImageBuildJob(o: ImageBuildJobOptions): V1Job {
  const fill = (arg: string) =>
    arg.replaceAll("{image}", o.imageRef).replaceAll("{repo}", o.repoUrl).replaceAll("{commit}", o.commit).replaceAll("{ref}", o.ref);
  const labels = { "app.kubernetes.io/name": "gyre", "app.kubernetes.io/component": IMAGE_BUILD_COMPONENT, "app.kubernetes.io/managed-by": "gyre" };
  const b = o.build;
  const container: V1Container = {
    name: "builder",
    image: b.builderImage,
    command: b.builderCommand.map(fill),
    env: Object.keys(b.builderEnv)
      .sort()
      .map((name) => ({ name, value: b.builderEnv[name] })),
    ...(b.pushSecret ? { volumeMounts: [{ name: "docker-config", mountPath: "/root/.docker", readOnly: true }] } : {}),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: buildImageBuildJobName(o.imageRef),
      namespace: o.namespace,
      labels,
      annotations: { [BUILD_ANNOTATIONS.image]: o.imageRef, [BUILD_ANNOTATIONS.repo]: o.repoUrl, [BUILD_ANNOTATIONS.commit]: o.commit },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: b.buildTimeoutSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(b.serviceAccountName ? { serviceAccountName: b.serviceAccountName } : {}),
          containers: [container],
          ...(b.pushSecret
            ? { volumes: [{ name: "docker-config", secret: { secretName: b.pushSecret, items: [{ key: ".dockerconfigjson", path: "config.json" }] } }] }
            : {}),
        },
      },
    },
  };
}

/** How a build Job ended: still building, built, or failed (with the Job's own reason). */
export type BuildJobState = { state: "building" } | { state: "built" } | { state: "failed"; reason: string };

/** Reads a Job's status conditions (batch/v1: Complete / Failed, or the succeeded/failed counts). */
export function readBuildJobState(job: V1Job): BuildJobState {
  const conditions = job.status?.conditions ?? [];
  if (conditions.some((c) => c.type === "Complete" && c.status === "True") || (job.status?.succeeded ?? 0) > 0) return { state: "built" };
  const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
  if (failed) return { state: "failed", reason: [failed.reason, failed.message].filter(Boolean).join(": ") || "the build failed" };
  if ((job.status?.failed ?? 0) > 0) return { state: "failed", reason: "the build pod failed" };
  return { state: "building" };
}

/** Where a launch lives in the pod, from its spec and the home's mount path. */
export interface LaunchPodPaths {
  /** the launch's folder: the server's root directory */
  rootDir: string;
  /** a link the init container points at the environment's share/jupyter (an empty folder when none) */
  jupyterLink: string;
}

export function buildLaunchPodPaths(spec: PrepareSpec, mountPath: string): LaunchPodPaths {
  const home = mountPath.replace(/\/+$/, "");
  const rootDir = spec.targetDir === "~" ? home : spec.targetDir.startsWith("~/") ? `${home}/${spec.targetDir.slice(2)}` : spec.targetDir;
  const folder = rootDir.slice(rootDir.lastIndexOf("/") + 1) || "launch";
  return { rootDir, jupyterLink: `${home}/.cache/gyre/jupyter-path/${folder}` };
}

/**
 * The init container's program: the agent's `prepare` (from the ConfigMap), then a link to the
 * prepared environment's share/jupyter at GYRE_LAUNCH_JUPYTER_LINK, which the server has first on
 * its JUPYTER_PATH. The agent's phase lines go to the container's log, where the spawner reads them.
 */
export const KUBE_PREPARE_PY = String.raw`import json, os, subprocess, sys
d = os.environ["GYRE_LAUNCH_DIR"]
result = os.path.join(os.environ.get("TMPDIR", "/tmp"), "gyre-launch-result-%d.json" % os.getpid())
try:
    rc = subprocess.call([sys.executable, os.path.join(d, "agent.py"), "prepare", "--spec-file", os.path.join(d, "spec.json"), "--result-file", result])
    if rc:
        sys.exit(rc)
    with open(result) as f:
        prepared = json.load(f)
finally:
    if os.path.exists(result):
        os.unlink(result)
link = os.environ["GYRE_LAUNCH_JUPYTER_LINK"]
os.makedirs(os.path.dirname(link), exist_ok=True)
if os.path.islink(link) or os.path.isfile(link):
    os.unlink(link)
target = prepared.get("serverEnv", {}).get("JUPYTER_PATH")
if target:
    os.symlink(target, link)
else:
    os.makedirs(link, exist_ok=True)
`;

export interface LaunchConfigMapOptions extends ServerRef {
  spawnId: string;
  spec: PrepareSpec;
  /** the agent's bootstrap (spawners/agent/agent-bootstrap.ts): Python that carries the agent's zip */
  agentScript: string;
}

/** The ConfigMap mounted into the init container: agent.py (the agent) and spec.json. Replaced per spawn. */
export function buildLaunchConfigMap(o: LaunchConfigMapOptions): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: buildObjectName({ kind: "launch", userName: o.userName, serverName: o.serverName }),
      namespace: o.namespace,
      labels: buildServerLabels({ userName: o.userName, serverName: o.serverName, component: "singleuser-launch" }),
      annotations: { "gyre.io/user": o.userName, "gyre.io/server-name": o.serverName, "gyre.io/spawn-id": o.spawnId },
    },
    data: { "agent.py": o.agentScript, "spec.json": JSON.stringify(o.spec) },
  };
}

/** The init container that prepares a launch in the server's image, as the server's user, in its home. */
export function buildPrepareContainer(o: { settings: KubernetesSpawnerConfig; image: string; paths: LaunchPodPaths; python: string }): V1Container {
  const s = o.settings;
  return {
    name: PREPARE_CONTAINER_NAME,
    image: o.image,
    imagePullPolicy: s.imagePullPolicy,
    command: [o.python, "-c", KUBE_PREPARE_PY],
    env: [
      { name: "GYRE_LAUNCH_DIR", value: LAUNCH_MOUNT_PATH },
      { name: "GYRE_LAUNCH_JUPYTER_LINK", value: o.paths.jupyterLink },
      { name: "HOME", value: s.storage.mountPath },
    ],
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    volumeMounts: [
      { name: "home", mountPath: s.storage.mountPath },
      { name: "gyre-launch", mountPath: LAUNCH_MOUNT_PATH, readOnly: true },
    ],
    workingDir: s.storage.mountPath,
  };
}
