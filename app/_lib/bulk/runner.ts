// Runs bulk jobs in the hub's background: claims a queued job (or one whose hub stopped
// refreshing its heartbeat a minute ago: it died), carries out its pending items a few at a time
// through the same domain functions the single-user actions use, and counts the results. Items
// are done at most once; a restarted hub picks up what is still pending.
import type { HubRuntime } from "@/app/_lib/runtime";
import { HttpError } from "@/app/_lib/http/errors";
import { revokeSessionsOf } from "@/app/_lib/auth/token-service";
import { addMembers, removeMembers } from "@/app/_lib/groups/groups";
import { requestStart, requestStop } from "@/app/_lib/servers/commands";
import { deleteUser } from "@/app/_lib/users/admin";
import { blockUser, unblockUser } from "@/app/_lib/users/block";
import { pushGroupAccess } from "@/app/_lib/auth/role-access";
import type { BulkAction } from "./actions";
import { readRows, readsOf } from "@/app/_lib/db/sql-reads";
import { buildJobToClaimQuery } from "./bulk-sql";
import { startPeriodic } from "@/app/_lib/hub/periodic";

/** A job whose heartbeat is older than this is taken over by another hub process. */
const STALE_CLAIM_MS = 60_000;
/** Items done at once. */
const CONCURRENCY = 4;
/** Items read per round. */
const BATCH = 40;
/** Old jobs are removed after this long… */
const KEEP_JOBS_MS = 30 * 86_400_000;
/** …by a look at most this often (the runner wakes every 5 s). */
const PURGE_EVERY_MS = 3_600_000;

type Rt = Pick<HubRuntime, "db" | "bus" | "proxy" | "log" | "config">;

/** The result of one item: done, nothing to do, failed, or "ask again later" (servers still stopping). */
type Outcome = { status: "ok" | "skipped" | "failed"; message: string } | { status: "wait"; message: string };

/** Carries out `action` for one user. Errors become a failed item with the error's message. */
async function runItem(rt: Rt, action: BulkAction, params: { group?: string }, userName: string, actor: string): Promise<Outcome> {
  const { db, proxy } = rt;
  const user = await db.user.findUnique({ where: { name: userName } });
  if (!user) return { status: "skipped", message: "no such user any more" };
  switch (action) {
    case "start": {
      const r = await requestStart(db, user.id, "", {});
      return r === "requested"
        ? { status: "ok", message: "start requested" }
        : { status: "skipped", message: r === "already-running" ? "already running" : "already starting" };
    }
    case "stop": {
      const active = await db.server.findMany({
        where: { userId: user.id, state: { in: ["pending", "starting", "running", "stopping"] } },
        select: { name: true },
      });
      if (!active.length) return { status: "skipped", message: "nothing running" };
      for (const s of active) await requestStop(db, user.id, s.name, { reason: `Stopped by ${actor} (bulk action).` });
      return { status: "ok", message: `stop requested for ${active.length} server${active.length === 1 ? "" : "s"}` };
    }
    case "revoke-sessions": {
      const n = await revokeSessionsOf(db, proxy, userName, new Date());
      return { status: n ? "ok" : "skipped", message: `${n} session${n === 1 ? "" : "s"} ended` };
    }
    case "add-to-group": {
      const n = await addMembers(db, params.group!, [userName]);
      // the group's shares and roles follow its members
      if (n) await pushGroupAccess(rt);
      return n ? { status: "ok", message: `added to ${params.group}` } : { status: "skipped", message: `already in ${params.group}` };
    }
    case "remove-from-group": {
      const n = await removeMembers(db, params.group!, [userName]);
      if (n) await pushGroupAccess(rt);
      return n ? { status: "ok", message: `removed from ${params.group}` } : { status: "skipped", message: `not in ${params.group}` };
    }
    case "block": {
      if (user.blockedAt) return { status: "skipped", message: "already blocked" };
      const { stopping } = await blockUser({ db, proxy, now: new Date() }, userName, actor);
      return { status: "ok", message: stopping ? `blocked; ${stopping} server${stopping === 1 ? "" : "s"} stopping` : "blocked" };
    }
    case "unblock": {
      if (!user.blockedAt) return { status: "skipped", message: "not blocked" };
      await unblockUser(db, userName);
      return { status: "ok", message: "unblocked" };
    }
    case "delete": {
      const r = await deleteUser(db, userName, actor);
      return r === "deleted" ? { status: "ok", message: "deleted" } : { status: "wait", message: "waiting for the user's servers to stop" };
    }
  }
}

