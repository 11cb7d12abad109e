// I/O: the hot paths' read statements (the REST API's user models, the API token lookup) run on
// the database driver itself — better-sqlite3 or pg — with one prepared statement kept per
// statement text, not through Prisma's $queryRawUnsafe, whose client and WebAssembly query
// compiler cost more per request than the statements (bench/README.md, "Hub vs JupyterHub").
// openDatabase (open.ts) attaches the reader to the Prisma client it returns (the one object the
// hub entry and the Next bundle share); code reads through readRows(db, …).
import type BetterSqlite3 from "better-sqlite3";
import type { Pool, QueryResultRow } from "pg";
import type { Db } from "./types";
import { postgresStatementNames } from "./sql-params";
import type { SqlDialect, SqlQuery } from "@/app/_lib/users/users-view";

/** Read-only statements on the database, rows as plain objects keyed by column alias. */
export interface SqlReads {
  dialect: SqlDialect;
  all<T>(q: SqlQuery): Promise<T[]>;
  /**
   * The rows as arrays of their columns in the statement's order: no object per row from the
   * driver (better-sqlite3 builds each through V8's API, about twice the time of an array: the
   * users list's page of 200 rows, bench/README.md phase 3i).
   */
  arrays(q: SqlQuery): Promise<unknown[][]>;
  /** how many statements are prepared (each text once, whatever its parameters) */
  prepared(): number;
  /**
   * A value that differs from every one read before whenever anything committed to the database
   * since (another connection of this process — Prisma's, the worker's — or another process: the
   * CLI, a second hub replica); equal values mean the same committed data. It may also differ when
   * nothing this reader can see changed (a miss, never a stale answer). Read before a page's
   * statements and again after them, it keys an answer cache (app/_lib/users/list-cache.ts).
   *
   * SQLite: `PRAGMA data_version` on this reader's own connection. It changes on every commit by
   * any other connection (https://www.sqlite.org/pragma.html#pragma_data_version) but not on the
   * connection's own — so the reader connection never writes (`query_only`): no commit can be
   * missed.
   *
   * PostgreSQL (13 or later): the current snapshot, `pg_current_snapshot()` as text: xmin, xmax
   * (one past the last transaction id that ended) and the ids below xmax still running. A
   * transaction's commit either takes its id out of the running ids (it was below xmax) or moves
   * xmax past it, so no snapshot read after a commit reads as one before it; two equal snapshots
   * have the same transactions ended, so see the same rows (ids are 64-bit, never reused); a
   * transaction still open changes nothing. It takes no lock and nothing is written: unlike a
   * change counter row bumped by triggers, which would queue every writing transaction of every
   * replica on that row, or a sequence, which is not transactional (a reader could see a number
   * drawn by a transaction not yet committed, keep older rows under it and serve them after the
   * commit; bench/README.md phases 3k, 3r, 3x). Any writing transaction that ends on the server
   * (another database's too) makes the next read miss.
   */
  dataVersion(): Promise<DataVersion>;
}

/** SqlReads.dataVersion's value: compared for equality only. */
export type DataVersion = number | string;

// On the client object: the Express entry and the Next bundle have their own copies of this module.
const KEY = Symbol.for("gyre.db.sql-reads");
type Holder = { [KEY]?: SqlReads };

/** Makes `reads` the reader of `db` (openDatabase). */
export function attachSqlReads(db: Db, reads: SqlReads): void {
  (db as unknown as Holder)[KEY] = reads;
}

/** The driver-level reader openDatabase attached to `db`. */
export function readsOf(db: Db): SqlReads {
  const reads = (db as unknown as Holder)[KEY];
  if (!reads) throw new Error("this database client has no driver reads: open it with openDatabase (app/_lib/db/open.ts)");
  return reads;
}

/** The rows of a read statement, on the database driver. */
export function readRows<T>(db: Db, q: SqlQuery): Promise<T[]> {
  return readsOf(db).all<T>(q);
}

/** The rows of a read statement as arrays of their columns, on the database driver. */
export function readArrays(db: Db, q: SqlQuery): Promise<unknown[][]> {
  return readsOf(db).arrays(q);
}

// The statements are built from a few fixed shapes (user-model-sql.ts), so this bound is never
// reached in use; it keeps a mistake from growing the cache without end.
const MAX_STATEMENTS = 200;

/**
 * SQLite: a connection of its own beside Prisma's (WAL lets it read while Prisma writes), opened
 * at the first read — the hub applies migrations (which may create the file) before that.
 */
