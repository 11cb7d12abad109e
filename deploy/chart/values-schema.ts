// The Helm chart's values (charts/gyre/values.yaml) as a zod schema. charts/gyre/values.schema.json is
// generated from it (`npm run docs:chart`, scripts/gen-chart-schema.ts), so Helm refuses what Gyre
// would refuse: every value that becomes a gyre.config.yaml option takes its type, bounds and help
// text from that option's schema (config/*, spawners/kubernetes/config.ts); `hub.config` and
// `proxy.config` are the config sections themselves. Only the chart's own values (image, Services,
// resources, Secrets) are declared here.
import { z } from "zod";
import { hubSectionSchema } from "@/config/hub-section";
import { proxyConfigSchema } from "@/config/proxy-section";
import { cullingSectionSchema } from "@/config/culling-section";
import { githubAuthSchema } from "@/config/auth-section";
import { SERVICE_NAME, serviceFieldsSchema } from "@/config/services-section";
import { ROLE_NAME, roleSchema } from "@/config/roles-section";
import { GROUP_NAME_PATTERN, groupSchema } from "@/config/groups-section";
import { kubernetesSpawnerConfigSchema, profileSchema, securityContextSchema, storageSchema } from "@/spawners/kubernetes/config";

const k8s = kubernetesSpawnerConfigSchema.shape;
const hub = hubSectionSchema.shape;
const culling = cullingSectionSchema.shape;

const stringMap = z.record(z.string(), z.string());
/** A Kubernetes object or list passed through to the manifests as written (checked by the API server). */
const k8sObject = z.record(z.string(), z.unknown());
const port = z.number().int().min(1).max(65535);
const serviceType = z.enum(["ClusterIP", "NodePort", "LoadBalancer"]);
const pullPolicy = given(k8s.imagePullPolicy);
/** A config option without its default (values.yaml gives every value), keeping its help text. */
function given<T extends z.ZodType>(s: z.ZodDefault<T>): T {
  const inner = s.removeDefault();
  return s.description ? inner.describe(s.description) : inner;
}

/** "Unset" in the chart is null (values.yaml cannot omit a key a user should see). */
const orNull = <T extends z.ZodType>(s: T) => s.nullable();

/**
 * A service in the chart: an external one (its own Deployment, reached at `url`). Managed services
 * (`command`) are left out: the hub would have to run as root to start them as their account, and
 * the hub pod does not. Its API token is never a value: it comes from a Secret.
 */
const chartServiceValues = serviceFieldsSchema
  .omit({ name: true, command: true, user: true, cwd: true, environment: true, apiToken: true, apiTokenFile: true, apiTokenEnv: true })
  .extend({
    apiTokenSecret: z
      .object({ name: z.string().min(1), key: z.string().min(1) })
      .strict()
      .optional()
      .describe(
        "The Secret (in the release's namespace) and key holding the service's API token (at least 32 characters). Unset: the chart generates one into its Secret under service.<name>.apiToken (kept across upgrades; with hub.existingSecret, that Secret must hold the key), for the service's own Deployment to read.",
      ),
  })
  .strict();

