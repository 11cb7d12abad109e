// Slurm as data: sbatch/squeue/scancel argv, #SBATCH directives and the squeue parser. Pure.
// The output formats are those of Slurm 22.05.8 (slurm.test.ts has captures).
import { describeExitStatus } from "../exit-status";
import { parseDurationSeconds, parseSchedulerTime, parseSizeBytes } from "../quantities";
import { formatDuration, formatHms, type BatchDialect, type JobState, type JobUsage } from "../types";

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

/**
 * Text for a job that left the running state; `walltimeSeconds` words the TIMEOUT case,
 * `exitCode` (from squeue's exit_code) the FAILED one.
 */
export function describeSlurmEnd(state: string, reason: string, walltimeSeconds?: number, exitCode?: number | null): string {
  const wall = walltimeSeconds ? `${formatDuration(walltimeSeconds)} ` : "";
  if (state === "TIMEOUT" || reason === "TimeLimit") return `your job reached its ${wall}walltime`;
  switch (state) {
    case "CANCELLED":
      return "the job was cancelled (scancel)";
    case "COMPLETED":
      return "the job ended (the server exited)";
    case "FAILED":
      return exitCode ? `the job failed with ${describeExitStatus(exitCode)}` : "the job failed (non-zero exit; see the log)";
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

/** The fields of the one squeue query, in order ("|" after each but the last). */
export const SQUEUE_FIELDS = ["JobID", "State", "Reason", "NodeList", "BatchHost", "StartTime", "EndTime", "exit_code"] as const;

/** A wait status as squeue's exit_code prints it (32512 = exit 127, 9 = SIGKILL) → a shell-style code. */
function fromWaitStatus(raw: string): number | null {
  const n = Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || n < 0) return null;
  return n & 0x7f ? 128 + (n & 0x7f) : n >> 8;
}

/** squeue's local time "2026-11-21T10:28:15" (no zone: the hub and slurmctld share one), or undefined for N/A, Unknown, NONE. */
function localTime(s: string): Date | undefined {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(s)) return undefined;
  const d = new Date(s);
  return isNaN(d.getTime()) ? undefined : d;
}

