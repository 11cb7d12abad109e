// The chart's hub Role against a REAL kube-apiserver 1.20.2 with --authorization-mode=RBAC
// (scripts/kube/kube-up.sh): is it SUFFICIENT for the Kubernetes spawner, and LEAST PRIVILEGE?
//
// charts/gyre is rendered with scripts/chart-render (default values); its ServiceAccount, Role and
// RoleBinding are created as rendered in a fresh namespace. The hub's identity is a client
// certificate signed here with the lab CA (user gyre-hub-rbac-test), bound to the rendered Role by
// a second RoleBinding that differs from the rendered one only in its subject, so the rules under
// test are exactly the chart's. The rendered binding itself is checked with a token of the
// rendered ServiceAccount (TokenRequest), the identity a hub in the cluster really has.
// The fake kubelet keeps admin credentials, as a real kubelet has its own.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { KubernetesObjectApi, type KubernetesObject, type V1Pod, type V1Role, type V1RoleBinding } from "@kubernetes/client-node";
import { buildChartRender } from "@/scripts/chart-render/build";
import { KubeClient, getApiStatusCode, loadKubeConfig, resetKubeClients } from "./client";
import { KubernetesSpawner, getKubernetesRequestCounts, reconcileKubernetesPods } from "./index";
import { buildPodManifest, buildTokenSecretManifest } from "./manifests";
import { FakeKubelet } from "./testing/fake-kubelet";
import { issueTestIdentity, kubeRequest, type TestIdentity } from "./testing/kube-identity";
import { REPO, buildLabConfig, buildTestContext, setUpKubeLab, silentLog, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches } from "./watch";
import type { KubernetesSpawnerConfig } from "./config";
import type { SpawnContext } from "../types";
import { buildPrepareSpec } from "../agent/agent-spec";
import { launchConfigSchema } from "@/config/launch-section";

const HUB_USER = "gyre-hub-rbac-test";
const RELEASE = "gyre";
// holds the identity's key: 0700 (the fake kubelet's own directory, which pods running as their
// non-root runAsUser must traverse, is 0755)
const workDir = mkdtempSync(join(tmpdir(), "gyre-rbac-"));

let lab: KubeLab;
let kubelet: FakeKubelet;
let hub: TestIdentity;
let config: KubernetesSpawnerConfig;
let role: V1Role;
let binding: V1RoleBinding;
let serviceAccountName: string;
/** a second namespace, where the hub has no binding at all */
let otherNamespace: string;

before(async () => {
  lab = await setUpKubeLab("gyre-rbac");
  otherNamespace = (await setUpKubeLab("gyre-rbac-other")).namespace;

  const renderBin = buildChartRender();
  const r = spawnSync(renderBin, ["--release", RELEASE, "--namespace", lab.namespace, join(REPO, "charts/gyre")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const rendered = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
  const pick = <T>(kind: string): T => {
    const found = rendered.filter((o) => o.kind === kind);
    assert.equal(found.length, 1, `one ${kind} rendered`);
    return found[0] as T;
  };
  role = pick<V1Role>("Role");
  binding = pick<V1RoleBinding>("RoleBinding");
  const serviceAccount = pick<KubernetesObject>("ServiceAccount");
  serviceAccountName = serviceAccount.metadata!.name!;
  assert.equal(role.metadata?.namespace, lab.namespace, "the Role lives in the user namespace");
  assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata?.name });
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: serviceAccountName, namespace: lab.namespace }]);

  // as admin: the rendered objects exactly, plus one binding of the same Role to the test user
  const objects = KubernetesObjectApi.makeApiClient(lab.admin.kc);
  const inNamespace = <T extends KubernetesObject>(o: T): T => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata?.namespace ?? lab.namespace } });
  for (const o of [serviceAccount, role, binding]) await objects.create(inNamespace(o));
  await objects.create({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: `${binding.metadata!.name}-test-user`, namespace: lab.namespace },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: HUB_USER }],
    roleRef: binding.roleRef,
  } as KubernetesObject);

  hub = issueTestIdentity({ user: HUB_USER, dir: join(workDir, "identity"), adminKubeconfigPath: lab.kubeconfigPath });
  kubelet = new FakeKubelet({ client: new KubeClient(loadKubeConfig({ kubeconfigPath: lab.kubeconfigPath })), namespace: lab.namespace });
  await kubelet.start();
  config = buildLabConfig({ namespace: lab.namespace, kubeconfigPath: hub.kubeconfigPath }, { kubeContext: hub.kubeContext });
});

