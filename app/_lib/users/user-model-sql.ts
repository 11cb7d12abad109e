// The SQL behind the REST API's user models (GET /hub/api/users, /hub/api/users/<name>,
// /hub/api/user): a page of users with the total in one statement, then the page's servers and
// group names, selecting only the columns the JSON shows. Written for SQLite and PostgreSQL alike
// (quoted identifiers, placeholders per dialect). Pure: statements and their parameters.
import type { SqlDialect, SqlQuery } from "./users-view";
import type { UserSort } from "@/app/_lib/http/list-query";
import { ACTIVE_STATES } from "@/app/_lib/servers/models";
import { sqlParams, type SqlParams } from "@/app/_lib/db/sql-params";

export type UserStateFilter = "ready" | "active" | "inactive" | undefined;

const ACTIVE_LIST = ACTIVE_STATES.map((s) => `'${s}'`).join(", ");

/** JupyterHub's state filter: "ready" a running server, "active" one running or on its way, "inactive" neither. */
function stateCondition(state: UserStateFilter): string | null {
  if (state === "ready") return `u."id" IN (SELECT "userId" FROM "Server" WHERE "state" = 'running')`;
  if (state === "active") return `u."id" IN (SELECT "userId" FROM "Server" WHERE "state" IN (${ACTIVE_LIST}))`;
  if (state === "inactive") return `u."id" NOT IN (SELECT "userId" FROM "Server" WHERE "state" IN (${ACTIVE_LIST}))`;
  return null;
}

/**
 * Users a filtered list scope lets a token see ("list:users!user=alice", "list:users!group=ocean"):
 * these names, and the members of these groups. Absent: every user.
 */
export interface UserListLimit {
  names: readonly string[];
  groups: readonly string[];
}

/** `<column> IN` the texts, as one parameter (SQLite: a JSON array read by json_each; PostgreSQL: a text array). */
function inTexts(st: SqlParams, dialect: SqlDialect, column: string, values: readonly string[]): string {
  return dialect === "postgres"
    ? `${column} = ANY(${st.p([...values])}::text[])`
    : `${column} IN (SELECT "value" FROM json_each(${st.p(JSON.stringify(values))}))`;
}

/** The WHERE clause of the state filter and the list limit, or "". */
function userWhere(st: SqlParams, dialect: SqlDialect, state: UserStateFilter, only: UserListLimit | undefined): string {
  const conds: string[] = [];
  const byState = stateCondition(state);
  if (byState) conds.push(byState);
  if (only) {
    // parameters in the order they appear (SQLite's "?" are positional)
    const names = inTexts(st, dialect, `u."name"`, only.names);
    const members = `u."id" IN (SELECT m."userId" FROM "GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE ${inTexts(st, dialect, `g."name"`, only.groups)})`;
    conds.push(`(${names} OR ${members})`);
  }
  return conds.length ? `WHERE ${conds.join(" AND ")}` : "";
}

/** By name unless asked otherwise; never-active users last when sorting by activity; id breaks ties. */
function orderBy(sort: UserSort | undefined): string {
  if (!sort) return `u."name" ASC`;
  const dir = sort.descending ? "DESC" : "ASC";
  if (sort.field === "last_activity") return `u."lastActivity" ${dir} NULLS LAST, u."id" ASC`;
  return sort.field === "name" ? `u."name" ${dir}` : `u."id" ${dir}`;
}

/**
 * A timestamp column as JupyterHub's ISO text in UTC ("2026-12-04T19:13:00.123Z"): on PostgreSQL
 * written by the server (`to_char`; Prisma's columns are `timestamp(3)` in UTC), so the driver
 * builds no Date per value that the models would turn back into that text (queries.ts asInstant
 * takes it as it is); on SQLite the column is Prisma's stored text already.
 */
function instantColumn(dialect: SqlDialect, column: string, alias: string): string {
  return dialect === "postgres" ? `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "${alias}"` : `${column} AS "${alias}"`;
}

// read by position too: listUserModels' page (queries.ts userPage) takes these columns in this order, then "total"
const userColumns = (dialect: SqlDialect) =>
  `u."id" AS "id", u."name" AS "name", u."admin" AS "admin", ${instantColumn(dialect, `u."createdAt"`, "createdAt")}, ${instantColumn(dialect, `u."lastActivity"`, "lastActivity")}`;

/**
 * One page of users in order, each row carrying the count of all users the filter matches ("total";
 * none on an empty page). The count is a scalar subquery, not `COUNT(*) OVER ()`: a window over the
 * filtered users made SQLite read and sort all of them for every page (6–7 ms for 1,001 users),
 * where the subquery lets the page walk the name index and stop at its last row (~1 ms).
 */
