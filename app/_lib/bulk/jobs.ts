// Bulk jobs in the database: created from an admin's request (the users resolved once, then
// stored as items), read back with their progress and per-user results. The background runner
// (runner.ts) does the work, so a request for 5,000 users returns at once.
import { randomBytes } from "node:crypto";
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import type { HubRuntime } from "@/app/_lib/runtime";
import { getGroup } from "@/app/_lib/groups/groups";
import { buildMatchingQuery, usersViewSchema } from "@/app/_lib/users/users-view";
import { BULK_ACTIONS, type BulkAction, type BulkRequest, type ItemStatus } from "./actions";

/** A bulk job as the control panel shows it. */
export interface BulkJobView {
  id: string;
  action: BulkAction;
  label: string;
  group: string | null;
  createdBy: string;
  createdAt: string;
  state: "queued" | "running" | "done";
  total: number;
  succeeded: number;
  failed: number;
  finishedAt: string | null;
  /** per-user results: failures first, then the rest in name order (at most `itemsLimit`) */
  items: { user: string; status: ItemStatus; message: string | null }[];
}

/** Resolves the request's users and stores the job; the runner is woken through the bus. */
export async function createBulkJob(rt: Pick<HubRuntime, "db" | "dbProvider" | "bus">, actor: string, req: BulkRequest): Promise<BulkJobView> {
  const { db } = rt;
  if (req.group) {
    const g = await getGroup(db, req.group);
    if (g.source === "github" && BULK_ACTIONS[req.action].needsGroup) {
      throw new HttpError(400, `${g.name} is a GitHub team: its members come from GitHub and are set again at each member's login.`);
    }
  }
  let names: string[];
  if (req.users) {
    names = [...new Set(req.users)];
    const found = new Set((await db.user.findMany({ where: { name: { in: names } }, select: { name: true } })).map((u) => u.name));
    const missing = names.filter((n) => !found.has(n));
    if (missing.length) throw new HttpError(404, `No such user${missing.length === 1 ? "" : "s"}: ${missing.slice(0, 10).join(", ")}`);
  } else {
    const view = usersViewSchema.parse(req.filter ?? {});
    const groupId = view.group === undefined ? undefined : ((await db.group.findUnique({ where: { name: view.group }, select: { id: true } }))?.id ?? null);
    const q = buildMatchingQuery({ view, dialect: rt.dbProvider, groupId });
    names = (await db.$queryRawUnsafe<{ name: string }[]>(q.sql, ...q.params)).map((r) => r.name);
    if (names.length !== req.expectedCount) {
      throw new HttpError(
        409,
        `The filter now matches ${names.length} user${names.length === 1 ? "" : "s"}, not ${req.expectedCount}: look at the list again and confirm.`,
      );
    }
  }
  if (!names.length) throw new HttpError(400, "No users to act on.");
  const id = randomBytes(12).toString("base64url");
  await db.bulkJob.create({
    data: { id, action: req.action, params: JSON.stringify(req.group ? { group: req.group } : {}), createdBy: actor, total: names.length },
  });
  for (let i = 0; i < names.length; i += 2000) {
    await db.bulkJobItem.createMany({ data: names.slice(i, i + 2000).map((userName) => ({ jobId: id, userName })) });
  }
  rt.bus.emit("bulk");
  return getBulkJob(db, id);
}

type JobRow = NonNullable<Awaited<ReturnType<Db["bulkJob"]["findUnique"]>>>;

function toView(job: JobRow, items: BulkJobView["items"]): BulkJobView {
  const params = JSON.parse(job.params) as { group?: string };
  const action = job.action as BulkAction;
  return {
    id: job.id,
    action,
    label: BULK_ACTIONS[action]?.label ?? job.action,
    group: params.group ?? null,
    createdBy: job.createdBy,
    createdAt: job.createdAt.toISOString(),
    state: job.state as BulkJobView["state"],
    total: job.total,
    succeeded: job.succeeded,
    failed: job.failed,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    items,
  };
}

/** A job with up to `itemsLimit` results (failures first); 404 when there is none. */
export async function getBulkJob(db: Db, id: string, itemsLimit = 200): Promise<BulkJobView> {
  const job = await db.bulkJob.findUnique({ where: { id } });
  if (!job) throw new HttpError(404, `No such bulk action: ${id.slice(0, 40)}`);
  const failed = await db.bulkJobItem.findMany({ where: { jobId: id, status: "failed" }, orderBy: { userName: "asc" }, take: itemsLimit });
  const rest =
    failed.length < itemsLimit
      ? await db.bulkJobItem.findMany({ where: { jobId: id, status: { not: "failed" } }, orderBy: { userName: "asc" }, take: itemsLimit - failed.length })
      : [];
  const items = [...failed, ...rest].map((i) => ({ user: i.userName, status: i.status as ItemStatus, message: i.message }));
  return toView(job, items);
}

/** The most recent jobs (without items), newest first. */
export async function listBulkJobs(db: Db, limit = 10): Promise<BulkJobView[]> {
  const jobs = await db.bulkJob.findMany({ orderBy: { createdAt: "desc" }, take: limit });
  return jobs.map((j) => toView(j, []));
}
