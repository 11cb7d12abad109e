// How one run of the agent shows on the spawn and launch pages: each of its lines (stderr, or a
// job's output file) → a spawner progress event with the launch step it belongs to, and the run's
// outcome (the prepared result, or why it failed). Pure: one reader per run, fed lines in order.
import type { LaunchStep, ProgressEvent } from "../types";
import { parseAgentLine, type AgentEvent, type PreparedResult } from "./agent-phases";

/** Why the agent's run failed, as the user should read it. */
export interface AgentFailure {
  message: string;
  /** the agent's short code ("git-timeout", "env-build-failed", …) */
  reason: string;
  /** end of the build log, when there is one */
  logTail?: string;
}

export interface AgentProgressOptions {
  /**
   * The band of the progress bar the run fills, e.g. [15, 60] on the local spawner (start-up
   * follows) and [55, 80] in a batch job (the queue came first).
   */
  range: [number, number];
}

/** Reads one agent run's lines; `result` / `failure` are set once the run says how it ended. */
export class AgentProgressReader {
  result: PreparedResult | null = null;
  failure: AgentFailure | null = null;
  /** the `pulled` event of a git-pull run */
  pulled: Extract<AgentEvent, { phase: "pulled" }> | null = null;
  private step: LaunchStep = "fetching";
  private buildLines = 0;

  constructor(private readonly opts: AgentProgressOptions) {}

  /** The progress event a line stands for; null for free text (and for the final failure, which the spawner throws). */
  read(line: string): ProgressEvent | null {
    const event = parseAgentLine(line);
    return event ? this.readEvent(event) : null;
  }

  readEvent(event: AgentEvent): ProgressEvent | null {
    const [lo, hi] = this.opts.range;
    const at = (fraction: number) => Math.round(lo + (hi - lo) * fraction);
    switch (event.phase) {
      case "fetching":
      case "merging":
        this.step = "fetching";
        return { progress: at(0.05), message: event.message, phase: "fetching" };
      case "fetched":
        this.step = "fetching";
        return { progress: at(0.3), message: event.message, phase: "fetching" };
      case "pulled":
        this.pulled = event;
        return { progress: at(1), message: event.message, phase: "fetching" };
      case "building":
        // steps and build-log lines: the bar creeps towards the end of the band, never reaching it
        this.step = "building";
        this.buildLines++;
        return { progress: at(0.35 + 0.55 * (1 - 1 / (1 + this.buildLines / 20))), message: event.message, phase: "building" };
      case "built":
        this.step = "building";
        return { progress: at(0.95), message: event.message, phase: "building", cached: event.cached };
      case "warning":
        return { progress: at(this.step === "building" ? 0.35 : 0.05), message: `Warning: ${event.message}`, phase: this.step };
      case "prepared":
        this.result = event.result;
        this.step = "starting";
        return { progress: at(1), message: "Starting the server", phase: "starting" };
      case "failed":
        this.failure = { message: event.message, reason: event.reason, ...(event.logTail ? { logTail: event.logTail } : {}) };
        return null;
    }
  }
}

/**
 * The server's JUPYTER_PATH for a prepared launch: the environment's path FIRST (jupyter_client
 * takes the first "python3" kernel it finds, so notebooks run in the launch's environment), then
 * whatever the server had. `existing` undefined or "" → the prepared path alone.
 */
export function launchJupyterPath(result: PreparedResult, existing: string | undefined): string | undefined {
  const first = result.serverEnv.JUPYTER_PATH;
  if (!first) return existing || undefined;
  return existing ? `${first}:${existing}` : first;
}
