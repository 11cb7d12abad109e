// A batch job as one or two sentences for the home, admin and spawn pages: which job, where, why it
// waits or when its walltime ends, and a warning when little time is left. Pure: the page passes
// its clock.
import type { JobDetails } from "@/spawners/types";

export interface JobSummary {
  /** "Slurm job 77 (cluster gpu) is queued (PENDING): held by you. Estimated start 14:05 UTC." */
  text: string;
  /** set when the walltime ends within job.warnSeconds */
  warning: string | null;
}

/** "1 h 5 min", "12 min", "40 s" */
export function formatLeft(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

/** "2026-12-03 14:05 UTC": one zone for everyone (users of a centre sit in different ones). */
function at(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function summarizeJob(job: JobDetails, nowMs: number): JobSummary {
  const where = job.cluster && job.cluster !== "default" ? ` (cluster ${job.cluster})` : "";
  const name = `${job.scheduler} job ${job.jobId}${where}`;
  if (job.phase === "queued") {
    const state = job.state ? ` (${job.state})` : "";
    const reason = job.reason ? `: ${job.reason}` : "";
    const start = job.estimatedStart ? ` Estimated start ${at(job.estimatedStart)}.` : "";
    return { text: `${name} is waiting in the queue${state}${reason}.${start}`, warning: null };
  }
  const node = job.node ? ` on ${job.node}` : "";
  if (!job.endsAt) return { text: `${name} is running${node}.`, warning: null };
  const left = (Date.parse(job.endsAt) - nowMs) / 1000;
  const text = `${name} is running${node}; its walltime ends ${at(job.endsAt)} (${formatLeft(left)} left).`;
  const warn = job.warnSeconds ?? 0;
  const warning = left <= warn ? `Your job ends in ${formatLeft(left)}, when its walltime is reached, and your server with it: save your work.` : null;
  return { text, warning };
}
