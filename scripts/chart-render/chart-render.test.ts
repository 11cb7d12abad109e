// Renders charts/gyre with scripts/chart-render (Go text/template + Sprig, no helm binary) for the
// default values and a production-like values file, and checks what comes out: it parses, has the
// expected objects, and the generated gyre.config.yaml passes Gyre's own config schemas.
// Needs Go and Debian's golang-github-masterminds-sprig-dev + golang-gopkg-yaml.v3-dev (GOPATH
// mode, offline), which `bash scripts/install-deps.sh --tests` installs; fails with that advice when
// `go` is missing rather than skipping.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildChartRender } from "./build";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { Ajv } from "ajv";
import type { V1ConfigMap, V1Deployment, V1Ingress, V1PodDisruptionBudget, V1Role, V1RoleBinding, V1Secret, V1Service } from "@kubernetes/client-node";
import { parseConfig } from "@/config/load";
import { hubSectionSchema } from "@/config/hub-section";
import { proxyConfigSchema } from "@/config/proxy-section";
import { kubernetesSpawnerConfigSchema, resolveProfile } from "@/spawners/kubernetes/config";

const repo = resolve(import.meta.dirname, "../..");
const chart = join(repo, "charts/gyre");
let bin: string;

/** What every rendered object has; find() gives it the Kubernetes type of its kind. */
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}
/** As rendered (the client library's type calls `from` `_from`, its serialiser's name). */
interface NetworkPolicy {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    ingress: Array<{ from: Array<{ podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown }>; ports: unknown[] }>;
  };
}
interface Kinds {
  ConfigMap: V1ConfigMap;
  PodDisruptionBudget: V1PodDisruptionBudget;
  Deployment: V1Deployment;
  Ingress: V1Ingress;
  NetworkPolicy: NetworkPolicy;
  Role: V1Role;
  RoleBinding: V1RoleBinding;
  Secret: V1Secret;
  Service: V1Service;
}

before(() => {
  bin = buildChartRender();
});

