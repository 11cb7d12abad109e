// Applies an activity report (activity-report.ts) to a user and their servers: only moves times
// forward, as JupyterHub does; a server the user does not have is a 400 and nothing is written.
import type { Db } from "../db/types";
import { HttpError } from "../http/errors";
import { getUserOrThrow } from "./queries";
import type { ActivityReport } from "./activity-report";

export async function applyActivityReport(db: Db, name: string, report: ActivityReport): Promise<void> {
  const user = await getUserOrThrow(db, name);
  const names = [...report.servers.keys()];
  const known = new Set((await db.server.findMany({ where: { userId: user.id, name: { in: names } }, select: { name: true } })).map((s) => s.name));
  const unknown = names.find((n) => !known.has(n));
  if (unknown !== undefined) throw new HttpError(400, `No such server '${unknown.slice(0, 64)}' for user ${user.name}`);
  for (const [server, at] of report.servers) {
    await db.server.updateMany({
      where: { userId: user.id, name: server, OR: [{ lastActivity: null }, { lastActivity: { lt: at } }] },
      data: { lastActivity: at },
    });
  }
  if (report.user)
    await db.user.updateMany({
      where: { id: user.id, OR: [{ lastActivity: null }, { lastActivity: { lt: report.user } }] },
      data: { lastActivity: report.user },
    });
}
