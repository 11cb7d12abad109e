// Reading usage records for the usage pages and the CSV export: the runs that overlap a period,
// with their user's name. The totals, the series and the CSV are aggregate.ts (pure).
import type { Db } from "@/app/_lib/db/types";
import type { Period, UsageRow } from "./aggregate";

/** Runs that overlap the period, of one user or of everyone (of one group's members). */
export async function readUsageRows(db: Db, p: Period, opts: { userId?: number; groupId?: number } = {}): Promise<UsageRow[]> {
  const rows = await db.usageRecord.findMany({
    where: {
      startedAt: { lt: p.to },
      OR: [{ endedAt: null }, { endedAt: { gte: p.from } }],
      ...(opts.userId !== undefined ? { userId: opts.userId } : {}),
      ...(opts.groupId !== undefined ? { user: { groups: { some: { groupId: opts.groupId } } } } : {}),
    },
    include: { user: { select: { name: true } } },
    orderBy: { startedAt: "asc" },
  });
  return rows.map((r) => ({
    userName: r.user.name,
    serverName: r.serverName,
    spawnerKind: r.spawnerKind,
    profile: r.profile,
    placement: r.placement,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    cpuSeconds: r.cpuSeconds,
    peakMemoryBytes: r.peakMemoryBytes,
    queueWaitSeconds: r.queueWaitSeconds,
    source: r.source,
    settled: r.settled,
  }));
}
