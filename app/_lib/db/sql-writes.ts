// I/O: the spawn worker's hot statements (claims, state changes, spawn events, server API tokens,
// usage records: a dozen per start or stop) run on the database driver itself — better-sqlite3 or
// pg — with one prepared statement kept per statement text, as the hot reads do (sql-reads.ts),
// not through Prisma, whose client and WebAssembly query compiler cost more per statement than
// the statement (bench/README.md, "Phase 3d"). Statements that belong together run as one
// transaction. openDatabase (open.ts) attaches the writer to the Prisma client it returns.
import type BetterSqlite3 from "better-sqlite3";
import type { Pool, PoolClient, QueryResultRow } from "pg";
import type { Db } from "./types";
import { postgresStatementNames } from "./sql-params";
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";

/** What one statement did: the rows it changed, and the rows it returned (SELECT, RETURNING). */
export interface SqlResult {
  changes: number;
  rows: Record<string, unknown>[];
}

/**
 * One statement of a transaction. `when` (given the results so far, null for a skipped step)
 * decides whether it runs; `orFail`: when it changes no row, the transaction fails with this
 * message and rolls back (as Prisma's `update` of a record that is gone).
 */
export interface SqlStep {
  q: SqlQuery;
  when?: (done: readonly (SqlResult | null)[]) => boolean;
  orFail?: string;
}

/** A step's result, or its `orFail` error when it changed no row. */
function checked(r: SqlResult, step: SqlStep): SqlResult {
  if (step.orFail && r.changes === 0) throw new Error(step.orFail);
  return r;
}

/** Statements on the database driver. */
export interface SqlWrites {
  dialect: SqlDialect;
  /** One statement, on its own (its own transaction). */
  run(q: SqlQuery): Promise<SqlResult>;
  /** The steps in order, in one transaction; a result per step (null: skipped). A failing step rolls back all. */
  transaction(steps: readonly SqlStep[]): Promise<(SqlResult | null)[]>;
  /** how many statements are prepared (each text once, whatever its parameters) */
  prepared(): number;
}

// On the client object: the Express entry and the Next bundle have their own copies of this module.
const KEY = Symbol.for("gyre.db.sql-writes");
type Holder = { [KEY]?: SqlWrites };

/** Makes `writes` the writer of `db` (openDatabase). */
export function attachSqlWrites(db: Db, writes: SqlWrites): void {
  (db as unknown as Holder)[KEY] = writes;
}

/** The driver-level writer openDatabase attached to `db`. */
export function writesOf(db: Db): SqlWrites {
  const writes = (db as unknown as Holder)[KEY];
  if (!writes) throw new Error("this database client has no driver writes: open it with openDatabase (app/_lib/db/open.ts)");
  return writes;
}

/** A timestamp as a parameter, in the form Prisma writes it: ISO text on SQLite, zone-less UTC on PostgreSQL. */
export function sqlTime(dialect: SqlDialect, d: Date): string {
  // Prisma's SQLite adapter writes `…T…+00:00` (its default "iso8601" format); PostgreSQL's
  // `timestamp(3)` columns hold UTC (a zone in the text would be ignored, not applied).
  return dialect === "sqlite" ? d.toISOString().replace("Z", "+00:00") : d.toISOString().replace("T", " ").replace("Z", "");
}

/** A boolean as a parameter: 0/1 on SQLite (as Prisma stores it), true/false on PostgreSQL. */
export function sqlBool(dialect: SqlDialect, b: boolean): boolean | number {
  return dialect === "sqlite" ? (b ? 1 : 0) : b;
}

export { sqlParams, type SqlParams } from "./sql-params";

// A bound against statements built with values in their text (each distinct text is prepared once).
const MAX_STATEMENTS = 200;

/** SQLite's "the database is locked" (another connection holds the write lock). */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

