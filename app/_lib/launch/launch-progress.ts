// A launch's progress as the launch page and the event-stream API see it. Pure. Phases:
//   resolving  the link's ref → a commit (hub, before the server is requested)
//   fetching   git, where the server runs (agent)
//   building   the environment (agent; the event with `cached` ends it: reused or built)
//   waiting    in the batch queue (spawner)
//   starting   the server is starting (spawner)
//   ready      the server answers
//   failed     the launch ended; `message` says why, `logTail` shows the end of the build or
//              server log when there is one
// On a batch spawner the queue comes first (the agent runs inside the job), so pages must not
// assume this order.
import type { LaunchStep } from "@/spawners/types";

export type LaunchPhase = "resolving" | LaunchStep | "ready" | "failed";

export interface LaunchProgressEvent {
  phase: LaunchPhase;
  message: string;
  logTail?: string;
  /** true/false on the building event that ends the environment step: reused / built */
  cached?: boolean;
}

/** One stored spawn event (SpawnEvent row) of a launch's server. */
export interface StoredSpawnEvent {
  /** "progress" | "ready" | "failed" | "stopped" */
  kind: string;
  message: string;
  phase: string | null;
  cached: boolean | null;
}

const STEPS: readonly string[] = ["fetching", "building", "waiting", "starting"] satisfies LaunchStep[];

/**
 * The launch event a stored spawn event stands for. Events without a step (the hub's own "Server
 * requested", a spawner's plain messages) count as `current`, the phase so far.
 */
export function launchEventFromStored(event: StoredSpawnEvent, current: LaunchPhase): LaunchProgressEvent {
  if (event.kind === "ready") return { phase: "ready", message: event.message };
  if (event.kind === "failed" || event.kind === "stopped") return { phase: "failed", message: event.message };
  const phase = event.phase && STEPS.includes(event.phase) ? (event.phase as LaunchStep) : current;
  return { phase, message: event.message, ...(event.cached !== null ? { cached: event.cached } : {}) };
}
