// The batch spawner's spawn form: the admin's profiles a user may use and the fields the admin
// opened up within bounds (queue/partition, account, walltime, cores, memory, GPUs), as plain data
// for the hub's /hub/spawn page; and the validation of a start request's options. Pure.
import { SpawnOptionsError, type JsonObject, type SpawnFormField, type SpawnFormUser, type SpawnOptionsForm, type SpawnOptionsProvider } from "../types";
import { boundsFor, buildOptionsSchema, listProfilesFor, resolveCluster, type BatchProfile, type BatchSpawnerConfig } from "./config";
import { formatMemory } from "./memory";
import { formatDuration } from "./types";

const GIB = 2 ** 30;

/** "debug queue · 1 core · 1 h · 4 GiB · 1 GPU" */
export function describeProfile(p: BatchProfile, queueWord: string): string {
  const parts = [
    p.queue ? `${queueWord.toLowerCase()} ${p.queue}` : "",
    `${p.cores} core${p.cores === 1 ? "" : "s"}`,
    formatDuration(p.walltimeSeconds),
    p.memoryBytes ? formatMemory(p.memoryBytes) : "",
    p.gpus ? `${p.gpus} GPU${p.gpus === 1 ? "" : "s"}` : "",
    p.account ? `account ${p.account}` : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

/**
 * The form for `user`, or null when there is nothing to choose (one profile, no bounds): the hub
 * then shows a plain Start button.
 */
export function describeBatchOptions(config: BatchSpawnerConfig, user: SpawnFormUser): SpawnOptionsForm | null {
  const profiles = listProfilesFor(config, user.groups, user.admin);
  const b = config.bounds;
  const queueWord = config.scheduler === "slurm" ? "Partition" : "Queue";
  // A range field is shown when a profile of this user opens it; byProfile says how far for each
  // (null: fixed for that profile), so the form follows the chosen profile.
  const ranged = (name: "walltimeSeconds" | "cores" | "memoryBytes" | "gpus") => {
    const per = profiles.map((p) => [p.name, boundsFor(config, p, name) ?? null] as const);
    const open = per.flatMap(([, r]) => (r ? [r] : []));
    if (!open.length) return null;
    const min = Math.min(...open.map((r) => r.min));
    const max = Math.max(...open.map((r) => r.max));
    const uniform = per.every(([, r]) => r && r.min === min && r.max === max);
    return { min, max, ...(uniform ? {} : { byProfile: Object.fromEntries(per) }) };
  };
  const fields: SpawnFormField[] = [];
  if (b.queues.length)
    fields.push({ kind: "choice", name: "queue", label: queueWord, choices: b.queues, help: `Instead of the profile's ${queueWord.toLowerCase()}.` });
  if (b.accounts.length)
    fields.push({
      kind: "choice",
      name: "account",
      label: config.scheduler === "slurm" || config.scheduler === "pbs" ? "Account" : "Project",
      choices: b.accounts,
      help: "Charged for the job.",
    });
  // Stored in seconds and bytes (units in names); shown in minutes and GiB, rounded inside bounds.
  const wall = ranged("walltimeSeconds");
  if (wall)
    fields.push({
      kind: "integer",
      name: "walltimeSeconds",
      label: "Walltime",
      ...wall,
      step: 60,
      unit: "min",
      help: "The scheduler ends the job, and the server, when it is reached.",
    });
  const cores = ranged("cores");
  if (cores) fields.push({ kind: "integer", name: "cores", label: "Cores", ...cores });
  const mem = ranged("memoryBytes");
  if (mem) fields.push({ kind: "integer", name: "memoryBytes", label: "Memory", ...mem, step: GIB, unit: "GiB" });
  const gpus = ranged("gpus");
  if (gpus) fields.push({ kind: "integer", name: "gpus", label: "GPUs", ...gpus });
  if (profiles.length === 0 || (profiles.length === 1 && fields.length === 0)) return null;
  return {
    profiles: profiles.map((p) => ({ name: p.name, display: p.display, description: describeProfile(p, queueWordOf(config, p)) })),
    defaultProfile: profiles[0].name,
    fields,
  };
}

/**
 * A start request's options checked against `user`'s profiles and the admin's bounds; returns what
 * Server.options stores (the chosen profile always named). Throws SpawnOptionsError naming the field.
 */
export function validateBatchOptions(config: BatchSpawnerConfig, user: SpawnFormUser, raw: unknown): JsonObject {
  let schema;
  try {
    schema = buildOptionsSchema(config, user);
  } catch (err) {
    throw new SpawnOptionsError(`No batch profile is available to ${user.name}: ${(err as Error).message}`, "profile");
  }
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.length ? String(issue.path[0]) : undefined;
    const what =
      issue.code === "unrecognized_keys"
        ? `unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(", ")} (this hub accepts profile${fieldList(config)})`
        : issue.message;
    throw new SpawnOptionsError(
      field ? `Invalid spawn option "${field}": ${what}` : `Invalid spawn options: ${what}`,
      field ?? (issue.code === "unrecognized_keys" ? issue.keys[0] : undefined),
    );
  }
  return Object.fromEntries(Object.entries(r.data).filter(([, v]) => v !== undefined));
}

function fieldList(config: BatchSpawnerConfig): string {
  const b = config.bounds;
  const someProfile = (f: "walltimeSeconds" | "cores" | "memoryBytes" | "gpus") => config.profiles.some((p) => boundsFor(config, p, f));
  const open = [
    b.queues.length && "queue",
    b.accounts.length && "account",
    someProfile("walltimeSeconds") && "walltimeSeconds",
    someProfile("cores") && "cores",
    someProfile("memoryBytes") && "memoryBytes",
    someProfile("gpus") && "gpus",
  ].filter(Boolean);
  return open.length ? `, ${open.join(", ")}` : " only";
}

/** "Partition" on Slurm, "Queue" elsewhere: the word of the profile's own cluster. */
function queueWordOf(config: BatchSpawnerConfig, p: BatchProfile): string {
  return (resolveCluster(config, p.cluster)?.scheduler ?? config.scheduler) === "slurm" ? "Partition" : "Queue";
}

/** The batch spawner's form, for spawners/spawn-options.ts and the factory. */
export const batchSpawnOptions: SpawnOptionsProvider<BatchSpawnerConfig> = {
  listProfiles: (config) => config.profiles.map((p) => ({ name: p.name, display: p.display, groups: [...p.groups] })),
  describeOptions: describeBatchOptions,
  profileNames: (config) => config.profiles.map((p) => p.name),
  validateOptions: validateBatchOptions,
};
