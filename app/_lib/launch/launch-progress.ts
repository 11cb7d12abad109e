// A launch's progress as the launch page and the event-stream API see it. Pure. Phases in order:
//   resolving  the link's ref → a commit (hub)
//   fetching   git, where the server runs (agent)
//   building   the environment (agent; "built" lines end it, cached or not)
//   waiting    in the batch queue (spawner)
//   starting   the server is starting (spawner)
//   ready      the server answers; `ready` says where
//   failed     the launch ended; `reason` is a short code, `message` says why, `logTail` shows
//              the end of the build or server log when there is one
import type { AgentEvent } from "./agent-phases";

export type LaunchPhase = "resolving" | "fetching" | "building" | "waiting" | "starting" | "ready" | "failed";

export interface LaunchProgressEvent {
  phase: LaunchPhase;
  message: string;
  reason?: string;
  logTail?: string;
  /** true on the building event that says the environment was reused */
  cached?: boolean;
}

/** The launch event an agent line stands for; `current` is the phase so far (warnings keep it). */
export function launchEventFromAgent(event: AgentEvent, current: LaunchPhase): LaunchProgressEvent {
  switch (event.phase) {
    case "fetching":
    case "fetched":
    case "merging":
    case "pulled":
      return { phase: "fetching", message: event.message };
    case "building":
      return { phase: "building", message: event.message };
    case "built":
      return { phase: "building", message: event.message, cached: event.cached };
    case "warning":
      return { phase: current === "resolving" ? "fetching" : current, message: `Warning: ${event.message}` };
    case "prepared":
      return { phase: "starting", message: "Starting the server" };
    case "failed":
      return { phase: "failed", message: event.message, reason: event.reason, ...(event.logTail ? { logTail: event.logTail } : {}) };
  }
}
