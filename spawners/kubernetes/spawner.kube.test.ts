// The Kubernetes spawner against a REAL kube-apiserver 1.20.2 + etcd (scripts/kube/kube-up.sh).
// There is no scheduler or kubelet: FakeKubelet (testing/fake-kubelet.ts) binds pods, posts
// events and runs each pod's command as a local Jupyter server. There is no container runtime,
// so image names are ignored. Run with `npm run test:kube`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { KubeClient, getApiStatusCode, loadKubeConfig, resetKubeClients } from "./client";
import { KubernetesSpawner, getKubernetesRequestCounts, reconcileKubernetesPods } from "./index";
import { ANNOTATIONS, buildPodManifest, buildTokenSecretManifest } from "./manifests";
import { buildObjectName } from "./names";
import { FakeKubelet } from "./testing/fake-kubelet";
import { buildLabConfig, buildTestContext, setUpKubeLab, silentLog, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches } from "./watch";
import type { KubernetesSpawnerConfig } from "./config";
import type { ProgressEvent, SpawnContext, Spawner } from "../types";

let lab: KubeLab;
let kubelet: FakeKubelet;
let config: KubernetesSpawnerConfig;

before(async () => {
  lab = await setUpKubeLab("gyre-spawner");
  kubelet = new FakeKubelet({ client: new KubeClient(loadKubeConfig({ kubeconfigPath: lab.kubeconfigPath })), namespace: lab.namespace });
  await kubelet.start();
  config = buildLabConfig(lab, {
    profiles: [
      { name: "standard", displayName: "Standard", default: true, overrides: { cpuLimit: 1, memoryLimitBytes: "2Gi" } },
      { name: "gpu", displayName: "GPU", groups: ["org:gpu-team"], overrides: { extraResourceLimits: { "nvidia.com/gpu": 1 } } },
      // a node selector key Kubernetes rejects: the API server answers 422
      { name: "broken", displayName: "Broken", overrides: { nodeSelector: { "not a valid key!": "x" } } },
      // a server that exits at once
      { name: "crashing", displayName: "Crashing", overrides: { command: ["/bin/sh", "-c", "echo boom; exit 3", "crash"] } },
    ],
  });
});

after(async () => {
  // leave no pods behind in etcd (the namespace itself can never be deleted here)
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  await kubelet?.stop();
  closeNamespaceWatches();
  resetKubeClients();
});

async function collectProgress(spawner: KubernetesSpawner): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const ev of spawner.progress()) out.push(ev);
  return out;
}

