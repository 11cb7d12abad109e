// Configuration of the batch spawner (the `spawner.batch:` section of gyre.config.yaml): the
// clusters jobs go to, the admin's profiles and bounds, what the job script runs, and the builder
// of the per-user spawn-form options schema. Pure.
import { z } from "zod";
import { SCHEDULER_KINDS, type SchedulerKind } from "./dialects/index";
import { formatMemory, memoryField, parseMemoryBytes } from "./memory";
import { HARD_LIMITS, PATTERNS, type JobResources } from "./types";
import { detectServerFlavor, isPythonModuleForm } from "../server-flavor";

// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const singleLine = z.string().regex(/^[^\x00-\x1f\x7f]*$/, "must be a single line");
const name = z.string().regex(PATTERNS.name, "letters, digits and _ . @ + - only");
const intIn = (k: Exclude<keyof typeof HARD_LIMITS, "memoryBytes">) => z.number().int().min(HARD_LIMITS[k].min).max(HARD_LIMITS[k].max);
const memory = () => memoryField(HARD_LIMITS.memoryBytes.min, HARD_LIMITS.memoryBytes.max);
const absolutePath = z
  .string()
  .regex(PATTERNS.path, "must be an absolute path of letters, digits and _ . / @ + -")
  .refine((p) => !p.endsWith("/"), "must not end with a slash");
const clusterName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, _ and - only");

/** The cluster the section-level keys (scheduler, submitPrefix, …) describe. */
export const DEFAULT_CLUSTER = "default";

const rangeOf = (v: z.ZodType<number, unknown>) =>
  z
    .object({ min: v, max: v })
    .strict()
    .refine((r: { min: number; max: number }) => r.min <= r.max, "min must be <= max");
const range = (k: "walltimeSeconds" | "cores" | "gpus", what: string) =>
  rangeOf(intIn(k)).optional().describe(`Range the user may choose ${what} from on the spawn form. Unset: the profile's value is fixed.`);
const memoryRange = () =>
  rangeOf(memory())
    .optional()
    .describe('Range the user may choose the memory from, e.g. {min: "2G", max: "64G"} (bytes, or K/M/G/T). Unset: the profile\'s value is fixed.');

// Descriptions shared by the levels that may set them (section → cluster → profile).
const DESCRIBE = {
  pythonEnvironment:
    "Prefix of the Python environment jobs run from on the compute nodes (a conda environment or virtualenv on a shared filesystem, e.g. /sw/conda/envs/pangeo): the job puts its bin/ first on PATH and runs <prefix>/bin/python unless pythonCommand is set.",
  pythonCommand:
    "Python interpreter in the job that has jupyter_server (after modules and the prologue ran), e.g. python3 after a conda activate. Default: <pythonEnvironment>/bin/python, or /usr/bin/python3.",
  modules:
    'Environment modules loaded before the server ("module load <name>" lines, in this order), e.g. ["python/3.11", "netcdf"]. Needs loginShell or a prologue that defines the module command on sites where only login shells have it.',
  loginShell:
    "Run the job script in a login shell (bash -l: /etc/profile and ~/.bash_profile are read, so `module` and site PATHs exist as in an ssh session). Slurm, PBS and LSF: the script starts with #!/bin/bash -l; Grid Engine: the script re-executes itself with bash -l unless the queue already starts it as a login shell (login_shells in qconf -sconf).",
  jobScriptTemplate:
    "A file with the whole job script as a Mustache template (the site owns the script); the variables it may use are listed in docs/hpc.md. Read and checked when the hub starts: a template without {{launcher}} or with an unknown variable stops the hub, naming the line. Unset: Gyre's built-in script.",
  portRange: 'Ports the server may bind on the node, "7050-7099"; empty: any free port (the launcher binds first, so there is no race).',
  bindAddress: "Address the server binds on the node; empty: the address the node's hostname resolves to.",
  networkInterface:
    "Network interface of the compute nodes for Dask (dask-jobqueue's interface, e.g. ib0): workers and the scheduler in the notebook use it. Unset: Dask's default (the node's primary address).",
  useAccounting: "Ask the scheduler's accounting (Grid Engine qacct) why a job ended when it is already gone.",
  command:
    'The server the job\'s launcher runs, as an argument list: ["jupyter","server"] (jupyter_server\'s ServerApp, the default) or JupyterHub\'s single-user server, ["jupyterhub-singleuser"] (any path ending in it) or [python,"-m","jupyterhub.singleuser"]; later words are arguments appended to Gyre\'s own. The launcher binds the port first and runs the application in the job\'s Python (pythonCommand; with [python,"-m",…] that python), so the Python must have jupyterhub (and jupyter_server) installed. jupyterhub-singleuser logs its users in through the hub\'s OAuth provider (the server\'s own client, no consent page for its owner) and reports its activity itself; the proxy still lets only those who may use the server through, but injects no server token. Gyre\'s extension (dashboard relay, busy-kernel activity) is loaded into both.',
} as const;

