// One scheduler query per poll cycle for ALL tracked jobs of one cluster (batchspawner runs one
// per user, every 0.5 s while pending), plus, while jobs pend on a scheduler that explains itself
// only per job (Grid Engine's `qstat -j`), one batched query for their reasons. Spawners read the
// cache; nobody queries per job. With a BatchPollShare (the hub's replicas) the query is one per
// cluster across every replica: the lease holder queries the jobs all replicas watch and
// publishes the answer, the others read it each cycle.
import { pollName, type BatchPollShare } from "./poll-share";
import type { CommandRunner } from "./run-command";
import { prefixCommand } from "./shell-quote";
import type { BatchDialect, JobState } from "./types";

export interface PolledState {
  state: JobState;
  /** when the query that produced it finished */
  at: number;
}

export interface BatchPollerOptions {
  intervalMs: number;
  queryPrefix?: string[];
  now?: () => number;
  /** shared with the other hub replicas under the poll's name (poll-share.ts pollName) */
  share?: { via: BatchPollShare; poll: string };
}

type SharedAs = NonNullable<BatchPollerOptions["share"]>;

/** How often a replica that waits for a fresh shared answer looks at the database. */
const SHARED_READ_MS = 250;

/**
 * Keeps the latest state of every tracked job. Each cycle (every `intervalMs`, only while jobs are
 * tracked) runs ONE `dialect.queryCommand(allIds)`; `refresh()` calls made while a query runs share
 * it, so a burst of spawners asking at once still costs one scheduler call.
 *
 * Shared (`opts.share`): the cycle runs while the poller exists, as the lease holder may have to
 * query for other replicas' jobs. The holder queries; any other replica reads the holder's
 * answer, and its `refresh()` waits for an answer from a query that started after the call.
 */
export class BatchPoller {
  /** scheduler queries run so far (the benchmark reads it) */
  calls = 0;
  private readonly tracked = new Set<string>();
  private readonly cache = new Map<string, PolledState>();
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private listeners = new Set<() => void>();
  /** the finishedAt of the last answer applied to the cache */
  private appliedAt = 0;
  /** when the query behind the latest answer (this replica's or the holder's) started */
  private answerStartedAt = 0;
  /** shared: watch/unwatch writes under way, in order */
  private writes: Promise<void> = Promise.resolve();
  private closed = false;
  lastError: string | null = null;

  constructor(
    readonly dialect: BatchDialect,
    private readonly run: CommandRunner,
    private readonly opts: BatchPollerOptions,
  ) {
    if (opts.share) {
      opts.share.via.isPolling(opts.share.poll);
      this.ensureTimer();
    }
  }

  /** Start following a job; the poll timer runs while anything is tracked. */
  track(jobId: string): void {
    const share = this.opts.share;
    if (share && !this.tracked.has(jobId)) this.write(() => share.via.watch(share.poll, jobId));
    this.tracked.add(jobId);
    this.ensureTimer();
  }

