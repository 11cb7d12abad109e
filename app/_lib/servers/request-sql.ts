// The SQL of the REST start and stop requests (POST / DELETE /hub/api/users/{name}/server(s)/…,
// and every other caller of requestStart / requestStop): the user's id by name, the server by
// user and name, the pending request written with its first event, the stop request, the
// waiting DELETE's read. Each statement does what the Prisma call it replaces did
// (request-sql.int.test.ts compares them on SQLite and PostgreSQL), `updatedAt` included.
// Written for SQLite and PostgreSQL alike; values are always parameters (one text per shape,
// prepared once: app/_lib/db/sql-writes.ts). Pure: statements and their parameters.
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";
import { sqlBool, sqlParams, sqlTime } from "@/app/_lib/db/sql-writes";
import { SELECT_SERVER } from "./worker-sql";

/** The id of the user of that name (no row: no such user). */
export function buildUserIdQuery(dialect: SqlDialect, name: string): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `SELECT "id" FROM "User" WHERE "name" = ${st.p(name)}`, params: st.params };
}

/** A user's server of that name ("" the default server), every column (serverFromRow). */
export function buildServerByNameQuery(dialect: SqlDialect, o: { userId: number; name: string }): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `${SELECT_SERVER} WHERE "userId" = ${st.p(o.userId)} AND "name" = ${st.p(o.name)}`, params: st.params };
}

/** A server's state (no row: it is gone). */
export function buildServerStateQuery(dialect: SqlDialect, id: number): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `SELECT "state" FROM "Server" WHERE "id" = ${st.p(id)}`, params: st.params };
}

/** What a start request writes on the server: a new spawn, pending, everything of the last run cleared. */
export interface StartRequestData {
  spawnId: string;
  spawnerKind: string;
  /** JSON of the validated spawn options */
  options: string;
  profile: string | null;
  /** when the start was requested (requestedAt) */
  now: Date;
  /** when this is written (updatedAt, which Prisma sets from the clock whatever `now` is) */
  writtenAt: Date;
  /** the server serves this launch from now on (absent: its launch is kept) */
  launchId?: number;
}

/** The columns a start request sets, in statement order, with their values. */
function startColumns(dialect: SqlDialect, d: StartRequestData): [string, unknown][] {
  const now = sqlTime(dialect, d.now);
  return [
    ["state", "pending"],
    ["spawnId", d.spawnId],
    ["spawnerKind", d.spawnerKind],
    ["spawnerState", "{}"],
    ["options", d.options],
    ["profile", d.profile],
    ["message", null],
    ["logTail", null],
    ["url", null],
    ["requestedAt", now],
    ["startedAt", null],
    ["stoppedAt", null],
    ["removeWhenStopped", sqlBool(dialect, false)],
    ...(d.launchId !== undefined ? [["launchId", d.launchId] as [string, unknown]] : []),
    ["updatedAt", sqlTime(dialect, d.writtenAt)],
  ];
}

/** A start request on an existing server (Prisma's `update` by id: run it with `orFail`). */
export function buildRequestStartUpdate(dialect: SqlDialect, o: { id: number } & StartRequestData): SqlQuery {
  const st = sqlParams(dialect);
  const sets = startColumns(dialect, o).map(([c, v]) => `"${c}" = ${st.p(v)}`);
  return { sql: `UPDATE "Server" SET ${sets.join(", ")} WHERE "id" = ${st.p(o.id)}`, params: st.params };
}

/** A start request on a server that has no record yet: the record, its id returned. */
export function buildRequestStartInsert(dialect: SqlDialect, o: { userId: number; name: string } & StartRequestData): SqlQuery {
  const st = sqlParams(dialect);
  const cols: [string, unknown][] = [["userId", o.userId], ["name", o.name], ...startColumns(dialect, o)];
  const names = cols.map(([c]) => `"${c}"`).join(", ");
  const values = cols.map(([, v]) => st.p(v)).join(", ");
  return { sql: `INSERT INTO "Server" (${names}) VALUES (${values}) RETURNING "id"`, params: st.params };
}

/**
 * The request's first spawn event ("Server requested", progress 0), on the user's server of that
 * name: in the same transaction as the insert above, whose id is not known when it is built.
 */
export function buildRequestedEvent(dialect: SqlDialect, o: { userId: number; name: string; spawnId: string; at: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const sql =
    `INSERT INTO "SpawnEvent" ("serverId", "spawnId", "progress", "message", "at") ` +
    `SELECT "id", ${st.p(o.spawnId)}, ${st.p(0)}, ${st.p("Server requested")}, ${st.p(sqlTime(dialect, o.at))} FROM "Server" WHERE "userId" = ${st.p(o.userId)} AND "name" = ${st.p(o.name)}`;
  return { sql, params: st.params };
}

/** Deletes a server that is not running, only if it is still in the state read ({"remove": true}). */
export function buildRemoveInState(dialect: SqlDialect, o: { id: number; state: string }): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `DELETE FROM "Server" WHERE "id" = ${st.p(o.id)} AND "state" = ${st.p(o.state)}`, params: st.params };
}

/**
 * A stop request: `from` → stopping with the stop's reason (null: none), and with `remove` its
 * record goes once stopped; only if the server is still in `from` (else it raced with the worker).
 */
export function buildRequestStop(dialect: SqlDialect, o: { id: number; from: string; reason: string | null; remove: boolean; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const sets = [`"state" = 'stopping'`, `"message" = ${st.p(o.reason)}`];
  if (o.remove) sets.push(`"removeWhenStopped" = ${st.p(sqlBool(dialect, true))}`);
  sets.push(`"updatedAt" = ${st.p(sqlTime(dialect, o.now))}`);
  return { sql: `UPDATE "Server" SET ${sets.join(", ")} WHERE "id" = ${st.p(o.id)} AND "state" = ${st.p(o.from)}`, params: st.params };
}

/** A server already stopping is removed once stopped ({"remove": true} on a second DELETE). */
export function buildRemoveWhenStopped(dialect: SqlDialect, o: { id: number; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `UPDATE "Server" SET "removeWhenStopped" = ${st.p(sqlBool(dialect, true))}, "updatedAt" = ${st.p(sqlTime(dialect, o.now))} WHERE "id" = ${st.p(o.id)} AND "state" = 'stopping'`,
    params: st.params,
  };
}
