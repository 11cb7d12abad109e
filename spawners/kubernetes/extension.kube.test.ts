// Gyre's Jupyter server extension in user pods, against a REAL kube-apiserver 1.20.2 + etcd
// (scripts/kube/kube-up.sh). No kubelet runs in this test's namespace, so pods stay Pending: what is
// checked is what the API server stored — the pod spec (wrapper, flag, read-only mount, volume
// items) and the server's ConfigMap (exactly the repository's extension files, immutable, no
// secret) — and that stop and reconcile leave no ConfigMap behind. That a server really loads the
// extension from that layout: extension-layout.int.test.ts (the pod's argv on this host) and
// spawner.kube.test.ts (a pod run by the fake kubelet).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import { AGENT_SOURCE_DIR, EXTENSION_FILES } from "../agent/agent-bundle";
import { getApiErrorMessage, getApiStatusCode, resetKubeClients } from "./client";
import { KubernetesSpawner, reconcileKubernetesPods } from "./index";
import { EXTENSION_MOUNT_PATH, EXTENSION_WRAPPER_SH, buildExtensionConfigMap } from "./extension-manifests";
import { buildLabConfig, buildTestContext, setUpKubeLab, silentLog, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches } from "./watch";
import type { KubernetesSpawnerConfig } from "./config";
import type { SpawnContext } from "../types";

let lab: KubeLab;
let config: KubernetesSpawnerConfig;

before(async () => {
  lab = await setUpKubeLab("gyre-extension");
  config = buildLabConfig(lab, {
    env: { PYTHONPATH: "/opt/site-lib" },
    profiles: [
      { name: "lab", displayName: "JupyterLab", default: true },
      { name: "hub-auth", displayName: "jupyterhub-singleuser", overrides: { command: ["jupyterhub-singleuser"] } },
      { name: "plain", displayName: "An image without a compatible server", overrides: { serverExtension: false } },
    ],
  });
});

after(async () => {
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  closeNamespaceWatches();
  resetKubeClients();
});

async function readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (e) {
    if (getApiStatusCode(e) === 404) return null;
    throw e;
  }
}

const readConfigMap = (name: string) => readOrNull(() => lab.admin.core.readNamespacedConfigMap({ name, namespace: lab.namespace }));

async function waitForPod(name: string): Promise<V1Pod> {
  for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
    const pod = await readOrNull(() => lab.admin.core.readNamespacedPod({ name, namespace: lab.namespace }));
    // plain JSON: the client's model classes are not deep-equal to object literals
    if (pod) return JSON.parse(JSON.stringify(pod)) as V1Pod;
    if (Date.now() > end) throw new Error(`no pod ${name}`);
  }
}

/** Starts a server of `profile`; returns the stored pod, its extension ConfigMap (null: none) and the spawner's state, then stops it. */
async function objectsOf(
  user: string,
  profile: string,
): Promise<{ ctx: SpawnContext; pod: V1Pod; configMap: V1ConfigMap | null; state: Record<string, unknown> }> {
  const ctx = buildTestContext(user, { options: { profile } });
  const spawner = new KubernetesSpawner(ctx, config, { forceDeleteAfterMs: 500 });
  const started = spawner.start();
  started.catch(() => undefined);
  try {
    const pod = await waitForPod(`jupyter-${user}`);
    return { ctx, pod, configMap: await readConfigMap(`gyre-extension-${user}`), state: spawner.getState() };
  } finally {
    await spawner.stop();
    await assert.rejects(started, /stopped before it finished starting/);
    assert.equal(await readConfigMap(`gyre-extension-${user}`), null, "stop deletes the server's extension ConfigMap");
  }
}

/** What every pod with the extension must have, for `command`. */
function assertExtensionInPod(pod: V1Pod, command: string[], configMapName: string): void {
  const c = pod.spec!.containers[0];
  assert.deepEqual(c.command, ["/bin/sh", "-c", EXTENSION_WRAPPER_SH, "gyre-extension", EXTENSION_MOUNT_PATH, ...command]);
  assert.equal(c.args!.filter((a) => a === "--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True").length, 1);
  assert.deepEqual(
    c.volumeMounts!.filter((m) => m.name === "gyre-extension"),
    [{ name: "gyre-extension", mountPath: EXTENSION_MOUNT_PATH, readOnly: true }],
  );
  const volume = pod.spec!.volumes!.find((v) => v.name === "gyre-extension");
  assert.deepEqual(volume, {
    name: "gyre-extension",
    configMap: {
      name: configMapName,
      defaultMode: 0o444,
      items: [...EXTENSION_FILES].sort().map((key) => ({ key, path: `gyre_agent/${key}` })),
    },
  });
  // the admin's PYTHONPATH is still the pod's: the wrapper puts the extension's folder before it
  assert.equal(c.env!.find((e) => e.name === "PYTHONPATH")?.value, "/opt/site-lib");
}

test("jupyter server: the stored pod runs the command through the PYTHONPATH wrapper with the extension's flag and a read-only mount; its ConfigMap holds exactly the repository's extension files", async () => {
  const { ctx, pod, configMap, state } = await objectsOf("ann", "lab");
  assertExtensionInPod(pod, ["/usr/bin/jupyter", "server"], "gyre-extension-ann");
  assert.equal(state.extensionConfigMap, "gyre-extension-ann");
  assert.ok(configMap, "created before the pod");
  assert.equal(configMap.immutable, true);
  assert.deepEqual(Object.keys(configMap.data ?? {}).sort(), [...EXTENSION_FILES].sort());
  assert.equal(configMap.binaryData, undefined);
  for (const f of EXTENSION_FILES) {
    assert.ok(Buffer.from(configMap.data![f], "utf8").equals(readFileSync(join(AGENT_SOURCE_DIR, "gyre_agent", f))), `${f}: the repository's bytes`);
  }
  assert.equal(configMap.metadata?.annotations?.["gyre.io/spawn-id"], ctx.spawnId);
  assert.equal(configMap.metadata?.labels?.["app.kubernetes.io/component"], "singleuser-extension");
});

