// Each user's server hours over the last 30 days, kept in User.recentServerSeconds so the users
// view sorts by usage with an index instead of adding up usage records for 50,000 users per page.
// Recomputed every usage.rollupSeconds; only users whose figure changed are written.
import type { HubRuntime } from "@/app/_lib/runtime";
import { overlapSeconds, USAGE_WINDOW_DAYS } from "@/app/_lib/users/users-view";
import type { HubReplica } from "@/app/_lib/replicas/replica";
import { startPeriodic } from "@/app/_lib/hub/periodic";

/** Recomputes User.recentServerSeconds; returns how many users changed. */
export async function rollUpRecentUsage(rt: Pick<HubRuntime, "db" | "dbProvider">, now: Date): Promise<number> {
  const { db, dbProvider } = rt;
  const since = new Date(now.getTime() - USAGE_WINDOW_DAYS * 86_400_000);
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return dbProvider === "postgres" ? `$${params.length}` : "?";
  };
  const overlap = overlapSeconds(dbProvider, p, since, now);
  const sql = `SELECT "userId" AS "id", SUM(${overlap}) AS "seconds" FROM "UsageRecord" WHERE "startedAt" < ${p(now)} AND ("endedAt" IS NULL OR "endedAt" > ${p(since)}) GROUP BY "userId"`;
  const fresh = new Map(
    (await db.$queryRawUnsafe<{ id: number | bigint; seconds: number | string | null }[]>(sql, ...params)).map((r) => [
      Number(r.id),
      Math.round(Number(r.seconds ?? 0)),
    ]),
  );
  const stored = await db.user.findMany({ where: { recentServerSeconds: { gt: 0 } }, select: { id: true, recentServerSeconds: true } });
  const changes = new Map<number, number>();
  for (const u of stored) if (!fresh.has(u.id)) changes.set(u.id, 0);
  const storedById = new Map(stored.map((u) => [u.id, u.recentServerSeconds]));
  for (const [id, seconds] of fresh) if ((storedById.get(id) ?? 0) !== seconds) changes.set(id, seconds);
  const list = [...changes];
  for (let i = 0; i < list.length; i += 500) {
    await db.$transaction(list.slice(i, i + 500).map(([id, seconds]) => db.user.updateMany({ where: { id }, data: { recentServerSeconds: seconds } })));
  }
  return list.length;
}

/**
 * Runs the rollup now and every usage.rollupSeconds on the one hub replica that holds the
 * "usage-rollup" lease; returns the function that stops it.
 */
export function startUsageRollup(rt: Pick<HubRuntime, "db" | "dbProvider" | "config" | "log">, replica: Pick<HubReplica, "holds">): () => Promise<void> {
  const task = startPeriodic({
    run: async () => {
      if (replica.holds("usage-rollup")) await rollUpRecentUsage(rt, new Date());
    },
    everyMs: rt.config.usage.rollupSeconds * 1000,
    immediately: true,
    onError: (err) => rt.log.error({ err }, "usage rollup failed"),
  });
  return () => task.stop();
}
