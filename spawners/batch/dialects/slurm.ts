// Slurm as data: sbatch/squeue/scancel argv, #SBATCH directives and the squeue parser. Pure.
// The output formats are those of Slurm 22.05.8 (slurm.test.ts has captures).
import { formatDuration, formatHms, type BatchDialect, type JobState } from "../types";

/** Slurm's pending reasons (squeue %r) in words a user understands; others are shown as-is. */
const PENDING_REASONS: Record<string, string> = {
  Resources: "waiting for free resources",
  Priority: "other jobs have higher priority",
  PartitionDown: "the partition is down",
  PartitionInactive: "the partition is inactive",
  BeginTime: "waiting for its start time",
  Dependency: "waiting for a dependency",
  JobHeldUser: "held by you",
  JobHeldAdmin: "held by an administrator",
  ReqNodeNotAvail: "the requested nodes are not available",
  QOSMaxJobsPerUserLimit: "you have reached your job limit",
  AssocMaxJobsLimit: "your account has reached its job limit",
  None: "",
};

/** Text for a job that left the running state; `walltimeSeconds` words the TIMEOUT case. */
export function describeSlurmEnd(state: string, reason: string, walltimeSeconds?: number): string {
  const wall = walltimeSeconds ? `${formatDuration(walltimeSeconds)} ` : "";
  if (state === "TIMEOUT" || reason === "TimeLimit") return `your job reached its ${wall}walltime`;
  switch (state) {
    case "CANCELLED":
      return "the job was cancelled (scancel)";
    case "COMPLETED":
      return "the job ended (the server exited)";
    case "FAILED":
      return "the job failed (non-zero exit; see the log)";
    case "NODE_FAIL":
      return "the node running your job failed";
    case "BOOT_FAIL":
      return "the node for your job failed to boot";
    case "OUT_OF_MEMORY":
      return "the job ran out of memory";
    case "PREEMPTED":
      return "the job was preempted by a higher-priority job";
    case "DEADLINE":
      return "the job reached its deadline";
    case "COMPLETING":
      return "the job is ending";
    default:
      return `the job ended (${state})`;
  }
}

/** Parse one `squeue -h -t all -j … -o '%i|%T|%r|%N|%B|%S'` answer into states. */
export function parseSqueue(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, JobState> {
  const states = new Map<string, JobState>();
  for (const id of jobIds) states.set(id, { kind: "unknown" });
  // rc=1 "Invalid job id specified": every asked-for job is past MinJobAge (squeue forgets it)
  if (out.exitCode !== 0) {
    if (/Invalid job id/i.test(out.stderr)) return states;
    throw new Error(`squeue failed (rc=${out.exitCode}): ${out.stderr.trim().slice(0, 300)}`);
  }
  for (const line of out.stdout.split("\n")) {
    const f = line.trim().split("|");
    if (f.length < 6 || !states.has(f[0])) continue;
    const [id, state, reason, nodes, batchHost, start] = f as [string, string, string, string, string, string];
    states.set(id, mapSlurmState(state, reason, nodes, batchHost, start));
  }
  return states;
}

function mapSlurmState(state: string, reason: string, nodes: string, batchHost: string, start: string): JobState {
  switch (state) {
    case "PENDING":
    case "CONFIGURING":
    case "REQUEUED":
    case "REQUEUE_HOLD":
    case "RESV_DEL_HOLD": {
      // For pending jobs %S is the scheduler's expected start (backfill), or N/A / Unknown.
      const est = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(start) ? new Date(start) : undefined;
      const words = PENDING_REASONS[reason] ?? reason;
      return { kind: "pending", code: state, reason: words, ...(est && !isNaN(est.getTime()) ? { estimatedStart: est } : {}) };
    }
    case "RUNNING":
    case "SUSPENDED":
    case "RESIZING":
    case "SIGNALING":
    case "STAGE_OUT": {
      const host = batchHost && batchHost !== "n/a" ? batchHost : nodes;
      return { kind: "running", code: state, host };
    }
    case "COMPLETING":
      return { kind: "done", code: state, reason: describeSlurmEnd(state, reason), ending: true };
    default:
      return { kind: "done", code: state, reason: describeSlurmEnd(state, reason) };
  }
}

/** Parse `squeue --start -h -j … -o '%i|%S'` (kept for sites whose plain %S lacks the estimate). */
export function parseSqueueStart(stdout: string): Map<string, Date> {
  const m = new Map<string, Date>();
  for (const line of stdout.split("\n")) {
    const [id, start] = line.trim().split("|");
    if (id && start && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(start)) m.set(id, new Date(start));
  }
  return m;
}

export const SlurmDialect: BatchDialect = {
  kind: "slurm",
  displayName: "Slurm",
  directivePrefix: "#SBATCH",
  jobIdVariable: "$SLURM_JOB_ID",
  renderDirectives(o) {
    const r = o.resources;
    const d = [
      `--job-name=${o.jobName}`,
      `--output=${o.logPath}`,
      `--chdir=${o.workDir}`,
      "--nodes=1",
      "--ntasks=1",
      `--cpus-per-task=${r.cores}`,
      `--time=${formatHms(r.walltimeSeconds)}`,
    ];
    if (r.queue) d.push(`--partition=${r.queue}`);
    if (r.account) d.push(`--account=${r.account}`);
    if (r.memoryBytes) d.push(`--mem=${Math.ceil(r.memoryBytes / 2 ** 20)}M`);
    if (r.gpus) d.push(`--gres=gpu:${r.gpus}`);
    return d;
  },
  // --export=ALL: the submit environment is already an allow-list (sudo's env_reset plus the names
  // in --preserve-env), and ALL keeps PATH/HOME, which a bare name list would drop.
  submitCommand: () => ["sbatch", "--parsable", "--export=ALL"],
  parseSubmitOutput(stdout) {
    // "--parsable" prints "7" or "7;cluster"; without it "Submitted batch job 7"
    const m = /^\s*(\d+)(;\S+)?\s*$/m.exec(stdout) ?? /Submitted batch job (\d+)/.exec(stdout);
    if (!m) throw new Error(`no job id in sbatch output: ${stdout.trim().slice(0, 200)}`);
    return m[1];
  },
  // -t all: jobs that ended within MinJobAge still show with their final state (TIMEOUT, CANCELLED),
  // which is how "why did it end" is known without slurmdbd.
  queryCommand: (jobIds) => ["squeue", "-h", "-t", "all", "-j", jobIds.join(","), "-o", "%i|%T|%r|%N|%B|%S"],
  parseQueryOutput: (out, jobIds) => parseSqueue(out, jobIds),
  startEstimateCommand: (jobIds) => ["squeue", "--start", "-h", "-j", jobIds.join(","), "-o", "%i|%S"],
  parseStartEstimates: (stdout) => parseSqueueStart(stdout),
  cancelCommand: (jobId) => ["scancel", jobId],
};
