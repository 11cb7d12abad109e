// 410 Gone: the shared watch re-lists and resumes. Against a REAL kube-apiserver, a second
// instance on the same etcd started with --watch-cache=false (the watch cache would otherwise
// serve old resourceVersions from memory and 410 would rarely show), and a real etcd
// compaction.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { KubeClient, loadKubeConfig } from "./client";
import { buildPodManifest } from "./manifests";
import { NamespaceWatch } from "./watch";
import { REPO, buildLabConfig, kubeUp, setUpKubeLab, type KubeLab } from "./testing/kube-lab";

const INSTANCE = { GYRE_KUBE_INSTANCE: "nocache", GYRE_KUBE_API_PORT: "7244", GYRE_KUBE_EXTRA_ARGS: "--watch-cache=false" };
const ETCD = "http://127.0.0.1:7201";

let lab: KubeLab;
let client: KubeClient;
let watch: NamespaceWatch | null = null;

before(async () => {
  lab = await setUpKubeLab("gyre-gone");
  client = new KubeClient(loadKubeConfig({ kubeconfigPath: kubeUp(INSTANCE) }));
});

after(() => {
  watch?.close();
  execFileSync("bash", [join(REPO, "scripts/kube/kube-down.sh")], {
    env: { ...process.env, GYRE_KUBE_INSTANCE: INSTANCE.GYRE_KUBE_INSTANCE },
    stdio: "ignore",
  });
});

async function etcdRevision(): Promise<number> {
  const res = await fetch(`${ETCD}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("gyre").toString("base64") }) });
  return Number(((await res.json()) as { header: { revision: string } }).header.revision);
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pod(userName: string) {
  const config = buildLabConfig(lab);
  return buildPodManifest({
    userName,
    serverName: "",
    namespace: lab.namespace,
    baseUrl: `/user/${userName}/`,
    spawnId: userName,
    settings: config,
    profileName: null,
    env: {},
  });
}

test("a watch resumed from a compacted resourceVersion gets 410, re-lists (cache replaced) and watches again", async () => {
  const ns = lab.namespace;
  // the server ends each watch after 1 s, so it is resumed from its last resourceVersion often
  watch = new NamespaceWatch(client, ns, () => {}, 1);
  await watch.ready();
  await lab.admin.core.createNamespacedPod({ namespace: ns, body: pod("one") });
  await until(() => watch!.getPod("jupyter-one") !== null, 5000, "pod one in the cache");

  // changes the watch may or may not see, then writes elsewhere and a compaction past them all:
  // the next resume asks for a resourceVersion etcd no longer has
  await lab.admin.core.deleteNamespacedPod({ name: "jupyter-one", namespace: ns, gracePeriodSeconds: 0 });
  await lab.admin.core.createNamespacedPod({ namespace: ns, body: pod("two") });
  for (let i = 0; i < 3; i++) {
    await lab.admin.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `churn-${i}` }, data: { i: String(i) } } });
  }
  const revision = await etcdRevision();
  const compact = await fetch(`${ETCD}/v3/kv/compaction`, { method: "POST", body: JSON.stringify({ revision: String(revision), physical: true }) });
  assert.equal(compact.status, 200, await compact.text());

  // a 410, then the re-list has completed (counted once its answer is in the cache)
  await until(() => watch!.getStats().pods.relistsAfterGone >= 1 && watch!.getStats().pods.lists >= 2, 15_000, "a 410 and a re-list of pods");
  assert.equal(watch.getPod("jupyter-one"), null, "cache after the re-list: pod one gone");
  assert.notEqual(watch.getPod("jupyter-two"), null, "and pod two there");

  // and the new watch delivers changes again
  await lab.admin.core.createNamespacedPod({ namespace: ns, body: pod("three") });
  await until(() => watch!.getPod("jupyter-three") !== null, 5000, "pod three through the resumed watch");
  await lab.admin.core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 });
  await until(() => watch!.listPods().length === 0, 5000, "deletions through the watch");
  console.log(`[kube 410] stats after compaction at revision ${revision}: ${JSON.stringify(watch.getStats())}`);
});
