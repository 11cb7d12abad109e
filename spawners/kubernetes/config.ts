// Configuration of the Kubernetes spawner: the `spawner.kubernetes:` section of gyre.config.yaml,
// plus admin-defined profiles and the pure functions that pick one for a user (no I/O here).
import { z } from "zod";

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/**
 * Parses a byte count: a number, or a string with a Kubernetes-style suffix ("512Mi", "2G",
 * "1.5Gi"), so that values copied from z2jh configs ("memory: 2G") keep working. Returns whole
 * bytes (rounded down); throws on anything else.
 */
export function parseByteQuantity(value: number | string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`not a byte count: ${value}`);
    return Math.floor(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKMGTP]i?|)\s*$/.exec(value);
  if (!m || !(m[2] in BYTE_UNITS)) throw new Error(`not a byte quantity: "${value}" (use e.g. 2147483648, "2Gi" or "2G")`);
  return Math.floor(Number(m[1]) * BYTE_UNITS[m[2]]);
}

const byteQuantity = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  try {
    return parseByteQuantity(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

const cores = z.number().positive();

const stringMap = z.record(z.string(), z.string());

export const tolerationSchema = z
  .object({
    key: z.string().optional().describe("Taint key the toleration applies to; empty with operator Exists: every taint."),
    operator: z.enum(["Equal", "Exists"]).optional().describe("Equal (the taint's value must match) or Exists."),
    value: z.string().optional().describe("Taint value to match with operator Equal."),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("Taint effect to match; empty: every effect."),
    tolerationSeconds: z.number().int().optional().describe("With NoExecute: how long the pod stays bound after the taint appears."),
  })
  .strict();

export type Toleration = z.infer<typeof tolerationSchema>;

/** A Kubernetes object passed through as written (affinity, extra volumes): checked by the API server. */
const k8sObject = z.record(z.string(), z.unknown());

/** Settings a profile may override; the same names as the top-level options. */
const overridableShape = {
  image: z.string().min(1).describe("Container image of the Jupyter server, e.g. quay.io/jupyter/scipy-notebook:2024-12-09. Pin a tag in production."),
  imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).describe("When the node pulls the image."),
  command: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      'The server command as an argument list; Gyre appends --ServerApp.ip, port, base_url and the other hub settings. The image must have jupyter_server ≥ 2. ["jupyterhub-singleuser"] (or [python,"-m","jupyterhub.singleuser"]; the image needs jupyterhub) runs JupyterHub\'s single-user server, as under JupyterHub: it logs its users in through the hub\'s OAuth provider (the server\'s own client, no consent page for its owner) and reports its activity itself; the proxy still lets only those who may use the server through, but injects no server token.',
    ),
  args: z.array(z.string()).describe("Extra arguments appended after Gyre's own."),
  defaultUrl: z.string().describe("Page a server opens on (its default_url)."),
  env: stringMap.describe("Extra environment variables for the server (JUPYTER_TOKEN is always Gyre's and cannot be set here)."),
  cpuRequest: cores.describe("CPU cores reserved for the server (Kubernetes requests.cpu), e.g. 0.5."),
  cpuLimit: cores.describe("CPU cores the server may use at most (limits.cpu)."),
  memoryRequestBytes: byteQuantity.describe('Memory reserved for the server (requests.memory): bytes, or a string like "1Gi" / "1G".'),
  memoryLimitBytes: byteQuantity.describe('Memory the server may use before it is killed (limits.memory): bytes, or "4Gi" / "4G".'),
  extraResourceLimits: z
    .record(z.string(), z.union([z.string(), z.number()]))
    .describe('Extended resources, e.g. {"nvidia.com/gpu": 1}. Kubernetes sets the request equal to the limit.'),
  nodeSelector: stringMap.describe('Node labels the server\'s node must have, e.g. {"cloud.google.com/gke-nodepool": "user"}.'),
  tolerations: z.array(tolerationSchema).describe("Taints the server's pod tolerates (e.g. dedicated GPU nodes)."),
  affinity: k8sObject.describe("Pod affinity as Kubernetes writes it (V1Affinity), passed through unchanged."),
  priorityClassName: z.string().min(1).describe("PriorityClass of user pods (e.g. a low class so that placeholders can be preempted)."),
  extraLabels: stringMap.describe("Extra labels on user pods."),
  extraAnnotations: stringMap.describe("Extra annotations on user pods."),
  serverExtension: z
    .boolean()
    .describe(
      "Load Gyre's Jupyter server extension in user pods, as on local and batch servers: a kernel busy computing counts as activity (so a long computation with the browser closed is not culled) and Dask dashboards are relayed under <base_url>proxy/<port>/. Its Python files come in a read-only ConfigMap per server, put first on PYTHONPATH by a /bin/sh wrapper around the command (the image's own PYTHONPATH is kept after it); nothing is installed in the image. Turn off for images without a compatible Jupyter server (jupyter_server, notebook 6 or jupyterhub-singleuser with tornado) or without /bin/sh.",
    ),
};

