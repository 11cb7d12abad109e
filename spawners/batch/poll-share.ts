// How hub replicas share one scheduler query per cluster. The replica that holds a cluster's poll
// lease queries every job any replica watches there and publishes the answer; the others read it.
// The hub implements BatchPollShare on its database (app/_lib/replicas/batch-poll-share.ts); the
// spawner never sees the database. The (de)serialisation of the published states is pure.
import type { JobState } from "./types";

/** One cluster's published query: what the holder last asked the scheduler and when. */
export interface SharedPollResult {
  /** when the last query, successful or not, started (ms since the epoch) */
  startedAt: number;
  /** when the last successful query ended: the time of `states` */
  finishedAt: number;
  /** the states of the last successful query, by job id */
  states: Map<string, JobState>;
  /** why the last query failed; null when it succeeded */
  error: string | null;
}

export interface BatchPollShare {
  /**
   * Does this replica query `poll`'s scheduler now? The first call asks for the poll's lease; it is
   * renewed with the replica's heartbeat and given up when the replica shuts down cleanly.
   */
  isPolling(poll: string): boolean;
  /** The longest a replica may go without a published answer before another one takes the poll over. */
  readonly takeOverMs: number;
  /** This replica's server follows job `jobId` of `poll` (submitted, adopted, resumed). */
  watch(poll: string, jobId: string): Promise<void>;
  /** This replica no longer follows `jobId` (it ended, was stopped, or the spawner detached). */
  unwatch(poll: string, jobId: string): Promise<void>;
  /** The jobs of `poll` that live replicas watch: what the holder asks the scheduler about. */
  watchedJobs(poll: string): Promise<string[]>;
  /** The holder's answer for everyone (a failed query keeps the previous states). */
  publish(poll: string, result: { startedAt: number; finishedAt: number; states: Map<string, JobState> } | { startedAt: number; error: string }): Promise<void>;
  /** The last published answer of `poll`, or null before the first one. */
  read(poll: string): Promise<SharedPollResult | null>;
}

/** The poll's name, also the suffix of its lease: one per cluster and scheduler. */
export function pollName(cluster: string, scheduler: string): string {
  return `${cluster}/${scheduler}`;
}

/** Job states as stored: a JSON object by job id, dates as ISO strings. */
export function serializeJobStates(states: ReadonlyMap<string, JobState>): string {
  return JSON.stringify(Object.fromEntries(states));
}

const DATE_FIELDS = ["estimatedStart", "startedAt", "endsAt"] as const;

/** The inverse of serializeJobStates; entries that are not a job state are left out. */
export function parseJobStates(text: string): Map<string, JobState> {
  const out = new Map<string, JobState>();
  const raw = JSON.parse(text) as Record<string, Record<string, unknown>>;
  for (const [id, s] of Object.entries(raw ?? {})) {
    if (!s || typeof s !== "object" || !["pending", "running", "done", "unknown"].includes(s.kind as string)) continue;
    const state: Record<string, unknown> = { ...s };
    for (const f of DATE_FIELDS) if (typeof state[f] === "string") state[f] = new Date(state[f]);
    out.set(id, state as JobState);
  }
  return out;
}