test("jupyterhub-singleuser: the same wrapper, flag, mount and ConfigMap", async () => {
  const { pod, configMap } = await objectsOf("bea", "hub-auth");
  assertExtensionInPod(pod, ["jupyterhub-singleuser"], "gyre-extension-bea");
  assert.deepEqual(Object.keys(configMap?.data ?? {}).sort(), [...EXTENSION_FILES].sort());
});

test("security: no token or secret in the ConfigMap; a pod mounts only its own, read-only, immutable even to an admin, and gets no Kubernetes credentials", async () => {
  const { ctx, pod, configMap } = await objectsOf("cal", "lab");
  const text = JSON.stringify(configMap);
  assert.ok(!text.includes(ctx.token), "not the server's token");
  assert.ok(!text.includes(ctx.apiToken), "not the server's hub API token");
  // only the files (whose source names the variables the extension reads, never their values)
  assert.deepEqual(Object.keys(configMap?.data ?? {}).sort(), [...EXTENSION_FILES].sort());
  assert.equal(configMap?.binaryData, undefined);
  // the only ConfigMap the pod references is its own server's, mounted read-only
  const configMapVolumes = pod.spec!.volumes!.filter((v) => v.configMap);
  assert.deepEqual(
    configMapVolumes.map((v) => v.configMap!.name),
    ["gyre-extension-cal"],
  );
  assert.ok(pod.spec!.containers[0].volumeMounts!.filter((m) => m.name === "gyre-extension").every((m) => m.readOnly === true));
  // users' code has no API credentials to change any ConfigMap with
  assert.equal(pod.spec!.automountServiceAccountToken, false);

  // immutable: the API server refuses a change of its files, to the cluster admin too
  const ref = { userName: "dan", serverName: "", namespace: lab.namespace };
  const body = buildExtensionConfigMap({ ...ref, spawnId: "x", files: { "__init__.py": "" } });
  await lab.admin.core.createNamespacedConfigMap({ namespace: lab.namespace, body });
  await assert.rejects(
    lab.admin.core.replaceNamespacedConfigMap({
      name: body.metadata!.name!,
      namespace: lab.namespace,
      body: { ...body, data: { "__init__.py": "import os" } },
    }),
    (e: unknown) => getApiStatusCode(e) === 422 && /immutable/i.test(getApiErrorMessage(e)),
  );
  await lab.admin.core.deleteNamespacedConfigMap({ name: body.metadata!.name!, namespace: lab.namespace });
});

test("serverExtension off (a profile's override): the command as configured, no flag, no volume, no ConfigMap", async () => {
  const { pod, configMap, state } = await objectsOf("eve", "plain");
  const c = pod.spec!.containers[0];
  assert.deepEqual(c.command, ["/usr/bin/jupyter", "server"]);
  assert.ok(!c.args!.some((a) => a.includes("gyre_agent")));
  assert.ok(!(c.volumeMounts ?? []).some((m) => m.name === "gyre-extension"));
  assert.ok(!(pod.spec!.volumes ?? []).some((v) => v.name === "gyre-extension"));
  assert.equal(configMap, null);
  assert.equal(state.extensionConfigMap, undefined);
});

test("a ConfigMap left by an earlier spawn of the server (other files) is replaced by this spawn's", async () => {
  const ref = { userName: "fay", serverName: "", namespace: lab.namespace };
  const stale = buildExtensionConfigMap({ ...ref, spawnId: "old-spawn", files: { "__init__.py": "stale = True\n" } });
  await lab.admin.core.createNamespacedConfigMap({ namespace: lab.namespace, body: stale });
  const { ctx, configMap } = await objectsOf("fay", "lab");
  assert.equal(configMap?.metadata?.annotations?.["gyre.io/spawn-id"], ctx.spawnId);
  assert.deepEqual(Object.keys(configMap?.data ?? {}).sort(), [...EXTENSION_FILES].sort());
});

test("hub restart: reconcile deletes the extension ConfigMap of a pod whose server the hub no longer runs", async () => {
  const ctx = buildTestContext("gus");
  const spawner = new KubernetesSpawner(ctx, config, { forceDeleteAfterMs: 500 });
  const started = spawner.start();
  started.catch(() => undefined);
  await waitForPod("jupyter-gus");
  for (let i = 0; i < 50 && !(await readConfigMap("gyre-extension-gus")); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(await readConfigMap("gyre-extension-gus"));
  // the hub dies without stopping it; the next one does not know the spawn any more
  closeNamespaceWatches();
  resetKubeClients();
  const result = await reconcileKubernetesPods({ config, keepSpawnIds: [], log: silentLog });
  assert.ok(result.deleted.includes("jupyter-gus"));
  assert.equal(await readConfigMap("gyre-extension-gus"), null);
  // this process is also the dead hub: end its start, whose pod is gone, or its 60 s start limit
  // keeps the file's process alive (it did: 60 s of the file's 78 s)
  await spawner.stop();
  await assert.rejects(started, /stopped before it finished starting/);
});