async function getStatus(url: string, ctx: SpawnContext, path = "api/status"): Promise<number> {
  const res = await fetch(`${url}${ctx.baseUrl}${path}`, { headers: { Authorization: `token ${ctx.token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function readPod(name: string): Promise<V1Pod | null> {
  try {
    return await lab.admin.core.readNamespacedPod({ name, namespace: lab.namespace });
  } catch (e) {
    if (getApiStatusCode(e) === 404) return null;
    throw e;
  }
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (e) {
    if (getApiStatusCode(e) === 404) return false;
    throw e;
  }
}

test("start → pod bound and run by the fake kubelet (image ignored) → progress from pod events → stop deletes pod and secret, keeps the claim", async () => {
  const ctx = buildTestContext("alice");
  const spawner = new KubernetesSpawner(ctx, config);
  const progress = collectProgress(spawner);
  const started = await spawner.start();
  assert.match(started.url, /^http:\/\/127\.0\.0\.1:72[5-9]\d$/);
  assert.equal(await getStatus(started.url, ctx), 200, "the server answers with its token");
  assert.equal(await getStatus(started.url, { ...ctx, token: "wrong" }), 403, "and refuses another token");

  const messages = (await progress).map((e) => e.message);
  for (const expected of [/pod was created/, /has a node/, /Pulling image/, /Successfully pulled image/, /container created/, /Server started/]) {
    assert.ok(
      messages.some((m) => expected.test(m)),
      `progress has ${expected}: ${JSON.stringify(messages)}`,
    );
  }
  const values = (await collectProgress(spawner)).map((e) => e.progress);
  assert.deepEqual(
    values,
    [...values].sort((a, b) => a - b),
    "progress never goes back",
  );

  const state = spawner.getState();
  assert.equal(state.podName, "jupyter-alice");
  assert.equal(state.namespace, lab.namespace);
  assert.equal(state.spawnId, ctx.spawnId);
  const pod = await readPod("jupyter-alice");
  assert.equal(pod?.spec?.nodeName, "lab-node-1");
  assert.equal(pod?.metadata?.annotations?.[ANNOTATIONS.profile], "standard", "the default profile");
  assert.equal(pod?.spec?.containers[0].resources?.limits?.cpu, "1");
  assert.equal(state.extensionConfigMap, "gyre-extension-alice");
  assert.match(await spawner.logTail(200), /gyre_agent\.jupyter_ext \| extension was successfully loaded/, "Gyre's extension, from its ConfigMap");

  const before = getKubernetesRequestCounts(config).total;
  for (let i = 0; i < 5; i++) assert.equal(await spawner.poll(), null);
  assert.equal(getKubernetesRequestCounts(config).total - before, 0, "poll() reads the watch cache");

  assert.match(await spawner.logTail(50), /Jupyter Server/, "pods/log through the API server");
  assert.ok(!(await spawner.logTail(200)).includes(ctx.token), "the token never shows in the log tail");

  await spawner.stop();
  assert.equal(await readPod("jupyter-alice"), null, "pod gone (the fake kubelet finalised it)");
  assert.equal(await exists(() => lab.admin.core.readNamespacedSecret({ name: "jupyter-token-alice", namespace: lab.namespace })), false, "secret deleted");
  assert.equal(
    await exists(() => lab.admin.core.readNamespacedConfigMap({ name: "gyre-extension-alice", namespace: lab.namespace })),
    false,
    "the server extension's ConfigMap deleted",
  );
  const claim = await lab.admin.core.readNamespacedPersistentVolumeClaim({ name: "claim-alice", namespace: lab.namespace });
  assert.equal(claim.status?.phase, "Bound", "claim kept (and bound by the fake PV controller)");
  assert.match((await spawner.poll())?.reason ?? "", /no longer exists/);
  await spawner.stop(); // idempotent
});

test("the claim is kept across stop/start: a file written in the first server is there in the next", async () => {
  const ctx1 = buildTestContext("bob");
  const s1 = new KubernetesSpawner(ctx1, config);
  const { url: url1 } = await s1.start();
  const put = await fetch(`${url1}${ctx1.baseUrl}api/contents/notes.txt`, {
    method: "PUT",
    headers: { Authorization: `token ${ctx1.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "file", format: "text", content: "kept across restarts" }),
  });
  assert.ok(put.status === 200 || put.status === 201, `PUT contents: ${put.status}`);
  const claimUid = (await lab.admin.core.readNamespacedPersistentVolumeClaim({ name: "claim-bob", namespace: lab.namespace })).metadata?.uid;
  await s1.stop();

  const ctx2 = buildTestContext("bob");
  const s2 = new KubernetesSpawner(ctx2, config);
  const progress = collectProgress(s2);
  const { url: url2 } = await s2.start();
  assert.ok((await progress).some((e) => /home volume is there from before/.test(e.message)));
  assert.equal(
    (await lab.admin.core.readNamespacedPersistentVolumeClaim({ name: "claim-bob", namespace: lab.namespace })).metadata?.uid,
    claimUid,
    "the same claim (409 → kept)",
  );
  const res = await fetch(`${url2}${ctx2.baseUrl}api/contents/notes.txt?content=1`, { headers: { Authorization: `token ${ctx2.token}` } });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { content: string }).content, "kept across restarts");
  await s2.stop();
});

test("409: a stale pod and secret of the same server are replaced (pod deleted with grace 0, secret deleted and made anew)", async () => {
  const stale = buildTestContext("carol");
  const ref = { userName: "carol", serverName: "", namespace: lab.namespace };
  await lab.admin.core.createNamespacedSecret({
    namespace: lab.namespace,
    body: buildTokenSecretManifest({ ...ref, token: "stale-token", apiToken: "stale-api-token", spawnId: stale.spawnId }),
  });
  const stalePod = buildPodManifest({ ...ref, baseUrl: stale.baseUrl, spawnId: stale.spawnId, settings: config, profileName: null, env: {} });
  stalePod.spec!.nodeName = "nowhere"; // bound elsewhere: the fake kubelet leaves it alone
  const created = await lab.admin.core.createNamespacedPod({ namespace: lab.namespace, body: stalePod });

  const ctx = buildTestContext("carol");
  const spawner = new KubernetesSpawner(ctx, config);
  const progress = collectProgress(spawner);
  const before = getKubernetesRequestCounts(config);
  const { url } = await spawner.start();
  const used = getKubernetesRequestCounts(config).total - before.total;
  assert.ok((await progress).some((e) => /leftover pod/.test(e.message)));
  const pod = await readPod("jupyter-carol");
  assert.notEqual(pod?.metadata?.uid, created.metadata?.uid, "a new pod");
  assert.equal(pod?.metadata?.annotations?.[ANNOTATIONS.spawnId], ctx.spawnId);
  assert.equal(await getStatus(url, ctx), 200, "the new token works: the secret was replaced");
  // claim + secret (409) + DELETE stale secret + secret + extension ConfigMap + pod (409) + DELETE stale pod + pod = 8
  assert.equal(used, 8, `requests for a start with stale objects: ${JSON.stringify(before)} → ${used}`);
  await spawner.stop();
});

