// Where a server runs (ServerPlacement from its kind's catalog entry): the host and pid of a local
// process, the node, job id and queue of a batch job, the pod of a Kubernetes server. Scheduler
// details of a job (its state, reason, estimated start, time left) belong here too when a page
// has them. Server- and client-safe.
import type { ServerPlacement } from "@/spawners/types";

const SCHEDULERS: Record<string, string> = { slurm: "Slurm", sge: "Grid Engine", pbs: "PBS", lsf: "LSF" };

export function describePlacementParts(p: ServerPlacement): string[] {
  const parts: string[] = [];
  if (p.jobId) parts.push(`${p.scheduler ? `${SCHEDULERS[p.scheduler] ?? p.scheduler} ` : ""}job ${p.jobId}`);
  if (p.queue) parts.push(`queue ${p.queue}`);
  if (p.host) parts.push(p.jobId ? `node ${p.host}` : `host ${p.host}`);
  if (p.pid) parts.push(`pid ${p.pid}`);
  if (p.pod) parts.push(`pod ${p.namespace ? `${p.namespace}/` : ""}${p.pod}`);
  return parts;
}

export function ServerWhere({ placement, testId }: { placement: ServerPlacement; testId?: string }) {
  const parts = describePlacementParts(placement);
  if (!parts.length) return <span className="text-slate-400">—</span>;
  return (
    <span data-testid={testId} className="text-slate-700">
      {parts.join(" · ")}
    </span>
  );
}