after(async () => {
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  await kubelet?.stop();
  closeNamespaceWatches();
  resetKubeClients();
  rmSync(workDir, { recursive: true, force: true });
});

async function getStatus(url: string, ctx: SpawnContext): Promise<number> {
  const res = await fetch(`${url}${ctx.baseUrl}api/status`, { headers: { Authorization: `token ${ctx.token}` } });
  await res.arrayBuffer();
  return res.status;
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

const readPod = (name: string): Promise<V1Pod | null> =>
  lab.admin.core.readNamespacedPod({ name, namespace: lab.namespace }).catch((e: Error) => (getApiStatusCode(e) === 404 ? null : Promise.reject(e)));
const secretExists = (name: string) => exists(() => lab.admin.core.readNamespacedSecret({ name, namespace: lab.namespace }));
const claimExists = (name: string) => exists(() => lab.admin.core.readNamespacedPersistentVolumeClaim({ name, namespace: lab.namespace }));

test("the identity is the restricted user and nothing more: it may list pods in the user namespace, not in another", async () => {
  const whoami = await kubeRequest(hub, "GET", `/api/v1/namespaces/${otherNamespace}/pods`);
  assert.equal(whoami.status, 403);
  assert.match(
    (JSON.parse(whoami.body) as { message: string }).message,
    new RegExp(`User "${HUB_USER}" cannot list resource "pods"`),
    "authenticated as the test user (not 401, not admin)",
  );
  assert.equal((await kubeRequest(hub, "GET", `/api/v1/namespaces/${lab.namespace}/pods`)).status, 200);
});

test("SUFFICIENT: start → ready (api/status 200 with the token) → pod logs → stop: pod and secret gone, claim kept — all as the restricted user", async () => {
  const ctx = buildTestContext("alice");
  const spawner = new KubernetesSpawner(ctx, config);
  const started = await spawner.start();
  assert.equal(await getStatus(started.url, ctx), 200, "the server answers with its token");
  assert.equal(await spawner.poll(), null);
  // the requests went through the client of the restricted kubeconfig (it holds no other user)
  assert.ok(getKubernetesRequestCounts(config).total >= 4, "watches + claim + secret + pod as the test user");
  assert.match(await spawner.logTail(50), /Jupyter Server/, "pods/log is allowed");
  assert.equal(await secretExists("jupyter-token-alice"), true);

  await spawner.stop();
  assert.equal(await readPod("jupyter-alice"), null, "pod gone");
  assert.equal(await secretExists("jupyter-token-alice"), false, "secret deleted");
  assert.equal(await claimExists("claim-alice"), true, "claim kept");

  // a second start finds its claim (409 on create, no read needed) and works again
  const ctx2 = buildTestContext("alice");
  const again = new KubernetesSpawner(ctx2, config);
  assert.equal(await getStatus((await again.start()).url, ctx2), 200);
  await again.stop();
  assert.equal(await readPod("jupyter-alice"), null);
});

test("SUFFICIENT: 409 paths — a stale secret is deleted and made anew (no update) and a stale pod deleted with grace 0, as the restricted user", async () => {
  const stale = buildTestContext("carol");
  const ref = { userName: "carol", serverName: "", namespace: lab.namespace };
  await lab.admin.core.createNamespacedSecret({
    namespace: lab.namespace,
    body: buildTokenSecretManifest({ ...ref, token: "stale-token", apiToken: "stale-api-token", spawnId: stale.spawnId }),
  });
  const stalePod = buildPodManifest({ ...ref, baseUrl: stale.baseUrl, spawnId: stale.spawnId, settings: config, profileName: null, env: {} });
  stalePod.spec!.nodeName = "nowhere"; // no kubelet finalises it: only the grace-0 delete removes it
  const created = await lab.admin.core.createNamespacedPod({ namespace: lab.namespace, body: stalePod });

  const ctx = buildTestContext("carol");
  const spawner = new KubernetesSpawner(ctx, config);
  const { url } = await spawner.start();
  assert.notEqual((await readPod("jupyter-carol"))?.metadata?.uid, created.metadata?.uid, "a new pod");
  assert.equal(await getStatus(url, ctx), 200, "the new token works: the secret was replaced");
  await spawner.stop();
  assert.equal(await secretExists("jupyter-token-carol"), false);
});

test("SUFFICIENT: hub restart as the restricted user — reconcile deletes an orphan's pod and secret, adopts the running server", async () => {
  const liveCtx = buildTestContext("hank");
  const live = new KubernetesSpawner(liveCtx, config);
  const { url } = await live.start();
  const orphan = new KubernetesSpawner(buildTestContext("ivy", { serverName: "gpu" }), config);
  await orphan.start();
  const saved = live.getState();

  closeNamespaceWatches();
  resetKubeClients();

  const result = await reconcileKubernetesPods({ config, keepSpawnIds: [liveCtx.spawnId], log: silentLog });
  assert.deepEqual(result.deleted, ["jupyter-ivy--gpu"]);
  assert.deepEqual(result.kept, ["jupyter-hank"]);
  for (let i = 0; i < 100 && (await readPod("jupyter-ivy--gpu")); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await readPod("jupyter-ivy--gpu"), null);
  assert.equal(await secretExists("jupyter-token-ivy--gpu"), false, "the orphan's secret (read by name, then deleted)");
  assert.equal(await claimExists("claim-ivy"), true, "claims are never touched");

  const adopted = new KubernetesSpawner(liveCtx, config);
  adopted.loadState(saved);
  assert.equal(await adopted.poll(), null, "adopted: running");
  assert.equal(await getStatus(url, liveCtx), 200);
  await adopted.stop();
  assert.equal(await readPod("jupyter-hank"), null);
});

test("SUFFICIENT: a launch with an image build as the restricted user — build Job created and read, launch ConfigMap created and deleted (the fake kubelet completes the Job and runs the init container)", async () => {
  const built = buildLabConfig(
    { namespace: lab.namespace, kubeconfigPath: hub.kubeconfigPath },
    { kubeContext: hub.kubeContext, launchImageBuild: { enabled: true, registry: "registry.test/l" } },
  );
  // the init container's agent fails (nothing listens on port 9), which is enough to prove the
  // objects could be made: the spawn fails with the agent's reason, not with a 403
  const spec = buildPrepareSpec({
    repoUrl: "http://127.0.0.1:9/org/x",
    commit: "c".repeat(40),
    ref: "main",
    targetDir: "~/launches/x",
    allowHttp: true,
    platform: "kubernetes",
    config: launchConfigSchema.parse({}),
  });
  const ctx: SpawnContext = { ...buildTestContext("quinn", { serverName: "x-cccccccc" }), launch: { spec, prepareTimeoutSeconds: 60 } };
  const spawner = new KubernetesSpawner(ctx, built);
  await assert.rejects(
    spawner.start(),
    (e: unknown) => !/may not create|Forbidden|403/.test((e as Error).message) && /could not|reach|fetch|git/i.test((e as Error).message),
  );
  await spawner.stop();
  await assert.rejects(lab.admin.core.readNamespacedConfigMap({ name: "gyre-launch-quinn--x-cccccccc", namespace: lab.namespace }));
});

/** Requests the hub must NOT be able to make; each must answer 403 Forbidden. */
function forbiddenRequests(): { what: string; method: string; path: string; body?: unknown; contentType?: string; headers?: Record<string, string> }[] {
  const ns = lab.namespace;
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "rbac-probe" }, spec: { containers: [{ name: "c", image: "busybox" }] } };
  const merge = "application/merge-patch+json";
  return [
    { what: "list secrets", method: "GET", path: `/api/v1/namespaces/${ns}/secrets` },
    { what: "watch secrets", method: "GET", path: `/api/v1/namespaces/${ns}/secrets?watch=true` },
    { what: "list secrets in all namespaces", method: "GET", path: `/api/v1/secrets` },
    { what: "read a secret in another namespace", method: "GET", path: `/api/v1/namespaces/${otherNamespace}/secrets/x` },
    // the hub deletes and makes its servers' secrets and ConfigMaps anew, never changes one (spawn-objects.ts)
    {
      what: "update a secret",
      method: "PATCH",
      path: `/api/v1/namespaces/${ns}/secrets/jupyter-token-alice`,
      body: { metadata: { labels: { x: "y" } } },
      contentType: merge,
    },
    {
      what: "update a ConfigMap",
      method: "PATCH",
      path: `/api/v1/namespaces/${ns}/configmaps/gyre-extension-alice`,
      body: { metadata: { labels: { x: "y" } } },
      contentType: merge,
    },
    { what: "delete a PVC", method: "DELETE", path: `/api/v1/namespaces/${ns}/persistentvolumeclaims/claim-alice` },
    { what: "delete all PVCs", method: "DELETE", path: `/api/v1/namespaces/${ns}/persistentvolumeclaims` },
    {
      what: "update a PVC",
      method: "PATCH",
      path: `/api/v1/namespaces/${ns}/persistentvolumeclaims/claim-alice`,
      body: { metadata: { labels: { x: "y" } } },
      contentType: merge,
    },
    { what: "create a pod in another namespace", method: "POST", path: `/api/v1/namespaces/${otherNamespace}/pods`, body: pod },
    { what: "list pods in all namespaces", method: "GET", path: `/api/v1/pods` },
    { what: "read nodes", method: "GET", path: `/api/v1/nodes` },
    { what: "read a node", method: "GET", path: `/api/v1/nodes/${kubelet.nodeName}` },
    { what: "list namespaces", method: "GET", path: `/api/v1/namespaces` },
    {
      what: "create a role",
      method: "POST",
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
      body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "escalate" }, rules: [] },
    },
    {
      what: "update the hub's own role",
      method: "PATCH",
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${role.metadata!.name}`,
      body: { rules: [] },
      contentType: merge,
    },
    {
      what: "create a rolebinding",
      method: "POST",
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "escalate" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: HUB_USER }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
      },
    },
    {
      what: "create a clusterrolebinding",
      method: "POST",
      path: `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "escalate" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: HUB_USER }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      },
    },
    {
      what: "patch pods/status",
      method: "PATCH",
      path: `/api/v1/namespaces/${ns}/pods/rbac-probe/status`,
      body: { status: { phase: "Running" } },
      contentType: merge,
    },
    { what: "patch a pod", method: "PATCH", path: `/api/v1/namespaces/${ns}/pods/rbac-probe`, body: { metadata: { labels: { x: "y" } } }, contentType: merge },
    {
      what: "bind a pod (scheduler's job)",
      method: "POST",
      path: `/api/v1/namespaces/${ns}/pods/rbac-probe/binding`,
      body: { apiVersion: "v1", kind: "Binding", metadata: { name: "rbac-probe" }, target: { apiVersion: "v1", kind: "Node", name: kubelet.nodeName } },
    },
    { what: "exec into a pod", method: "POST", path: `/api/v1/namespaces/${ns}/pods/rbac-probe/exec?command=true&stdout=true` },
    { what: "delete all pods (deletecollection)", method: "DELETE", path: `/api/v1/namespaces/${ns}/pods` },
    {
      what: "create an event",
      method: "POST",
      path: `/api/v1/namespaces/${ns}/events`,
      body: { apiVersion: "v1", kind: "Event", metadata: { name: "fake" }, involvedObject: { kind: "Pod", name: "x", namespace: ns } },
    },
    { what: "read configmaps", method: "GET", path: `/api/v1/namespaces/${ns}/configmaps` },
    { what: "list jobs", method: "GET", path: `/apis/batch/v1/namespaces/${ns}/jobs` },
    { what: "watch jobs", method: "GET", path: `/apis/batch/v1/namespaces/${ns}/jobs?watch=true` },
    {
      what: "patch a job's status (the Job controller's part)",
      method: "PATCH",
      path: `/apis/batch/v1/namespaces/${ns}/jobs/x/status`,
      body: { status: { succeeded: 1 } },
      contentType: merge,
    },
    {
      what: "create a service account token",
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts/${serviceAccountName}/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} },
    },
    // acting as the admin through impersonation headers needs the "impersonate" verb
    {
      what: "impersonate the admin",
      method: "GET",
      path: `/api/v1/namespaces/${ns}/secrets`,
      headers: { "Impersonate-User": "gyre-kube-admin", "Impersonate-Group": "system:masters" },
    },
  ];
}

