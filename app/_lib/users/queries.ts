// Reading users: one user (404 when unknown), a user with their groups (what spawners and spawn
// forms need), and users with their servers in JupyterHub's JSON shape.
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import type { UserModel } from "@/app/_lib/models";
import { ACTIVE_STATES } from "@/app/_lib/servers/models";
import type { UserSort } from "@/app/_lib/http/list-query";
import { toUserModel, type UserModelOptions } from "./models";

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
  /** an admin blocked the account (no login, no servers) */
  blocked: boolean;
  groups: string[];
}

/** The user with their groups, by id or name; null when there is no such user. */
export async function findUserWithGroups(db: Db, where: { id: number } | { name: string }): Promise<UserWithGroups | null> {
  const u = await db.user.findUnique({ where, include: { groups: { include: { group: true } } } });
  return u && { id: u.id, name: u.name, admin: u.admin, osUser: u.osUser, blocked: u.blockedAt !== null, groups: u.groups.map((g) => g.group.name) };
}

const withServers = { servers: true, groups: { include: { group: true } } } as const;

export async function getUserModel(db: Db, name: string, opts: UserModelOptions = {}): Promise<UserModel> {
  const u = await db.user.findUnique({ where: { name }, include: withServers });
  if (!u) throw new HttpError(404, `No such user: ${name}`);
  return toUserModel(u, opts);
}

export type UserStateFilter = "ready" | "active" | "inactive" | undefined;

/** By name unless asked otherwise; never-active users last when sorting by activity; id breaks ties. */
function orderOf(sort: UserSort | undefined) {
  if (!sort) return [{ name: "asc" as const }];
  const dir = sort.descending ? ("desc" as const) : ("asc" as const);
  if (sort.field === "last_activity") return [{ lastActivity: { sort: dir, nulls: "last" as const } }, { id: "asc" as const }];
  return sort.field === "name" ? [{ name: dir }] : [{ id: dir }];
}

/**
 * One page of users (by name) with their servers. `state` is JupyterHub's filter: "ready" users
 * with a running server, "active" with a server running or on its way, "inactive" with neither.
 */
export async function listUserModels(db: Db, opts: UserModelOptions & { state?: UserStateFilter; offset?: number; limit?: number; sort?: UserSort } = {}) {
  const active = { state: { in: [...ACTIVE_STATES] } };
  const where =
    opts.state === "ready"
      ? { servers: { some: { state: "running" } } }
      : opts.state === "active"
        ? { servers: { some: active } }
        : opts.state === "inactive"
          ? { servers: { none: active } }
          : {};
  const [total, rows] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({ where, include: withServers, orderBy: orderOf(opts.sort), skip: opts.offset ?? 0, take: opts.limit ?? 200 }),
  ]);
  return { total, items: rows.map((u) => toUserModel(u, opts)) };
}