/** Keys whose maps are merged key by key when a profile overrides them; others are replaced. */
const MERGED_KEYS = ["env", "nodeSelector", "extraResourceLimits", "extraLabels", "extraAnnotations"] as const;

export const profileOverridesSchema = z.object(overridableShape).partial().strict();

export type ProfileOverrides = z.infer<typeof profileOverridesSchema>;

export const profileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "lower-case letters, digits and inner dashes")
      .max(63)
      .describe("Identifier of the profile (what the spawn form and the API send), e.g. gpu-small."),
    displayName: z.string().min(1).describe("Title shown on the spawn form."),
    description: z.string().default("").describe("One or two sentences shown under the title."),
    default: z.boolean().default(false).describe("Pre-selected on the spawn form and used when the start request names no profile."),
    groups: z
      .array(z.string().min(1))
      .default([])
      .describe("Hub groups (e.g. GitHub org:team) allowed to use this profile; empty = everyone. Admins may use every profile."),
    overrides: profileOverridesSchema
      .default({})
      .describe(
        "Settings that replace the top-level ones for servers of this profile (env, nodeSelector, extraResourceLimits, extraLabels and extraAnnotations are merged key by key).",
      ),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;

export const securityContextSchema = z
  .object({
    runAsUser: z.number().int().min(1).default(1000).describe("UID of the server process (must not be 0). 1000 is jovyan in the Jupyter docker stacks."),
    runAsGroup: z.number().int().min(0).default(100).describe("Primary GID of the server process (100 = users in the Jupyter docker stacks)."),
    fsGroup: z.number().int().min(0).default(100).describe("GID that owns the home volume, so that the server can write to it."),
  })
  .strict();

export const storageSchema = z
  .object({
    type: z
      .enum(["dynamic", "none"])
      .default("dynamic")
      .describe("dynamic: one PersistentVolumeClaim per user, mounted as home and kept when the server stops. none: an ephemeral home."),
    storageClassName: z.string().optional().describe("StorageClass of the claims; unset = the cluster's default class."),
    capacityBytes: byteQuantity.default(10 * 2 ** 30).describe('Size of each claim: bytes, or "10Gi" / "10G".'),
    accessModes: z
      .array(z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"]))
      .min(1)
      .default(["ReadWriteOnce"])
      .describe("Access modes of each claim."),
    mountPath: z
      .string()
      .regex(/^\//, "an absolute path")
      .default("/home/jovyan")
      .describe("Where the claim is mounted: the user's home (and the server's root directory)."),
    claimPerServer: z
      .boolean()
      .default(false)
      .describe("One claim per named server instead of one per user (needed if named servers run at once on different nodes with ReadWriteOnce)."),
  })
  .strict();

const IMAGE_REPOSITORY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export const launchImageBuildSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Launch links get an image built per repository commit by a Job (a builder such as repo2docker or BuildKit that pushes to `registry`), cached by commit; the launch's pod runs that image, so apt.txt, environment.yml and postBuild are installed as repo2docker does. The repository's files still come into the user's home through Gyre's agent (an init container). Off: the agent also prepares the environment in the init container, in the profile's image.",
      ),
    registry: z
      .string()
      .regex(IMAGE_REPOSITORY, "must be a registry and repository prefix such as registry.example.org/gyre-launches")
      .optional()
      .describe(
        "Where built images are pushed and pulled from, e.g. registry.example.org/gyre-launches: images are <registry>/<repository slug>:<commit>. Required when enabled.",
      ),
    builderImage: z.string().min(1).default("quay.io/jupyterhub/repo2docker:2024.07.0").describe("Image of the build Job's container."),
    builderCommand: z
      .array(z.string())
      .min(1)
      .default(["jupyter-repo2docker", "--no-run", "--user-id=1000", "--user-name=jovyan", "--image-name={image}", "--ref={commit}", "--push", "{repo}"])
      .describe("The builder's argument list; {image}, {repo}, {commit} and {ref} are filled in within each argument (no shell is involved)."),
    builderEnv: stringMap
      .default({})
      .describe("Environment of the builder, e.g. {DOCKER_HOST: tcp://dind:2375} for a Docker-in-Docker service, or BuildKit's address."),
    pushSecret: z
      .string()
      .optional()
      .describe("A kubernetes.io/dockerconfigjson Secret in the namespace with push rights to the registry; mounted as the builder's ~/.docker/config.json."),
    serviceAccountName: z.string().optional().describe("Service account of build pods; unset = the namespace's default (its token is not mounted)."),
    buildTimeoutSeconds: z.number().int().positive().default(3600).describe("activeDeadlineSeconds of a build Job."),
  })
  .strict()
  .refine((b) => !b.enabled || b.registry !== undefined, { message: "registry is required when image builds are enabled", path: ["registry"] });