test("LEAST PRIVILEGE: the restricted user gets 403 for everything the hub must not do", async () => {
  const unexpected: string[] = [];
  for (const r of forbiddenRequests()) {
    const res = await kubeRequest(hub, r.method, r.path, r.body, r.contentType, r.headers);
    if (res.status !== 403) unexpected.push(`${r.what}: ${r.method} ${r.path} → ${res.status} ${res.body.slice(0, 200)}`);
    else assert.equal((JSON.parse(res.body) as { reason: string }).reason, "Forbidden", r.what);
  }
  assert.deepEqual(unexpected, []);
  console.log(`[kube rbac] ${forbiddenRequests().length} forbidden requests answered 403`);
});

test("LEAST PRIVILEGE: the user's effective rules in the namespace are exactly the Role's (SelfSubjectRulesReview)", async () => {
  const res = await kubeRequest(hub, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    spec: { namespace: lab.namespace },
  });
  assert.equal(res.status, 201, res.body);
  type Rule = { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] };
  const rules = (JSON.parse(res.body) as { status: { resourceRules: Rule[] } }).status.resourceRules;
  // every authenticated user also gets system:basic-user's self-reviews; everything else must come from the Role
  const key = (r: Rule) => JSON.stringify([r.apiGroups ?? [], r.resources ?? [], [...r.verbs].sort(), r.resourceNames ?? []]);
  const fromRole = rules
    .filter((r) => !(r.apiGroups ?? []).includes("authorization.k8s.io"))
    .map(key)
    .sort();
  const expected = role.rules!.map((r) => key({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources })).sort();
  assert.deepEqual(fromRole, expected);
});

test("the rendered RoleBinding grants the rendered ServiceAccount the same: its token may list pods, not secrets", async () => {
  const tokenRequest = await lab.admin.core.createNamespacedServiceAccountToken({
    name: serviceAccountName,
    namespace: lab.namespace,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: [], expirationSeconds: 600 } },
  });
  const sa = { server: hub.server, ca: hub.ca, token: tokenRequest.status!.token };
  assert.equal((await kubeRequest(sa, "GET", `/api/v1/namespaces/${lab.namespace}/pods`)).status, 200);
  assert.equal((await kubeRequest(sa, "GET", `/api/v1/namespaces/${lab.namespace}/events?watch=true`)).status, 200);
  const secrets = await kubeRequest(sa, "GET", `/api/v1/namespaces/${lab.namespace}/secrets`);
  assert.equal(secrets.status, 403);
  assert.match((JSON.parse(secrets.body) as { message: string }).message, new RegExp(`system:serviceaccount:${lab.namespace}:${serviceAccountName}`));
  assert.equal((await kubeRequest(sa, "DELETE", `/api/v1/namespaces/${lab.namespace}/persistentvolumeclaims/claim-alice`)).status, 403);
});
