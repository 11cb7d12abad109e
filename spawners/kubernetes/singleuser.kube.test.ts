// jupyterhub-singleuser as the Kubernetes server command (a profile's `command`), against a REAL
// kube-apiserver 1.20.2 + etcd (scripts/kube/kube-up.sh). No kubelet runs in this test's
// namespace, so pods stay Pending: what is checked is the pod spec the API server stored (command,
// Gyre's flags, the hub's environment, the API token from the Secret) and the spawner's state,
// which tells the hub and the proxy that the server logs its users in through the hub.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { getApiStatusCode, resetKubeClients } from "./client";
import { KubernetesSpawner } from "./index";
import { kubernetesSpawnerKind } from "./kind";
import { buildLabConfig, buildTestContext, setUpKubeLab, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches } from "./watch";
import type { KubernetesSpawnerConfig } from "./config";

let lab: KubeLab;
let config: KubernetesSpawnerConfig;

before(async () => {
  lab = await setUpKubeLab("gyre-singleuser");
  config = buildLabConfig(lab, {
    profiles: [
      { name: "lab", displayName: "JupyterLab", default: true },
      { name: "hub-auth", displayName: "jupyterhub-singleuser", overrides: { command: ["jupyterhub-singleuser"], args: ["--debug"] } },
    ],
  });
});

after(async () => {
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  closeNamespaceWatches();
  resetKubeClients();
});

async function waitForPod(name: string): Promise<V1Pod> {
  for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
    try {
      return await lab.admin.core.readNamespacedPod({ name, namespace: lab.namespace });
    } catch (err) {
      if (getApiStatusCode(err) !== 404 || Date.now() > end) throw err;
    }
  }
}

/** Starts a server of `profile`, returns the stored pod and the spawner's state, then stops it. */
async function podOf(user: string, profile: string): Promise<{ pod: V1Pod; state: Record<string, unknown> }> {
  const ctx = buildTestContext(user, { options: { profile } });
  ctx.env = { ...ctx.env, JUPYTERHUB_CLIENT_ID: `jupyterhub-user-${user}`, JUPYTERHUB_OAUTH_CALLBACK_URL: `/user/${user}/oauth_callback` };
  const spawner = new KubernetesSpawner(ctx, config, { forceDeleteAfterMs: 500 });
  const started = spawner.start();
  started.catch(() => undefined);
  try {
    const pod = await waitForPod(`jupyter-${user}`);
    return { pod, state: spawner.getState() };
  } finally {
    await spawner.stop();
    await assert.rejects(started, /stopped before it finished starting/);
  }
}

test("a profile with command jupyterhub-singleuser: the stored pod runs it with Gyre's flags and the hub's environment; the state says the server checks its users with the hub", async () => {
  const { pod, state } = await podOf("sue", "hub-auth");
  const c = pod.spec!.containers[0];
  // through the wrapper that puts Gyre's extension first on PYTHONPATH (extension-manifests.ts)
  assert.deepEqual(c.command!.slice(3), ["gyre-extension", "/gyre-extension", "jupyterhub-singleuser"]);
  assert.deepEqual(c.args, [
    "--ServerApp.ip=0.0.0.0",
    "--ServerApp.port=8888",
    "--ServerApp.base_url=/user/sue/",
    "--ServerApp.default_url=/lab",
    "--ServerApp.root_dir=/home/jovyan",
    "--ServerApp.allow_remote_access=True",
    "--ServerApp.port_retries=0",
    "--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True",
    "--debug",
  ]);
  const env = new Map((c.env ?? []).map((e) => [e.name, e]));
  assert.equal(env.get("JUPYTERHUB_CLIENT_ID")?.value, "jupyterhub-user-sue");
  assert.equal(env.get("JUPYTERHUB_OAUTH_CALLBACK_URL")?.value, "/user/sue/oauth_callback");
  // the API token only from the Secret, never in the spec
  assert.equal(env.get("JUPYTERHUB_API_TOKEN")?.value, undefined);
  assert.equal(env.get("JUPYTERHUB_API_TOKEN")?.valueFrom?.secretKeyRef?.name, "jupyter-token-sue");
  assert.equal(state.serverAuth, "hub");
  assert.equal(kubernetesSpawnerKind.serverAuth!(state as never), "hub");
});

test("the default profile's Jupyter server: no hub auth in the state (the proxy checks users and injects the server's token)", async () => {
  const { pod, state } = await podOf("lab", "lab");
  assert.deepEqual(pod.spec!.containers[0].command!.slice(3), ["gyre-extension", "/gyre-extension", "/usr/bin/jupyter", "server"]);
  assert.equal(state.serverAuth, undefined);
  assert.equal(kubernetesSpawnerKind.serverAuth!(state as never), "proxy");
});
