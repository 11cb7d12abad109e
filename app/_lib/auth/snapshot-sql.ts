// The SQL of the proxies' auth snapshot (GET /hub/api/proxy/auth, every proxy.authSyncSeconds —
// 2 s by default — from every proxy) and of the share map pushed after a change: the admins, the
// revoked sessions that have not expired, and every share with its server's owner and, for a
// group share, the group's members. Through Prisma these were seven statements per snapshot, each
// compiled by its WebAssembly query compiler: most of an idle hub's CPU (bench/README.md, phase
// 3y). Each statement reads what the Prisma call it replaces read (snapshot-sql.int.test.ts
// compares them on SQLite and PostgreSQL). Pure: statements and their parameters.
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";
import { sqlBool, sqlParams, sqlTime } from "@/app/_lib/db/sql-writes";

/** The admins' ids and names, by id. */
export function buildAdminsQuery(dialect: SqlDialect): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `SELECT "id", "name" FROM "User" WHERE "admin" = ${st.p(sqlBool(dialect, true))} ORDER BY "id"`, params: st.params };
}

/** The ids of revoked sessions that would not have expired yet at `now`, by id. */
export function buildRevokedSessionsQuery(dialect: SqlDialect, now: Date): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `SELECT "id" FROM "Session" WHERE "revokedAt" IS NOT NULL AND "expiresAt" > ${st.p(sqlTime(dialect, now))} ORDER BY "id"`,
    params: st.params,
  };
}

/**
 * Every share with its server's owner (id, name) and server name, and whom it was made for: a
 * user (userId), or a group, one row per member (memberId; one row with none for a group without
 * members). By share, then member.
 */
export function buildShareRowsQuery(): SqlQuery {
  return {
    sql:
      `SELECT sv."userId" AS "ownerId", u."name" AS "ownerName", sv."name" AS "serverName", s."userId" AS "userId", m."userId" AS "memberId" ` +
      `FROM "Share" s JOIN "Server" sv ON sv."id" = s."serverId" JOIN "User" u ON u."id" = sv."userId" ` +
      `LEFT JOIN "GroupMember" m ON m."groupId" = s."groupId" ORDER BY s."id", m."userId"`,
    params: [],
  };
}

/** A row of buildShareRowsQuery as the driver returns it. */
export interface ShareQueryRow {
  ownerId: number | bigint;
  ownerName: string;
  serverName: string;
  userId: number | bigint | null;
  memberId: number | bigint | null;
}

/** The rows buildShareMap takes, from buildShareRowsQuery's (one per share and member). */
export function shareMapRows(rows: readonly ShareQueryRow[]) {
  const id = (v: number | bigint | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    ownerId: Number(r.ownerId),
    ownerName: r.ownerName,
    serverName: r.serverName,
    userId: id(r.userId),
    groupMemberIds: r.memberId === null ? [] : [Number(r.memberId)],
  }));
}
