// One scheduler query per poll cycle for ALL tracked jobs of one cluster (batchspawner runs one
// per user, every 0.5 s while pending), plus, while jobs pend on a scheduler that explains itself
// only per job (Grid Engine's `qstat -j`), one batched query for their reasons. Spawners read the
// cache; nobody queries per job.
import type { CommandRunner } from "./run-command";
import { prefixCommand } from "./shell-quote";
import type { BatchDialect, JobState } from "./types";

export interface PolledState {
  state: JobState;
  /** when the query that produced it finished */
  at: number;
}

/**
 * Keeps the latest state of every tracked job. Each cycle (every `intervalMs`, only while jobs are
 * tracked) runs ONE `dialect.queryCommand(allIds)`; `refresh()` calls made while a query runs share
 * it, so a burst of spawners asking at once still costs one scheduler call.
 */
export class BatchPoller {
  /** scheduler queries run so far (the benchmark reads it) */
  calls = 0;
  private readonly tracked = new Set<string>();
  private readonly cache = new Map<string, PolledState>();
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private listeners = new Set<() => void>();
  lastError: string | null = null;

  constructor(
    readonly dialect: BatchDialect,
    private readonly run: CommandRunner,
    private readonly opts: { intervalMs: number; queryPrefix?: string[]; now?: () => number },
  ) {}

  /** Start following a job; the poll timer runs while anything is tracked. */
  track(jobId: string): void {
    this.tracked.add(jobId);
    this.ensureTimer();
  }

  /** Stop following a job (after stop() or once its end was reported). */
  untrack(jobId: string): void {
    this.tracked.delete(jobId);
    this.cache.delete(jobId);
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get size(): number {
    return this.tracked.size;
  }

  /** The cached state of a job, or undefined before its first query. */
  get(jobId: string): PolledState | undefined {
    return this.cache.get(jobId);
  }

  /** Resolve after the next completed query (or when `signal` aborts). */
  nextUpdate(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.listeners.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.listeners.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Run one query for all tracked jobs now (shared with any query already running). */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.queryOnce().finally(() => {
        this.inflight = null;
        for (const l of [...this.listeners]) l();
      });
    }
    return this.inflight;
  }

  /** Stop the timer (hub shutdown). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private ensureTimer(): void {
    if (this.timer || this.tracked.size === 0) return;
    this.timer = setInterval(() => void this.refresh(), this.opts.intervalMs);
    this.timer.unref();
  }

  private async queryOnce(): Promise<void> {
    const ids = [...this.tracked];
    if (ids.length === 0) return;
    this.calls++;
    const out = await this.run(prefixCommand(this.opts.queryPrefix ?? [], this.dialect.queryCommand(ids)), { timeoutMs: 30_000 });
    const now = (this.opts.now ?? Date.now)();
    try {
      const states = this.dialect.parseQueryOutput(out, ids, new Date(now));
      await this.addPendingReasons(states);
      for (const [id, state] of states) if (this.tracked.has(id)) this.cache.set(id, { state, at: now });
      this.lastError = null;
    } catch (err) {
      // A failed query (scheduler down, timeout) says nothing about the jobs: keep the old cache
      // rather than report every server as gone.
      this.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  /** The scheduler's own words for pending jobs, when the dialect has a query for them (best effort). */
  private async addPendingReasons(states: Map<string, JobState>): Promise<void> {
    const d = this.dialect;
    const pending = [...states].filter(([, s]) => s.kind === "pending").map(([id]) => id);
    if (!pending.length || !d.pendingReasonCommand || !d.parsePendingReasons) return;
    this.calls++;
    const out = await this.run(prefixCommand(this.opts.queryPrefix ?? [], d.pendingReasonCommand(pending)), { timeoutMs: 30_000 });
    let reasons: Map<string, string>;
    try {
      reasons = d.parsePendingReasons(out, pending);
    } catch {
      return;
    }
    for (const [id, why] of reasons) {
      const s = states.get(id);
      if (s?.kind === "pending") states.set(id, { ...s, reason: s.error ? `${s.reason} (${why})` : why });
    }
  }
}

/** Shared pollers per command runner (the real one in the hub; each test's own) and cluster. */
const shared = new WeakMap<CommandRunner, Map<string, BatchPoller>>();
const all = new Set<BatchPoller>();

/** The process-wide poller for one cluster (its dialect + query prefix), so all its spawners share one query. */
export function getSharedPoller(
  dialect: BatchDialect,
  run: CommandRunner,
  opts: { intervalMs: number; queryPrefix?: string[]; cluster?: string },
): BatchPoller {
  const key = JSON.stringify([opts.cluster ?? "default", dialect.kind, opts.queryPrefix ?? [], opts.intervalMs]);
  let byKey = shared.get(run);
  if (!byKey) shared.set(run, (byKey = new Map<string, BatchPoller>()));
  let p = byKey.get(key);
  if (!p) {
    p = new BatchPoller(dialect, run, opts);
    byKey.set(key, p);
    all.add(p);
  }
  return p;
}

/** Hub shutdown: stop every shared poller's timer (tracking a job again restarts it). */
export function closeSharedPollers(): void {
  for (const p of all) p.close();
}