export type LaunchImageBuild = z.infer<typeof launchImageBuildSchema>;

export const kubernetesSpawnerConfigSchema = z
  .object({
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .default("default")
      .describe("Namespace of user pods, claims and token secrets (the Helm chart sets the release's namespace)."),
    kubeconfigPath: z
      .string()
      .optional()
      .describe("kubeconfig file for reaching the API server. Unset: the in-cluster service account (the usual case in the Helm chart), else ~/.kube/config."),
    kubeContext: z.string().optional().describe("Context in the kubeconfig to use; unset = its current context."),
    image: overridableShape.image.default("quay.io/jupyter/base-notebook:latest"),
    imagePullPolicy: overridableShape.imagePullPolicy.default("IfNotPresent"),
    imagePullSecrets: z.array(z.string().min(1)).default([]).describe("Names of docker-registry Secrets in the namespace for private images."),
    command: overridableShape.command.default(["jupyter", "server"]),
    args: overridableShape.args.default([]),
    defaultUrl: overridableShape.defaultUrl.default("/lab"),
    env: overridableShape.env.default({}),
    cpuRequest: overridableShape.cpuRequest.optional(),
    cpuLimit: overridableShape.cpuLimit.optional(),
    memoryRequestBytes: overridableShape.memoryRequestBytes.default(2 ** 30),
    memoryLimitBytes: overridableShape.memoryLimitBytes.optional(),
    extraResourceLimits: overridableShape.extraResourceLimits.default({}),
    nodeSelector: overridableShape.nodeSelector.default({}),
    tolerations: overridableShape.tolerations.default([]),
    affinity: overridableShape.affinity.optional(),
    priorityClassName: overridableShape.priorityClassName.optional(),
    extraLabels: overridableShape.extraLabels.default({}),
    extraAnnotations: overridableShape.extraAnnotations.default({}),
    serverExtension: overridableShape.serverExtension.default(true),
    securityContext: securityContextSchema
      .default(securityContextSchema.parse({}))
      .describe("Non-root identity of the server process; Gyre also drops all capabilities and forbids privilege escalation."),
    storage: storageSchema.default(storageSchema.parse({})).describe("The user's home volume."),
    extraVolumes: z
      .array(
        z
          .object({
            name: z.string().min(1).describe("Volume name, referred to by extraVolumeMounts[].name; the other keys are the Kubernetes volume source."),
          })
          .catchall(z.unknown()),
      )
      .default([])
      .describe("Extra pod volumes as Kubernetes writes them (e.g. a shared read-only data set)."),
    extraVolumeMounts: z
      .array(
        z
          .object({
            name: z.string().min(1).describe("Name of a volume in extraVolumes."),
            mountPath: z.string().regex(/^\//, "an absolute path").describe("Where it appears in the server container."),
            subPath: z.string().optional().describe("A path inside the volume to mount instead of its root."),
            readOnly: z.boolean().optional().describe("Mount read-only."),
          })
          .strict(),
      )
      .default([])
      .describe("Extra volume mounts of the server container: {name, mountPath, subPath?, readOnly?}."),
    serviceAccountName: z.string().optional().describe("Service account of user pods; unset = the namespace's default."),
    automountServiceAccountToken: z
      .boolean()
      .default(false)
      .describe("Mount the service account's API token into user pods. Off: a user's code gets no Kubernetes credentials."),
    startTimeoutSeconds: z
      .number()
      .positive()
      .default(300)
      .describe("How long a pod may take from creation to answering (image pulls on a new node can take minutes)."),
    stopGraceSeconds: z.number().int().min(0).default(10).describe("terminationGracePeriodSeconds of user pods: time between SIGTERM and SIGKILL on stop."),
    profiles: z
      .array(profileSchema)
      .default([])
      .describe("Admin-defined choices on the spawn form (like KubeSpawner's profile_list). Empty: no choice, the settings above apply."),
    launchImageBuild: launchImageBuildSchema
      .default(launchImageBuildSchema.parse({}))
      .describe("Launch links: images built per commit (BinderHub's way) or the environment prepared in the pod."),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    for (const [i, p] of cfg.profiles.entries()) {
      if (seen.has(p.name)) ctx.addIssue({ code: "custom", path: ["profiles", i, "name"], message: `duplicate profile name "${p.name}"` });
      seen.add(p.name);
    }
    if (cfg.profiles.filter((p) => p.default).length > 1) {
      ctx.addIssue({ code: "custom", path: ["profiles"], message: "at most one profile may have default: true" });
    }
  });

export type KubernetesSpawnerConfig = z.infer<typeof kubernetesSpawnerConfigSchema>;

/** A profile choice the user may not make or that does not exist; the message is user-facing. */
export class ProfileError extends Error {
  name = "ProfileError";
}

/** Who is choosing, for the group restriction of profiles. */
export interface ProfileAccess {
  groups: readonly string[];
  isAdmin: boolean;
}

/**
 * The profiles a user may pick, in the configured order: those without a group restriction,
 * those naming one of the user's groups, and every profile for admins. This is what the spawn
 * form shows.
 */
export function profilesForUser(profiles: readonly Profile[], userGroups: readonly string[], isAdmin: boolean): Profile[] {
  return profiles.filter((p) => isAdmin || p.groups.length === 0 || p.groups.some((g) => userGroups.includes(g)));
}

/**
 * The effective settings for a server started with `profileName`: the top-level config with the
 * profile's overrides applied (maps listed in MERGED_KEYS merged, everything else replaced).
 * An empty or absent name picks the default profile (the one marked default, else the first).
 * With `access`, only profiles that user may pick are considered. Throws ProfileError for an
 * unknown or forbidden name. Without profiles, returns the config unchanged (a name is refused).
 */
export function resolveProfile(
  config: KubernetesSpawnerConfig,
  profileName: string | undefined,
  access?: ProfileAccess,
): { settings: KubernetesSpawnerConfig; profile: Profile | null } {
  if (config.profiles.length === 0) {
    if (profileName) throw new ProfileError(`There is no profile "${profileName}" (this hub has no profiles).`);
    return { settings: config, profile: null };
  }
  const available = access ? profilesForUser(config.profiles, access.groups, access.isAdmin) : config.profiles;
  let profile: Profile | undefined;
  if (profileName) {
    profile = available.find((p) => p.name === profileName);
    if (!profile) {
      throw new ProfileError(
        config.profiles.some((p) => p.name === profileName) ? `You may not use the profile "${profileName}".` : `There is no profile "${profileName}".`,
      );
    }
  } else {
    profile = available.find((p) => p.default) ?? available[0];
    if (!profile) throw new ProfileError("No server profile is available to you; ask an admin to add you to a group.");
  }
  return { settings: applyOverrides(config, profile.overrides), profile };
}

function applyOverrides(config: KubernetesSpawnerConfig, overrides: ProfileOverrides): KubernetesSpawnerConfig {
  const out: KubernetesSpawnerConfig = { ...config };
  const target = out as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    target[key] = (MERGED_KEYS as readonly string[]).includes(key)
      ? { ...(config[key as (typeof MERGED_KEYS)[number]] as object), ...(value as object) }
      : value;
  }
  return out;
}

function formatGib(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return `${Number.isInteger(gib) ? gib : +gib.toFixed(1)} GiB`;
}

/**
 * One line describing effective settings, for a profile without a description on the spawn form:
 * "up to 2 CPUs · up to 4 GiB · 1 nvidia.com/gpu · quay.io/jupyter/scipy-notebook:2024-12-09".
 * Limits when set, else requests.
 */
export function formatProfileSummary(s: KubernetesSpawnerConfig): string {
  const cpu =
    s.cpuLimit !== undefined
      ? `up to ${s.cpuLimit} CPU${s.cpuLimit === 1 ? "" : "s"}`
      : s.cpuRequest !== undefined
        ? `${s.cpuRequest} CPU${s.cpuRequest === 1 ? "" : "s"}`
        : "";
  const memory =
    s.memoryLimitBytes !== undefined ? `up to ${formatGib(s.memoryLimitBytes)}` : s.memoryRequestBytes !== undefined ? formatGib(s.memoryRequestBytes) : "";
  const extra = Object.entries(s.extraResourceLimits).map(([name, n]) => `${n} ${name}`);
  return [cpu, memory, ...extra, s.image].filter(Boolean).join(" · ");
}