/** The background loop; returns the function that stops it (it resolves when the run under way has ended). */
export function startBulkJobRunner(rt: Rt): () => Promise<void> {
  let closed = false;
  /** when jobs past KEEP_JOBS_MS were last removed (the first tick removes them) */
  let lastPurge = -Infinity;
  /** when an item first had to wait (servers stopping before a delete), by item id */
  const waitingSince = new Map<number, number>();

  const claim = async (): Promise<{ id: string; action: BulkAction; params: { group?: string }; createdBy: string } | null> => {
    const now = new Date();
    const staleBefore = new Date(now.getTime() - STALE_CLAIM_MS);
    // nearly always nothing: one statement on the driver says so before Prisma reads the jobs
    if (!(await readRows(rt.db, buildJobToClaimQuery(readsOf(rt.db).dialect, staleBefore))).length) return null;
    const candidates = await rt.db.bulkJob.findMany({
      where: { OR: [{ state: "queued" }, { state: "running", heartbeatAt: { lt: staleBefore } }] },
      orderBy: { createdAt: "asc" },
      take: 5,
    });
    for (const job of candidates) {
      // Conditional update: of two hub replicas only one wins the job.
      const won = await rt.db.bulkJob.updateMany({
        where: { id: job.id, state: job.state, heartbeatAt: job.heartbeatAt },
        data: { state: "running", heartbeatAt: now },
      });
      if (won.count === 1)
        return { id: job.id, action: job.action as BulkAction, params: JSON.parse(job.params) as { group?: string }, createdBy: job.createdBy };
    }
    return null;
  };

  const work = async (job: NonNullable<Awaited<ReturnType<typeof claim>>>): Promise<void> => {
    const waitLimitMs = (rt.config.hub.stopTimeoutSeconds + 60) * 1000;
    for (;;) {
      if (closed) return;
      const items = await rt.db.bulkJobItem.findMany({ where: { jobId: job.id, status: "pending" }, orderBy: { id: "asc" }, take: BATCH });
      if (!items.length) break;
      let progressed = false;
      for (let i = 0; i < items.length; i += CONCURRENCY) {
        await Promise.all(
          items.slice(i, i + CONCURRENCY).map(async (item) => {
            let outcome: Outcome;
            try {
              outcome = await runItem(rt, job.action, job.params, item.userName, job.createdBy);
            } catch (err) {
              if (!(err instanceof HttpError)) rt.log.error({ err, job: job.id, user: item.userName }, "bulk action item failed");
              outcome = { status: "failed", message: err instanceof HttpError ? err.message : "internal error; the hub's log has the details" };
            }
            if (outcome.status === "wait") {
              const since = waitingSince.get(item.id) ?? Date.now();
              waitingSince.set(item.id, since);
              if (Date.now() - since < waitLimitMs) {
                if (item.message !== outcome.message) await rt.db.bulkJobItem.update({ where: { id: item.id }, data: { message: outcome.message } });
                return;
              }
              outcome = { status: "failed", message: "the user's servers did not stop in time; try again" };
            }
            waitingSince.delete(item.id);
            progressed = true;
            await rt.db.bulkJobItem.update({ where: { id: item.id }, data: { status: outcome.status, message: outcome.message } });
            await rt.db.bulkJob.update({
              where: { id: job.id },
              data: outcome.status === "failed" ? { failed: { increment: 1 } } : { succeeded: { increment: 1 } },
            });
          }),
        );
        await rt.db.bulkJob.update({ where: { id: job.id }, data: { heartbeatAt: new Date() } });
      }
      // Only items that wait are left in this round: give their servers a moment to stop.
      if (!progressed) await new Promise((r) => setTimeout(r, 1000));
    }
    await rt.db.bulkJob.update({ where: { id: job.id }, data: { state: "done", finishedAt: new Date() } });
    rt.log.info({ job: job.id, action: job.action }, "bulk action done");
  };

  const tick = async (): Promise<void> => {
    for (let job = await claim(); job && !closed; job = await claim()) await work(job);
    if (Date.now() - lastPurge >= PURGE_EVERY_MS) {
      lastPurge = Date.now();
      await rt.db.bulkJob.deleteMany({ where: { state: "done", createdAt: { lt: new Date(Date.now() - KEEP_JOBS_MS) } } });
    }
  };
  // The timer finds jobs created through another hub replica, and claims left by a dead one.
  const task = startPeriodic({ run: tick, everyMs: 5000, immediately: true, onError: (err) => rt.log.error({ err }, "bulk job runner failed") });
  const wake = () => task.wake();
  rt.bus.on("bulk", wake);
  return async () => {
    closed = true;
    rt.bus.off("bulk", wake);
    await task.stop();
  };
}
