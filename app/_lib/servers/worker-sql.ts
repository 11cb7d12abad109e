// The SQL of the spawn worker's hot path (per start and per stop): the servers waiting for work,
// the conditional claims and state changes, spawn events, the server API token, the usage record.
// Each statement does what the Prisma call it replaces did (worker-sql.int.test.ts compares them
// on SQLite and PostgreSQL), `updatedAt` included (Prisma's @updatedAt). Written for SQLite and
// PostgreSQL alike; values are always parameters, so each statement has one text and stays
// prepared (app/_lib/db/sql-writes.ts). Pure: statements and their parameters.
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";
import { sqlBool, sqlParams, sqlTime } from "@/app/_lib/db/sql-writes";
import type { UsageFigures } from "@/app/_lib/usage/merge";
import type { DbModels } from "@/app/_lib/db/types";

type ServerRow = DbModels.ServerModel;

const SERVER_COLUMNS = [
  "id",
  "userId",
  "name",
  "state",
  "spawnerKind",
  "spawnerState",
  "url",
  "spawnId",
  "options",
  "profile",
  "message",
  "logTail",
  "requestedAt",
  "startedAt",
  "stoppedAt",
  "lastActivity",
  "updatedAt",
  "removeWhenStopped",
  "launchId",
  "ownerReplica",
] as const satisfies readonly (keyof ServerRow)[];

/** Every column of Server, as serverFromRow reads them. */
export const SELECT_SERVER = `SELECT ${SERVER_COLUMNS.map((c) => `"${c}"`).join(", ")} FROM "Server"`;

/** A date column as the driver returns it: a Date (pg), or what SQLite stored (ISO text, epoch milliseconds). */
function asDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string | number);
}

/** A Server row as Prisma returns it, from a driver row of SELECT_SERVER. */
export function serverFromRow(r: Record<string, unknown>): ServerRow {
  return {
    id: Number(r.id),
    userId: Number(r.userId),
    name: r.name as string,
    state: r.state as string,
    spawnerKind: r.spawnerKind as string,
    spawnerState: r.spawnerState as string,
    url: (r.url as string | null) ?? null,
    spawnId: (r.spawnId as string | null) ?? null,
    options: r.options as string,
    profile: (r.profile as string | null) ?? null,
    message: (r.message as string | null) ?? null,
    logTail: (r.logTail as string | null) ?? null,
    requestedAt: asDate(r.requestedAt),
    startedAt: asDate(r.startedAt),
    stoppedAt: asDate(r.stoppedAt),
    lastActivity: asDate(r.lastActivity),
    updatedAt: asDate(r.updatedAt)!,
    removeWhenStopped: r.removeWhenStopped === true || Number(r.removeWhenStopped) === 1,
    launchId: r.launchId === null || r.launchId === undefined ? null : Number(r.launchId),
    ownerReplica: (r.ownerReplica as string | null) ?? null,
  };
}

/** The servers with work for the worker: start requests (pending) and stop requests (stopping), by id. */
export function buildServersToWorkOnQuery(): SqlQuery {
  return { sql: `${SELECT_SERVER} WHERE "state" IN ('pending', 'stopping') ORDER BY "id"`, params: [] };
}

/** The ids and states of the servers with work, by id (the worker's first read: the state index holds them). */
export function buildWorkWaitingQuery(): SqlQuery {
  return { sql: `SELECT "id", "state" FROM "Server" WHERE "state" IN ('pending', 'stopping') ORDER BY "id"`, params: [] };
}

/** The running servers `replica` owns, every column, by id (its poll every hub.pollIntervalSeconds). */
export function buildRunningOwnedQuery(dialect: SqlDialect, replica: string): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `${SELECT_SERVER} WHERE "state" = 'running' AND "ownerReplica" = ${st.p(replica)} ORDER BY "id"`, params: st.params };
}

/**
 * Is any server in an owned state (OWNED_STATES) owned by no one or by a replica other than
 * `replica`? (one row or none): the take-over's look every beat, which on a single hub finds none.
 */
export function buildOthersServerQuery(dialect: SqlDialect, o: { replica: string; states: readonly string[] }): SqlQuery {
  const st = sqlParams(dialect);
  const states = o.states.map((s) => st.p(s)).join(", ");
  return {
    sql: `SELECT "id" FROM "Server" WHERE "state" IN (${states}) AND ("ownerReplica" IS NULL OR "ownerReplica" <> ${st.p(o.replica)}) LIMIT 1`,
    params: st.params,
  };
}

/** One server with work, every column; no row when it has none any more (its state changed since). */
export function buildServerWithWorkQuery(dialect: SqlDialect, id: number): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `${SELECT_SERVER} WHERE "id" = ${st.p(id)} AND "state" IN ('pending', 'stopping')`, params: st.params };
}

