// Reading users: one user (404 when unknown), a user with their groups (what spawners and spawn
// forms need), and users with their servers in JupyterHub's JSON shape.
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import type { UserModel } from "@/app/_lib/models";
import type { UserSort } from "@/app/_lib/http/list-query";
import type { Instant, ServerRow } from "@/app/_lib/servers/models";
import { readArrays, readRows, readsOf } from "@/app/_lib/db/sql-reads";
import { toUserModel, userJsonText, type UserModelOptions, type UserRow } from "./models";
import type { RoleConfig } from "@/config/roles-section";
import type { SqlDialect } from "./users-view";
import {
  buildGroupsQuery,
  buildServersQuery,
  buildUserByNameQuery,
  buildUserWithGroupsQuery,
  buildUserCountQuery,
  buildUserPageQuery,
  type UserListLimit,
  type UserStateFilter,
} from "./user-model-sql";

export type { UserStateFilter } from "./user-model-sql";

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
  // one statement on the driver: every start reads it twice (the request's check, the spawner's context)
  const rows = await readRows<{ id: number | bigint; name: string; admin: unknown; osUser: string | null; blockedAt: unknown; groupName: string | null }>(
    db,
    buildUserWithGroupsQuery({ dialect: readsOf(db).dialect, where }),
  );
  if (!rows.length) return null;
  const u = rows[0];
  return {
    id: Number(u.id),
    name: u.name,
    admin: u.admin === true || Number(u.admin) === 1,
    osUser: u.osUser,
    blocked: u.blockedAt !== null && u.blockedAt !== undefined,
    groups: rows.flatMap((r) => (r.groupName === null ? [] : [r.groupName])),
  };
}

const withServers = { servers: true, groups: { include: { group: true } } } as const;

export async function getUserModel(db: Db, name: string, opts: UserModelOptions = {}): Promise<UserModel> {
  const u = await db.user.findUnique({ where: { name }, include: withServers });
  if (!u) throw new HttpError(404, `No such user: ${name}`);
  return toUserModel(u, opts);
}

/** How Prisma's SQLite adapter stores a DateTime: ISO text in UTC with milliseconds, "+00:00" for the zone. */
const STORED_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:Z|\+00:00)$/;

/**
 * A date column as raw SQL returns it — a Date (PostgreSQL), or what SQLite stored (ISO text,
 * epoch milliseconds) — as an instant for the user models. The text Prisma stores becomes the
 * JSON's "…Z" text directly: no Date per value (Next replaces the global Date with a wrapper whose
 * constructor was 4–5% of the users list's CPU, bench/README.md phase 3h).
 */
export function asInstant(value: unknown): Instant | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === "string" && STORED_UTC.test(value)) return value.endsWith("Z") ? value : `${value.slice(0, 23)}Z`;
  return new Date(value as string | number);
}

type UserSqlRow = { id: number | bigint; name: string; admin: boolean | number | bigint; createdAt: unknown; lastActivity: unknown; total?: number | bigint };
type ServerSqlRow = Omit<ServerRow, "startedAt" | "lastActivity"> & { userId: number | bigint; startedAt: unknown; lastActivity: unknown };

/** Users' rows as toUserModel takes them: their servers and group names read in two statements for all of them. */
async function userRowsOf(db: Db, dialect: SqlDialect, users: UserSqlRow[], allServers: boolean): Promise<UserRow[]> {
  if (!users.length) return [];
  const userIds = users.map((u) => Number(u.id));
  const servers = buildServersQuery({ dialect, userIds, allServers });
  const groups = buildGroupsQuery({ dialect, userIds });
  const [serverRows, groupRows] = await Promise.all([readRows<ServerSqlRow>(db, servers), readRows<{ userId: number | bigint; name: string }>(db, groups)]);
  const byUser = new Map<number, { servers: ServerRow[]; groups: { group: { name: string } }[] }>(userIds.map((id) => [id, { servers: [], groups: [] }]));
  for (const s of serverRows) byUser.get(Number(s.userId))?.servers.push({ ...s, startedAt: asInstant(s.startedAt), lastActivity: asInstant(s.lastActivity) });
  for (const g of groupRows) byUser.get(Number(g.userId))?.groups.push({ group: { name: g.name } });
  return users.map((u) => ({
    name: u.name,
    admin: u.admin === true || Number(u.admin) === 1,
    createdAt: asInstant(u.createdAt)!,
    lastActivity: asInstant(u.lastActivity),
    ...byUser.get(Number(u.id))!,
  }));
}

