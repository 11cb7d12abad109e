// Configuration of the batch spawner (the `spawner.batch:` section of gyre.config.yaml), the
// admin's profiles and bounds, and the builder of the per-user spawn-form options schema. Pure.
import { z } from "zod";
import { SCHEDULER_KINDS } from "./dialects/index";
import { HARD_LIMITS } from "./job-script";
import type { JobResources } from "./types";
import { PATTERNS } from "./types";

// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const singleLine = z.string().regex(/^[^\x00-\x1f\x7f]*$/, "must be a single line");
const name = z.string().regex(PATTERNS.name, "letters, digits and _ . @ + - only");
const intIn = (k: keyof typeof HARD_LIMITS) => z.number().int().min(HARD_LIMITS[k].min).max(HARD_LIMITS[k].max);
const range = (k: keyof typeof HARD_LIMITS, what: string) =>
  z
    .object({ min: intIn(k), max: intIn(k) })
    .strict()
    .refine((r) => r.min <= r.max, "min must be <= max")
    .optional()
    .describe(`Range the user may choose ${what} from on the spawn form. Unset: the profile's value is fixed.`);

export const batchProfileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
      .describe("Identifier of the profile (spawn form value)."),
    display: z.string().min(1).max(120).describe('What users see, e.g. "1 core, 2 h, debug queue".'),
    queue: name.optional().describe("Queue (Grid Engine, PBS, LSF) or partition (Slurm)."),
    account: name.optional().describe("Account (Slurm, PBS) or project (Grid Engine, LSF) charged for the job."),
    walltimeSeconds: intIn("walltimeSeconds").default(3600).describe("Walltime of the job; the server is killed by the scheduler when it is reached."),
    cores: intIn("cores").default(1).describe("Cores on one node."),
    memoryBytes: intIn("memoryBytes").optional().describe("Memory for the whole job, bytes (per slot on Grid Engine is derived)."),
    gpus: intIn("gpus").default(0).describe("GPUs (Slurm --gres=gpu:N, PBS ngpus, LSF -gpu, Grid Engine -l gpu=N)."),
    parallelEnvironment: name.optional().describe('Grid Engine parallel environment used when cores > 1 (default "smp").'),
    extraDirectives: z
      .array(singleLine)
      .default([])
      .describe('Extra directive lines, written verbatim after the scheduler\'s prefix, e.g. ["--constraint=haswell"] on Slurm.'),
    prologue: z
      .array(singleLine)
      .default([])
      .describe('Shell lines run in the job before the server, e.g. ["module load python/3.11", "source /opt/conda/bin/activate pangeo"].'),
    groups: z.array(z.string()).default([]).describe("Hub groups allowed to use this profile; empty = everyone."),
  })
  .strict();
export type BatchProfile = z.infer<typeof batchProfileSchema>;

export const batchBoundsSchema = z
  .object({
    walltimeSeconds: range("walltimeSeconds", "the walltime"),
    cores: range("cores", "cores"),
    memoryBytes: range("memoryBytes", "memory (bytes)"),
    gpus: range("gpus", "GPUs"),
    queues: z.array(name).default([]).describe("Queues/partitions the user may pick instead of the profile's; empty: fixed."),
    accounts: z.array(name).default([]).describe("Accounts/projects the user may pick; empty: fixed (the profile's)."),
  })
  .strict();

