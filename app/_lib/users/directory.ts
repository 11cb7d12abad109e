// The users view's data: one page of users in the view's order (users-view.ts builds the SQL),
// each with their servers and groups, and the number of all matches. Read with plain SQL: three
// small indexed queries per page, whatever the size of the hub.
import type { Db } from "@/app/_lib/db/types";
import type { HubRuntime } from "@/app/_lib/runtime";
import { buildUsersQuery, type SqlDialect, type UsersView } from "./users-view";

/** One server as the users view shows it. */
export interface DirectoryServer {
  name: string;
  state: string;
  profile: string | null;
  startedAt: Date | null;
  lastActivity: Date | null;
  message: string | null;
}

/** One row of the users view. */
export interface DirectoryUser {
  id: number;
  name: string;
  admin: boolean;
  blocked: boolean;
  authSource: string;
  lastActivity: Date | null;
  groups: string[];
  /** every server the user has, the default ("") first */
  servers: DirectoryServer[];
  /** server hours over the last 30 days (User.recentServerSeconds) */
  recentServerHours: number;
}

export interface DirectoryPage {
  users: DirectoryUser[];
  /** all users matching the view's filters */
  total: number;
  /** the view's group does not exist (the page then says so instead of "no users") */
  unknownGroup: boolean;
}

/** Reads one page of the users view. */
export async function readUsersPage(rt: Pick<HubRuntime, "db" | "dbProvider">, view: UsersView): Promise<DirectoryPage> {
  const { db, dbProvider } = rt;
  const groupId = view.group === undefined ? undefined : ((await db.group.findUnique({ where: { name: view.group }, select: { id: true } }))?.id ?? null);
  const { page, count } = buildUsersQuery({ view, dialect: dbProvider, groupId });
  const [ids, counted] = await Promise.all([
    db.$queryRawUnsafe<{ id: number | bigint }[]>(page.sql, ...page.params),
    db.$queryRawUnsafe<{ n: number | bigint }[]>(count.sql, ...count.params),
  ]);
  const users = await loadDirectoryUsers(
    db,
    dbProvider,
    ids.map((r) => Number(r.id)),
  );
  return { users, total: Number(counted[0]?.n ?? 0), unknownGroup: groupId === null };
}

/** The rows of these users, in this order (users deleted meanwhile are left out). */
export async function loadDirectoryUsers(db: Db, dialect: SqlDialect, ids: number[]): Promise<DirectoryUser[]> {
  if (!ids.length) return [];
  const list = ids.map((_, i) => (dialect === "postgres" ? `$${i + 1}` : "?")).join(", ");
  type UserRow = Omit<DirectoryUser, "groups" | "servers" | "blocked" | "recentServerHours"> & { blockedAt: Date | null; recentServerSeconds: number };
  const [users, servers, groups] = await Promise.all([
    db.$queryRawUnsafe<UserRow[]>(
      `SELECT "id", "name", "admin", "blockedAt", "authSource", "lastActivity", "recentServerSeconds" FROM "User" WHERE "id" IN (${list})`,
      ...ids,
    ),
    db.$queryRawUnsafe<(DirectoryServer & { userId: number })[]>(
      `SELECT "userId", "name", "state", "profile", "startedAt", "lastActivity", "message" FROM "Server" WHERE "userId" IN (${list}) ORDER BY "name"`,
      ...ids,
    ),
    db.$queryRawUnsafe<{ userId: number; name: string }[]>(
      `SELECT m."userId", g."name" FROM "GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE m."userId" IN (${list}) ORDER BY g."name"`,
      ...ids,
    ),
  ]);
  const byId = new Map(users.map((u) => [Number(u.id), u]));
  const serversOf = groupBy(servers, (s) => Number(s.userId));
  const groupsOf = groupBy(groups, (g) => Number(g.userId));
  return ids.flatMap((id) => {
    const u = byId.get(id);
    if (!u) return [];
    return [
      {
        id,
        name: u.name,
        // SQLite hands booleans back as 0/1 in raw queries
        admin: Boolean(u.admin),
        blocked: u.blockedAt !== null,
        authSource: u.authSource,
        lastActivity: u.lastActivity,
        groups: (groupsOf.get(id) ?? []).map((g) => g.name),
        servers: (serversOf.get(id) ?? []).map(({ userId: _, ...s }) => s),
        recentServerHours: Number(u.recentServerSeconds) / 3600,
      },
    ];
  });
}

function groupBy<T>(rows: T[], key: (row: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}
