// Where a server runs (ServerDetails from its kind's catalog entry): the host and pid of a local
// process, the node, job id and queue of a batch job, the pod of a Kubernetes server. The job's
// scheduler state (reason, estimated start, time left) is JobDetailsView's. Server- and client-safe.
import type { ServerDetails } from "@/spawners/types";

const SCHEDULERS: Record<string, string> = { slurm: "Slurm", sge: "Grid Engine", pbs: "PBS", lsf: "LSF" };

export function describePlacementParts(p: ServerDetails): string[] {
  const parts: string[] = [];
  if (p.jobId) parts.push(`${p.scheduler ? `${SCHEDULERS[p.scheduler] ?? p.scheduler} ` : ""}job ${p.jobId}`);
  if (p.queue) parts.push(`queue ${p.queue}`);
  if (p.host) parts.push(p.jobId ? `node ${p.host}` : `host ${p.host}`);
  if (p.pid) parts.push(`pid ${p.pid}`);
  if (p.pod) parts.push(`pod ${p.namespace ? `${p.namespace}/` : ""}${p.pod}`);
  return parts;
}

export function ServerWhere({ details, testId }: { details: ServerDetails | null; testId?: string }) {
  const parts = details ? describePlacementParts(details) : [];
  if (!parts.length) return <span className="text-slate-400">—</span>;
  return (
    <span data-testid={testId} className="text-slate-700">
      {parts.join(" · ")}
    </span>
  );
}
