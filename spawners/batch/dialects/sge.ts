// Grid Engine (Son of Grid Engine 8.1.9) as data: qsub/qstat/qdel argv, #$ directives, the
// `qstat -xml -u '*'` parser and `qacct -j` for why a job ended. Pure.
// The output formats are those of Son of Grid Engine 8.1.9 (sge.test.ts has captures).
import { XMLParser } from "fast-xml-parser";
import { describeExitStatus } from "../exit-status";
import { parseDurationSeconds, parseSchedulerTime, parseSizeBytes } from "../quantities";
import { formatDuration, formatHms, type BatchDialect, type JobState, type JobUsage } from "../types";

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false, isArray: (name) => name === "job_list" });

type XmlJob = { "@state"?: string; JB_job_number?: string; state?: string; queue_name?: string; JAT_start_time?: string };

/** qstat's local time "2026-11-21T10:19:30" (no zone: the hub and the qmaster share one). */
function localTime(s: string | undefined): Date | undefined {
  if (!s || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(s.trim())) return undefined;
  const d = new Date(s.trim());
  return isNaN(d.getTime()) ? undefined : d;
}

/** Map one qstat state code ("qw", "Eqw", "hqw", "r", "t", "dr", "Rr", "s") to the common state. */
export function mapSgeState(code: string, queueName: string, startTime?: string): JobState {
  // 'E' (error) sits in the *pending* list; a spawner that only reads the list attribute waits
  // forever (batchspawner's GridengineSpawner does that).
  if (code.includes("E"))
    return { kind: "pending", code, reason: "the job is in error state (Eqw) and will not start; check its output path or ask an administrator", error: true };
  if (code.includes("d")) return { kind: "done", code, reason: "the job was deleted (qdel)", ending: true };
  if (/[rtRsSTz]/.test(code) && !code.includes("q")) {
    const at = queueName.indexOf("@");
    const startedAt = localTime(startTime);
    return { kind: "running", code, host: at >= 0 ? queueName.slice(at + 1) : "", ...(startedAt ? { startedAt } : {}) };
  }
  if (code.includes("h")) return { kind: "pending", code, reason: "the job is on hold" };
  return { kind: "pending", code, reason: "waiting in the queue" };
}

