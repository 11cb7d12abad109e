// The SQL of a hub replica's heartbeat, its leases and the live replicas, on the database driver:
// every replica runs them every hub.replicaHeartbeatSeconds, also a single idle hub, where they
// went through Prisma's client and WebAssembly query compiler as a dozen statements per beat
// (bench/README.md, phase 3y). A beat that holds its leases renews them all with one statement.
// Each does what the Prisma calls it replaces did (lease.int.test.ts runs the lease races and
// two replicas on SQLite and PostgreSQL). Pure: statements and their parameters.
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";
import { sqlParams, sqlTime } from "@/app/_lib/db/sql-writes";

/** The replica's heartbeat row: created at its first beat (started then), its time renewed after. */
export function buildHeartbeat(dialect: SqlDialect, o: { id: string; now: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const now = sqlTime(dialect, o.now);
  return {
    sql:
      `INSERT INTO "HubReplica" ("id", "startedAt", "heartbeatAt") VALUES (${st.p(o.id)}, ${st.p(now)}, ${st.p(now)}) ` +
      `ON CONFLICT ("id") DO UPDATE SET "heartbeatAt" = excluded."heartbeatAt"`,
    params: st.params,
  };
}

/**
 * Takes or renews the leases `names` for `holder` until `expiresAt`: those it holds and those
 * that expired by `now` (checked by the database under each row's lock, so of two askers of an
 * expired lease one wins). Returns the names it changed.
 */
export function buildTakeLeases(dialect: SqlDialect, o: { names: readonly string[]; holder: string; now: Date; expiresAt: Date }): SqlQuery {
  const st = sqlParams(dialect);
  const sets = `"holder" = ${st.p(o.holder)}, "expiresAt" = ${st.p(sqlTime(dialect, o.expiresAt))}`;
  const names = o.names.map((n) => st.p(n)).join(", ");
  return {
    sql: `UPDATE "Lease" SET ${sets} WHERE "name" IN (${names}) AND ("holder" = ${st.p(o.holder)} OR "expiresAt" <= ${st.p(sqlTime(dialect, o.now))}) RETURNING "name"`,
    params: st.params,
  };
}

/** A lease that has no row yet, for `holder`; changes nothing when another asker created it first. */
export function buildCreateLease(dialect: SqlDialect, o: { name: string; holder: string; expiresAt: Date }): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `INSERT INTO "Lease" ("name", "holder", "expiresAt") VALUES (${st.p(o.name)}, ${st.p(o.holder)}, ${st.p(sqlTime(dialect, o.expiresAt))}) ON CONFLICT ("name") DO NOTHING`,
    params: st.params,
  };
}

/** The ids of replicas whose heartbeat is later than `since`, and only `id`'s when given. */
export function buildAliveReplicasQuery(dialect: SqlDialect, o: { since: Date; id?: string }): SqlQuery {
  const st = sqlParams(dialect);
  const only = o.id === undefined ? "" : ` AND "id" = ${st.p(o.id)}`;
  return { sql: `SELECT "id" FROM "HubReplica" WHERE "heartbeatAt" > ${st.p(sqlTime(dialect, o.since))}${only}`, params: st.params };
}