const hubValues = z
  .object({
    replicas: z.number().int().min(1).describe("Hub pods. More than one needs database.type: postgresql (SQLite on a volume serves one hub)."),
    command: z.array(z.string()).min(1).describe("The hub's command in the image."),
    publicUrl: z.string().describe("hub.publicUrl: the URL users type, e.g. https://hub.example.org; empty: not set."),
    logLevel: given(hub.logLevel),
    secretKey: z
      .union([z.string().max(0), z.string().min(32)])
      .describe("hub.secretKey (empty, or at least 32 characters). Empty: generated once and kept across upgrades."),
    existingSecret: z.string().describe("A Secret holding hub.secretKey and proxy.authToken, instead of the chart's."),
    config: hubSectionSchema.partial().describe("Extra options merged into the hub: section of gyre.config.yaml."),
    services: z
      .record(z.string().regex(SERVICE_NAME), chartServiceValues)
      .describe(
        "JupyterHub-style services by name (z2jh's hub.services; Gyre's services: section without managed services), e.g. the idle culler with its scopes.",
      ),
    loadRoles: z
      .record(z.string().regex(ROLE_NAME), roleSchema.omit({ name: true }).strict())
      .describe(
        "JupyterHub-style roles by name (z2jh's hub.loadRoles; Gyre's roles: section). The built-in user, admin, server and token cannot be redefined.",
      ),
    loadGroups: z
      .record(z.string().regex(GROUP_NAME_PATTERN), groupSchema.omit({ name: true }).strict())
      .describe("Groups by name made or brought up to date at each hub start (JupyterHub's load_groups; Gyre's groups: section)."),
    resources: k8sObject,
    nodeSelector: stringMap,
    tolerations: z.array(k8sObject),
    affinity: k8sObject,
    priorityClassName: z.string(),
    securityContext: k8sObject,
    service: z.object({ type: serviceType, port }).strict(),
    extraEnv: stringMap,
    serviceAccount: z.object({ create: z.boolean(), name: z.string(), annotations: stringMap }).strict(),
    disruptionBudget: z
      .object({
        enabled: z.boolean(),
        maxUnavailable: z.number().int().min(0).describe("Hub pods a voluntary disruption (node drain) may take at once."),
      })
      .strict()
      .describe("PodDisruptionBudget of the hub pods (only with more than one replica: one pod could never be drained)."),
  })
  .strict();

const proxyValues = z
  .object({
    replicas: z.number().int().min(1).describe("Proxy pods (stateless; routes come from the hub)."),
    command: z.array(z.string()).min(1).describe("The proxy's command in the image."),
    config: proxyConfigSchema.partial().describe("Extra options merged into the proxy: section of gyre.config.yaml."),
    dashboardPorts: z
      .array(z.union([z.number().int(), z.string()]))
      .describe("Ports reachable under /user/<name>/proxy/<port>/, e.g. 8787 or a range 9000-9010."),
    service: z
      .object({
        type: serviceType,
        port,
        nodePort: orNull(port),
        loadBalancerIP: z.string(),
        annotations: stringMap,
      })
      .strict(),
    resources: k8sObject,
    nodeSelector: stringMap,
    tolerations: z.array(k8sObject),
    affinity: k8sObject,
    securityContext: k8sObject,
    disruptionBudget: z
      .object({
        enabled: z.boolean(),
        maxUnavailable: z.number().int().min(0).describe("Proxy pods a voluntary disruption may take at once."),
      })
      .strict()
      .describe("PodDisruptionBudget of the proxy pods (only with more than one replica)."),
  })
  .strict();

const storage = storageSchema.shape;
const security = securityContextSchema.shape;

const singleuserValues = z
  .object({
    namespace: z.string().describe("spawner.kubernetes.namespace; empty: the release's namespace."),
    image: z
      .object({
        name: z.string().min(1).describe("Image of user servers without its tag (spawner.kubernetes.image is name:tag)."),
        tag: z.string().min(1),
        pullPolicy,
        pullSecrets: given(k8s.imagePullSecrets),
      })
      .strict(),
    cmd: given(k8s.command),
    extraArgs: given(k8s.args),
    defaultUrl: given(k8s.defaultUrl),
    extraEnv: given(k8s.env),
    cpu: z.object({ guarantee: orNull(k8s.cpuRequest.unwrap()), limit: orNull(k8s.cpuLimit.unwrap()) }).strict(),
    memory: z.object({ guarantee: orNull(given(k8s.memoryRequestBytes)), limit: orNull(k8s.memoryLimitBytes.unwrap()) }).strict(),
    extraResource: z.object({ limits: given(k8s.extraResourceLimits) }).strict(),
    nodeSelector: given(k8s.nodeSelector),
    extraTolerations: given(k8s.tolerations),
    affinity: k8sObject,
    priorityClassName: z.string().describe("spawner.kubernetes.priorityClassName; empty: not set."),
    extraLabels: given(k8s.extraLabels),
    extraAnnotations: given(k8s.extraAnnotations),
    uid: given(security.runAsUser),
    gid: given(security.runAsGroup),
    fsGid: given(security.fsGroup),
    storage: z
      .object({
        type: given(storage.type),
        capacity: orNull(given(storage.capacityBytes)),
        homeMountPath: given(storage.mountPath),
        claimPerServer: given(storage.claimPerServer),
        dynamic: z
          .object({
            storageClass: z.string().describe("StorageClass of the claims; empty: the cluster's default class."),
            storageAccessModes: given(storage.accessModes),
          })
          .strict(),
        extraVolumes: given(k8s.extraVolumes),
        extraVolumeMounts: given(k8s.extraVolumeMounts),
      })
      .strict(),
    serviceAccountName: z.string(),
    serverExtension: given(k8s.serverExtension),
    startTimeout: given(k8s.startTimeoutSeconds),
    stopGraceSeconds: given(k8s.stopGraceSeconds),
    profileList: z.array(profileSchema),
    networkPolicy: z.object({ enabled: z.boolean().describe("User pods accept connections only from the proxy and the hub.") }).strict(),
  })
  .strict();