/**
 * A batch server command: the launcher runs jupyter_server's ServerApp or jupyterhub-singleuser
 * in-process (it hands over the port it bound), so only those two are accepted.
 */
const serverCommand = z
  .array(singleLine.min(1))
  .min(1)
  .superRefine((command, ctx) => {
    if (command.length === 0) return;
    const flavor = detectServerFlavor(command);
    const jupyterServer = /(^|\/)jupyter$/.test(command[0]) && command[1] === "server";
    if (flavor === "singleuser" ? false : !jupyterServer)
      ctx.addIssue({
        code: "custom",
        message: `the batch launcher runs ["jupyter","server"] or ["jupyterhub-singleuser"] / [python,"-m","jupyterhub.singleuser"] (then arguments), not ${JSON.stringify(command).slice(0, 80)}`,
      });
    else if (isPythonModuleForm(command) && !PATTERNS.command.test(command[0]))
      ctx.addIssue({ code: "custom", path: [0], message: "the interpreter must be a command name or an absolute path of letters, digits and _ . / @ + -" });
  });

const modules = z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+/@:-]{0,127}$/, 'a module name such as "python/3.11" (no spaces or shell characters)'));
const portRange = z.string().regex(/^(\d{1,5}-\d{1,5})?$/, 'a range "lo-hi" such as "7050-7099", or empty');
const bindAddress = z.string().regex(/^[0-9a-fA-F.:]*$/, "an IP address, or empty");
const interfaceName = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'a network interface name such as "ib0"');
const prefix = z.array(z.string().min(1));

/** Per-profile bounds: walltime and resources only (queue and account choices are section-wide). */
export const batchProfileBoundsSchema = z
  .object({
    walltimeSeconds: range("walltimeSeconds", "the walltime"),
    cores: range("cores", "cores"),
    memoryBytes: memoryRange(),
    gpus: range("gpus", "GPUs"),
  })
  .strict();

