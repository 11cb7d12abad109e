// dask-jobqueue's settings for a notebook job, as environment variables: Dask reads every
// DASK_<A>__<B>__<C> variable into its config key a.b.c (values through Python's
// ast.literal_eval), so SLURMCluster() / SGECluster() in the notebook picks up the queue,
// account, walltime, cores and memory of the server's own profile and needs no arguments.
// Key names are dask-jobqueue's documented ones (dask_jobqueue/jobqueue.yaml). Pure.
import { formatHms, type JobResources } from "./types";

/** What the job runs with, as far as Dask workers submitted from it should do the same. */
export interface DaskJobqueueInput {
  scheduler: "sge" | "slurm" | "pbs" | "lsf";
  resources: JobResources;
  /** the interpreter the notebook runs (workers run `<python> -m distributed.cli.dask_worker`) */
  pythonCommand: string;
  pythonEnvironment?: string;
  modules: string[];
  prologue: string[];
  loginShell: boolean;
  /** network interface for workers and the scheduler (dask-jobqueue's interface) */
  networkInterface?: string;
  /** the address the notebook's server binds on the node; "" = the node's own */
  bindAddress: string;
}

/** dask-jobqueue's config section per scheduler (its "config_name"). */
const SECTION = { sge: "SGE", slurm: "SLURM", pbs: "PBS", lsf: "LSF" } as const;

/** The scheduler's dashboard port: dask-jobqueue's default, and proxy.dashboardPorts' default. */
const DASHBOARD_ADDRESS = ":8787";

/**
 * A value as Dask will read it back. Dask passes each value through ast.literal_eval and keeps
 * the raw text when that fails, so text that reads as a Python literal (a number, True, None, a
 * list) is written as a quoted Python string; JSON's string and list syntax is Python's too.
 */
export function daskValue(v: string | number | string[] | Record<string, string>): string {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") return JSON.stringify(v);
  const number = /^[-+]?((\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][-+]?\d+)?[jJ]?|0[xXoObB][\da-fA-F_]+)$/.test(v.trim());
  return number || /^\s*(none|null|true|false)\s*$/i.test(v) || /^\s*[[{('"]/.test(v) ? JSON.stringify(v) : v;
}

/** The DASK_JOBQUEUE__<SCHEDULER>__* variables for one notebook job. */
export function renderDaskJobqueueEnv(o: DaskJobqueueInput): Record<string, string> {
  const s = SECTION[o.scheduler];
  const r = o.resources;
  const env: Record<string, string> = {};
  const set = (key: string, value: Parameters<typeof daskValue>[0] | undefined) => {
    if (value !== undefined) env[`DASK_JOBQUEUE__${s}__${key}`] = daskValue(value);
  };
  set("QUEUE", r.queue);
  set(o.scheduler === "sge" || o.scheduler === "lsf" ? "PROJECT" : "ACCOUNT", r.account);
  // LSF's -W takes [hours:]minutes; the others HH:MM:SS
  set("WALLTIME", o.scheduler === "lsf" ? formatHms(r.walltimeSeconds).slice(0, -3) : formatHms(r.walltimeSeconds));
  set("CORES", r.cores);
  if (r.memoryBytes) {
    set("MEMORY", `${Math.floor(r.memoryBytes / 2 ** 20)}MiB`);
    // Grid Engine's memory limit is per slot; dask-jobqueue writes resource-spec as `-l <spec>`
    if (o.scheduler === "sge") set("RESOURCE_SPEC", `h_vmem=${Math.ceil(r.memoryBytes / r.cores / 2 ** 20)}M`);
  }
  set("PYTHON", o.pythonCommand);
  if (o.networkInterface) set("INTERFACE", o.networkInterface);
  if (o.loginShell) set("SHEBANG", "#!/bin/bash -l");
  // Workers run where their own job lands: what the notebook job ran before its server, and no
  // dashboard link through the hub (it reaches only the notebook's node, see docs/hpc.md).
  set("JOB_SCRIPT_PROLOGUE", [
    ...o.modules.map((m) => `module load ${m}`),
    ...(o.pythonEnvironment ? [`export PATH=${o.pythonEnvironment}/bin:"$PATH"`] : []),
    ...o.prologue,
    "unset DASK_DISTRIBUTED__DASHBOARD__LINK",
  ]);
  const directives = [...(r.extraDirectives ?? [])];
  if (o.scheduler === "sge" && r.cores > 1) directives.unshift(`-pe ${r.parallelEnvironment ?? "smp"} ${r.cores}`);
  if (r.gpus && o.scheduler === "slurm") directives.push(`--gres=gpu:${r.gpus}`);
  if (directives.length) set("JOB_EXTRA_DIRECTIVES", directives);
  // The scheduler runs in the notebook on this node; workers elsewhere connect to it.
  const scheduler: Record<string, string> = { dashboard_address: DASHBOARD_ADDRESS };
  if (o.bindAddress && !o.networkInterface) scheduler.host = o.bindAddress;
  set("SCHEDULER_OPTIONS", scheduler);
  return env;
}
