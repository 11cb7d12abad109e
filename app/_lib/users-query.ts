// Reading users with their servers, in JupyterHub's JSON shape.
import type { Db } from "./db/types";
import { toUserModel } from "./servers/models";
import type { UserModel } from "./models";
import { HttpError } from "./http/errors";

const include = { servers: true, groups: { include: { group: true } } } as const;

export async function getUserModel(db: Db, name: string, allServers = false): Promise<UserModel> {
  const u = await db.user.findUnique({ where: { name }, include });
  if (!u) throw new HttpError(404, `No such user: ${name}`);
  return toUserModel(u, allServers);
}

export type UserStateFilter = "ready" | "active" | "inactive" | undefined;

export async function listUserModels(db: Db, opts: { state?: UserStateFilter; offset?: number; limit?: number; allServers?: boolean } = {}) {
  const where =
    opts.state === "ready" ? { servers: { some: { state: "running" } } }
    : opts.state === "active" ? { servers: { some: { state: { in: ["pending", "starting", "running", "stopping"] } } } }
    : opts.state === "inactive" ? { servers: { none: { state: { in: ["pending", "starting", "running", "stopping"] } } } }
    : {};
  const [total, rows] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({ where, include, orderBy: { name: "asc" }, skip: opts.offset ?? 0, take: opts.limit ?? 200 }),
  ]);
  return { total, items: rows.map((u) => toUserModel(u, opts.allServers)) };
}