export const batchProfileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, _ and - only, at most 32")
      .describe("Identifier of the profile (spawn form value)."),
    display: z.string().min(1).max(120).describe('What users see, e.g. "1 core, 2 h, debug queue".'),
    cluster: clusterName
      .optional()
      .describe(`Cluster the profile's jobs go to: a key of spawner.batch.clusters. Unset: the default cluster (the section's scheduler and prefixes).`),
    queue: name.optional().describe("Queue (Grid Engine, PBS, LSF) or partition (Slurm)."),
    account: name.optional().describe("Account (Slurm, PBS) or project (Grid Engine, LSF) charged for the job."),
    walltimeSeconds: intIn("walltimeSeconds").default(3600).describe("Walltime of the job; the server is killed by the scheduler when it is reached."),
    cores: intIn("cores").default(1).describe("Cores on one node."),
    memoryBytes: memory()
      .optional()
      .describe(
        'Memory for the whole job: bytes, or "4G", "512M", "1.5T" (binary units, as Slurm and Grid Engine read them). Per slot on Grid Engine is derived.',
      ),
    gpus: intIn("gpus").default(0).describe("GPUs (Slurm --gres=gpu:N, PBS ngpus, LSF -gpu, Grid Engine -l gpu=N)."),
    parallelEnvironment: name.optional().describe('Grid Engine parallel environment used when cores > 1 (default "smp").'),
    extraDirectives: z
      .array(singleLine)
      .default([])
      .describe('Extra directive lines, written verbatim after the scheduler\'s prefix, e.g. ["--constraint=haswell"] on Slurm.'),
    pythonEnvironment: absolutePath.optional().describe(`${DESCRIBE.pythonEnvironment} Unset: the cluster's.`),
    pythonCommand: z.string().regex(PATTERNS.command, "a command name or absolute path").optional().describe(`${DESCRIBE.pythonCommand} Unset: the cluster's.`),
    modules: modules.optional().describe(`${DESCRIBE.modules} Unset: the cluster's.`),
    command: serverCommand.optional().describe(`${DESCRIBE.command} Unset: the cluster's.`),
    prologue: z
      .array(singleLine)
      .default([])
      .describe('Shell lines run in the job before the server, after the section\'s prologue, e.g. ["source /opt/conda/bin/activate pangeo"].'),
    epilogue: z.array(singleLine).default([]).describe("Shell lines run in the job after the server exited, before the section's epilogue."),
    bounds: batchProfileBoundsSchema
      .optional()
      .describe("This profile's own ranges for the spawn form (walltimeSeconds, cores, memoryBytes, gpus); a range not set here is spawner.batch.bounds'."),
    groups: z.array(z.string()).default([]).describe("Hub groups allowed to use this profile; empty = everyone."),
  })
  .strict();
export type BatchProfile = z.infer<typeof batchProfileSchema>;

export const batchBoundsSchema = z
  .object({
    walltimeSeconds: range("walltimeSeconds", "the walltime"),
    cores: range("cores", "cores"),
    memoryBytes: memoryRange(),
    gpus: range("gpus", "GPUs"),
    queues: z.array(name).default([]).describe("Queues/partitions the user may pick instead of the profile's; empty: fixed."),
    accounts: z.array(name).default([]).describe("Accounts/projects the user may pick; empty: fixed (the profile's)."),
  })
  .strict();

/** A cluster besides the default one: its scheduler and how to reach it; the rest defaults to the section's. */
export const batchClusterSchema = z
  .object({
    scheduler: z.enum(SCHEDULER_KINDS).describe("Batch scheduler of this cluster: sge (Grid Engine), slurm, pbs or lsf."),
    submitPrefix: prefix.optional().describe("As spawner.batch.submitPrefix, for this cluster (e.g. ssh to its login node). Unset: the section's."),
    queryPrefix: prefix.optional().describe("As spawner.batch.queryPrefix, for this cluster. Unset: the section's."),
    callbackUrl: z
      .string()
      .url()
      .optional()
      .describe("The hub's URL as this cluster's nodes reach it (they POST <callbackUrl>/hub/api/batch/callback). Unset: hub.callbackUrl."),
    pythonEnvironment: absolutePath.optional().describe(`${DESCRIBE.pythonEnvironment} Unset: the section's.`),
    pythonCommand: z.string().regex(PATTERNS.command).optional().describe(`${DESCRIBE.pythonCommand} Unset: the section's.`),
    modules: modules.optional().describe(`${DESCRIBE.modules} Unset: the section's.`),
    command: serverCommand.optional().describe(`${DESCRIBE.command} Unset: the section's.`),
    loginShell: z.boolean().optional().describe(`${DESCRIBE.loginShell} Unset: the section's.`),
    jobScriptTemplate: absolutePath.optional().describe(`${DESCRIBE.jobScriptTemplate} Unset: the section's.`),
    portRange: portRange.optional().describe(`${DESCRIBE.portRange} Unset: the section's.`),
    bindAddress: bindAddress.optional().describe(`${DESCRIBE.bindAddress} Unset: the section's.`),
    networkInterface: interfaceName.optional().describe(`${DESCRIBE.networkInterface} Unset: the section's.`),
    useAccounting: z.boolean().optional().describe(`${DESCRIBE.useAccounting} Unset: the section's.`),
  })
  .strict();