/** Claims a start request: pending → starting, owned by `replica`; only if it is still the same request. */
export function buildClaimStart(dialect: SqlDialect, o: { id: number; spawnId: string | null; replica: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const sql = `UPDATE "Server" SET "state" = 'starting', "ownerReplica" = ${st.p(o.replica)}, "updatedAt" = ${st.p(sqlTime(dialect, o.now))} WHERE "id" = ${st.p(o.id)} AND "state" = 'pending' AND ${st.eq(`"spawnId"`, o.spawnId)}`;
  return { sql, params: st.params };
}

/** Claims a stop request of a server whose owner is gone; only if that owner still holds it. */
export function buildClaimStop(dialect: SqlDialect, o: { id: number; from: string | null; replica: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const sql = `UPDATE "Server" SET "ownerReplica" = ${st.p(o.replica)}, "updatedAt" = ${st.p(sqlTime(dialect, o.now))} WHERE "id" = ${st.p(o.id)} AND "state" = 'stopping' AND ${st.eq(`"ownerReplica"`, o.from)}`;
  return { sql, params: st.params };
}

/** Saves a starting server's spawner state and/or its URL. */
export function buildSaveSpawnState(dialect: SqlDialect, o: { id: number; spawnerState?: string; url?: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const sets: string[] = [];
  if (o.spawnerState !== undefined) sets.push(`"spawnerState" = ${st.p(o.spawnerState)}`);
  if (o.url !== undefined) sets.push(`"url" = ${st.p(o.url)}`);
  sets.push(`"updatedAt" = ${st.p(sqlTime(dialect, o.now))}`);
  return { sql: `UPDATE "Server" SET ${sets.join(", ")} WHERE "id" = ${st.p(o.id)}`, params: st.params };
}

/** starting → running, only if this replica still owns this start (a stop or a take-over meanwhile changes nothing). */
export function buildMarkReady(
  dialect: SqlDialect,
  o: { id: number; spawnId: string; replica: string; url: string; logTail: string | null; now: Date },
): SqlQuery {
  const st = sqlParams(dialect);
  const now = sqlTime(dialect, o.now);
  const sql =
    `UPDATE "Server" SET "state" = 'running', "startedAt" = ${st.p(now)}, "lastActivity" = ${st.p(now)}, "url" = ${st.p(o.url)}, "message" = NULL, ` +
    `"logTail" = ${st.p(o.logTail)}, "updatedAt" = ${st.p(now)} WHERE "id" = ${st.p(o.id)} AND "state" = 'starting' AND "spawnId" = ${st.p(o.spawnId)} AND "ownerReplica" = ${st.p(o.replica)}`;
  return { sql, params: st.params };
}

/** A stopped server: no URL, its end and its spawner's last state (its message is kept: a stop's reason). */
export function buildMarkStopped(dialect: SqlDialect, o: { id: number; spawnerState: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const now = sqlTime(dialect, o.now);
  const sql = `UPDATE "Server" SET "state" = 'stopped', "url" = NULL, "stoppedAt" = ${st.p(now)}, "spawnerState" = ${st.p(o.spawnerState)}, "updatedAt" = ${st.p(now)} WHERE "id" = ${st.p(o.id)}`;
  return { sql, params: st.params };
}

/**
 * A server that ended on its own marked stopped with why, and its log's tail: only while it is
 * running, or stopping because a stop was asked for while the hub cleared up after it (the
 * reason it ended is what the user needs, not "Server stopped").
 */
export function buildMarkEnded(dialect: SqlDialect, o: { id: number; spawnerState: string; message: string; logTail: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const now = sqlTime(dialect, o.now);
  const sql =
    `UPDATE "Server" SET "state" = 'stopped', "url" = NULL, "stoppedAt" = ${st.p(now)}, "spawnerState" = ${st.p(o.spawnerState)}, ` +
    `"message" = ${st.p(o.message)}, "logTail" = ${st.p(o.logTail)}, "updatedAt" = ${st.p(now)} WHERE "id" = ${st.p(o.id)} AND "state" IN ('running', 'stopping')`;
  return { sql, params: st.params };
}

/** Deletes the server if it is stopped and a DELETE asked for its removal ({"remove": true}). */
export function buildRemoveIfStopped(dialect: SqlDialect, id: number): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `DELETE FROM "Server" WHERE "id" = ${st.p(id)} AND "state" = 'stopped' AND "removeWhenStopped" = ${st.p(sqlBool(dialect, true))}`,
    params: st.params,
  };
}

/** A SpawnEvent (eventRow's fields), written at `at`. */
export function buildInsertEvent(
  dialect: SqlDialect,
  e: { serverId: number; spawnId: string; progress: number; message: string; kind: string; phase: string | null; cached: boolean | null },
  at: Date,
): SqlQuery {
  const st = sqlParams(dialect);
  const sql =
    `INSERT INTO "SpawnEvent" ("serverId", "spawnId", "progress", "message", "kind", "phase", "cached", "at") ` +
    `VALUES (${st.p(e.serverId)}, ${st.p(e.spawnId)}, ${st.p(e.progress)}, ${st.p(e.message)}, ${st.p(e.kind)}, ${st.p(e.phase)}, ${st.p(e.cached === null ? null : sqlBool(dialect, e.cached))}, ${st.p(sqlTime(dialect, at))})`;
  return { sql, params: st.params };
}

/** Stores a server's API token unless its prefix exists (the same token stored before, or — rarely — another). */
export function buildInsertServerToken(
  dialect: SqlDialect,
  t: { userId: number; prefix: string; hash: string; note: string; scopes: string; now: Date },
): SqlQuery {
  const st = sqlParams(dialect);
  const sql =
    `INSERT INTO "ApiToken" ("userId", "prefix", "hash", "note", "scopes", "createdAt") ` +
    `VALUES (${st.p(t.userId)}, ${st.p(t.prefix)}, ${st.p(t.hash)}, ${st.p(t.note)}, ${st.p(t.scopes)}, ${st.p(sqlTime(dialect, t.now))}) ON CONFLICT ("prefix") DO NOTHING`;
  return { sql, params: st.params };
}

/** The hash stored under a token prefix. */
export function buildTokenHashQuery(dialect: SqlDialect, prefix: string): SqlQuery {
  const st = sqlParams(dialect);
  return { sql: `SELECT "hash" AS "hash" FROM "ApiToken" WHERE "prefix" = ${st.p(prefix)}`, params: st.params };
}

/** Revokes a token (by prefix and hash) unless it is revoked already. */
export function buildRevokeToken(dialect: SqlDialect, o: { prefix: string; hash: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `UPDATE "ApiToken" SET "revokedAt" = ${st.p(sqlTime(dialect, o.now))} WHERE "prefix" = ${st.p(o.prefix)} AND "hash" = ${st.p(o.hash)} AND "revokedAt" IS NULL`,
    params: st.params,
  };
}

/** The record of a run that has become ready, unless the spawn has one (opened with no figures yet). */
export function buildOpenUsageRecord(
  dialect: SqlDialect,
  r: {
    userId: number;
    serverName: string;
    spawnId: string;
    spawnerKind: string;
    profile: string | null;
    requestedAt: Date | null;
    startedAt: Date;
    placement: string;
    now: Date;
  },
): SqlQuery {
  const st = sqlParams(dialect);
  const t = (d: Date | null) => (d ? sqlTime(dialect, d) : null);
  const sql =
    `INSERT INTO "UsageRecord" ("userId", "serverName", "spawnId", "spawnerKind", "profile", "placement", "requestedAt", "startedAt", "sampledAt", "cpuSeconds", "source", "settled", "spawnerState") ` +
    `VALUES (${st.p(r.userId)}, ${st.p(r.serverName)}, ${st.p(r.spawnId)}, ${st.p(r.spawnerKind)}, ${st.p(r.profile)}, ${st.p(r.placement)}, ${st.p(t(r.requestedAt))}, ` +
    `${st.p(t(r.startedAt))}, ${st.p(t(r.now))}, ${st.p(0)}, 'none', ${st.p(sqlBool(dialect, false))}, '{}') ON CONFLICT ("spawnId") DO NOTHING`;
  return { sql, params: st.params };
}

/** What the stop needs of a run's usage record. */
export function buildUsageRecordQuery(dialect: SqlDialect, spawnId: string): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `SELECT "cpuSeconds", "peakMemoryBytes", "queueWaitSeconds", "source", "settled", "endedAt" FROM "UsageRecord" WHERE "spawnId" = ${st.p(spawnId)}`,
    params: st.params,
  };
}

/** A usage record's figures as the driver returns them. */
export function usageFromRow(r: Record<string, unknown>): UsageFigures & { settled: boolean; endedAt: Date | null } {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    cpuSeconds: Number(r.cpuSeconds),
    peakMemoryBytes: num(r.peakMemoryBytes),
    queueWaitSeconds: num(r.queueWaitSeconds),
    source: r.source as string,
    settled: r.settled === true || Number(r.settled) === 1,
    endedAt: asDate(r.endedAt),
  };
}