/** Users' models from their rows. */
async function modelsOf(db: Db, dialect: SqlDialect, users: UserSqlRow[], opts: UserModelOptions): Promise<UserModel[]> {
  return (await userRowsOf(db, dialect, users, !!opts.allServers)).map((row) => toUserModel(row, opts));
}

/**
 * One user's model in three small SQL statements on the database driver (the REST API's hot path; getUserModel builds
 * the same JSON through Prisma for the admin's write answers). 404 when there is no such user.
 */
export async function readUserModel(db: Db, dialect: SqlDialect, name: string, opts: UserModelOptions = {}): Promise<UserModel> {
  const q = buildUserByNameQuery({ dialect, name });
  const rows = await readRows<UserSqlRow>(db, q);
  if (!rows.length) throw new HttpError(404, `No such user: ${name}`);
  return (await modelsOf(db, dialect, rows, opts))[0];
}

type UserListOptions = UserModelOptions & { state?: UserStateFilter; offset?: number; limit?: number; sort?: UserSort; only?: UserListLimit };

/** One page's user rows and the total the filter matches. */
async function userPage(db: Db, dialect: SqlDialect, opts: UserListOptions): Promise<{ total: number; rows: UserSqlRow[] }> {
  const offset = opts.offset ?? 0;
  const page = buildUserPageQuery({ dialect, state: opts.state, sort: opts.sort, offset, limit: opts.limit ?? 200, only: opts.only });
  // the page's columns in USER_COLUMNS' order, then the total (arrays: no object per row from the driver)
  const rows: UserSqlRow[] = (await readArrays(db, page)).map((r) => ({
    id: r[0] as number | bigint,
    name: r[1] as string,
    admin: r[2] as boolean | number,
    createdAt: r[3],
    lastActivity: r[4],
    total: r[5] as number | bigint,
  }));
  let total = rows.length ? Number(rows[0].total) : 0;
  if (!rows.length && offset > 0) {
    const count = buildUserCountQuery({ dialect, state: opts.state, only: opts.only });
    total = Number((await readRows<{ total: number | bigint }>(db, count))[0].total);
  }
  return { total, rows };
}

/**
 * One page of users with their servers. `state` is JupyterHub's filter: "ready" users with a
 * running server, "active" with a server running or on its way, "inactive" with neither. The
 * page carries the total (a scalar subquery); only a page past the end counts separately.
 */
export async function listUserModels(db: Db, dialect: SqlDialect, opts: UserListOptions = {}): Promise<{ total: number; items: UserModel[] }> {
  const { total, rows } = await userPage(db, dialect, opts);
  return { total, items: await modelsOf(db, dialect, rows, opts) };
}

/**
 * The same page as a JSON array's text, each user as withUserRoles(model, roles) shows them to a
 * caller who sees everything ("inherit"): the same bytes as JSON.stringify of those models, written
 * without building them (userJsonText).
 */
export async function listUsersJson(
  db: Db,
  dialect: SqlDialect,
  roles: readonly RoleConfig[],
  opts: UserListOptions = {},
): Promise<{ total: number; items: string }> {
  const { total, rows } = await userPage(db, dialect, opts);
  const users = await userRowsOf(db, dialect, rows, !!opts.allServers);
  let text = "[";
  for (let i = 0; i < users.length; i++) text += (i ? "," : "") + userJsonText(users[i], roles, opts);
  return { total, items: text + "]" };
}