export const batchLogRetentionSchema = z
  .object({
    keepPerUser: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe("Job logs kept per user (the newest); older ones are deleted, as the user, when a new job is submitted. 0: never delete."),
    deleteAfterCleanStop: z
      .boolean()
      .default(true)
      .describe(
        "Delete a job's log once the job is gone after a stop through the hub (user, admin or idle culler). Logs of failed starts and of jobs that ended on their own (walltime, scancel, node failure) are kept.",
      ),
  })
  .strict();

export const batchSpawnerConfigSchema = z
  .object({
    scheduler: z
      .enum(SCHEDULER_KINDS)
      .default("slurm")
      .describe("Batch scheduler of the default cluster: sge (Grid Engine), slurm, pbs (PBS Pro/OpenPBS/Torque) or lsf."),
    submitPrefix: prefix
      .default(["sudo", "-n", "-H", "-u", "{osUser}", "--"])
      .describe(
        'Argument list put before every command run as the user (write the secret file, submit, cancel, read and prune the log). {osUser} is the OS account. Nothing secret travels in the environment or argv (secrets go on stdin into secretFile), so sudo\'s env_reset is fine. For a login node: ["ssh","-o","BatchMode=yes","{osUser}@login1","--"] (ssh joins argv into one remote shell line, so with an ssh prefix Gyre quotes every word of the command for the remote shell and refuses words with newlines or control characters).',
      ),
    queryPrefix: prefix
      .default([])
      .describe("Argument list before the ONE status query per poll for all jobs (runs as the hub's user by default; it needs no user rights)."),
    clusters: z
      .record(clusterName, batchClusterSchema)
      .default({})
      .refine(
        (c) => !Object.hasOwn(c, DEFAULT_CLUSTER),
        `"${DEFAULT_CLUSTER}" is the cluster of the section-level keys (scheduler, submitPrefix, …); name this one differently`,
      )
      .describe(
        "More clusters behind this hub (e.g. a GPU machine with its own scheduler and login node), by name; profiles choose one with `cluster`. The section-level keys are the cluster named default.",
      ),
    pythonEnvironment: absolutePath.optional().describe(`${DESCRIBE.pythonEnvironment} Unset: the nodes' /usr/bin/python3.`),
    pythonCommand: z.string().regex(PATTERNS.command, "a command name or absolute path").optional().describe(DESCRIBE.pythonCommand),
    modules: modules.default([]).describe(DESCRIBE.modules),
    command: serverCommand.optional().describe(`${DESCRIBE.command} Unset: jupyter_server.`),
    loginShell: z.boolean().default(false).describe(DESCRIBE.loginShell),
    jobScriptTemplate: absolutePath.optional().describe(DESCRIBE.jobScriptTemplate),
    prologue: z.array(singleLine).default([]).describe("Shell lines run in every job before the server (after the modules), before the profile's prologue."),
    epilogue: z
      .array(singleLine)
      .default([])
      .describe(
        "Shell lines run in every job after the server exited (also after a scancel/qdel while the scheduler's grace period lasts), after the profile's epilogue.",
      ),
    serverArgs: z.array(singleLine).default([]).describe("Extra jupyter_server flags appended to Gyre's own."),
    workDir: z.string().default("{home}").describe("Directory the job runs in. {home} is the OS user's home (looked up with getent on the hub host)."),
    secretFile: z
      .string()
      .default("{home}/.gyre/{spawnId}.secret")
      .describe(
        "Where the job's token and callback secret are written (inside a 0700 directory) for the job to read; must be on a filesystem the compute nodes share. The job deletes it after calling back.",
      ),
    logFile: z
      .string()
      .default("{workDir}/.gyre-batch-{spawnId}.log")
      .refine((t) => t.lastIndexOf("{spawnId}") > t.lastIndexOf("/"), "must contain {spawnId} in its file name (every start writes its own log)")
      .describe("The job's stdout+stderr (on the shared filesystem), read for the error page of a failed spawn. See logRetention for when it is deleted."),
    logRetention: batchLogRetentionSchema.default(batchLogRetentionSchema.parse({})).describe("When job logs are deleted."),
    portRange: portRange.default("").describe(DESCRIBE.portRange),
    bindAddress: bindAddress.default("").describe(DESCRIBE.bindAddress),
    networkInterface: interfaceName.optional().describe(DESCRIBE.networkInterface),
    env: z
      .record(z.string().regex(PATTERNS.envName), singleLine)
      .default({})
      .describe("Extra environment variables exported in every job (not secrets: they are written into the job script)."),
    daskJobqueue: z
      .boolean()
      .default(true)
      .describe(
        "Export dask-jobqueue's settings for the server's own cluster and profile (DASK_JOBQUEUE__<SCHEDULER>__QUEUE, ACCOUNT/PROJECT, WALLTIME, CORES, MEMORY, …), so SLURMCluster() / SGECluster() in a notebook needs no arguments.",
      ),
    profiles: z
      .array(batchProfileSchema)
      .min(1)
      .default([batchProfileSchema.parse({ name: "default", display: "1 core, 1 h" })])
      .describe("Profiles offered on the spawn form; the first is the default."),
    bounds: batchBoundsSchema.default(batchBoundsSchema.parse({})).describe("What users may change on the spawn form, within these bounds."),
    pollIntervalSeconds: z.number().positive().default(5).describe("How often the ONE batched scheduler query per cluster for all tracked jobs runs."),
    queuedTimeoutSeconds: z
      .number()
      .nonnegative()
      .default(24 * 3600)
      .describe("How long a job may wait in the queue before the spawn is given up (0: forever). Users can cancel earlier."),
    startingTimeoutSeconds: z.number().positive().default(300).describe("From the job running to the server calling back; separate from the queue wait."),
    stopTimeoutSeconds: z.number().positive().default(60).describe("How long a cancelled job may take to leave the scheduler."),
    walltimeWarningSeconds: z
      .number()
      .nonnegative()
      .default(900)
      .describe("When this little walltime is left, the home page and the admin page warn that the job (and the server) will end soon."),
    useAccounting: z.boolean().default(true).describe(DESCRIBE.useAccounting),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.profiles.forEach((p, i) => {
      if (p.cluster && p.cluster !== DEFAULT_CLUSTER && !Object.hasOwn(c.clusters, p.cluster)) {
        const known = [DEFAULT_CLUSTER, ...Object.keys(c.clusters)].join(", ");
        ctx.addIssue({ code: "custom", path: ["profiles", i, "cluster"], message: `no cluster "${p.cluster}" in spawner.batch.clusters (known: ${known})` });
      }
      if (c.profiles.findIndex((q) => q.name === p.name) !== i)
        ctx.addIssue({ code: "custom", path: ["profiles", i, "name"], message: `profile name "${p.name}" is used twice` });
    });
  });
