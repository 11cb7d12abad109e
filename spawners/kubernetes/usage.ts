// What a pod "used" as far as the hub can tell without a metrics server: its containers' resource
// requests times the time it has run (an upper bound of what it was given, not a measurement).
// Pure.
import type { V1Pod } from "@kubernetes/client-node";
import type { UsageSample } from "../types";
import { parseByteQuantity } from "./config";

/** Cores of a Kubernetes CPU quantity: "2", "0.5", "500m"; null otherwise. */
export function parseCpuQuantity(q: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
  if (!m) return null;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/**
 * Requested cores × seconds since the pod started, and the requested memory as its peak; null for
 * a pod that has not started. Containers without requests count as zero.
 */
export function podRequestUsage(pod: V1Pod, now: Date): UsageSample | null {
  const started = pod.status?.startTime ? new Date(pod.status.startTime).getTime() : NaN;
  if (!Number.isFinite(started)) return null;
  let cores = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    if (req.cpu) cores += parseCpuQuantity(String(req.cpu)) ?? 0;
    if (req.memory) {
      try {
        memory += parseByteQuantity(String(req.memory));
      } catch {
        /* a quantity this parser does not read counts as nothing */
      }
    }
  }
  const seconds = Math.max(0, (now.getTime() - started) / 1000);
  return { cpuSeconds: cores * seconds, peakMemoryBytes: memory || undefined, source: "requests", final: false };
}