test("a late clean-up of an earlier spawn deletes its own objects only: a newer spawn of the server keeps its pod, token Secret and ConfigMap", async () => {
  const secret = () => lab.admin.core.readNamespacedSecret({ name: "jupyter-token-lena", namespace: lab.namespace });
  const extension = () => lab.admin.core.readNamespacedConfigMap({ name: "gyre-extension-lena", namespace: lab.namespace });
  // a state saved by a hub that did not record the objects' uids: the stop reads each object's spawn id instead
  const withoutUids = (state: Record<string, unknown>) => {
    const { secretUid, extensionConfigMapUid, launchConfigMapUid, ...rest } = state;
    assert.ok(secretUid && extensionConfigMapUid && launchConfigMapUid === undefined, JSON.stringify(state));
    return rest as ReturnType<Spawner["getState"]>;
  };
  const earlier = new KubernetesSpawner(buildTestContext("lena"), config);
  await earlier.start();
  const earlierState = earlier.getState();
  // the server ended; the hub's clean-up of it ran past hub.stopTimeoutSeconds, the server was marked
  // stopped, and its owner started it again before that clean-up reached its Secret
  const ctx = buildTestContext("lena");
  const newer = new KubernetesSpawner(ctx, config);
  const { url } = await newer.start();
  const newerPod = (await readPod("jupyter-lena"))?.metadata?.uid;

  await earlier.stop();
  const fromOldState = new KubernetesSpawner(buildTestContext("lena"), config);
  fromOldState.loadState(withoutUids(earlierState));
  await fromOldState.stop();

  assert.equal((await readPod("jupyter-lena"))?.metadata?.uid, newerPod, "the newer spawn's pod is there");
  assert.equal((await secret()).metadata?.annotations?.[ANNOTATIONS.spawnId], ctx.spawnId, "the newer spawn's Secret is there");
  assert.equal((await extension()).metadata?.annotations?.[ANNOTATIONS.spawnId], ctx.spawnId, "the newer spawn's ConfigMap is there");
  assert.equal(await getStatus(url, ctx), 200, "the newer server answers with its token");

  // and a stop from a state without uids deletes the objects that are its spawn's
  const adopted = new KubernetesSpawner(ctx, config);
  adopted.loadState(withoutUids(newer.getState()));
  await adopted.stop();
  assert.equal(await readPod("jupyter-lena"), null);
  assert.equal(await exists(secret), false, "its Secret deleted");
  assert.equal(await exists(extension), false, "its ConfigMap deleted");
});