export type BatchSpawnerConfig = z.infer<typeof batchSpawnerConfigSchema>;
export type BatchClusterConfig = z.infer<typeof batchClusterSchema>;

/** One cluster with every setting resolved (its own, else the section's). */
export interface ResolvedCluster {
  name: string;
  scheduler: SchedulerKind;
  submitPrefix: string[];
  queryPrefix: string[];
  /** undefined: the hub's callback URL */
  callbackUrl?: string;
  pythonEnvironment?: string;
  pythonCommand?: string;
  modules: string[];
  /** undefined: jupyter_server (spawner.batch.command) */
  command?: string[];
  loginShell: boolean;
  jobScriptTemplate?: string;
  portRange: string;
  bindAddress: string;
  networkInterface?: string;
  useAccounting: boolean;
}

/** Every cluster of the section by name, the default one first. */
export function listClusters(config: BatchSpawnerConfig): ResolvedCluster[] {
  const base: ResolvedCluster = {
    name: DEFAULT_CLUSTER,
    scheduler: config.scheduler,
    submitPrefix: config.submitPrefix,
    queryPrefix: config.queryPrefix,
    pythonEnvironment: config.pythonEnvironment,
    pythonCommand: config.pythonCommand,
    modules: config.modules,
    command: config.command,
    loginShell: config.loginShell,
    jobScriptTemplate: config.jobScriptTemplate,
    portRange: config.portRange,
    bindAddress: config.bindAddress,
    networkInterface: config.networkInterface,
    useAccounting: config.useAccounting,
  };
  const others = Object.entries(config.clusters).map(([name, c]): ResolvedCluster => {
    const own = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as BatchClusterConfig;
    return { ...base, ...own, name };
  });
  return [base, ...others];
}

