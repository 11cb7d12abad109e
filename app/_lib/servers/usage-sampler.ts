// The spawn worker's usage bookkeeping: opens a usage record when a server is ready, samples
// Spawner.usage() every usage.sampleSeconds while it runs and once just before a stop, closes the
// record when the server ends, and afterwards asks again until the figures are final (a batch
// job's accounting record is complete only after the job has ended) or usage.settleHours pass.
import type { SpawnerCatalog } from "@/spawners/kind";
import { describeStoredState, placementOf } from "@/spawners/state";
import type { Spawner, UsageSample } from "@/spawners/types";
import type { HubRuntime } from "../runtime";
import { findUnsettledRuns, recordUsageSample, settleRun, settleStaleRuns, type UsageRun } from "../usage/recorder";
import { mergeUsage } from "../usage/merge";
import { writesOf } from "../db/sql-writes";
import type { SqlQuery } from "../users/users-view";
import { buildOpenUsageRecord, buildUpdateUsageRecord, buildUsageRecordQuery, usageFromRow } from "./worker-sql";

/** The server row fields the sampler reads. */
export interface SampledServer {
  id: number;
  userId: number;
  name: string;
  spawnId: string | null;
  spawnerKind: string;
  spawnerState: string;
  profile: string | null;
  requestedAt: Date | null;
  startedAt: Date | null;
}

export interface UsageSamplerOptions {
  rt: Pick<HubRuntime, "db" | "config" | "log">;
  catalog: SpawnerCatalog;
  /** a spawner for a run that has ended, from its stored state (only usage() and detach() are called) */
  spawnerForEndedRun(run: { userId: number; serverName: string; spawnId: string; spawnerKind: string; spawnerState: string }): Promise<Spawner>;
}

/** How long after a batch job's end the hub waits for any accounting record before it stops asking. */
const NO_ACCOUNTING_GRACE_MS = 10 * 60_000;

export class UsageSampler {
  /** when each running server (by id) was last sampled */
  private readonly lastSample = new Map<number, number>();
  private lastSettle = 0;

  constructor(private readonly opts: UsageSamplerOptions) {}

  private run(s: SampledServer, startedAt: Date): UsageRun {
    return {
      userId: s.userId,
      serverName: s.name,
      spawnId: s.spawnId ?? "",
      spawnerKind: s.spawnerKind,
      profile: s.profile,
      requestedAt: s.requestedAt,
      startedAt,
    };
  }

  private placement(s: SampledServer, spawnerState: string) {
    return placementOf(describeStoredState(this.opts.catalog, s.spawnerKind, spawnerState, "running"));
  }

  /**
   * The statement that opens the record of a run that has just become ready (the worker runs it in
   * the transaction that marks the server running; a second one for the same spawn inserts
   * nothing). null when the server has no spawn id. Call sampled() once it has run.
   */
  openStatement(s: SampledServer, spawnerState: string, now: Date): SqlQuery | null {
    if (!s.spawnId) return null;
    const { dialect } = writesOf(this.opts.rt.db);
    return buildOpenUsageRecord(dialect, { ...this.run(s, now), placement: JSON.stringify(this.placement(s, spawnerState)), now });
  }

  /** The record of `s` was written at `now` (the next poll samples after usage.sampleSeconds). */
  sampled(s: SampledServer, now: Date): void {
    this.lastSample.set(s.id, now.getTime());
  }

  /** The server has just become ready. */
  async opened(s: SampledServer, spawnerState: string, now: Date): Promise<void> {
    const q = this.openStatement(s, spawnerState, now);
    if (!q) return;
    await writesOf(this.opts.rt.db)
      .run(q)
      .catch((err) => this.opts.rt.log.error({ err, server: s.id }, "could not open a usage record"));
    this.sampled(s, now);
  }

  /** A poll of a running server: samples it when usage.sampleSeconds have passed. */
  async poll(s: SampledServer, spawner: Spawner, now: Date): Promise<void> {
    if (!s.spawnId || !spawner.usage) return;
    const last = this.lastSample.get(s.id) ?? 0;
    if (now.getTime() - last < this.opts.rt.config.usage.sampleSeconds * 1000) return;
    this.lastSample.set(s.id, now.getTime());
    const sample = await this.sample(s, spawner);
    if (!sample) return;
    try {
      const steps = await this.recordStatements(this.run(s, s.startedAt ?? now), sample, JSON.stringify(this.placement(s, s.spawnerState)), now);
      await this.runAll(steps);
    } catch (err) {
      this.opts.rt.log.error({ err, server: s.id }, "could not store a usage sample");
    }
  }

