// IBM Spectrum LSF as data: bsub/bjobs/bkill argv, #BSUB directives and the `bjobs -o … -json`
// parser. Pure. Debian 12 has no LSF package to test against: the parser follows LSF 10.1's
// documented `bjobs -json` format (IBM docs, "bjobs -o" and "-json"), not output captured here.
import type { BatchDialect, JobState } from "../types";

type LsfRecord = {
  JOBID?: string;
  STAT?: string;
  EXEC_HOST?: string;
  PEND_REASON?: string;
  EXIT_CODE?: string;
  EXIT_REASON?: string;
  ESTIMATED_START_TIME?: string;
  ERROR?: string;
};

/** Map one bjobs record to the common state. */
export function mapLsfRecord(r: LsfRecord): JobState {
  const code = r.STAT ?? "";
  switch (code) {
    case "PEND":
    case "PSUSP":
    case "WAIT": {
      // LSF prints estimates like "Nov 21 12:00" (no year); only ISO-like values are trusted here
      const est = r.ESTIMATED_START_TIME && r.ESTIMATED_START_TIME !== "-" ? new Date(r.ESTIMATED_START_TIME) : undefined;
      return {
        kind: "pending",
        code,
        reason: (r.PEND_REASON ?? "").trim().replace(/;$/, ""),
        ...(est && !isNaN(est.getTime()) ? { estimatedStart: est } : {}),
      };
    }
    case "RUN":
    case "USUSP":
    case "SSUSP":
      // EXEC_HOST "4*hostA:2*hostB" or "hostA": the first host runs the script
      return { kind: "running", code, host: (r.EXEC_HOST ?? "").split(":")[0].replace(/^\d+\*/, "") };
    case "DONE":
      return { kind: "done", code, exitCode: 0, reason: "the job ended (the server exited)" };
    case "EXIT": {
      const exitCode = r.EXIT_CODE && /^\d+$/.test(r.EXIT_CODE) ? Number(r.EXIT_CODE) : null;
      const why = r.EXIT_REASON ?? "";
      if (/RUNLIMIT/.test(why)) return { kind: "done", code, exitCode, reason: "your job reached its walltime" };
      if (/TERM_OWNER|TERM_ADMIN|killed by owner|bkill/i.test(why)) return { kind: "done", code, exitCode, reason: "the job was killed (bkill)" };
      if (/TERM_MEMLIMIT/.test(why)) return { kind: "done", code, exitCode, reason: "the job exceeded its memory limit" };
      return { kind: "done", code, exitCode, reason: `the job ended${exitCode === null ? "" : ` with exit status ${exitCode}`}${why ? ` (${why})` : ""}` };
    }
    case "ZOMBI":
    case "UNKWN":
      return { kind: "done", code, reason: "the scheduler lost contact with the job's host" };
    default:
      return { kind: "unknown" };
  }
}

/** Parse `bjobs -a -o "…" -json ID…`; "Job <N> is not found" records are "unknown". */
export function parseBjobsJson(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, JobState> {
  const states = new Map<string, JobState>();
  for (const id of jobIds) states.set(id, { kind: "unknown" });
  const text = out.stdout.trim();
  if (!text) {
    if (/not found/i.test(out.stderr)) return states;
    throw new Error(`bjobs failed (rc=${out.exitCode}): ${out.stderr.trim().slice(0, 300)}`);
  }
  const doc = JSON.parse(text) as { RECORDS?: LsfRecord[] };
  for (const r of doc.RECORDS ?? []) {
    if (!r.JOBID || r.ERROR || !states.has(r.JOBID)) continue;
    states.set(r.JOBID, mapLsfRecord(r));
  }
  return states;
}

export const LsfDialect: BatchDialect = {
  kind: "lsf",
  displayName: "LSF",
  directivePrefix: "#BSUB",
  jobIdVariable: "$LSB_JOBID",
  loginShellBy: "shebang",
  renderDirectives(o) {
    const r = o.resources;
    // -W takes [hours:]minutes
    const minutes = Math.ceil(r.walltimeSeconds / 60);
    const d = [
      `-J ${o.jobName}`,
      `-o ${o.logPath}`,
      `-cwd ${o.workDir}`,
      `-n ${r.cores}`,
      '-R "span[hosts=1]"',
      `-W ${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`,
    ];
    if (r.queue) d.push(`-q ${r.queue}`);
    if (r.account) d.push(`-P ${r.account}`);
    if (r.memoryBytes) d.push(`-M ${Math.ceil(r.memoryBytes / 2 ** 20)}MB`);
    if (r.gpus) d.push(`-gpu "num=${r.gpus}"`);
    return d;
  },
  // bsub copies the whole submit environment by default (the allow-listed one sudo left)
  submitCommand: () => ["bsub"],
  parseSubmitOutput(stdout) {
    const m = /Job <(\d+)> is submitted/.exec(stdout);
    if (!m) throw new Error(`no job id in bsub output: ${stdout.trim().slice(0, 200)}`);
    return m[1];
  },
  queryCommand: (jobIds) => ["bjobs", "-a", "-o", "jobid stat exec_host pend_reason exit_code exit_reason estimated_start_time", "-json", ...jobIds],
  parseQueryOutput: (out, jobIds) => parseBjobsJson(out, jobIds),
  cancelCommand: (jobId) => ["bkill", jobId],
};
