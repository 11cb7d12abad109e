// Reading users: one user (404 when unknown), a user with their groups (what spawners and spawn
// forms need), and users with their servers in JupyterHub's JSON shape.
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import type { UserModel } from "@/app/_lib/models";
import type { DescribeServer } from "@/app/_lib/servers/details";
import { toUserModel } from "./models";

export async function getUserOrThrow(db: Db, name: string) {
  const user = await db.user.findUnique({ where: { name } });
  if (!user) throw new HttpError(404, `No such user: ${name}`);
  return user;
}

/** A user with the names of their groups. */
export interface UserWithGroups {
  id: number;
  name: string;
  admin: boolean;
  /** the OS account stored for this user (null: from hub.osUserTemplate / hub.osUserMapFile) */
  osUser: string | null;
  groups: string[];
}

/** The user with their groups, by id or name; null when there is no such user. */
export async function findUserWithGroups(db: Db, where: { id: number } | { name: string }): Promise<UserWithGroups | null> {
  const u = await db.user.findUnique({ where, include: { groups: { include: { group: true } } } });
  return u && { id: u.id, name: u.name, admin: u.admin, osUser: u.osUser, groups: u.groups.map((g) => g.group.name) };
}

const withServers = { servers: true, groups: { include: { group: true } } } as const;

export async function getUserModel(db: Db, name: string, allServers = false, describe?: DescribeServer): Promise<UserModel> {
  const u = await db.user.findUnique({ where: { name }, include: withServers });
  if (!u) throw new HttpError(404, `No such user: ${name}`);
  return toUserModel(u, allServers, describe);
}

export type UserStateFilter = "ready" | "active" | "inactive" | undefined;

export async function listUserModels(
  db: Db,
  opts: { state?: UserStateFilter; offset?: number; limit?: number; allServers?: boolean; describe?: DescribeServer } = {},
) {
  const where =
    opts.state === "ready"
      ? { servers: { some: { state: "running" } } }
      : opts.state === "active"
        ? { servers: { some: { state: { in: ["pending", "starting", "running", "stopping"] } } } }
        : opts.state === "inactive"
          ? { servers: { none: { state: { in: ["pending", "starting", "running", "stopping"] } } } }
          : {};
  const [total, rows] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({ where, include: withServers, orderBy: { name: "asc" }, skip: opts.offset ?? 0, take: opts.limit ?? 200 }),
  ]);
  return { total, items: rows.map((u) => toUserModel(u, opts.allServers, opts.describe)) };
}
