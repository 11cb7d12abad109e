// The bulk job runner's look for work (runner.ts), on the database driver: every hub runs it every
// 5 s, where it was a query through Prisma's client and WebAssembly query compiler that nearly
// always found nothing (bench/README.md, phase 3y). It matches the jobs the runner's claim reads
// (bulk-sql.int.test.ts compares them on SQLite and PostgreSQL). Pure: a statement and its parameters.
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";
import { sqlParams, sqlTime } from "@/app/_lib/db/sql-writes";

/** One job to claim, if any: queued, or running with a heartbeat older than `staleBefore` (its hub died). */
export function buildJobToClaimQuery(dialect: SqlDialect, staleBefore: Date): SqlQuery {
  const st = sqlParams(dialect);
  return {
    sql: `SELECT "id" FROM "BulkJob" WHERE "state" = 'queued' OR ("state" = 'running' AND "heartbeatAt" < ${st.p(sqlTime(dialect, staleBefore))}) LIMIT 1`,
    params: st.params,
  };
}
