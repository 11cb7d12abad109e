// A batch job's details (job-summary.ts) as a line, plus a warning when its walltime ends soon.
// Server- and client-safe: no hooks, no I/O; the page passes its clock.
import type { JobDetails } from "@/spawners/types";
import { summarizeJob } from "./job-summary";
import { Notice } from "./ui";

export function JobDetailsView({ job, nowMs, testId = "job-details" }: { job: JobDetails; nowMs: number; testId?: string }) {
  const { text, warning } = summarizeJob(job, nowMs);
  return (
    <div className="space-y-2">
      <p data-testid={testId} data-job-id={job.jobId} data-phase={job.phase} className="text-sm text-slate-600">
        {text}
      </p>
      {warning && (
        <Notice kind="error" testId={`${testId}-warning`}>
          {warning}
        </Notice>
      )}
    </div>
  );
}