/** Parse one `squeue -h -t all -j … -O JobID:|,State:|,…,exit_code` answer (SQUEUE_FIELDS) into states. */
export function parseSqueue(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, JobState> {
  const states = new Map<string, JobState>();
  for (const id of jobIds) states.set(id, { kind: "unknown" });
  // rc=1 "Invalid job id specified": every asked-for job is past MinJobAge (squeue forgets it)
  if (out.exitCode !== 0) {
    if (/Invalid job id/i.test(out.stderr)) return states;
    throw new Error(`squeue failed (rc=${out.exitCode}): ${out.stderr.trim().slice(0, 300)}`);
  }
  for (const line of out.stdout.split("\n")) {
    const f = line.split("|").map((x) => x.trim());
    if (f.length < SQUEUE_FIELDS.length || !states.has(f[0])) continue;
    const [id, state, reason, nodes, batchHost, start, end, exit] = f as [string, string, string, string, string, string, string, string];
    states.set(id, mapSlurmState({ state, reason, nodes, batchHost, start, end, exit }));
  }
  return states;
}

function mapSlurmState(j: { state: string; reason: string; nodes: string; batchHost: string; start: string; end: string; exit: string }): JobState {
  const { state, reason, nodes, batchHost, start } = j;
  switch (state) {
    case "PENDING":
    case "CONFIGURING":
    case "REQUEUED":
    case "REQUEUE_HOLD":
    case "RESV_DEL_HOLD": {
      // For pending jobs StartTime is the scheduler's expected start (backfill), or N/A / Unknown.
      const est = localTime(start);
      const words = PENDING_REASONS[reason] ?? reason;
      return { kind: "pending", code: state, reason: words, ...(est ? { estimatedStart: est } : {}) };
    }
    case "RUNNING":
    case "SUSPENDED":
    case "RESIZING":
    case "SIGNALING":
    case "STAGE_OUT": {
      const host = batchHost && batchHost !== "n/a" ? batchHost : nodes;
      const startedAt = localTime(start);
      const endsAt = localTime(j.end);
      return { kind: "running", code: state, host, ...(startedAt ? { startedAt } : {}), ...(endsAt ? { endsAt } : {}) };
    }
    case "COMPLETING":
      return { kind: "done", code: state, reason: describeSlurmEnd(state, reason), ending: true };
    default: {
      const exitCode = fromWaitStatus(j.exit);
      return { kind: "done", code: state, reason: describeSlurmEnd(state, reason, undefined, exitCode), ...(exitCode !== null ? { exitCode } : {}) };
    }
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

/** The fields SACCT_FORMAT asks for, in order. */
const SACCT_FIELDS = ["JobID", "State", "Submit", "Start", "End", "TotalCPU", "MaxRSS"] as const;

/** States in which a job's accounting record is still growing. */
const SACCT_UNFINISHED = new Set(["PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED", "CONFIGURING", "COMPLETING"]);

/**
 * Whether a line carries its final figures: a step (ID.batch, ID.0, …) once its own record has
 * arrived; the allocation line, and the extern step (which runs nothing), always count.
 */
function stepRecorded(row: string[], field: (row: string[], name: (typeof SACCT_FIELDS)[number]) => string): boolean {
  const id = field(row, "JobID");
  if (!id.includes(".") || id.endsWith(".extern")) return true;
  if (SACCT_UNFINISHED.has(field(row, "State").split(" ")[0])) return false;
  return (parseDurationSeconds(field(row, "TotalCPU")) ?? 0) > 0 || parseSizeBytes(field(row, "MaxRSS")) !== null;
}

/**
 * What one job used, from `sacct -j ID --noheader --parsable2 --format=<SACCT_FIELDS>`: one line
 * for the allocation ("123") and one per step ("123.batch", "123.extern"). CPU time is the
 * allocation's TotalCPU (user + system of every step; it grows as steps end, so a running job
 * shows what its finished steps used), memory the largest MaxRSS of a step, the queue wait
 * Start − Submit. null when sacct has no line for the job.
 *
 * Ended only once every step's own record has arrived too: right after a scancel the allocation
 * and its steps already show CANCELLED with an End, while a step's CPU time and MaxRSS come a
 * moment later (a step with zero CPU and no MaxRSS is one whose completion slurmdbd has not
 * stored yet; a job's steps always use some CPU). Settling on that first answer would store zeros.
 */
export function parseSacctUsage(stdout: string): JobUsage | null {
  const rows = stdout
    .split("\n")
    .map((l) => l.trim().split("|"))
    .filter((f) => f.length >= SACCT_FIELDS.length && f[0]);
  const field = (row: string[], name: (typeof SACCT_FIELDS)[number]) => row[SACCT_FIELDS.indexOf(name)];
  const job = rows.find((r) => !field(r, "JobID").includes("."));
  if (!job) return null;
  const state = field(job, "State").split(" ")[0];
  const submit = parseSchedulerTime(field(job, "Submit"));
  const start = parseSchedulerTime(field(job, "Start"));
  const sizes = rows.map((r) => parseSizeBytes(field(r, "MaxRSS"))).filter((n): n is number => n !== null);
  return {
    cpuSeconds: parseDurationSeconds(field(job, "TotalCPU")),
    peakMemoryBytes: sizes.length ? Math.max(...sizes) : null,
    queueWaitSeconds: submit !== null && start !== null ? Math.max(0, (start - submit) / 1000) : null,
    ended: !SACCT_UNFINISHED.has(state) && parseSchedulerTime(field(job, "End")) !== null && rows.every((r) => stepRecorded(r, field)),
  };
}

export const SlurmDialect: BatchDialect = {
  kind: "slurm",
  displayName: "Slurm",
  directivePrefix: "#SBATCH",
  jobIdVariable: "$SLURM_JOB_ID",
  loginShellBy: "shebang",
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
  // -O (not -o) for exit_code; "name:|" prints the whole value followed by "|"
  queryCommand: (jobIds) => [
    "squeue",
    "-h",
    "-t",
    "all",
    "-j",
    jobIds.join(","),
    "-O",
    SQUEUE_FIELDS.map((f, i) => (i < SQUEUE_FIELDS.length - 1 ? `${f}:|` : f)).join(","),
  ],
  parseQueryOutput: (out, jobIds) => parseSqueue(out, jobIds),
  startEstimateCommand: (jobIds) => ["squeue", "--start", "-h", "-j", jobIds.join(","), "-o", "%i|%S"],
  parseStartEstimates: (stdout) => parseSqueueStart(stdout),
  execHostsCommand: () => ["sinfo", "-h", "-N", "-o", "%N"],
  parseExecHosts: (stdout) => [
    ...new Set(
      stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ],
  cancelCommand: (jobId) => ["scancel", jobId],
  usageCommand: (jobId) => ["sacct", "-j", jobId, "--noheader", "--parsable2", `--format=${SACCT_FIELDS.join(",")}`],
  parseUsage: parseSacctUsage,
  usageSource: "sacct",
};