/**
 * SQLite: a connection of its own beside Prisma's, opened at the first statement. Prisma's
 * transactions hold the write lock across awaits on its connection, so this one must not wait for
 * the lock synchronously (busy_timeout would block the event loop, and with it the transaction
 * it waits for): busy_timeout is 0 and a busy statement is tried again after a timer, up to
 * `busyMs` (Prisma's connection waits 5 s, open.ts). Its own transactions are synchronous (BEGIN
 * IMMEDIATE … COMMIT in one turn of the event loop), so it never holds the lock while Prisma waits.
 */
export function sqliteWrites(opts: { file: string; Database: typeof BetterSqlite3; busyMs?: number }): SqlWrites & { close(): void } {
  let conn: BetterSqlite3.Database | null = null;
  const statements = new Map<string, BetterSqlite3.Statement>();
  const busyMs = opts.busyMs ?? 5000;
  const db = () => {
    if (!conn) {
      conn = new opts.Database(opts.file, { fileMustExist: true });
      conn.pragma("busy_timeout = 0");
      // per connection, as Prisma's (open.ts): an event for a deleted server fails here too
      conn.pragma("foreign_keys = ON");
    }
    return conn;
  };
  const statement = (sql: string) => {
    let st = statements.get(sql);
    if (!st) {
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      st = db().prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };
  const exec = (q: SqlQuery): SqlResult => {
    const st = statement(q.sql);
    if (st.reader) {
      const rows = st.all(...q.params) as Record<string, unknown>[];
      return { changes: rows.length, rows };
    }
    return { changes: st.run(...q.params).changes, rows: [] };
  };
  const retrying = async <T>(fn: () => T): Promise<T> => {
    const end = Date.now() + busyMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() > end) throw err;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  };
  return {
    dialect: "sqlite",
    run: (q) => retrying(() => exec(q)),
    transaction: (steps) =>
      retrying(() => {
        // one statement is a transaction of its own: no BEGIN and COMMIT around it
        if (steps.length === 1 && !steps[0].when) return [checked(exec(steps[0].q), steps[0])];
        statement("BEGIN IMMEDIATE").run();
        try {
          const done: (SqlResult | null)[] = [];
          for (const step of steps) done.push(!step.when || step.when(done) ? checked(exec(step.q), step) : null);
          statement("COMMIT").run();
          return done;
        } catch (err) {
          if (db().inTransaction) statement("ROLLBACK").run();
          throw err;
        }
      }),
    prepared: () => statements.size,
    close() {
      statements.clear();
      conn?.close();
      conn = null;
    },
  };
}

/**
 * PostgreSQL: named statements on the pool Prisma's adapter uses too (pg prepares a name once per
 * connection); a transaction takes one connection of the pool for its steps.
 */
export function postgresWrites(pool: Pool): SqlWrites {
  const statementNames = postgresStatementNames("write", MAX_STATEMENTS);
  const named = statementNames.nameOf;
  const exec = async (on: Pool | PoolClient, q: SqlQuery): Promise<SqlResult> => {
    const r = await on.query<QueryResultRow>({ name: named(q.sql), text: q.sql, values: q.params });
    return { changes: r.rowCount ?? 0, rows: r.rows };
  };
  return {
    dialect: "postgres",
    run: (q) => exec(pool, q),
    async transaction(steps) {
      if (steps.length === 1 && !steps[0].when) return [checked(await exec(pool, steps[0].q), steps[0])];
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query("BEGIN");
        const done: (SqlResult | null)[] = [];
        for (const step of steps) done.push(!step.when || step.when(done) ? checked(await exec(client, step.q), step) : null);
        await client.query("COMMIT");
        return done;
      } catch (err) {
        await client.query("ROLLBACK").catch((e: unknown) => (broken = e));
        throw err;
      } finally {
        // a connection whose ROLLBACK failed is not handed out again
        client.release(broken as Error | undefined);
      }
    },
    prepared: statementNames.count,
  };
}
