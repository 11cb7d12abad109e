// PBS Pro / OpenPBS (and Torque's qsub) as data: qsub/qstat/qdel argv, #PBS directives and the
// `qstat -f -F json -x` parser. Pure. Debian 12 does not package PBS, so the parser
// is written against PBS Pro/OpenPBS's documented JSON format (PBS Professional Reference Guide,
// "qstat -F json"), not against output captured here.
import { formatDuration, formatHms, type BatchDialect, type JobState } from "../types";

type PbsJob = {
  job_state?: string;
  exec_host?: string;
  comment?: string;
  Exit_status?: number | string;
  estimated?: { start_time?: string };
  Resource_List?: { walltime?: string };
};

/** PBS's job-killed-for-walltime exit status (JOB_EXEC_KILL_WALLTIME). */
const PBS_KILL_WALLTIME = -29;

function hmsToSeconds(hms: string | undefined): number {
  const m = /^(\d+):(\d\d):(\d\d)$/.exec(hms ?? "");
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

/** Map one PBS job record (from `qstat -f -F json`) to the common state. */
export function mapPbsJob(j: PbsJob): JobState {
  const code = j.job_state ?? "";
  switch (code) {
    case "Q":
    case "W":
    case "T":
    case "M": {
      const est = j.estimated?.start_time ? new Date(j.estimated.start_time) : undefined;
      return { kind: "pending", code, reason: j.comment ?? "waiting in the queue", ...(est && !isNaN(est.getTime()) ? { estimatedStart: est } : {}) };
    }
    case "H":
      return { kind: "pending", code, reason: "the job is on hold" };
    case "R":
    case "B":
    case "S":
    case "U":
      // exec_host "node1/0*2+node2/0*2": the first host runs the job script
      return { kind: "running", code, host: (j.exec_host ?? "").split("+")[0].split("/")[0] };
    case "E":
      return { kind: "done", code, reason: "the job is ending", ending: true };
    default: {
      const exit = j.Exit_status === undefined ? null : Number(j.Exit_status);
      const wall = hmsToSeconds(j.Resource_List?.walltime);
      if (exit === PBS_KILL_WALLTIME || /walltime .* exceeded limit/.test(j.comment ?? "")) {
        return { kind: "done", code, exitCode: exit, reason: `your job reached its ${wall ? formatDuration(wall) + " " : ""}walltime` };
      }
      return {
        kind: "done",
        code,
        exitCode: exit,
        reason: exit === 0 ? "the job ended (the server exited)" : `the job ended${exit === null ? "" : ` with exit status ${exit}`}`,
      };
    }
  }
}

/** Parse `qstat -f -F json -x ID…`; ids PBS no longer knows are "unknown". */
export function parseQstatJson(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, JobState> {
  const states = new Map<string, JobState>();
  for (const id of jobIds) states.set(id, { kind: "unknown" });
  // qstat exits non-zero when any id is unknown ("qstat: Unknown Job Id 12.srv") but still prints
  // the JSON for the others; only no JSON at all is a failure.
  const text = out.stdout.trim();
  if (!text) {
    if (out.exitCode === 0 || /Unknown Job Id/i.test(out.stderr)) return states;
    throw new Error(`qstat failed (rc=${out.exitCode}): ${out.stderr.trim().slice(0, 300)}`);
  }
  const doc = JSON.parse(text) as { Jobs?: Record<string, PbsJob> };
  for (const [id, job] of Object.entries(doc.Jobs ?? {})) {
    // PBS may answer with the full "123.server.domain" for an asked "123.server"
    const asked = jobIds.find((a) => a === id || id.startsWith(`${a}.`) || a.startsWith(`${id}.`));
    if (asked) states.set(asked, mapPbsJob(job));
  }
  return states;
}

export const PbsDialect: BatchDialect = {
  kind: "pbs",
  displayName: "PBS",
  directivePrefix: "#PBS",
  jobIdVariable: "$PBS_JOBID",
  loginShellBy: "shebang",
  renderDirectives(o) {
    const r = o.resources;
    let select = `select=1:ncpus=${r.cores}`;
    if (r.memoryBytes) select += `:mem=${Math.ceil(r.memoryBytes / 2 ** 20)}mb`;
    if (r.gpus) select += `:ngpus=${r.gpus}`;
    const d = [`-N ${o.jobName}`, `-o ${o.logPath}`, "-j oe", "-S /bin/bash", `-l walltime=${formatHms(r.walltimeSeconds)}`, `-l ${select}`];
    if (r.queue) d.push(`-q ${r.queue}`);
    if (r.account) d.push(`-A ${r.account}`);
    return d;
  },
  // "-v NAME" without a value passes qsub's own value of NAME
  submitCommand: (envNames) => ["qsub", ...(envNames.length ? ["-v", envNames.join(",")] : [])],
  parseSubmitOutput(stdout) {
    const m = /^\s*(\d+(\.[A-Za-z0-9_.-]+)?)\s*$/m.exec(stdout);
    if (!m) throw new Error(`no job id in qsub output: ${stdout.trim().slice(0, 200)}`);
    return m[1];
  },
  // -x: include finished jobs (job history), so the end reason is still there
  queryCommand: (jobIds) => ["qstat", "-f", "-F", "json", "-x", ...jobIds],
  parseQueryOutput: (out, jobIds) => parseQstatJson(out, jobIds),
  cancelCommand: (jobId) => ["qdel", jobId],
};