/** The cluster named `name` (undefined: the default one); null when the config has no such cluster. */
export function resolveCluster(config: BatchSpawnerConfig, name: string | undefined): ResolvedCluster | null {
  return listClusters(config).find((c) => c.name === (name ?? DEFAULT_CLUSTER)) ?? null;
}

/** The interpreter a job runs Gyre's launcher with (see pythonCommand / pythonEnvironment). */
export function resolvePythonCommand(c: { pythonCommand?: string; pythonEnvironment?: string }): string {
  return c.pythonCommand ?? (c.pythonEnvironment ? `${c.pythonEnvironment}/bin/python` : "/usr/bin/python3");
}

/** Profiles `groups` may use (a profile without groups is for everyone). */
export function listProfilesFor(config: BatchSpawnerConfig, groups: string[], admin = false): BatchProfile[] {
  return config.profiles.filter((p) => admin || p.groups.length === 0 || p.groups.some((g) => groups.includes(g)));
}

type RangeField = "walltimeSeconds" | "cores" | "memoryBytes" | "gpus";
export const RANGE_FIELDS: readonly RangeField[] = ["walltimeSeconds", "cores", "memoryBytes", "gpus"];

/** The range users of `profile` may choose `field` from (the profile's own bounds, else the section's); undefined: fixed. */
export function boundsFor(config: BatchSpawnerConfig, profile: BatchProfile, field: RangeField): { min: number; max: number } | undefined {
  return profile.bounds?.[field] ?? config.bounds[field];
}

const FIELD_WORDS: Record<RangeField, string> = { walltimeSeconds: "the walltime", cores: "cores", memoryBytes: "memory", gpus: "GPUs" };

/**
 * zod schema for the spawn-form options of one user: a profile they may use and, only where the
 * admin set bounds (for the chosen profile), overrides inside them. Unknown keys are rejected.
 */
export function buildOptionsSchema(config: BatchSpawnerConfig, user: { groups: string[]; admin: boolean }) {
  const profiles = listProfilesFor(config, user.groups, user.admin);
  const names = profiles.map((p) => p.name);
  if (names.length === 0) throw new Error("no batch profile is available to this user");
  const b = config.bounds;
  // A field exists when some profile of this user opens it; the chosen profile's range is checked below.
  const open = (f: RangeField) => profiles.some((p) => boundsFor(config, p, f));
  const int = (f: RangeField) => (open(f) ? z.number().int().optional() : z.undefined({ error: notChoosable(f) }).optional());
  const choice = (list: string[], what: "queue" | "account") =>
    list.length ? z.enum(list as [string, ...string[]]).optional() : z.undefined({ error: notChoosable(what) }).optional();
  return z
    .object({
      profile: z
        .enum(names as [string, ...string[]], { error: (i) => `"${String(i.input)}" is not a profile you may use (yours: ${names.join(", ")})` })
        .default(names[0])
        .describe("Profile"),
      walltimeSeconds: int("walltimeSeconds").describe("Walltime (s)"),
      cores: int("cores").describe("Cores"),
      memoryBytes: (open("memoryBytes")
        ? z
            .union([z.number(), z.string()])
            .transform((v, ctx) => {
              try {
                return parseMemoryBytes(v);
              } catch (e) {
                ctx.addIssue({ code: "custom", message: (e as Error).message });
                return z.NEVER;
              }
            })
            .optional()
        : z.undefined({ error: notChoosable("memoryBytes") }).optional()
      ).describe("Memory (bytes)"),
      gpus: int("gpus").describe("GPUs"),
      queue: choice(b.queues, "queue").describe("Queue"),
      account: choice(b.accounts, "account").describe("Account"),
    })
    .strict()
    .superRefine((o, ctx) => {
      const p = profiles.find((x) => x.name === o.profile);
      if (!p) return;
      for (const f of RANGE_FIELDS) {
        const v = o[f];
        if (v === undefined) continue;
        const r = boundsFor(config, p, f);
        const show = (n: number) => (f === "memoryBytes" ? formatMemory(n) : String(n));
        if (!r) ctx.addIssue({ code: "custom", path: [f], message: `profile "${p.name}" does not let you choose ${FIELD_WORDS[f]}` });
        else if (v < r.min || v > r.max)
          ctx.addIssue({ code: "custom", path: [f], message: `must be between ${show(r.min)} and ${show(r.max)} for profile "${p.name}" (got ${show(v)})` });
      }
    });
}
export type BatchSpawnOptions = z.infer<ReturnType<typeof buildOptionsSchema>>;

