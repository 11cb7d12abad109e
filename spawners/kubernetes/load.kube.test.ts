// API requests of the Kubernetes spawner with 100 running servers, against a REAL kube-apiserver
// (scripts/kube/kube-up.sh). The pods run a trivial local command (`sleep`) through the fake
// kubelet with "process" readiness, so that 100 of them are cheap; image names are ignored (no
// container runtime here). Prints the figures quoted in docs/decisions.md (Kubernetes).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KubeClient, getKubeClient, loadKubeConfig, resetKubeClients } from "./client";
import { KubernetesSpawner } from "./index";
import { FakeKubelet } from "./testing/fake-kubelet";
import { buildLabConfig, buildTestContext, setUpKubeLab, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches, getNamespaceWatch } from "./watch";
import type { KubernetesSpawnerConfig } from "./config";

const SERVERS = 100;
const BATCH = 20;

let lab: KubeLab;
let kubelet: FakeKubelet;
let config: KubernetesSpawnerConfig;

before(async () => {
  lab = await setUpKubeLab("gyre-load");
  kubelet = new FakeKubelet({
    client: new KubeClient(loadKubeConfig({ kubeconfigPath: lab.kubeconfigPath })),
    namespace: lab.namespace,
    readiness: "process",
    logPort: 7298,
  });
  await kubelet.start();
  // `sh -c 'exec sleep 900' noop <Gyre's --ServerApp.* args>`: the args land in $1.. and are ignored
  config = buildLabConfig(lab, { command: ["/bin/sh", "-c", "exec sleep 900", "noop"], stopGraceSeconds: 1 });
});

after(async () => {
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  await kubelet?.stop();
  closeNamespaceWatches();
  resetKubeClients();
});

test(`API requests: constant per spawn, 0 per poll cycle with ${SERVERS} running servers`, async () => {
  const client = getKubeClient(config);
  const count = () => client.getRequestCounts().total;

  // the namespace's shared watches: two lists + two watches, once per hub process
  const c0 = count();
  await getNamespaceWatch(client, lab.namespace).ready();
  const setup = count() - c0;

  const spawners: KubernetesSpawner[] = [];
  const perSpawn: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < SERVERS; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, SERVERS - i) }, (_, j) => new KubernetesSpawner(buildTestContext(`user${i + j}`), config));
    const before = count();
    await Promise.all(batch.map((s) => s.start()));
    perSpawn.push((count() - before) / batch.length);
    spawners.push(...batch);
  }
  const spawnSeconds = (Date.now() - t0) / 1000;
  assert.equal(kubelet.countRunning(), SERVERS);

  const cycles = 5;
  const beforePoll = count();
  const p0 = process.hrtime.bigint();
  for (let c = 0; c < cycles; c++) {
    const results = await Promise.all(spawners.map((s) => s.poll()));
    assert.ok(
      results.every((r) => r === null),
      "all running",
    );
  }
  const pollMs = Number(process.hrtime.bigint() - p0) / 1e6 / cycles;
  const perPollCycle = (count() - beforePoll) / cycles;

  const beforeStop = count();
  for (let i = 0; i < SERVERS; i += BATCH) await Promise.all(spawners.slice(i, i + BATCH).map((s) => s.stop()));
  const perStop = (count() - beforeStop) / SERVERS;
  assert.equal(getNamespaceWatch(client, lab.namespace).listPods().length, 0);

  console.log(
    `[kube load] ${SERVERS} servers: watch set-up ${setup} requests (once per namespace); ` +
      `${perSpawn.join("/")} requests per spawn (per batch of ${BATCH}); ` +
      `${perPollCycle} requests per poll cycle of ${SERVERS} servers (${pollMs.toFixed(2)} ms per cycle); ` +
      `${perStop} requests per stop; ${SERVERS} spawns in ${spawnSeconds.toFixed(1)} s; by method ${JSON.stringify(client.getRequestCounts().byMethod)}`,
  );
  assert.equal(setup, 4, "2 lists + 2 watches");
  assert.ok(
    perSpawn.every((n) => n === 4),
    `4 per spawn (claim, secret, the server extension's ConfigMap, pod): ${perSpawn.join(", ")}`,
  );
  assert.equal(perPollCycle, 0);
  assert.equal(perStop, 3, "pod + secret + ConfigMap");
});
