// The launch page's list of phases, from the events seen so far. Pure (the client component and
// a unit test use it). Phases are listed in the order they happened, then the ones still to come
// in the usual order: a batch launch waits in the queue before it fetches (the agent runs in the
// job), a local one never waits.
import type { LaunchPhase } from "./launch-progress";

export type PhaseState = "pending" | "active" | "done" | "failed";

export interface PhaseRow {
  phase: Exclude<LaunchPhase, "failed">;
  label: string;
  state: PhaseState;
  /** the building row: "reused" (cached), "built", or undefined while unknown */
  environment?: "reused" | "built";
  /** the last message of the phase */
  message?: string;
}

/** One event as the page saw it (from the progress stream, or the page's own "resolving" step). */
export interface ViewEvent {
  phase?: string;
  cached?: boolean;
  message: string;
}

export const PHASE_LABELS: Record<PhaseRow["phase"], string> = {
  resolving: "Resolving the link",
  waiting: "Waiting in the queue",
  fetching: "Fetching the repository",
  building: "Preparing the environment",
  starting: "Starting the server",
  ready: "Ready",
};

const STEPS = new Set(["resolving", "waiting", "fetching", "building", "starting"]);
const USUAL: PhaseRow["phase"][] = ["resolving", "fetching", "building", "starting"];

/**
 * Rows for `events` (in order). `outcome`: "running" while the launch goes on, "ready" once the
 * server answers, "failed" when it ended (the phase that was active failed).
 */
export function buildPhaseRows(events: readonly ViewEvent[], outcome: "running" | "ready" | "failed"): PhaseRow[] {
  const order: PhaseRow["phase"][] = [];
  const lastMessage = new Map<string, string>();
  let environment: PhaseRow["environment"];
  let current: PhaseRow["phase"] = "resolving";
  for (const e of events) {
    const phase: PhaseRow["phase"] = e.phase && STEPS.has(e.phase) ? (e.phase as PhaseRow["phase"]) : current;
    if (!order.includes(phase)) order.push(phase);
    current = phase;
    if (e.message) lastMessage.set(phase, e.message);
    if (phase === "building" && e.cached !== undefined) environment = e.cached ? "reused" : "built";
  }
  if (!order.includes("resolving")) order.unshift("resolving");
  for (const p of USUAL) if (!order.includes(p)) order.push(p);
  order.push("ready");
  const at = order.indexOf(current);
  return order.map((phase, i) => {
    let state: PhaseState;
    if (outcome === "ready") state = "done";
    else if (i < at) state = "done";
    else if (i === at) state = outcome === "failed" ? "failed" : "active";
    else state = "pending";
    const row: PhaseRow = { phase, label: PHASE_LABELS[phase], state };
    const message = lastMessage.get(phase);
    if (message) row.message = message;
    if (phase === "building" && environment) row.environment = environment;
    return row;
  });
}