function notChoosable(field: RangeField | "queue" | "account"): string {
  const option = field === "queue" ? "bounds.queues" : field === "account" ? "bounds.accounts" : `bounds.${field}`;
  return `this hub does not let users choose ${field === "queue" || field === "account" ? `the ${field}` : FIELD_WORDS[field]} (spawner.batch.${option} is not set)`;
}

/** Everything about one job that follows from the config and the user's options. */
export interface ResolvedJob {
  profile: BatchProfile;
  cluster: ResolvedCluster;
  resources: JobResources;
  modules: string[];
  prologue: string[];
  epilogue: string[];
  pythonCommand: string;
  pythonEnvironment?: string;
  /** the application the launcher runs: jupyter_server's ServerApp or jupyterhub-singleuser */
  serverApp: "server" | "singleuser";
  /** the command's own arguments (after the application), appended to Gyre's flags */
  commandArgs: string[];
}

/**
 * The launcher's application, its interpreter (a `[python, "-m", module]` command names it) and the
 * command's own arguments, from a validated command (undefined: jupyter_server).
 */
export function resolveServerCommand(command: readonly string[] | undefined): { serverApp: "server" | "singleuser"; python?: string; args: string[] } {
  if (!command) return { serverApp: "server", args: [] };
  const serverApp = detectServerFlavor(command) === "singleuser" ? "singleuser" : "server";
  if (isPythonModuleForm(command)) return { serverApp, python: command[0], args: command.slice(3) };
  return { serverApp, args: command.slice(serverApp === "singleuser" ? 1 : 2) };
}

/** The job for validated options: the chosen profile with the user's overrides, on its cluster. */
export function resolveJob(config: BatchSpawnerConfig, options: BatchSpawnOptions): ResolvedJob {
  const profile = config.profiles.find((p) => p.name === options.profile);
  if (!profile) throw new Error(`unknown profile ${options.profile}`);
  const cluster = resolveCluster(config, profile.cluster);
  if (!cluster) throw new Error(`profile ${profile.name}: unknown cluster ${profile.cluster}`);
  const resources: JobResources = {
    queue: options.queue ?? profile.queue,
    account: options.account ?? profile.account,
    walltimeSeconds: options.walltimeSeconds ?? profile.walltimeSeconds,
    cores: options.cores ?? profile.cores,
    memoryBytes: options.memoryBytes ?? profile.memoryBytes,
    gpus: options.gpus ?? profile.gpus,
    parallelEnvironment: profile.parallelEnvironment,
    extraDirectives: profile.extraDirectives,
  };
  const pythonEnvironment = profile.pythonEnvironment ?? cluster.pythonEnvironment;
  const pythonCommand = profile.pythonCommand ?? (profile.pythonEnvironment ? undefined : cluster.pythonCommand);
  const server = resolveServerCommand(profile.command ?? cluster.command);
  return {
    profile,
    cluster,
    resources,
    modules: profile.modules ?? cluster.modules,
    prologue: [...config.prologue, ...profile.prologue],
    epilogue: [...profile.epilogue, ...config.epilogue],
    pythonCommand: server.python ?? resolvePythonCommand({ pythonCommand, pythonEnvironment }),
    pythonEnvironment,
    serverApp: server.serverApp,
    commandArgs: server.args,
  };
}

/** Replace {name} placeholders; unknown placeholders are an error (a typo must not reach argv). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`unknown placeholder {${k}} in "${template}"`);
    return v;
  });
}