/** A run's record after a sample: its figures, when it was sampled, its placement, and at its end the end time and spawner state. */
export function buildUpdateUsageRecord(
  dialect: SqlDialect,
  o: { spawnId: string; figures: UsageFigures; settled: boolean; now: Date; placement?: string; end?: { at: Date; spawnerState: string } },
): SqlQuery {
  const st = sqlParams(dialect);
  const sets = [
    `"cpuSeconds" = ${st.p(o.figures.cpuSeconds)}`,
    `"peakMemoryBytes" = ${st.p(o.figures.peakMemoryBytes)}`,
    `"queueWaitSeconds" = ${st.p(o.figures.queueWaitSeconds)}`,
    `"source" = ${st.p(o.figures.source)}`,
    `"sampledAt" = ${st.p(sqlTime(dialect, o.now))}`,
    `"settled" = ${st.p(sqlBool(dialect, o.settled))}`,
  ];
  if (o.placement !== undefined) sets.push(`"placement" = ${st.p(o.placement)}`);
  if (o.end) sets.push(`"endedAt" = ${st.p(sqlTime(dialect, o.end.at))}`, `"spawnerState" = ${st.p(o.end.spawnerState)}`);
  return { sql: `UPDATE "UsageRecord" SET ${sets.join(", ")} WHERE "spawnId" = ${st.p(o.spawnId)}`, params: st.params };
}