/** The chart's values.yaml, with the option names of zero-to-jupyterhub where they exist. */
export const chartValuesSchema = z
  .object({
    nameOverride: z.string(),
    fullnameOverride: z.string(),
    image: z
      .object({
        repository: z.string().min(1).describe("The Gyre image (hub and proxy); scripts/build-image.sh builds ghcr.io/gyre-hub/gyre:<appVersion>."),
        tag: z.string().describe("Default: the chart's appVersion."),
        pullPolicy,
        pullSecrets: z.array(z.string()),
      })
      .strict(),
    hub: hubValues,
    proxy: proxyValues,
    singleuser: singleuserValues,
    culling: z
      .object({
        enabled: given(culling.enabled),
        timeout: given(culling.timeoutSeconds),
        every: given(culling.everySeconds),
        maxAge: given(culling.maxAgeSeconds),
        users: given(culling.removeUsers),
      })
      .strict(),
    auth: z
      .object({
        local: z.object({ enabled: z.boolean() }).strict(),
        github: z
          .object({
            enabled: z.boolean(),
            clientId: z.string(),
            clientSecret: z.string(),
            existingSecret: z.string(),
            existingSecretKey: z.string(),
            callbackUrl: z.string(),
            allowedOrganizations: given(githubAuthSchema.shape.allowedOrganizations),
          })
          .strict(),
        initialAdmin: z.string(),
      })
      .strict(),
    database: z
      .object({
        type: z
          .enum(["sqlite", "postgresql"])
          .describe("sqlite: a file on a volume (one hub replica). postgresql: an external database, version 13 or later (several replicas)."),
        sqlite: z.object({ storageClass: z.string(), size: z.string() }).strict(),
        postgresql: z
          .object({
            url: z.string().regex(/^(|postgres(ql)?:\/\/.*)$/, "empty or postgres://…"),
            existingSecret: z.string(),
            existingSecretKey: z.string(),
          })
          .strict(),
      })
      .strict(),
    ingress: z
      .object({
        enabled: z.boolean(),
        ingressClassName: z.string(),
        annotations: stringMap,
        hosts: z.array(z.string()),
        pathType: z.enum(["Prefix", "ImplementationSpecific", "Exact"]),
        pathSuffix: z.string(),
        tls: z.array(k8sObject),
      })
      .strict(),
    rbac: z.object({ create: z.boolean() }).strict(),
  })
  .strict();

/**
 * The JSON Schema Helm checks the values against (values.yaml with the user's files merged onto
 * it, so every key is present): chartValuesSchema as draft-07, plus the one rule across sections
 * that JSON Schema can say: several hub replicas only on PostgreSQL.
 */
export function chartValuesJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(chartValuesSchema, { target: "draft-7", io: "input", unrepresentable: "throw" });
  return {
    $schema,
    title: "Gyre Helm chart values (generated from deploy/chart/values-schema.ts by npm run docs:chart)",
    ...schema,
    // The templates check this too (gyre.validate); the schema makes Helm say it before rendering.
    if: { properties: { database: { properties: { type: { const: "postgresql" } } } } },
    else: { properties: { hub: { properties: { replicas: { maximum: 1 } } } } },
  };
}