  /** Stop following a job (after stop() or once its end was reported). */
  untrack(jobId: string): void {
    const share = this.opts.share;
    if (share && this.tracked.has(jobId)) this.write(() => share.via.unwatch(share.poll, jobId));
    this.tracked.delete(jobId);
    this.cache.delete(jobId);
    if (this.tracked.size === 0 && this.timer && !share) {
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

  /**
   * Run one query for all tracked jobs now (shared with any query already running). Shared and
   * not the holder: wait for the holder's next answer, from a query that started after this call
   * (at most one interval, or until this replica takes the poll over).
   */
  refresh(): Promise<void> {
    const share = this.opts.share;
    if (share && !share.via.isPolling(share.poll)) return this.awaitFreshAnswer(share);
    return this.once(() => this.queryOnce());
  }

  /** Stop the timer (hub shutdown). */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Shared: the watch writes under way have reached the database (tests, shutdown). */
  flushed(): Promise<void> {
    return this.writes;
  }

  /** One cycle: the holder (or an unshared poller) queries, another replica reads the answer. */
  private cycle(): Promise<void> {
    const share = this.opts.share;
    if (!share || share.via.isPolling(share.poll)) return this.once(() => this.queryOnce());
    if (this.tracked.size === 0 && this.listeners.size === 0) return Promise.resolve();
    return this.once(() => this.readShared(share));
  }

  /** Runs `work` unless a cycle runs already (then shares it); wakes nextUpdate() waiters after. */
  private once(work: () => Promise<void>): Promise<void> {
    if (!this.inflight) {
      this.inflight = work().finally(() => {
        this.inflight = null;
        for (const l of [...this.listeners]) l();
      });
    }
    return this.inflight;
  }

  private write(op: () => Promise<void>): void {
    this.writes = this.writes.then(op).catch((err: unknown) => {
      this.lastError = `cannot share the job list: ${err instanceof Error ? err.message : String(err)}`;
    });
  }

  private ensureTimer(): void {
    // unshared: only while jobs are tracked (tracking again after close() restarts it); shared:
    // from creation until close(), as the holder polls other replicas' jobs too
    if (this.timer || (this.opts.share ? this.closed : this.tracked.size === 0)) return;
    this.timer = setInterval(() => void this.cycle(), this.opts.intervalMs);
    this.timer.unref();
  }

  private async queryOnce(): Promise<void> {
    const share = this.opts.share;
    let ids = [...this.tracked];
    if (share) {
      // this replica's watches first, so the query covers what it tracks itself
      await this.writes;
      try {
        ids = [...new Set([...ids, ...(await share.via.watchedJobs(share.poll))])];
      } catch (err) {
        this.lastError = `cannot read the watched jobs: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (ids.length === 0) return;
    const startedAt = (this.opts.now ?? Date.now)();
    this.answerStartedAt = startedAt;
    this.calls++;
    const out = await this.run(prefixCommand(this.opts.queryPrefix ?? [], this.dialect.queryCommand(ids)), { timeoutMs: 30_000 });
    const now = (this.opts.now ?? Date.now)();
    let states: Map<string, JobState>;
    try {
      states = this.dialect.parseQueryOutput(out, ids, new Date(now));
      await this.addPendingReasons(states);
    } catch (err) {
      // A failed query (scheduler down, timeout) says nothing about the jobs: keep the old cache
      // rather than report every server as gone.
      this.lastError = err instanceof Error ? err.message : String(err);
      if (share) await share.via.publish(share.poll, { startedAt, error: this.lastError }).catch(() => undefined);
      return;
    }
    for (const [id, state] of states) if (this.tracked.has(id)) this.cache.set(id, { state, at: now });
    this.lastError = null;
    this.appliedAt = now;
    if (share) {
      await share.via.publish(share.poll, { startedAt, finishedAt: now, states }).catch((err: unknown) => {
        this.lastError = `cannot share the scheduler's answer: ${err instanceof Error ? err.message : String(err)}`;
      });
    }
  }

  /**
   * Shared, not the holder: reads the holder's answers until one comes from a query that started
   * after this call, this replica takes the poll over (then it queries), or the holder had time to
   * be replaced.
   */
  private async awaitFreshAnswer(share: SharedAs): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const since = now();
    const deadline = since + this.opts.intervalMs + share.via.takeOverMs;
    while (!this.closed) {
      if (share.via.isPolling(share.poll)) return this.once(() => this.queryOnce());
      await this.once(() => this.readShared(share));
      if (this.answerStartedAt >= since || now() > deadline) return;
      await new Promise((r) => setTimeout(r, SHARED_READ_MS));
    }
  }

  /** Applies the holder's latest answer to the cache (one read). */
  private async readShared(share: SharedAs): Promise<void> {
    let answer;
    try {
      answer = await share.via.read(share.poll);
    } catch (err) {
      this.lastError = `cannot read the shared scheduler answer: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    if (!answer) return;
    if (answer.finishedAt > this.appliedAt) {
      for (const [id, state] of answer.states) if (this.tracked.has(id)) this.cache.set(id, { state, at: answer.finishedAt });
      this.appliedAt = answer.finishedAt;
      // a watch the holder dropped (this replica's heartbeat was late) is written again
      for (const id of this.tracked) if (!answer.states.has(id)) this.write(() => share.via.watch(share.poll, id));
    }
    this.answerStartedAt = Math.max(this.answerStartedAt, answer.startedAt);
    this.lastError = answer.error;
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

/** Shared pollers per command runner (the real one in the hub; each test's own), share and cluster. */
const shared = new WeakMap<CommandRunner, WeakMap<object, Map<string, BatchPoller>>>();
const all = new Set<BatchPoller>();
const UNSHARED = {};

/**
 * The process-wide poller for one cluster (its dialect + query prefix), so all its spawners share
 * one query; with `share`, one query across every hub replica (the poll named by cluster and
 * scheduler).
 */
export function getSharedPoller(
  dialect: BatchDialect,
  run: CommandRunner,
  opts: { intervalMs: number; queryPrefix?: string[]; cluster?: string; share?: BatchPollShare },
): BatchPoller {
  const cluster = opts.cluster ?? "default";
  const key = JSON.stringify([cluster, dialect.kind, opts.queryPrefix ?? [], opts.intervalMs]);
  let byShare = shared.get(run);
  if (!byShare) shared.set(run, (byShare = new WeakMap()));
  let byKey = byShare.get(opts.share ?? UNSHARED);
  if (!byKey) byShare.set(opts.share ?? UNSHARED, (byKey = new Map<string, BatchPoller>()));
  let p = byKey.get(key);
  if (!p) {
    p = new BatchPoller(dialect, run, {
      intervalMs: opts.intervalMs,
      queryPrefix: opts.queryPrefix,
      share: opts.share ? { via: opts.share, poll: pollName(cluster, dialect.kind) } : undefined,
    });
    byKey.set(key, p);
    all.add(p);
  }
  return p;
}

/** Hub shutdown: stop every shared poller's timer (tracking a job again restarts an unshared one). */
export function closeSharedPollers(): void {
  for (const p of all) p.close();
}
