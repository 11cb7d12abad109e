// The Helm chart against a REAL kube-apiserver 1.20.2 (scripts/kube/kube-up.sh): charts/gyre is
// rendered with scripts/chart-render (no helm binary here) for the default values and for
// ci/production-values.yaml, and every object is submitted as a server-side dry run
// (`?dryRun=All`): the API server validates, defaults and admits it, and stores nothing. The
// PodDisruptionBudgets included: the renderer says Kubernetes 1.20, so the chart emits the
// policy/v1beta1 that this API server serves.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { KubeClient, getApiErrorMessage, getApiStatusCode, loadKubeConfig } from "@/spawners/kubernetes/client";
import { buildChartRender } from "../chart-render/build";
import { REPO, kubeUp } from "@/spawners/kubernetes/testing/kube-lab";

let bin: string;
let objects: KubernetesObjectApi;
let admin: KubeClient;

before(() => {
  const kubeconfigPath = kubeUp();
  admin = new KubeClient(loadKubeConfig({ kubeconfigPath }));
  objects = KubernetesObjectApi.makeApiClient(admin.kc);
  bin = buildChartRender();
});

function render(args: string[]): KubernetesObject[] {
  const r = spawnSync(bin, [...args, join(REPO, "charts/gyre")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

async function ensureNamespace(name: string): Promise<void> {
  try {
    await admin.core.createNamespace({ body: { metadata: { name, labels: { "gyre.io/test": "true" } } } });
  } catch (e) {
    if (getApiStatusCode(e) !== 409) throw e;
  }
}

/** Submits each object with dryRun=All; returns "Kind/name: message" for each refusal. */
async function dryRunAll(rendered: KubernetesObject[], releaseNamespace: string): Promise<string[]> {
  const refused: string[] = [];
  for (const obj of rendered) {
    const namespaced = obj.kind !== "Namespace" && obj.kind !== "ClusterRole" && obj.kind !== "ClusterRoleBinding";
    if (namespaced) {
      obj.metadata = { ...obj.metadata, namespace: obj.metadata?.namespace ?? releaseNamespace };
      await ensureNamespace(obj.metadata.namespace!);
    }
    try {
      await objects.create(obj, undefined, "All");
    } catch (e) {
      refused.push(`${obj.kind}/${obj.metadata?.name}: ${getApiStatusCode(e)} ${getApiErrorMessage(e)}`);
    }
  }
  return refused;
}

for (const [label, values] of [
  ["default values", []],
  ["ci/production-values.yaml", ["-f", join(REPO, "charts/gyre/ci/production-values.yaml")]],
] as const) {
  test(`chart (${label}): every rendered object is accepted by the API server (server-side dry run)`, async () => {
    // a fresh release namespace: dry-run creates of objects that exist would answer 409
    const namespace = `gyre-chart-${randomBytes(3).toString("hex")}`;
    const rendered = render([...values, "--release", "gyre", "--namespace", namespace]);
    assert.ok(rendered.length >= 10, `rendered ${rendered.length} objects`);
    // the proxy's budget (2 replicas by default), and the hub's too with several hubs; 1.20 serves policy/v1beta1
    const budgets = rendered.filter((o) => o.kind === "PodDisruptionBudget");
    assert.deepEqual(
      budgets.map((o) => `${o.apiVersion} ${o.metadata?.name}`),
      label === "default values" ? ["policy/v1beta1 gyre-proxy"] : ["policy/v1beta1 gyre-hub", "policy/v1beta1 gyre-proxy"],
    );
    assert.deepEqual(await dryRunAll(rendered, namespace), []);
    const config = rendered.find((o) => o.kind === "ConfigMap")!;
    const stored = await admin.core.readNamespacedConfigMap({ name: config.metadata!.name!, namespace }).then(
      () => true,
      (e: Error) => (getApiStatusCode(e) === 404 ? false : Promise.reject(e)),
    );
    assert.equal(stored, false, "a dry run stores nothing");
    console.log(`[kube chart] ${label}: ${rendered.length} objects accepted: ${rendered.map((o) => o.kind).join(", ")}`);
  });
}

test("a dry run does refuse an invalid object (the check has teeth)", async () => {
  const namespace = `gyre-chart-${randomBytes(3).toString("hex")}`;
  const [hub] = render(["--release", "gyre", "--namespace", namespace]).filter((o) => o.kind === "Deployment");
  (hub as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0].image = "";
  const refused = await dryRunAll([hub], namespace);
  assert.equal(refused.length, 1);
  assert.match(refused[0], /422 .*image/);
});