  /**
   * The statements that store a sample in the run's record, on the driver (as recordUsageSample
   * in usage/recorder.ts does through Prisma): the record is read now, the figures merged, and a
   * missing record is opened first. With `end`, the run ends: its figures are final when the
   * sample says so, and the end is written unless the record has one.
   */
  private async recordStatements(
    run: UsageRun,
    sample: UsageSample | null,
    placement: string,
    now: Date,
    end?: { at: Date; spawnerState: string },
  ): Promise<SqlQuery[]> {
    const writes = writesOf(this.opts.rt.db);
    const found = (await writes.run(buildUsageRecordQuery(writes.dialect, run.spawnId))).rows[0];
    const rec = found ? usageFromRow(found) : { cpuSeconds: 0, peakMemoryBytes: null, queueWaitSeconds: null, source: "none", settled: false, endedAt: null };
    const figures = sample ? mergeUsage(rec, sample) : rec;
    const update = buildUpdateUsageRecord(writes.dialect, {
      spawnId: run.spawnId,
      figures: { cpuSeconds: figures.cpuSeconds, peakMemoryBytes: figures.peakMemoryBytes, queueWaitSeconds: figures.queueWaitSeconds, source: figures.source },
      settled: rec.settled || (!!end && sample?.final === true),
      now,
      placement,
      ...(end && !rec.endedAt ? { end } : {}),
    });
    return found ? [update] : [buildOpenUsageRecord(writes.dialect, { ...run, placement, now }), update];
  }

  /** Runs statements on the driver in one transaction (the driver runs a lone statement without BEGIN). */
  private async runAll(steps: SqlQuery[]): Promise<void> {
    if (steps.length) await writesOf(this.opts.rt.db).transaction(steps.map((q) => ({ q })));
  }

  /**
   * Just before the server is stopped: the last sample from the live server (null when there is
   * none) — unless its kind samples as it stops (Spawner.usageAtStop): then null here, and atStop() after.
   */
  async beforeStop(s: SampledServer, spawner: Spawner): Promise<UsageSample | null> {
    return spawner.usageAtStop ? null : this.last(s, spawner);
  }

  /** A server that ended on its own: whatever its kind can still tell (null when nothing). */
  async last(s: SampledServer, spawner: Spawner): Promise<UsageSample | null> {
    return s.spawnId ? this.sample(s, spawner) : null;
  }

  /** After stop(): the last sample, the one the stop took when the kind takes one, else `before` (beforeStop's). */
  atStop(s: SampledServer, spawner: Spawner, before: UsageSample | null): UsageSample | null {
    if (!s.spawnId || !spawner.usageAtStop) return before;
    try {
      return spawner.usageAtStop();
    } catch (err) {
      this.opts.rt.log.warn({ err, server: s.id }, "usage sample failed");
      return null;
    }
  }

  /**
   * The statements that close the run's record with the last sample (opening it first when the hub
   * never did): the worker runs them in the transaction that marks the server stopped. None when
   * the server never became ready. Reads the record now, on the driver.
   */
  async endStatements(s: SampledServer, sample: UsageSample | null, spawnerState: string, now: Date): Promise<SqlQuery[]> {
    this.lastSample.delete(s.id);
    if (!s.spawnId || !s.startedAt) return []; // never became ready: no record
    return this.recordStatements(this.run(s, s.startedAt), sample, JSON.stringify(this.placement(s, spawnerState)), now, { at: now, spawnerState });
  }

  /** The server has ended (stopped, or gone on its own): closes its record with the last sample. */
  async ended(s: SampledServer, sample: UsageSample | null, spawnerState: string, now: Date): Promise<void> {
    try {
      await this.runAll(await this.endStatements(s, sample, spawnerState, now));
    } catch (err) {
      this.opts.rt.log.error({ err, server: s.id }, "could not close a usage record");
    }
  }

  /**
   * Asks again about runs that ended with figures that may still change, at most every
   * usage.sampleSeconds; runs older than usage.settleHours keep what they have.
   */
  async settle(now: Date): Promise<void> {
    const { db, config, log } = this.opts.rt;
    if (now.getTime() - this.lastSettle < config.usage.sampleSeconds * 1000) return;
    this.lastSettle = now.getTime();
    await settleStaleRuns(db, new Date(now.getTime() - config.usage.settleHours * 3_600_000));
    for (const r of await findUnsettledRuns(db)) {
      let spawner: Spawner | undefined;
      try {
        spawner = await this.opts.spawnerForEndedRun(r);
        const sample = spawner.usage ? await spawner.usage() : null;
        if (sample === null) await settleRun(db, r.spawnId);
        else {
          await recordUsageSample(db, r, { sample, now, end: { at: r.endedAt ?? now, spawnerState: r.spawnerState } });
          // No accounting record a while after the end (no accounting on this cluster): what the
          // hub saw is all there will be.
          if (sample.source === "none" && now.getTime() - (r.endedAt?.getTime() ?? 0) > NO_ACCOUNTING_GRACE_MS) await settleRun(db, r.spawnId);
        }
      } catch (err) {
        log.warn({ err, spawnId: r.spawnId }, "could not settle a usage record");
      } finally {
        spawner?.detach?.();
      }
    }
  }

  private async sample(s: SampledServer, spawner: Spawner): Promise<UsageSample | null> {
    try {
      return (await spawner.usage?.()) ?? null;
    } catch (err) {
      this.opts.rt.log.warn({ err, server: s.id }, "usage sample failed");
      return null;
    }
  }
}