export function sqliteReads(opts: { file: string; Database: typeof BetterSqlite3 }): SqlReads & { close(): void } {
  let conn: BetterSqlite3.Database | null = null;
  // objects and arrays: a statement's raw mode is its own state, so each mode keeps its own
  const statements = new Map<string, BetterSqlite3.Statement>();
  const rawStatements = new Map<string, BetterSqlite3.Statement>();
  let version: BetterSqlite3.Statement | null = null;
  const open = () => {
    conn = new opts.Database(opts.file, { fileMustExist: true });
    // the same waits as Prisma's connection (open.ts) under concurrent spawns
    conn.pragma("busy_timeout = 5000");
    // data_version does not change on this connection's own commits: it must never make one
    conn.pragma("query_only = ON");
    return conn;
  };
  const prepare = (cache: Map<string, BetterSqlite3.Statement>, sql: string, raw: boolean) => {
    let st = cache.get(sql);
    if (!st) {
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      st = (conn ?? open()).prepare(sql);
      if (raw) st.raw(true);
      cache.set(sql, st);
    }
    return st;
  };
  return {
    dialect: "sqlite",
    async all<T>(q: SqlQuery): Promise<T[]> {
      return prepare(statements, q.sql, false).all(...q.params) as T[];
    },
    async arrays(q: SqlQuery): Promise<unknown[][]> {
      return prepare(rawStatements, q.sql, true).all(...q.params) as unknown[][];
    },
    prepared: () => statements.size + rawStatements.size,
    async dataVersion() {
      version ??= (conn ?? open()).prepare("PRAGMA data_version").pluck();
      return version.get() as number;
    },
    close() {
      statements.clear();
      rawStatements.clear();
      version = null;
      conn?.close();
      conn = null;
    },
  };
}

/** PostgreSQL's data version (SqlReads.dataVersion): xmin:xmax:running ids, as text. */
const SNAPSHOT = "SELECT pg_current_snapshot()::text";

/** pg_current_snapshot() came with PostgreSQL 13. */
const POSTGRES_MIN_VERSION_NUM = 130000;

/** Why the hub cannot run on this PostgreSQL server (its `server_version_num` and `server_version`), or null. */
export function postgresVersionProblem(versionNum: number, version: string): string | null {
  if (versionNum >= POSTGRES_MIN_VERSION_NUM) return null;
  return `hub.databaseUrl: the PostgreSQL server is version ${version}; Gyre needs PostgreSQL 13 or later`;
}

/** postgresVersionProblem of the server `db` is connected to. */
export async function checkPostgresVersion(db: Db): Promise<string | null> {
  const [row] = await readRows<{ num: string; version: string }>(db, {
    sql: `SELECT current_setting('server_version_num') AS "num", current_setting('server_version') AS "version"`,
    params: [],
  });
  return postgresVersionProblem(Number(row.num), row.version);
}

/**
 * PostgreSQL: named statements on the pool Prisma's adapter uses too (pg prepares a name once per
 * connection). Timestamps are read as UTC, as Prisma writes them (`timestamp(3)` columns, no zone).
 */
export function postgresReads(pool: Pool): SqlReads {
  const statementNames = postgresStatementNames("read", MAX_STATEMENTS);
  const nameOf = statementNames.nameOf;
  return {
    dialect: "postgres",
    async all<T>(q: SqlQuery): Promise<T[]> {
      const r = await pool.query<QueryResultRow>({ name: nameOf(q.sql), text: q.sql, values: q.params });
      return r.rows as T[];
    },
    async arrays(q: SqlQuery): Promise<unknown[][]> {
      // the same prepared statement; pg only parses its rows into arrays
      const r = await pool.query<unknown[]>({ name: nameOf(q.sql), text: q.sql, values: q.params, rowMode: "array" });
      return r.rows;
    },
    prepared: statementNames.count,
    async dataVersion() {
      const r = await pool.query<[string]>({ name: nameOf(SNAPSHOT), text: SNAPSHOT, rowMode: "array" });
      return r.rows[0][0];
    },
  };
}

/** pg's type parsers, with `timestamp` (no zone) read as UTC rather than the process's local time. */
export function utcTimestampTypes(types: typeof import("pg").types): { getTypeParser: typeof types.getTypeParser } {
  const TIMESTAMP = 1114;
  const utc = (v: string) => new Date(`${v.replace(" ", "T")}Z`);
  const getTypeParser = ((oid: number, format?: "text" | "binary"): unknown =>
    oid === TIMESTAMP && format !== "binary" ? utc : (types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)) as typeof types.getTypeParser;
  return { getTypeParser };
}
