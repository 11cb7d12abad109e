// Bounded shutdown: the hub's close steps run in order, each until it ends or the time left runs
// out; what is still under way then is abandoned (named in the result) so the process exits anyway.
// A step can hang for good. Seen in the rolling restart (issue 14): $disconnect() ran while the
// spawn worker's tick was starting a $transaction; Prisma 6.19's transaction manager then throws
// "Unknown transaction status" without releasing the pg client the adapter had checked out for it,
// and pg's Pool.end() (the adapter's disposeExternalPool) waits for every checked-out client, so
// forever. background.ts now lets the tick end first; this limit covers whatever else may hang.

/** One thing to close, by name (for the log line that says which one did not finish). */
export interface CloseStep {
  name: string;
  run: () => Promise<void>;
}

/** How the steps ended: `abandoned` names the step still running at the limit, else null. */
export interface CloseOutcome {
  abandoned: string | null;
  /** steps that threw (they do not stop the later steps) */
  failed: Array<{ name: string; err: unknown }>;
}

/** Runs `steps` in order within `limitMs` in all; never waits longer than that. */
export async function closeWithin(steps: readonly CloseStep[], limitMs: number): Promise<CloseOutcome> {
  const failed: CloseOutcome["failed"] = [];
  const end = Date.now() + limitMs;
  for (const step of steps) {
    const left = end - Date.now();
    if (left <= 0) return { abandoned: step.name, failed };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), left)));
    const ran = step.run().then(
      () => "done" as const,
      (err: unknown) => {
        failed.push({ name: step.name, err });
        return "failed" as const;
      },
    );
    const outcome = await Promise.race([ran, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") return { abandoned: step.name, failed };
  }
  return { abandoned: null, failed };
}
