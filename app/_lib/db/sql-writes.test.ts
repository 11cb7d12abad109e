import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { sqlParams, sqlTime, sqliteWrites } from "./sql-writes";

function setUp(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "gyre-sql-writes-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "db.sqlite");
  const other = new Database(file);
  other.pragma("journal_mode = WAL");
  other.exec(`CREATE TABLE "T" ("id" INTEGER PRIMARY KEY, "name" TEXT UNIQUE); INSERT INTO "T" VALUES (1, 'a');`);
  t.after(() => other.close());
  return { file, other };
}

test("timestamps as Prisma writes them: ISO with +00:00 on SQLite, zone-less UTC on PostgreSQL", () => {
  const d = new Date(Date.UTC(2026, 11, 4, 9, 5, 7, 89));
  assert.equal(sqlTime("sqlite", d), "2026-12-04T09:05:07.089+00:00");
  assert.equal(sqlTime("postgres", d), "2026-12-04 09:05:07.089");
  const st = sqlParams("postgres");
  assert.equal(`${st.p(1)} ${st.eq(`"c"`, null)}`, `$1 "c" IS NOT DISTINCT FROM $2`);
  assert.equal(sqlParams("sqlite").eq(`"c"`, "x"), `"c" IS ?`);
});

test("SQLite: changes and returned rows; a transaction's steps, skipped steps, and a failing step rolling back all", async (t) => {
  const { file, other } = setUp(t);
  const w = sqliteWrites({ file, Database });
  t.after(() => w.close());
  assert.deepEqual(await w.run({ sql: `UPDATE "T" SET "name" = ? WHERE "id" = ?`, params: ["b", 1] }), { changes: 1, rows: [] });
  assert.deepEqual(await w.run({ sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?) RETURNING "id"`, params: [2, "c"] }), { changes: 1, rows: [{ id: 2 }] });
  const done = await w.transaction([
    { q: { sql: `UPDATE "T" SET "name" = ? WHERE "id" = ?`, params: ["x", 9] } },
    { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [3, "d"] }, when: (d) => d[0]!.changes === 1 },
    { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [4, "e"] } },
  ]);
  assert.deepEqual(done, [{ changes: 0, rows: [] }, null, { changes: 1, rows: [] }]);
  await assert.rejects(
    w.transaction([
      { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [5, "f"] } },
      { q: { sql: `UPDATE "T" SET "name" = ? WHERE "id" = ?`, params: ["y", 9] }, orFail: "no row 9" },
    ]),
    /no row 9/,
  );
  await assert.rejects(
    w.transaction([
      { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [6, "a-dup"] } },
      { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [7, "a-dup"] } },
    ]),
    /UNIQUE/,
  );
  assert.deepEqual(other.prepare(`SELECT "id" FROM "T" ORDER BY "id"`).pluck().all(), [1, 2, 4], "the failed transactions left nothing");
  assert.equal(w.prepared(), 6, "one prepared statement per text, BEGIN IMMEDIATE / COMMIT / ROLLBACK included");
});

test("SQLite: while another connection holds the write lock across awaits (as Prisma's transactions do), a write waits without blocking the event loop", async (t) => {
  const { file, other } = setUp(t);
  const w = sqliteWrites({ file, Database, busyMs: 3000 });
  t.after(() => w.close());
  other.exec("BEGIN IMMEDIATE");
  other.exec(`UPDATE "T" SET "name" = 'held' WHERE "id" = 1`);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const write = w.run({ sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [2, "waited"] });
  const tx = w.transaction([
    { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [3, "t1"] } },
    { q: { sql: `INSERT INTO "T" ("id", "name") VALUES (?, ?)`, params: [4, "t2"] } },
  ]);
  let written = false;
  void write.then(() => (written = true));
  await new Promise((r) => setTimeout(r, 200));
  const ticksWhileHeld = ticks;
  assert.equal(written, false, "the write waits for the lock");
  other.exec("COMMIT");
  assert.equal((await write).changes, 1);
  assert.equal((await tx).length, 2);
  clearInterval(timer);
  // the 5 ms interval falls due before the 200 ms wait, so it has run once unless the loop was
  // blocked; how many times it ran depends on the machine's load, not on the code
  assert.ok(ticksWhileHeld >= 1, `the event loop ran while the write waited (${ticksWhileHeld} timer ticks in 200 ms)`);
  assert.deepEqual(other.prepare(`SELECT "name" FROM "T" ORDER BY "id"`).pluck().all(), ["held", "waited", "t1", "t2"]);
});

test("SQLite: a lock held longer than busyMs fails the write with SQLITE_BUSY", async (t) => {
  const { file, other } = setUp(t);
  const w = sqliteWrites({ file, Database, busyMs: 100 });
  t.after(() => w.close());
  other.exec("BEGIN IMMEDIATE");
  t.after(() => other.inTransaction && other.exec("ROLLBACK"));
  await assert.rejects(w.run({ sql: `UPDATE "T" SET "name" = ? WHERE "id" = ?`, params: ["z", 1] }), { code: "SQLITE_BUSY" });
});
