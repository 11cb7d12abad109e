// What a hub that starts does with a server an earlier hub process left running or starting.
// Pure: the worker (worker.ts) gathers the facts (poll(), the readiness probe, the kind's
// resume()) and carries the action out.

/** What the starting hub does with one server. */
export type AdoptAction =
  /** running and alive: keep it, push its route again */
  | "adopt"
  /** running, but it ended while no hub watched: mark it stopped with the reason */
  | "gone"
  /** starting, and it answers already: mark it running */
  | "ready"
  /** starting, still under way: follow the same process or job (Spawner.resume) */
  | "resume"
  /** starting, ended or not resumable: stop what is left and start it again */
  | "restart";

export interface AdoptFacts {
  state: "running" | "starting";
  /** poll() reported an end */
  exited: boolean;
  /** starting: the stored url answers the readiness probe with the server's token */
  answers: boolean;
  /** the kind implements Spawner.resume */
  resumable: boolean;
}

export function decideAdoption(f: AdoptFacts): AdoptAction {
  if (f.state === "running") return f.exited ? "gone" : "adopt";
  if (f.exited) return "restart";
  if (f.answers) return "ready";
  return f.resumable ? "resume" : "restart";
}