test("422 from the API server and refused profiles become SpawnErrors with the reason", async () => {
  const broken = new KubernetesSpawner(buildTestContext("dave", { options: { profile: "broken" } }), config);
  await assert.rejects(broken.start(), (e: Error) => e.name === "SpawnError" && /refused your server's pod/.test(e.message) && /nodeSelector/.test(e.message));
  assert.match((await broken.poll())?.reason ?? "", /refused/);
  await broken.stop();

  const noGroup = new KubernetesSpawner(buildTestContext("erin", { options: { profile: "gpu" } }), config);
  await assert.rejects(noGroup.start(), /You may not use the profile "gpu"/);
  const unknown = new KubernetesSpawner(buildTestContext("erin", { options: { profile: "nope" } }), config);
  await assert.rejects(unknown.start(), /There is no profile "nope"/);

  // the gpu team may, and the pod carries the extra resource limit
  const gpu = new KubernetesSpawner(buildTestContext("frank", { options: { profile: "gpu" }, groups: ["org:gpu-team"] }), config);
  await gpu.start();
  assert.equal((await readPod("jupyter-frank"))?.spec?.containers[0].resources?.limits?.["nvidia.com/gpu"], "1");
  await gpu.stop();
});

test("a server that exits while starting: start() fails with its exit status, poll() says why; the hub's clean-up after it deletes its pod and secret", async () => {
  const spawner = new KubernetesSpawner(buildTestContext("gina", { options: { profile: "crashing" } }), config);
  await assert.rejects(spawner.start(), (e: Error & { logTail?: string }) => /status 3/.test(e.message) && /boom/.test(e.logTail ?? ""));
  assert.match((await spawner.poll())?.reason ?? "", /status 3/);
  assert.ok(await readPod("jupyter-gina"), "the ended pod stays until the hub clears it");
  // what the hub calls for a server that ended on its own (worker.ts markGone); the kind deletes the same things as at any stop
  const asTheHubHasIt: Spawner = spawner;
  await asTheHubHasIt.stop({ ended: true });
  assert.equal(await readPod("jupyter-gina"), null);
  assert.equal(
    await exists(() => lab.admin.core.readNamespacedSecret({ name: "jupyter-token-gina", namespace: lab.namespace })),
    false,
    "its token's Secret deleted",
  );
});

test("hub restart: new client, watches and spawners adopt the running server; reconcile deletes the pod of a server the hub no longer runs", async () => {
  const liveCtx = buildTestContext("hank");
  const live = new KubernetesSpawner(liveCtx, config);
  const { url } = await live.start();
  const orphanCtx = buildTestContext("ivy", { serverName: "gpu" });
  const orphan = new KubernetesSpawner(orphanCtx, config);
  await orphan.start();
  const savedLive = live.getState();

  // the hub process goes away: its watches and clients with it (pods keep running)
  closeNamespaceWatches();
  resetKubeClients();

  const result = await reconcileKubernetesPods({ config, keepSpawnIds: [liveCtx.spawnId], log: silentLog });
  assert.deepEqual(result.deleted, [buildObjectName({ kind: "pod", userName: "ivy", serverName: "gpu" })]);
  assert.ok(result.kept.includes("jupyter-hank"));
  const adopted = new KubernetesSpawner(liveCtx, config);
  adopted.loadState(savedLive);
  assert.equal(await adopted.poll(), null, "adopted: running");
  assert.equal(await getStatus(url, liveCtx), 200);

  // the orphan's pod goes (the fake kubelet finalises it); its secret too; its claim stays
  const orphanName = "jupyter-ivy--gpu";
  for (let i = 0; i < 100 && (await readPod(orphanName)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await readPod(orphanName), null);
  assert.equal(await exists(() => lab.admin.core.readNamespacedSecret({ name: "jupyter-token-ivy--gpu", namespace: lab.namespace })), false);
  assert.equal(await exists(() => lab.admin.core.readNamespacedConfigMap({ name: "gyre-extension-ivy--gpu", namespace: lab.namespace })), false);
  assert.equal(
    await exists(() => lab.admin.core.readNamespacedConfigMap({ name: "gyre-extension-hank", namespace: lab.namespace })),
    true,
    "the live server's is kept",
  );
  assert.equal(await exists(() => lab.admin.core.readNamespacedPersistentVolumeClaim({ name: "claim-ivy", namespace: lab.namespace })), true);

  await adopted.stop();
  assert.equal(await readPod("jupyter-hank"), null);
});

test("stop() while the pod starts: start() fails as stopped, and the pod it created is deleted", async () => {
  const spawner = new KubernetesSpawner(buildTestContext("jane"), config);
  const started = spawner.start();
  for await (const ev of spawner.progress()) if (/pod was created/.test(ev.message)) break;
  const stopped = spawner.stop();
  await assert.rejects(started, /stopped before it finished starting/);
  await stopped;
  assert.equal(await readPod("jupyter-jane"), null);
  assert.equal(await exists(() => lab.admin.core.readNamespacedSecret({ name: "jupyter-token-jane", namespace: lab.namespace })), false);
});

test("stop() of a pod no kubelet finalises (its node is gone): Terminating, then force-deleted with grace 0", async () => {
  const ctx = buildTestContext("kate");
  const ref = { userName: "kate", serverName: "", namespace: lab.namespace };
  const body = buildPodManifest({ ...ref, baseUrl: ctx.baseUrl, spawnId: ctx.spawnId, settings: config, profileName: null, env: {} });
  body.spec!.nodeName = "lost-node"; // bound to a node without a kubelet: a graceful delete never ends
  const created = await lab.admin.core.createNamespacedPod({ namespace: lab.namespace, body });
  const spawner = new KubernetesSpawner(ctx, config, { forceDeleteAfterMs: 500 });
  spawner.loadState({ podName: "jupyter-kate", namespace: lab.namespace, spawnId: ctx.spawnId, podUid: created.metadata!.uid! });
  const t0 = Date.now();
  await spawner.stop();
  assert.equal(await readPod("jupyter-kate"), null);
  const ms = Date.now() - t0;
  assert.ok(ms >= config.stopGraceSeconds * 1000, `waited the grace period first (${ms} ms)`);
});
