// The counts GET /hub/metrics reports, read from the database at scrape time (never per request):
// running servers, users, active users per JupyterHub period, singleton leases and live replicas.
import type { Db } from "../db/types";
import { ACTIVE_USER_PERIODS, type ActiveUserPeriod, type HubCounts } from "./metrics";

/** Reads the counts; `liveAfterSeconds`: a replica's heartbeat older than this is dead (hub.replicaLeaseSeconds). */
export async function readHubCounts(db: Db, opts: { now: Date; liveAfterSeconds: number }): Promise<HubCounts> {
  const ago = (seconds: number) => new Date(opts.now.getTime() - seconds * 1000);
  const periods = Object.entries(ACTIVE_USER_PERIODS) as [ActiveUserPeriod, number][];
  const [runningServers, totalUsers, active, leases, liveReplicas] = await Promise.all([
    db.server.count({ where: { state: "running" } }),
    db.user.count(),
    Promise.all(periods.map(([, seconds]) => db.user.count({ where: { lastActivity: { gte: ago(seconds) } } }))),
    db.lease.findMany({ where: { expiresAt: { gt: opts.now } }, select: { name: true, holder: true }, orderBy: { name: "asc" } }),
    db.hubReplica.count({ where: { heartbeatAt: { gte: ago(opts.liveAfterSeconds) } } }),
  ]);
  const activeUsers = Object.fromEntries(periods.map(([p], i) => [p, active[i]])) as Record<ActiveUserPeriod, number>;
  return { runningServers, totalUsers, activeUsers, leases, liveReplicas };
}
