import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "./open";
import { applyMigrations, splitStatements } from "./migrate";

test("splitStatements drops comments and splits on statement ends", () => {
  assert.deepEqual(splitStatements("-- CreateTable\nCREATE TABLE a (x int);\n\n-- Index\nCREATE INDEX i ON a(x);\n"), [
    "CREATE TABLE a (x int)",
    "CREATE INDEX i ON a(x)",
  ]);
});

test("migrations apply to a fresh SQLite file once, then are no-ops, and the client works", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-mig-"));
  const { db } = await openDatabase(`file:${join(dir, "t.db")}`);
  const first = await applyMigrations(db, "sqlite", process.cwd());
  assert.ok(first.length >= 1);
  assert.deepEqual(await applyMigrations(db, "sqlite", process.cwd()), []);
  const u = await db.user.create({ data: { name: "alice" } });
  assert.equal((await db.user.findUnique({ where: { id: u.id } }))?.name, "alice");
  await db.$disconnect();
});