function render(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(bin, [...args, chart], { encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function renderObjects(args: string[]): Manifest[] {
  const r = render(args);
  assert.equal(r.status, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout);
  const objects: Manifest[] = [];
  for (const doc of docs) {
    assert.deepEqual(doc.errors, [], String(doc.errors[0]));
    const value = doc.toJS() as Manifest | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

function find<K extends keyof Kinds>(objects: Manifest[], kind: K, name: string): Kinds[K] {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind}/${name} not rendered`);
  return o as Kinds[K];
}

function kinds(objects: Manifest[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** The gyre.config.yaml the chart renders, validated as a whole by the hub's own loader. */
function gyreConfig(objects: Manifest[], fullname: string) {
  const text = find(objects, "ConfigMap", `${fullname}-config`).data?.["gyre.config.yaml"] ?? "";
  return parseConfig(parseYaml(text), {}, "the rendered gyre.config.yaml");
}

const EXPECTED_RULES = [
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "create"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "create", "delete"] },
  { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create", "delete"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "create", "delete"] },
];

test("default values: every object, a config Gyre accepts, least-privilege RBAC", () => {
  const objects = renderObjects(["--release", "hub", "--namespace", "jhub"]);
  assert.deepEqual(kinds(objects), [
    "ConfigMap/hub-gyre-config",
    "Deployment/hub-gyre-hub",
    "Deployment/hub-gyre-proxy",
    "NetworkPolicy/hub-gyre-singleuser",
    "PersistentVolumeClaim/hub-gyre-hub-db",
    "PodDisruptionBudget/hub-gyre-proxy",
    "Role/hub-gyre-hub-spawner",
    "RoleBinding/hub-gyre-hub-spawner",
    "Secret/hub-gyre-secret",
    "Service/hub-gyre-hub",
    "Service/hub-gyre-proxy-api",
    "Service/hub-gyre-proxy-public",
    "ServiceAccount/hub-gyre-hub",
  ]);
  const config = gyreConfig(objects, "hub-gyre");
  hubSectionSchema.parse(config.hub);
  proxyConfigSchema.parse(config.proxy);
  const spawner = kubernetesSpawnerConfigSchema.parse(config.spawner.kubernetes);
  assert.equal(config.spawner.kind, "kubernetes");
  assert.equal(spawner.namespace, "jhub");
  assert.equal(spawner.memoryRequestBytes, 1e9);
  assert.deepEqual(spawner.extraLabels, { "app.kubernetes.io/instance": "hub" });
  assert.equal(config.proxy.hubUrl, "http://hub-gyre-hub:8081");

  const hub = find(objects, "Deployment", "hub-gyre-hub");
  assert.equal(hub.spec?.replicas, 1);
  assert.equal(hub.spec?.strategy?.type, "Recreate");
  assert.deepEqual(
    hub.spec?.template.spec?.volumes?.find((v) => v.name === "data"),
    { name: "data", persistentVolumeClaim: { claimName: "hub-gyre-hub-db" } },
  );
  const proxy = find(objects, "Deployment", "hub-gyre-proxy");
  assert.equal(proxy.spec?.replicas, 2);
  assert.deepEqual(proxy.spec?.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  // one hub pod: no budget for it (it would block every drain); Kubernetes 1.20 has only v1beta1
  const budget = find(objects, "PodDisruptionBudget", "hub-gyre-proxy");
  assert.equal(budget.apiVersion, "policy/v1beta1");
  assert.deepEqual(budget.spec, { maxUnavailable: 1, selector: { matchLabels: proxy.spec?.selector.matchLabels } });
  assert.equal(find(objects, "Service", "hub-gyre-proxy-public").spec?.type, "LoadBalancer");
  assert.equal(find(objects, "Service", "hub-gyre-proxy-api").spec?.clusterIP, "None");

  const role = find(objects, "Role", "hub-gyre-hub-spawner");
  assert.equal(role.metadata?.namespace, "jhub");
  assert.deepEqual(role.rules, EXPECTED_RULES);

  const secret = find(objects, "Secret", "hub-gyre-secret");
  assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["hub.secretKey", "proxy.authToken"]);
  assert.equal(Buffer.from(secret.data?.["hub.secretKey"] ?? "", "base64").toString().length, 64);
  // generated anew on every render without a cluster (lookup finds nothing), like helm template
  const again = find(renderObjects(["--release", "hub", "--namespace", "jhub"]), "Secret", "hub-gyre-secret");
  assert.notEqual(again.data?.["hub.secretKey"], secret.data?.["hub.secretKey"]);

  const policy = find(objects, "NetworkPolicy", "hub-gyre-singleuser");
  assert.deepEqual(policy.spec.podSelector.matchLabels, {
    "app.kubernetes.io/name": "gyre",
    "app.kubernetes.io/component": "singleuser-server",
    "app.kubernetes.io/instance": "hub",
  });
  assert.deepEqual(
    policy.spec.ingress[0].from.map((f) => f.podSelector?.matchLabels["app.kubernetes.io/component"]),
    ["proxy", "hub"],
  );
  assert.deepEqual(policy.spec.ingress[0].ports, [{ protocol: "TCP", port: 8888 }]);
});

test("production-like values: PostgreSQL, replicas, ingress, GitHub, profiles, separate user namespace", () => {
  const objects = renderObjects(["-f", join(chart, "ci/production-values.yaml"), "--release", "pangeo", "--namespace", "gyre"]);
  assert.deepEqual(kinds(objects), [
    "ConfigMap/pangeo-gyre-config",
    "Deployment/pangeo-gyre-hub",
    "Deployment/pangeo-gyre-proxy",
    "Ingress/pangeo-gyre",
    "NetworkPolicy/pangeo-gyre-singleuser",
    "PodDisruptionBudget/pangeo-gyre-hub",
    "PodDisruptionBudget/pangeo-gyre-proxy",
    "Role/pangeo-gyre-hub-spawner",
    "RoleBinding/pangeo-gyre-hub-spawner",
    "Secret/pangeo-gyre-secret",
    "Service/pangeo-gyre-hub",
    "Service/pangeo-gyre-proxy-api",
    "Service/pangeo-gyre-proxy-public",
    "ServiceAccount/pangeo-gyre-hub",
  ]);
  const config = gyreConfig(objects, "pangeo-gyre");
  const hubSection = hubSectionSchema.parse(config.hub);
  assert.equal(hubSection.pollIntervalSeconds, 15);
  assert.equal(hubSection.publicUrl, "https://hub.example.org");
  const spawner = kubernetesSpawnerConfigSchema.parse(config.spawner.kubernetes);
  assert.equal(spawner.namespace, "gyre-users");
  assert.equal(spawner.cpuLimit, 2);
  assert.equal(spawner.memoryLimitBytes, 4 * 2 ** 30);
  assert.equal(spawner.storage.storageClassName, "standard-rwo");
  const gpu = resolveProfile(spawner, "gpu", { groups: ["pangeo-data:gpu-users"], isAdmin: false }).settings;
  assert.deepEqual(gpu.extraResourceLimits, { "nvidia.com/gpu": 1 });
  assert.deepEqual(gpu.nodeSelector, { "hub.jupyter.org/node-purpose": "user", "cloud.google.com/gke-accelerator": "nvidia-tesla-t4" });
  assert.equal(resolveProfile(spawner, undefined, { groups: [], isAdmin: false }).profile?.name, "standard");
  assert.deepEqual(config.auth.github.allowedOrganizations, ["pangeo-data"]);
  assert.equal(config.culling.maxAgeSeconds, 86400);

  const hub = find(objects, "Deployment", "pangeo-gyre-hub");
  assert.equal(hub.spec?.replicas, 2);
  // a new hub pod is ready before an old one stops (several hubs share PostgreSQL)
  assert.deepEqual(hub.spec?.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  assert.deepEqual(find(objects, "PodDisruptionBudget", "pangeo-gyre-hub").spec, {
    maxUnavailable: 1,
    selector: { matchLabels: hub.spec?.selector.matchLabels },
  });
  const env = hub.spec?.template.spec?.containers[0]?.env;
  assert.deepEqual(
    env?.find((e) => e.name === "GYRE_HUB__DATABASE_URL"),
    { name: "GYRE_HUB__DATABASE_URL", valueFrom: { secretKeyRef: { name: "gyre-db", key: "url" } } },
  );
  const sources = hub.spec?.template.spec?.volumes?.find((v) => v.name === "secret")?.projected?.sources;
  assert.deepEqual(sources?.[1], { secret: { name: "github-oauth", items: [{ key: "client-secret", path: "github.clientSecret" }] } });
  assert.deepEqual(
    hub.spec?.template.spec?.volumes?.find((v) => v.name === "data"),
    { name: "data", emptyDir: {} },
  );
  assert.equal(find(objects, "Deployment", "pangeo-gyre-proxy").spec?.replicas, 3);

  const ingress = find(objects, "Ingress", "pangeo-gyre");
  assert.deepEqual(ingress.spec?.rules, [
    {
      host: "hub.example.org",
      http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "pangeo-gyre-proxy-public", port: { name: "http" } } } }] },
    },
  ]);
  const binding = find(objects, "RoleBinding", "pangeo-gyre-hub-spawner");
  assert.equal(binding.metadata?.namespace, "gyre-users");
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "pangeo-gyre-hub", namespace: "gyre" }]);
  const policy = find(objects, "NetworkPolicy", "pangeo-gyre-singleuser");
  assert.deepEqual(policy.spec.ingress[0].from[0].namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": "gyre" } });
});

test("PodDisruptionBudget: policy/v1 from Kubernetes 1.21; none for a single replica or when disabled", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-chart-values-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "pdb.yaml");
  writeFileSync(file, "proxy: {replicas: 1}\nhub: {disruptionBudget: {enabled: false}}");
  const budgets = (args: string[]) => renderObjects(args).filter((o) => o.kind === "PodDisruptionBudget") as Array<Manifest & { apiVersion: string }>;
  assert.deepEqual(
    budgets(["-f", join(chart, "ci/production-values.yaml"), "--kube-version", "v1.29.3"]).map((o) => `${o.apiVersion} ${o.metadata.name}`),
    ["policy/v1 gyre-hub", "policy/v1 gyre-proxy"],
  );
  assert.deepEqual(budgets(["-f", join(chart, "ci/production-values.yaml"), "-f", file]), []);
});

test("impossible values are refused with a message naming the value", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-chart-values-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[string, RegExp]> = [
    ["hub: {replicas: 2}", /hub\.replicas > 1 needs database\.type: postgresql/],
    ["database: {type: postgresql}", /database\.postgresql\.url or database\.postgresql\.existingSecret/],
    ["auth: {github: {enabled: true}}", /auth\.github\.clientId is required/],
    ["ingress: {enabled: true}", /ingress\.hosts needs at least one host/],
  ];
  for (const [i, [values, message]] of cases.entries()) {
    const file = join(dir, `bad-${i}.yaml`);
    writeFileSync(file, values);
    const r = render(["-f", file]);
    assert.notEqual(r.status, 0, values);
    assert.match(r.stderr, message, values);
  }
});

test("services, roles and groups: in gyre.config.yaml as Gyre reads them, each service's API token from a Secret (generated or the admin's), never in the ConfigMap", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-chart-services-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "services.yaml");
  writeFileSync(
    file,
    [
      "hub:",
      "  services:",
      "    idle-culler: {scopes: [list:users, read:users:activity, read:servers, delete:servers]}",
      "    grafana: {url: 'http://grafana.monitoring:3000', oauthNoConfirm: true, oauthClientAllowedScopes: ['read:users!user'], apiTokenSecret: {name: grafana-hub-token, key: token}}",
      "  loadRoles:",
      "    culler: {description: removes users too, scopes: [admin:users], services: [idle-culler]}",
      "  loadGroups:",
      "    ocean: {users: [alice], properties: {quota: 4}}",
    ].join("\n"),
  );
  const objects = renderObjects(["--release", "hub", "--namespace", "jhub", "-f", file]);
  const config = gyreConfig(objects, "hub-gyre");
  const tokenFile = (name: string) => `/etc/gyre/secret/service.${name}.apiToken`;
  assert.deepEqual(
    config.services.map((s) => ({
      name: s.name,
      url: s.url,
      scopes: s.scopes,
      oauthNoConfirm: s.oauthNoConfirm,
      oauthClientAllowedScopes: s.oauthClientAllowedScopes,
      apiTokenFile: s.apiTokenFile,
      apiToken: s.apiToken,
    })),
    [
      {
        name: "grafana",
        url: "http://grafana.monitoring:3000",
        scopes: [],
        oauthNoConfirm: true,
        oauthClientAllowedScopes: ["read:users!user"],
        apiTokenFile: tokenFile("grafana"),
        apiToken: undefined,
      },
      {
        name: "idle-culler",
        url: undefined,
        scopes: ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        oauthNoConfirm: false,
        oauthClientAllowedScopes: [],
        apiTokenFile: tokenFile("idle-culler"),
        apiToken: undefined,
      },
    ],
  );
  assert.deepEqual(config.roles, [
    { name: "culler", description: "removes users too", scopes: ["admin:users"], users: [], groups: [], services: ["idle-culler"] },
  ]);
  assert.deepEqual(config.groups, [{ name: "ocean", users: ["alice"], properties: { quota: 4 } }]);

  // the culler's token: generated into the chart's Secret; grafana's: the admin's Secret, not copied
  const secret = find(objects, "Secret", "hub-gyre-secret");
  assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["hub.secretKey", "proxy.authToken", "service.idle-culler.apiToken"]);
  const culler = Buffer.from(secret.data?.["service.idle-culler.apiToken"] ?? "", "base64").toString();
  assert.match(culler, /^[A-Za-z0-9]{48}$/);
  const configMap = find(objects, "ConfigMap", "hub-gyre-config").data?.["gyre.config.yaml"] ?? "";
  assert.ok(!configMap.includes(culler), "no token in the ConfigMap");
  const hub = find(objects, "Deployment", "hub-gyre-hub");
  const sources = hub.spec?.template.spec?.volumes?.find((v) => v.name === "secret")?.projected?.sources ?? [];
  assert.deepEqual(sources.slice(1), [
    { secret: { name: "grafana-hub-token", items: [{ key: "token", path: "service.grafana.apiToken" }] } },
    { secret: { name: "hub-gyre-secret", items: [{ key: "service.idle-culler.apiToken", path: "service.idle-culler.apiToken" }] } },
  ]);

  // a built-in role cannot be redefined: the templates refuse it, naming the value
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "hub: {loadRoles: {admin: {scopes: [read:users]}}}");
  const r = render(["-f", bad]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /hub\.loadRoles\.admin: admin is a built-in role and cannot be redefined/);
});

/** values.yaml with `files` merged onto it as Helm does (maps key by key, anything else replaced, null deletes). */
function mergedValues(...files: unknown[]): Record<string, unknown> {
  const merge = (dst: Record<string, unknown>, src: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(src)) {
      const d = dst[k];
      if (v === null) delete dst[k];
      else if (d && typeof d === "object" && !Array.isArray(d) && typeof v === "object" && !Array.isArray(v))
        merge(d as Record<string, unknown>, v as Record<string, unknown>);
      else dst[k] = v;
    }
    return dst;
  };
  const values = parseYaml(readFileSync(join(chart, "values.yaml"), "utf8")) as Record<string, unknown>;
  return files.reduce<Record<string, unknown>>((acc, f) => merge(acc, f as Record<string, unknown>), values);
}

/** What Helm reports for values.schema.json (draft-07, checked on the merged values): "path: message" per refusal. */
function schemaErrors(values: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8")) as object);
  if (validate(values)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath}${e.keyword === "additionalProperties" ? "/" + String(e.params.additionalProperty) : ""}: ${e.keyword}`,
  );
}

test("values.schema.json (generated from the config schemas) accepts the shipped values and refuses what Gyre would", () => {
  assert.deepEqual(schemaErrors(mergedValues()), []);
  const prod: unknown = parseYaml(readFileSync(join(chart, "ci/production-values.yaml"), "utf8"));
  assert.deepEqual(schemaErrors(mergedValues(prod)), []);
  const refused = (values: unknown) => schemaErrors(mergedValues(values));
  assert.deepEqual(refused({ hub: { replicas: "two" }, singleuser: { storrage: {} }, database: { type: "mysql" }, hub2: {} }), [
    "/hub2: additionalProperties",
    "/hub/replicas: type",
    "/singleuser/storrage: additionalProperties",
    "/database/type: enum",
  ]);
  assert.ok(refused({ hub: { secretKey: "short" } }).includes("/hub/secretKey: anyOf"));
  // several hubs: only on PostgreSQL
  assert.deepEqual(refused({ hub: { replicas: 2 } }), ["/hub/replicas: maximum", ": if"]);
  assert.deepEqual(refused({ hub: { replicas: 2 }, database: { type: "postgresql", postgresql: { url: "postgres://gyre@db/gyre" } } }), []);
  // options of the config sections, checked with Gyre's own schemas
  assert.deepEqual(refused({ hub: { config: { pollIntervalSecond: 5 } } }), ["/hub/config/pollIntervalSecond: additionalProperties"]);
  assert.deepEqual(refused({ proxy: { config: { fullSyncSeconds: 0 } } }), ["/proxy/config/fullSyncSeconds: exclusiveMinimum"]);
  assert.deepEqual(refused({ singleuser: { profileList: [{ name: "gpu", displayName: "GPU", overrides: { imagee: "x" } }] } }), [
    "/singleuser/profileList/0/overrides/imagee: additionalProperties",
  ]);
  assert.deepEqual(refused({ singleuser: { memory: { limit: -1 } } }).slice(0, 1), ["/singleuser/memory/limit: minimum"]);
  // services, roles and groups: names as Gyre's, no managed services, no token in the values
  const culler = { scopes: ["list:users", "read:users:activity", "read:servers", "delete:servers"] };
  assert.deepEqual(
    refused({ hub: { services: { "idle-culler": culler }, loadRoles: { culler: { scopes: ["admin:users"], services: ["idle-culler"] } } } }),
    [],
  );
  assert.deepEqual(refused({ hub: { services: { "Idle Culler": culler } } }).slice(0, 1), ["/hub/services: pattern"]);
  assert.deepEqual(refused({ hub: { services: { culler: { ...culler, apiToken: "x".repeat(48) } } } }), [
    "/hub/services/culler/apiToken: additionalProperties",
  ]);
  assert.deepEqual(refused({ hub: { services: { culler: { command: ["jupyterhub-idle-culler"], user: "culler" } } } }), [
    "/hub/services/culler/command: additionalProperties",
    "/hub/services/culler/user: additionalProperties",
  ]);
  assert.deepEqual(refused({ hub: { services: { culler: { apiTokenSecret: { name: "culler-token" } } } } }), ["/hub/services/culler/apiTokenSecret: required"]);
  assert.deepEqual(refused({ hub: { services: { grafana: { url: 5, oauthNoConfirm: "yes" } } } }), [
    "/hub/services/grafana/url: type",
    "/hub/services/grafana/oauthNoConfirm: type",
  ]);
  assert.deepEqual(refused({ hub: { services: { grafana: { oauthClientAllowedScopes: "read:users", oauthRoles: ["Not A Role"] } } } }), [
    "/hub/services/grafana/oauthClientAllowedScopes: type",
    "/hub/services/grafana/oauthRoles/0: pattern",
  ]);
  assert.deepEqual(refused({ hub: { loadRoles: { Teacher: { scopes: ["servers"] } } } }).slice(0, 1), ["/hub/loadRoles: pattern"]);
  assert.deepEqual(refused({ hub: { loadRoles: { teacher: { scopes: [] } } } }), ["/hub/loadRoles/teacher/scopes: minItems"]);
  assert.deepEqual(refused({ hub: { loadGroups: { "org:team": { users: ["alice"] } } } }).slice(0, 1), ["/hub/loadGroups: pattern"]);
  assert.deepEqual(refused({ hub: { loadGroups: { ocean: { members: ["alice"] } } } }), ["/hub/loadGroups/ocean/members: additionalProperties"]);
});