export const batchSpawnerConfigSchema = z
  .object({
    scheduler: z.enum(SCHEDULER_KINDS).default("slurm").describe("Batch scheduler: sge (Grid Engine), slurm, pbs (PBS Pro/OpenPBS/Torque) or lsf."),
    submitPrefix: z
      .array(z.string().min(1))
      .default(["sudo", "-n", "-H", "-u", "{osUser}", "--"])
      .describe(
        'Argument list put before every command run as the user (write the secret file, submit, cancel, read the log). {osUser} is the OS account. Nothing secret travels in the environment or argv (secrets go on stdin into secretFile), so sudo\'s env_reset is fine. For a login node: ["ssh","-o","BatchMode=yes","{osUser}@login1","--"] (ssh joins argv into one remote shell line, so with an ssh prefix Gyre quotes every word of the command for the remote shell and refuses words with newlines or control characters).',
      ),
    queryPrefix: z
      .array(z.string().min(1))
      .default([])
      .describe("Argument list before the ONE status query per poll for all jobs (runs as the hub's user by default; it needs no user rights)."),
    pythonEnvironment: z
      .string()
      .regex(PATTERNS.path, "must be an absolute path of letters, digits and _ . / @ + -")
      .refine((p) => !p.endsWith("/"), "must not end with a slash")
      .optional()
      .describe(
        "Prefix of the Python environment jobs run from on the compute nodes (a conda environment or virtualenv on a shared filesystem, e.g. /sw/conda/envs/pangeo): the job puts its bin/ first on PATH and runs <prefix>/bin/python unless pythonCommand is set. Unset: the nodes' /usr/bin/python3.",
      ),
    pythonCommand: z
      .string()
      .regex(/^[A-Za-z0-9_./+-]+$/)
      .optional()
      .describe(
        "Python interpreter in the job that has jupyter_server (after the prologue ran), e.g. python3 after a conda activate. Default: <pythonEnvironment>/bin/python, or /usr/bin/python3.",
      ),
    serverArgs: z.array(singleLine).default([]).describe("Extra jupyter_server flags appended to Gyre's own."),
    workDir: z.string().default("{home}").describe("Directory the job runs in. {home} is the OS user's home (looked up with getent on the hub host)."),
    secretFile: z
      .string()
      .default("{home}/.gyre/{spawnId}.secret")
      .describe(
        "Where the job's token and callback secret are written (inside a 0700 directory) for the job to read; must be on a filesystem the compute nodes share. The job deletes it after calling back.",
      ),
    logFile: z.string().default("{workDir}/.gyre-batch-{spawnId}.log").describe("The job's stdout+stderr, read for the error page of a failed spawn."),
    portRange: z
      .string()
      .regex(/^(\d{1,5}-\d{1,5})?$/)
      .default("")
      .describe('Ports the server may bind on the node, "7050-7099"; empty: any free port (the launcher binds first, so there is no race).'),
    bindAddress: z
      .string()
      .regex(/^[0-9a-fA-F.:]*$/)
      .default("")
      .describe("Address the server binds on the node; empty: the address the node's hostname resolves to."),
    env: z
      .record(z.string().regex(PATTERNS.envName), singleLine)
      .default({})
      .describe("Extra environment variables exported in every job (not secrets: they are written into the job script)."),
    profiles: z
      .array(batchProfileSchema)
      .min(1)
      .default([batchProfileSchema.parse({ name: "default", display: "1 core, 1 h" })])
      .describe("Profiles offered on the spawn form; the first is the default."),
    bounds: batchBoundsSchema.default(batchBoundsSchema.parse({})).describe("What users may change on the spawn form, within these bounds."),
    pollIntervalSeconds: z.number().positive().default(5).describe("How often the ONE batched scheduler query for all tracked jobs runs."),
    queuedTimeoutSeconds: z
      .number()
      .nonnegative()
      .default(24 * 3600)
      .describe("How long a job may wait in the queue before the spawn is given up (0: forever). Users can cancel earlier."),
    startingTimeoutSeconds: z.number().positive().default(300).describe("From the job running to the server calling back; separate from the queue wait."),
    stopTimeoutSeconds: z.number().positive().default(60).describe("How long a cancelled job may take to leave the scheduler."),
    useAccounting: z.boolean().default(true).describe("Ask the scheduler's accounting (Grid Engine qacct) why a job ended when it is already gone."),
  })
  .strict();
export type BatchSpawnerConfig = z.infer<typeof batchSpawnerConfigSchema>;

/** The interpreter a job runs Gyre's launcher with (see pythonCommand / pythonEnvironment). */
export function resolvePythonCommand(config: Pick<BatchSpawnerConfig, "pythonCommand" | "pythonEnvironment">): string {
  return config.pythonCommand ?? (config.pythonEnvironment ? `${config.pythonEnvironment}/bin/python` : "/usr/bin/python3");
}

/** Profiles `groups` may use (a profile without groups is for everyone). */
export function listProfilesFor(config: BatchSpawnerConfig, groups: string[], admin = false): BatchProfile[] {
  return config.profiles.filter((p) => admin || p.groups.length === 0 || p.groups.some((g) => groups.includes(g)));
}

/**
 * zod schema for the spawn-form options of one user: a profile they may use and, only where the
 * admin set bounds, overrides inside them. Unknown keys are rejected (strict).
 */
export function buildOptionsSchema(config: BatchSpawnerConfig, user: { groups: string[]; admin: boolean }) {
  const names = listProfilesFor(config, user.groups, user.admin).map((p) => p.name);
  if (names.length === 0) throw new Error("no batch profile is available to this user");
  const b = config.bounds;
  const bounded = (r: { min: number; max: number } | undefined) => (r ? z.number().int().min(r.min).max(r.max).optional() : z.undefined().optional());
  return z
    .object({
      profile: z
        .enum(names as [string, ...string[]])
        .default(names[0])
        .describe("Profile"),
      walltimeSeconds: bounded(b.walltimeSeconds).describe("Walltime (s)"),
      cores: bounded(b.cores).describe("Cores"),
      memoryBytes: bounded(b.memoryBytes).describe("Memory (bytes)"),
      gpus: bounded(b.gpus).describe("GPUs"),
      queue: (b.queues.length ? z.enum(b.queues as [string, ...string[]]).optional() : z.undefined().optional()).describe("Queue"),
      account: (b.accounts.length ? z.enum(b.accounts as [string, ...string[]]).optional() : z.undefined().optional()).describe("Account"),
    })
    .strict();
}
export type BatchSpawnOptions = z.infer<ReturnType<typeof buildOptionsSchema>>;

/** The job's resources and prologue: the chosen profile with the user's (validated) overrides. */
export function resolveJobResources(
  config: BatchSpawnerConfig,
  options: BatchSpawnOptions,
): { resources: JobResources; prologue: string[]; profile: BatchProfile } {
  const profile = config.profiles.find((p) => p.name === options.profile);
  if (!profile) throw new Error(`unknown profile ${options.profile}`);
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
  return { resources, prologue: profile.prologue, profile };
}

/** Replace {name} placeholders; unknown placeholders are an error (a typo must not reach argv). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`unknown placeholder {${k}} in "${template}"`);
    return v;
  });
}