export function buildUserPageQuery(opts: {
  dialect: SqlDialect;
  state?: UserStateFilter;
  sort?: UserSort;
  offset: number;
  limit: number;
  only?: UserListLimit;
}): SqlQuery {
  const st = sqlParams(opts.dialect);
  // parameters in the order they appear: the count's filter, the page's, then LIMIT and OFFSET
  const total = `(SELECT COUNT(*) FROM "User" u ${userWhere(st, opts.dialect, opts.state, opts.only)})`;
  const sql = `SELECT ${userColumns(opts.dialect)}, ${total} AS "total" FROM "User" u ${userWhere(st, opts.dialect, opts.state, opts.only)} ORDER BY ${orderBy(opts.sort)} LIMIT ${st.p(opts.limit)} OFFSET ${st.p(opts.offset)}`;
  return { sql, params: st.params };
}

/** How many users the filter matches (for a page past the end, which has no row to carry the total). */
export function buildUserCountQuery(opts: { dialect: SqlDialect; state?: UserStateFilter; only?: UserListLimit }): SqlQuery {
  const st = sqlParams(opts.dialect);
  return { sql: `SELECT COUNT(*) AS "total" FROM "User" u ${userWhere(st, opts.dialect, opts.state, opts.only)}`, params: st.params };
}

/** One user by name. */
export function buildUserByNameQuery(opts: { dialect: SqlDialect; name: string }): SqlQuery {
  const st = sqlParams(opts.dialect);
  return { sql: `SELECT ${userColumns(opts.dialect)} FROM "User" u WHERE u."name" = ${st.p(opts.name)}`, params: st.params };
}

/**
 * `<column> IN` the ids, as one parameter whatever their number (SQLite: a JSON array read by
 * json_each; PostgreSQL: an integer array), so each statement has one text and stays prepared.
 */
function inIds(st: SqlParams, dialect: SqlDialect, column: string, ids: readonly number[]): string {
  return dialect === "postgres" ? `${column} = ANY(${st.p([...ids])}::int[])` : `${column} IN (SELECT "value" FROM json_each(${st.p(JSON.stringify(ids))}))`;
}

/** The users' servers, by user and name; stopped ones only with `allServers` (include_stopped_servers). */
export function buildServersQuery(opts: { dialect: SqlDialect; userIds: readonly number[]; allServers: boolean }): SqlQuery {
  const st = sqlParams(opts.dialect);
  const stopped = opts.allServers ? "" : ` AND s."state" <> 'stopped'`;
  const sql =
    `SELECT s."userId" AS "userId", s."name" AS "name", s."state" AS "state", s."spawnerKind" AS "spawnerKind", s."spawnerState" AS "spawnerState", ` +
    `s."url" AS "url", s."options" AS "options", s."message" AS "message", ${instantColumn(opts.dialect, `s."startedAt"`, "startedAt")}, ` +
    `${instantColumn(opts.dialect, `s."lastActivity"`, "lastActivity")} ` +
    `FROM "Server" s WHERE ${inIds(st, opts.dialect, `s."userId"`, opts.userIds)}${stopped} ORDER BY s."userId", s."name"`;
  return { sql, params: st.params };
}

/** The users' group names, in the order the groups were made. */
export function buildGroupsQuery(opts: { dialect: SqlDialect; userIds: readonly number[] }): SqlQuery {
  const st = sqlParams(opts.dialect);
  const sql = `SELECT m."userId" AS "userId", g."name" AS "name" FROM "GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE ${inIds(st, opts.dialect, `m."userId"`, opts.userIds)} ORDER BY m."userId", m."groupId"`;
  return { sql, params: st.params };
}

/**
 * One user (by id or name) with the names of their groups, one row per group in the order the
 * groups were made (one row with a null group name for a user in none).
 */
export function buildUserWithGroupsQuery(opts: { dialect: SqlDialect; where: { id: number } | { name: string } }): SqlQuery {
  const st = sqlParams(opts.dialect);
  const where = "id" in opts.where ? `u."id" = ${st.p(opts.where.id)}` : `u."name" = ${st.p(opts.where.name)}`;
  const sql =
    `SELECT u."id" AS "id", u."name" AS "name", u."admin" AS "admin", u."osUser" AS "osUser", u."blockedAt" AS "blockedAt", g."name" AS "groupName" ` +
    `FROM "User" u LEFT JOIN "GroupMember" m ON m."userId" = u."id" LEFT JOIN "Group" g ON g."id" = m."groupId" WHERE ${where} ORDER BY m."groupId"`;
  return { sql, params: st.params };
}
