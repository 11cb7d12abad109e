import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { postgresVersionProblem, sqliteReads, utcTimestampTypes } from "./sql-reads";
import { adaptersSqlite } from "./open";

/** Where the hub's copy of better-sqlite3 is (for a child process to load it). */
function adaptersSqlitePath(): string {
  const here = createRequire(import.meta.url);
  return createRequire(here.resolve("@prisma/adapter-better-sqlite3")).resolve("better-sqlite3");
}

test("PostgreSQL timestamps without a zone read as UTC, whatever the process's zone; other types as pg reads them", () => {
  const zone = process.env.TZ;
  process.env.TZ = "Pacific/Auckland";
  try {
    const { getTypeParser } = utcTimestampTypes(pg.types);
    const parse = getTypeParser(1114) as (v: string) => Date;
    assert.equal(parse("2026-12-03 10:07:00.123").toISOString(), "2026-12-03T10:07:00.123Z");
    assert.equal(getTypeParser(1184), pg.types.getTypeParser(1184), "timestamptz keeps pg's parser");
    assert.equal((getTypeParser(20) as (v: string) => unknown)("12"), "12", "int8 as pg reads it (text)");
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
});

test("SQLite: rows as objects, one prepared statement per text, nothing opened before the first read", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-sql-reads-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "db.sqlite");
  const reads = sqliteReads({ file, Database });
  t.after(() => reads.close());
  assert.equal(reads.prepared(), 0);
  const setup = new Database(file);
  setup.exec(`CREATE TABLE "T" ("id" INTEGER PRIMARY KEY, "name" TEXT); INSERT INTO "T" VALUES (1, 'a'), (2, 'b'), (3, 'c');`);
  setup.close();
  const q = (ids: number[]) => ({
    sql: `SELECT "id", "name" FROM "T" WHERE "id" IN (SELECT "value" FROM json_each(?)) ORDER BY "id"`,
    params: [JSON.stringify(ids)],
  });
  assert.deepEqual(await reads.all(q([3, 1])), [
    { id: 1, name: "a" },
    { id: 3, name: "c" },
  ]);
  assert.deepEqual(await reads.all(q([2])), [{ id: 2, name: "b" }]);
  assert.equal(reads.prepared(), 1);
  await assert.rejects(reads.all({ sql: `SELECT "nope" FROM "T"`, params: [] }), /no such column/);
  // the same text as arrays of columns, in the statement's order; its own prepared statement, the objects' one unchanged
  assert.deepEqual(await reads.arrays(q([3, 1])), [
    [1, "a"],
    [3, "c"],
  ]);
  assert.deepEqual(await reads.all(q([2])), [{ id: 2, name: "b" }]);
  assert.deepEqual(await reads.arrays(q([2])), [[2, "b"]]);
  assert.equal(reads.prepared(), 2);
});

test("SQLite dataVersion: changes on every commit by another connection or process (WAL, before and after a checkpoint), never on the reader's own reads; the reader cannot write", async (t) => {
  // the hub's copy of SQLite (open.ts adaptersSqlite): the reader and the writers coordinate through one copy's locks
  const Sqlite = adaptersSqlite();
  const dir = mkdtempSync(join(tmpdir(), "gyre-data-version-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "db.sqlite");
  const writer = new Sqlite(file);
  t.after(() => writer.close());
  writer.pragma("journal_mode = WAL");
  writer.exec(`CREATE TABLE "T" ("id" INTEGER PRIMARY KEY, "name" TEXT); INSERT INTO "T" VALUES (1, 'a');`);
  const reads = sqliteReads({ file, Database: Sqlite });
  t.after(() => reads.close());

  const v0 = await reads.dataVersion();
  assert.equal(typeof v0, "number");
  await reads.all({ sql: `SELECT * FROM "T"`, params: [] });
  assert.equal(await reads.dataVersion(), v0, "the reader's own reads change nothing");
  assert.equal(await reads.dataVersion(), v0, "nor does asking twice");

  writer.prepare(`INSERT INTO "T" VALUES (2, 'b')`).run();
  const v1 = await reads.dataVersion();
  assert.notEqual(v1, v0, "a commit on another connection of this process");

  // a transaction not yet committed is not seen; its commit is
  writer.exec("BEGIN IMMEDIATE");
  writer.prepare(`UPDATE "T" SET "name" = 'c' WHERE "id" = 1`).run();
  assert.equal(await reads.dataVersion(), v1, "an open transaction is not a change yet");
  writer.exec("COMMIT");
  const v2 = await reads.dataVersion();
  assert.notEqual(v2, v1, "its commit is");

  // the WAL emptied by a checkpoint, then a new commit: still seen (the WAL's header changes, not only its length)
  writer.pragma("wal_checkpoint(TRUNCATE)");
  const v3 = await reads.dataVersion();
  writer.prepare(`UPDATE "T" SET "name" = 'd' WHERE "id" = 1`).run();
  assert.notEqual(await reads.dataVersion(), v3, "a commit after a truncating checkpoint");

  // another process (the CLI, a second hub) commits to the file
  const v4 = await reads.dataVersion();
  const script = `const D = require(${JSON.stringify(adaptersSqlitePath())}); const c = new D(${JSON.stringify(file)}); c.pragma("busy_timeout = 5000"); c.prepare('UPDATE "T" SET "name" = ? WHERE "id" = 2').run("from another process"); c.close();`;
  execFileSync(process.execPath, ["-e", script]);
  assert.notEqual(await reads.dataVersion(), v4, "a commit by another process");
  assert.deepEqual(await reads.all({ sql: `SELECT "name" FROM "T" WHERE "id" = 2`, params: [] }), [{ name: "from another process" }]);

  // the reader's connection is query_only: a write through it is refused, so none of its own commits can go unseen
  const v5 = await reads.dataVersion();
  await assert.rejects(reads.all({ sql: `INSERT INTO "T" VALUES (3, 'x') RETURNING "id"`, params: [] }), /readonly|read-only|query_only/i);
  await assert.rejects(reads.arrays({ sql: `DELETE FROM "T" RETURNING "id"`, params: [] }), /readonly|read-only|query_only/i);
  assert.equal(await reads.dataVersion(), v5);
  assert.equal(writer.prepare(`SELECT COUNT(*) FROM "T"`).pluck().get(), 2);
});

test("the PostgreSQL server's version: 13 or later runs; an older one is refused, naming the option and both versions", () => {
  assert.equal(postgresVersionProblem(130000, "13.0"), null);
  assert.equal(postgresVersionProblem(150010, "15.10 (Debian 15.10-0+deb12u1)"), null);
  const problem = postgresVersionProblem(120022, "12.22");
  assert.match(problem ?? "", /^hub\.databaseUrl: /);
  assert.match(problem ?? "", /version 12\.22; Gyre needs PostgreSQL 13 or later/);
});