/** Parse `qstat -xml -u '*'`: running jobs sit under queue_info, pending ones under job_info. */
export function parseQstatXml(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, JobState> {
  if (out.exitCode !== 0) throw new Error(`qstat failed (rc=${out.exitCode}): ${out.stderr.trim().slice(0, 300)}`);
  const states = new Map<string, JobState>();
  for (const id of jobIds) states.set(id, { kind: "unknown" });
  const doc = xml.parse(out.stdout) as { job_info?: { queue_info?: { job_list?: XmlJob[] } | string; job_info?: { job_list?: XmlJob[] } | string } };
  const root = doc.job_info;
  if (!root) throw new Error("qstat -xml: no <job_info> root");
  const lists = [root.queue_info, root.job_info].flatMap((x) => (x && typeof x === "object" ? (x.job_list ?? []) : []));
  for (const j of lists) {
    const id = String(j.JB_job_number ?? "").trim();
    if (!states.has(id)) continue;
    states.set(id, mapSgeState(String(j.state ?? "").trim(), String(j.queue_name ?? "").trim(), j.JAT_start_time));
  }
  return states;
}

type XmlMessage = { MES_job_number_list?: { ulong_sublist?: { ULNG_value?: string } | { ULNG_value?: string }[] }; MES_message?: string };
type XmlDetail = { JB_job_number?: string; JB_ja_tasks?: unknown };
const detailXml = new XMLParser({ parseTagValue: false, isArray: (name) => name === "element" || name === "ulong_sublist" });

/**
 * The scheduler's reasons from `qstat -j <ids> -xml`: its "scheduling info" messages (which need
 * schedd_job_info true in `qconf -ssconf`), each for the jobs it lists, or for every asked job when
 * it lists none (SME_global_message_list: "queue instance "all.q@vm" dropped because it is disabled"); and a job's error
 * reason (Eqw). Jobs without a message are left out.
 */
export function parseQstatJobXml(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, string> {
  const reasons = new Map<string, string[]>();
  const add = (id: string, msg: string) => {
    const list = reasons.get(id) ?? [];
    if (!list.includes(msg)) list.push(msg);
    reasons.set(id, list);
  };
  // rc=1 with "Following jobs do not exist" still prints the jobs that do
  if (!out.stdout.includes("<detailed_job_info")) return new Map();
  const doc = detailXml.parse(out.stdout) as {
    detailed_job_info?: {
      djob_info?: { element?: XmlDetail[] } | string;
      messages?: { element?: { SME_message_list?: { element?: XmlMessage[] }; SME_global_message_list?: { element?: XmlMessage[] } }[] } | string;
    };
  };
  const root = doc.detailed_job_info;
  if (!root) return new Map();
  const known = new Set(jobIds);
  const present = (typeof root.djob_info === "object" ? (root.djob_info.element ?? []) : [])
    .map((j) => String(j.JB_job_number ?? "").trim())
    .filter((id) => known.has(id));
  const messages = typeof root.messages === "object" ? (root.messages.element ?? []) : [];
  // SME_global_message_list (a disabled queue, all queues full) names no jobs: it holds for every pending one
  for (const m of messages.flatMap((e) => [...(e.SME_message_list?.element ?? []), ...(e.SME_global_message_list?.element ?? [])])) {
    const text = String(m.MES_message ?? "").trim();
    if (!text) continue;
    const subs = m.MES_job_number_list?.ulong_sublist;
    const ids = (Array.isArray(subs) ? subs : subs ? [subs] : []).map((x) => String(x.ULNG_value ?? "").trim());
    for (const id of ids.length ? ids.filter((i) => known.has(i)) : present) add(id, text);
  }
  return new Map([...reasons].map(([id, list]) => [id, list.join("; ")]));
}

/** Execution hosts from `qconf -sel` (one per line). */
export function parseQconfSel(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Explain a finished job from `qacct -j ID` (its record appears ~15 s after the job ends).
 * Returns null when the output has no record.
 */
export function parseQacct(stdout: string, walltimeSeconds: number): { exitCode: number | null; reason: string } | null {
  const field = (name: string) => new RegExp(`^${name}\\s+(.*)$`, "m").exec(stdout)?.[1]?.trim();
  const exit = field("exit_status");
  if (exit === undefined) return null;
  const exitCode = Number.parseInt(exit, 10);
  const failed = field("failed") ?? "0";
  const wall = Number.parseFloat(field("ru_wallclock") ?? "0");
  // h_rt is enforced with SIGKILL (137); a wall clock at the limit says it was the walltime
  if (walltimeSeconds > 0 && wall >= walltimeSeconds - 2 && exitCode >= 128) {
    return { exitCode, reason: `your job reached its ${formatDuration(walltimeSeconds)} walltime` };
  }
  if (/^100\b/.test(failed) && exitCode === 137) return { exitCode, reason: "the job was deleted (qdel) or killed" };
  if (!/^0\b/.test(failed)) return { exitCode, reason: `the job failed in Grid Engine (${failed})` };
  return { exitCode, reason: exitCode === 0 ? "the job ended (the server exited)" : `the job ended with ${describeExitStatus(exitCode)}` };
}

/**
 * What one finished job used, from `qacct -j ID`: CPU seconds ("cpu"), the peak virtual memory
 * ("maxvmem": Grid Engine's own peak figure; its ru_maxrss is printed with a wrong unit) and the
 * wait from qsub_time to start_time. qacct knows a job only once it has ended (and its record
 * was flushed, ~15 s), so a record is always final. null when qacct has no record.
 */
export function parseQacctUsage(stdout: string): JobUsage | null {
  const field = (name: string) => new RegExp(`^${name}\\s+(.*)$`, "m").exec(stdout)?.[1]?.trim();
  const cpu = field("cpu");
  if (cpu === undefined) return null;
  const submit = parseSchedulerTime(field("qsub_time") ?? "");
  const start = parseSchedulerTime(field("start_time") ?? "");
  return {
    cpuSeconds: parseDurationSeconds(cpu),
    peakMemoryBytes: parseSizeBytes(field("maxvmem") ?? ""),
    queueWaitSeconds: submit !== null && start !== null ? Math.max(0, (start - submit) / 1000) : null,
    ended: true,
  };
}

export const SgeDialect: BatchDialect = {
  kind: "sge",
  displayName: "Grid Engine",
  directivePrefix: "#$",
  jobIdVariable: "$JOB_ID",
  loginShellBy: "reexec",
  renderDirectives(o) {
    const r = o.resources;
    const d = [`-N ${o.jobName}`, `-o ${o.logPath}`, "-j y", `-wd ${o.workDir}`, "-S /bin/bash", `-l h_rt=${formatHms(r.walltimeSeconds)}`];
    if (r.queue) d.push(`-q ${r.queue}`);
    if (r.account) d.push(`-P ${r.account}`);
    if (r.cores > 1) d.push(`-pe ${r.parallelEnvironment ?? "smp"} ${r.cores}`);
    // Grid Engine memory limits are per slot
    if (r.memoryBytes) d.push(`-l h_vmem=${Math.ceil(r.memoryBytes / r.cores / 2 ** 20)}M`);
    if (r.gpus) d.push(`-l gpu=${r.gpus}`);
    return d;
  },
  // "-v NAME" without "=value" takes the value from qsub's environment: the secret is not in argv
  submitCommand: (envNames) => ["qsub", "-terse", ...(envNames.length ? ["-v", envNames.join(",")] : [])],
  parseSubmitOutput(stdout) {
    const m = /^\s*(\d+)\s*$/m.exec(stdout) ?? /Your job (\d+)/.exec(stdout);
    if (!m) throw new Error(`no job id in qsub output: ${stdout.trim().slice(0, 200)}`);
    return m[1];
  },
  // plain qstat shows only the caller's jobs: ask for every user's in one call
  queryCommand: () => ["qstat", "-xml", "-u", "*"],
  parseQueryOutput: (out, jobIds) => parseQstatXml(out, jobIds),
  pendingReasonCommand: (jobIds) => ["qstat", "-j", jobIds.join(","), "-xml"],
  parsePendingReasons: (out, jobIds) => parseQstatJobXml(out, jobIds),
  execHostsCommand: () => ["qconf", "-sel"],
  parseExecHosts: (stdout) => parseQconfSel(stdout),
  accountingCommand: (jobId) => ["qacct", "-j", jobId],
  parseAccounting: (stdout, walltimeSeconds) => parseQacct(stdout, walltimeSeconds),
  cancelCommand: (jobId) => ["qdel", jobId],
  usageCommand: (jobId) => ["qacct", "-j", jobId],
  parseUsage: parseQacctUsage,
  usageSource: "qacct",
};
