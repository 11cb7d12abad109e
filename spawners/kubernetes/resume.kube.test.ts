// A hub restarted while a user's pod is still starting follows that pod (Spawner.resume), and a
// hub restarted while it runs adopts it: the hub's real spawn worker with the Kubernetes spawner,
// against the REAL kube-apiserver (scripts/kube/kube-up.sh) and the fake kubelet
// (testing/fake-kubelet.ts), which here pauses after each pod event so the start is slow enough to
// restart the hub in the middle. "Restart": the first hub's worker stops and its replica is
// abandoned (as a killed process leaves it); a second hub on the same database takes over.
// Ports: the fake kubelet's servers 7260–7268, its log endpoint 7269.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { setRuntime } from "@/app/_lib/runtime";
import { startBackgroundServices, type BackgroundServices } from "@/app/_lib/servers/background";
import { requestStart, requestStop } from "@/app/_lib/servers/commands";
import { KubeClient, loadKubeConfig, resetKubeClients } from "./client";
import { FakeKubelet } from "./testing/fake-kubelet";
import { setUpKubeLab, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches } from "./watch";

let lab: KubeLab;
let kubelet: FakeKubelet;
let first: TestHub;
let second: TestHub;
const running: BackgroundServices[] = [];

before(async () => {
  lab = await setUpKubeLab("gyre-resume");
  kubelet = new FakeKubelet({
    client: new KubeClient(loadKubeConfig({ kubeconfigPath: lab.kubeconfigPath })),
    namespace: lab.namespace,
    portRange: [7260, 7268],
    logPort: 7269,
    // each pod event (scheduled, pulling, pulled, created, started) 1.2 s apart: several seconds starting
    stepDelayMs: 1200,
  });
  await kubelet.start();
  const config = {
    hub: {
      secretKey: "kube-resume-test-secret-key-0123456789abcdef",
      replicaLeaseSeconds: 2,
      replicaHeartbeatSeconds: 0.3,
      startTimeoutSeconds: 120,
      httpProbeIntervalMs: 50,
      pollIntervalSeconds: 0.5,
    },
    spawner: {
      kind: "kubernetes",
      kubernetes: {
        namespace: lab.namespace,
        kubeconfigPath: lab.kubeconfigPath,
        command: ["/usr/bin/jupyter", "server"],
        image: "quay.io/jupyter/base-notebook:2024-12-09",
        stopGraceSeconds: 5,
        startTimeoutSeconds: 120,
      },
    },
  };
  first = await startTestHub({ catalog: SPAWNER_KINDS, config });
  // the same database: a hub process started again
  second = await startTestHub({ catalog: SPAWNER_KINDS, config, databaseUrl: `file:${join(first.dir, "gyre.db")}` });
});

after(async () => {
  for (const s of running) await s.close().catch(() => undefined);
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  await kubelet?.stop();
  closeNamespaceWatches();
  resetKubeClients();
  await second?.close();
  await first?.close();
});

async function hub(h: TestHub, replicaId: string): Promise<BackgroundServices> {
  setRuntime(h.rt);
  const s = await startBackgroundServices(h.rt, { replicaId });
  running.push(s);
  return s;
}

/** The hub process dies: its loops stop, its replica row stays until its lease runs out. */
function die(s: BackgroundServices): void {
  s.worker.close();
  s.replica.abandon();
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) {
      const rows = await first.db.server.findMany({ include: { events: { orderBy: { id: "asc" } } } });
      const seen = rows.map((r) => `${r.state}/${r.ownerReplica}: ${r.message ?? ""} [${r.events.map((e) => e.message).join(" | ")}]`);
      throw new Error(`timed out waiting for ${what}; servers: ${seen.join("; ")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function podUids(name: string): Promise<string[]> {
  const pods = await lab.admin.core.listNamespacedPod({ namespace: lab.namespace });
  return pods.items.filter((p) => p.metadata?.name === name && !p.metadata?.deletionTimestamp).map((p) => p.metadata!.uid!);
}

const server = (userId: number) => first.db.server.findUniqueOrThrow({ where: { userId_name: { userId, name: "" } } });

test("a hub restarted while the pod is still starting follows that pod: same uid, never deleted and created again, running and routed once", async (t) => {
  const a = await hub(first, "kube-hub-before");
  const user = await first.addUser("resumer");
  assert.equal(await requestStart(first.db, user.id, "", {}), "requested");
  // the pod exists (its uid stored with the spawner's state) and is still starting
  const state = await waitFor("the pod created and its uid stored", async () => {
    const s = await server(user.id);
    const st = (JSON.parse(s.spawnerState || "{}") as { state?: { podName?: string; podUid?: string } }).state;
    return s.state === "starting" && st?.podUid ? st : null;
  });
  assert.deepEqual(await podUids(state.podName!), [state.podUid], "one pod, still starting");
  die(a);
  const diedAt = Date.now();

  const b = await hub(second, "kube-hub-after");
  const s = await waitFor("running", async () => ((await server(user.id)).state === "running" ? server(user.id) : null), 90_000);
  t.diagnostic(`hub died while the pod started → running under the new hub ${Date.now() - diedAt} ms later`);
  assert.deepEqual(await podUids(state.podName!), [state.podUid], "the same pod: not deleted, not created again");
  assert.equal(s.ownerReplica, "kube-hub-after");
  assert.deepEqual(
    second.routes.changes.filter((c) => c.endsWith("/user/resumer/")),
    ["add /user/resumer/"],
    "the new hub routed it once",
  );
  const events = (await second.db.spawnEvent.findMany({ where: { serverId: s.id, spawnId: s.spawnId! }, orderBy: { id: "asc" } })).map((e) => e.message);
  assert.ok(events.includes("The hub restarted during the spawn; following it again"), events.join(" | "));
  assert.ok(!events.some((m) => /starting again/.test(m)), events.join(" | "));

  // and a hub restarted while it runs adopts it: the same pod again
  die(b);
  await new Promise((r) => setTimeout(r, 1000)); // the first hub's own start, left running in this process, has settled
  const routedBefore = first.routes.changes.length;
  await hub(first, "kube-hub-third");
  await waitFor("adopted", async () => (await server(user.id)).ownerReplica === "kube-hub-third");
  assert.equal((await server(user.id)).state, "running");
  assert.deepEqual(await podUids(state.podName!), [state.podUid], "adopted, not restarted");
  assert.deepEqual(
    first.routes.changes.slice(routedBefore).filter((c) => c.endsWith("/user/resumer/")),
    ["add /user/resumer/"],
    "its route pushed again once",
  );

  setRuntime(first.rt);
  assert.equal(await requestStop(first.db, user.id, ""), "requested");
  await waitFor("stopped", async () => (await server(user.id)).state === "stopped");
  await waitFor("pod gone", async () => (await podUids(state.podName!)).length === 0, 30_000);
});
