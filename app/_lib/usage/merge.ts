// How a new usage sample changes a server run's stored usage record. Pure.
import type { UsageSample } from "@/spawners/types";

/** The figures of a usage record (UsageRecord's columns). */
export interface UsageFigures {
  cpuSeconds: number;
  peakMemoryBytes: number | null;
  queueWaitSeconds: number | null;
  source: string;
}

/** Sources whose figures come from the scheduler's own accounting: they replace what was sampled. */
const ACCOUNTING_SOURCES = new Set(["sacct", "qacct"]);

/**
 * The record after `sample`. CPU time and the memory peak only grow while the same source reports
 * them (samples of a process tree can miss a process that ended, and a restarted hub samples
 * afresh); a scheduler's accounting record replaces sampled figures, because it is the
 * authoritative, complete one. A sample without figures (source "none") changes only the queue
 * wait it knows.
 */
export function mergeUsage(current: UsageFigures, sample: UsageSample): UsageFigures {
  const queueWaitSeconds = sample.queueWaitSeconds ?? current.queueWaitSeconds;
  if (sample.source === "none") return { ...current, queueWaitSeconds };
  const authoritative = ACCOUNTING_SOURCES.has(sample.source);
  const replace = authoritative || current.source === "none";
  const cpu = sample.cpuSeconds;
  const peak = sample.peakMemoryBytes;
  return {
    cpuSeconds: cpu === undefined ? current.cpuSeconds : replace ? cpu : Math.max(current.cpuSeconds, cpu),
    peakMemoryBytes: peak === undefined ? current.peakMemoryBytes : replace ? peak : Math.max(current.peakMemoryBytes ?? 0, peak),
    queueWaitSeconds,
    source: authoritative || current.source === "none" ? sample.source : current.source,
  };
}
