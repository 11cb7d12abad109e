// Usage records in the database, one per server run (spawn): opened when the server is running,
// refreshed with each sample, closed when it ends, settled once nothing will change its figures.
// The spawn worker calls these; everything is keyed by the spawn id, so a restarted hub carries on.
import type { Db } from "@/app/_lib/db/types";
import type { ServerDetails, UsageSample } from "@/spawners/types";
import { mergeUsage } from "./merge";

/** The server run a record belongs to. */
export interface UsageRun {
  userId: number;
  serverName: string;
  spawnId: string;
  spawnerKind: string;
  profile: string | null;
  requestedAt: Date | null;
  startedAt: Date;
}

/**
 * Opens the record of a run that has become ready (a second call for the same spawn changes
 * nothing: the spawn id is unique, so its insert fails and is ignored). One write per start.
 */
export async function openUsageRecord(db: Db, run: UsageRun, placement: Omit<ServerDetails, "job">, now: Date): Promise<void> {
  try {
    await db.usageRecord.create({
      data: { ...run, placement: JSON.stringify(placement), sampledAt: now, source: "none", cpuSeconds: 0 },
    });
  } catch (err) {
    if ((err as { code?: string }).code !== "P2002") throw err;
  }
}

/**
 * Adds a sample to the run's record (opening it first when the hub never did, e.g. a server it
 * adopted after an upgrade). `end`: the run is over (its end time and the spawner state to ask
 * the scheduler's accounting later are stored). Returns whether the record is settled.
 */
export async function recordUsageSample(
  db: Db,
  run: UsageRun,
  opts: { sample: UsageSample | null; now: Date; placement?: Omit<ServerDetails, "job">; end?: { at: Date; spawnerState: string } },
): Promise<boolean> {
  const { sample, now } = opts;
  let rec = await db.usageRecord.findUnique({ where: { spawnId: run.spawnId } });
  if (!rec) {
    await openUsageRecord(db, run, opts.placement ?? {}, now);
    rec = await db.usageRecord.findUniqueOrThrow({ where: { spawnId: run.spawnId } });
  }
  const merged = sample ? mergeUsage(rec, sample) : rec;
  // Settled once the run has ended with final figures; otherwise the worker asks again after the
  // end (settleUsage): a batch job's accounting record is complete only then, and a kind that has
  // nothing more to say (the process or pod is gone) answers null, which settles it as it is.
  const settled = rec.settled || (!!opts.end && sample?.final === true);
  await db.usageRecord.update({
    where: { id: rec.id },
    data: {
      cpuSeconds: merged.cpuSeconds,
      peakMemoryBytes: merged.peakMemoryBytes,
      queueWaitSeconds: merged.queueWaitSeconds,
      source: merged.source,
      sampledAt: now,
      settled,
      ...(opts.placement ? { placement: JSON.stringify(opts.placement) } : {}),
      ...(opts.end && !rec.endedAt ? { endedAt: opts.end.at, spawnerState: opts.end.spawnerState } : {}),
    },
  });
  return settled;
}

/** Marks a run's figures final (the spawner has nothing more to say about it). */
export async function settleRun(db: Db, spawnId: string): Promise<void> {
  await db.usageRecord.updateMany({ where: { spawnId }, data: { settled: true } });
}

/** Records of ended runs whose figures may still change, oldest first (the worker settles them). */
export async function findUnsettledRuns(db: Db, limit = 50) {
  return db.usageRecord.findMany({ where: { settled: false, endedAt: { not: null } }, orderBy: { endedAt: "asc" }, take: limit });
}

/** Gives up on runs that ended before `cutoff`: their figures stay what they are. */
export async function settleStaleRuns(db: Db, cutoff: Date): Promise<number> {
  const r = await db.usageRecord.updateMany({ where: { settled: false, endedAt: { lt: cutoff } }, data: { settled: true } });
  return r.count;
}
