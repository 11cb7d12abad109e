import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { sqliteReads, utcTimestampTypes } from "./sql-reads";

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
