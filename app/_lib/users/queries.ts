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
import { listingKey, type UserListCache } from "./list-cache";
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
 * A date column as raw SQL returns it — ISO text (what SQLite stored, "+00:00" or "Z"; what
 * PostgreSQL's `to_char` wrote, user-model-sql.ts), epoch milliseconds, a Date — as an instant for
 * the user models. The text becomes the JSON's "…Z" text directly: no Date per value (Next
 * replaces the global Date with a wrapper whose constructor was 4–5% of the users list's CPU,
 * bench/README.md phases 3h, 3x).
 */
export function asInstant(value: unknown): Instant | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === "string" && STORED_UTC.test(value)) return value.endsWith("Z") ? value : `${value.slice(0, 23)}Z`;
  return new Date(value as string | number);
}

type UserSqlRow = { id: number | bigint; name: string; admin: boolean | number | bigint; createdAt: unknown; lastActivity: unknown };
type ServerSqlRow = Omit<ServerRow, "startedAt" | "lastActivity"> & { userId: number | bigint; startedAt: unknown; lastActivity: unknown };

/** A user's servers and groups when they have none (never written to: rows share them). */
const NO_SERVERS: ServerRow[] = [];
const NO_GROUPS: { group: { name: string } }[] = [];

/**
 * Users' rows as toUserModel takes them: their servers and group names read in two statements for
 * all of them. One object per user; a user with no server or group shares the empty lists.
 */
async function userRowsOf(db: Db, dialect: SqlDialect, users: UserSqlRow[], allServers: boolean): Promise<UserRow[]> {
  if (!users.length) return [];
  const userIds = users.map((u) => Number(u.id));
  const servers = buildServersQuery({ dialect, userIds, allServers });
  const groups = buildGroupsQuery({ dialect, userIds });
  const [serverRows, groupRows] = await Promise.all([readRows<ServerSqlRow>(db, servers), readRows<{ userId: number | bigint; name: string }>(db, groups)]);
  const serversOf = new Map<number, ServerRow[]>();
  const groupsOf = new Map<number, { group: { name: string } }[]>();
  for (const s of serverRows) {
    const id = Number(s.userId);
    const list = serversOf.get(id) ?? serversOf.set(id, []).get(id)!;
    list.push({ ...s, startedAt: asInstant(s.startedAt), lastActivity: asInstant(s.lastActivity) });
  }
  for (const g of groupRows) {
    const id = Number(g.userId);
    const list = groupsOf.get(id) ?? groupsOf.set(id, []).get(id)!;
    list.push({ group: { name: g.name } });
  }
  const rows = new Array<UserRow>(users.length);
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    const id = userIds[i];
    rows[i] = {
      name: u.name,
      admin: u.admin === true || Number(u.admin) === 1,
      createdAt: asInstant(u.createdAt)!,
      lastActivity: asInstant(u.lastActivity),
      servers: serversOf.get(id) ?? NO_SERVERS,
      groups: groupsOf.get(id) ?? NO_GROUPS,
    };
  }
  return rows;
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
  // the page's columns in userColumns' order (user-model-sql.ts), then the total (arrays: no object per row from the driver)
  const arrays = await readArrays(db, page);
  const rows = new Array<UserSqlRow>(arrays.length);
  for (let i = 0; i < arrays.length; i++) {
    const r = arrays[i];
    rows[i] = { id: r[0] as number | bigint, name: r[1] as string, admin: r[2] as boolean | number, createdAt: r[3], lastActivity: r[4] };
  }
  let total = arrays.length ? Number(arrays[0][5]) : 0;
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
  const { total, texts } = await listUserTexts(db, dialect, roles, opts);
  return { total, items: `[${texts.join(",")}]` };
}

/** listUsersJson's page as each user's text. */
async function listUserTexts(db: Db, dialect: SqlDialect, roles: readonly RoleConfig[], opts: UserListOptions): Promise<{ total: number; texts: string[] }> {
  const { total, rows } = await userPage(db, dialect, opts);
  const users = await userRowsOf(db, dialect, rows, !!opts.allServers);
  const texts = new Array<string>(users.length);
  for (let i = 0; i < users.length; i++) texts[i] = userJsonText(users[i], roles, opts);
  return { total, texts };
}

/**
 * listUsersJson's answer through `cache`, keyed by the database's version (SqlReads.dataVersion)
 * read before the page's statements. `cache` must belong to one database and one set of
 * `roles` and model options (publicUrl, origins, describe: the hub's config, fixed for its
 * life). Where the list is limited to some users (`only`), the page is computed every time. A
 * computed page is kept only when the version read after its statements is the one read before:
 * nothing was committed meanwhile, so every statement saw that version's state (a page that
 * straddled a commit is still this request's answer, as without the cache, but is never served to
 * another).
 */
export async function listUsersJsonCached(
  db: Db,
  dialect: SqlDialect,
  roles: readonly RoleConfig[],
  opts: UserListOptions & { sort: UserSort },
  cache: UserListCache,
): Promise<{ total: number; items: string }> {
  if (opts.only) return listUsersJson(db, dialect, roles, opts);
  const reads = readsOf(db);
  const version = await reads.dataVersion();
  const offset = opts.offset ?? 0;
  const limit = opts.limit ?? 200;
  const key = listingKey({ state: opts.state, sort: opts.sort, allServers: !!opts.allServers });
  const hit = cache.page(version, key, offset, limit);
  if (hit) return hit;
  const { total, texts } = await listUserTexts(db, dialect, roles, { ...opts, offset, limit });
  if ((await reads.dataVersion()) === version) cache.store(version, key, offset, texts, total);
  return { total, items: `[${texts.join(",")}]` };
}
