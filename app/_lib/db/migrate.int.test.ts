import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "./open";
import { applyMigrations, listMigrations, splitStatements } from "./migrate";

test("splitStatements drops comments and splits on statement ends", () => {
  assert.deepEqual(splitStatements("-- CreateTable\nCREATE TABLE a (x int);\n\n-- Index\nCREATE INDEX i ON a(x);\n"), [
    "CREATE TABLE a (x int)",
    "CREATE INDEX i ON a(x)",
  ]);
});

test("migrations apply to a fresh SQLite file once, then are no-ops, and the client works", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-mig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { db } = await openDatabase(`file:${join(dir, "t.db")}`);
  const first = await applyMigrations(db, "sqlite", process.cwd());
  assert.ok(first.length >= 1);
  assert.deepEqual(await applyMigrations(db, "sqlite", process.cwd()), []);
  const u = await db.user.create({ data: { name: "alice" } });
  assert.equal((await db.user.findUnique({ where: { id: u.id } }))?.name, "alice");
  await db.$disconnect();
});

test("the launches migration keeps existing servers and their spawn events (SQLite adds columns in place)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-mig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { db } = await openDatabase(`file:${join(dir, "t.db")}`);
  // the database as the hub left it before launches existed
  await db.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "_gyre_migrations" ("name" TEXT PRIMARY KEY, "applied_at" TEXT NOT NULL)`);
  for (const m of listMigrations(process.cwd(), "sqlite").filter((m) => !m.name.endsWith("_launches") && m.name < "20261203")) {
    for (const stmt of splitStatements(m.sql)) await db.$executeRawUnsafe(stmt);
    await db.$executeRawUnsafe(`INSERT INTO "_gyre_migrations" ("name", "applied_at") VALUES ('${m.name}', 'x')`);
  }
  await db.$executeRawUnsafe(`INSERT INTO "User" ("name", "admin", "authSource", "createdAt") VALUES ('alice', 0, 'local', '2026-01-01')`);
  await db.$executeRawUnsafe(`INSERT INTO "Server" ("userId", "name", "updatedAt") VALUES (1, '', '2026-01-01')`);
  await db.$executeRawUnsafe(`INSERT INTO "SpawnEvent" ("serverId", "spawnId", "progress", "message") VALUES (1, 's1', 100, 'Server ready')`);
  const applied = await applyMigrations(db, "sqlite", process.cwd());
  assert.ok(
    applied.some((n) => n.endsWith("_launches")),
    applied.join(","),
  );
  assert.equal(await db.spawnEvent.count(), 1);
  const launch = await db.launch.create({
    data: {
      userId: 1,
      provider: "gh",
      repoUrl: "https://github.com/o/r",
      rawSpec: "o/r/HEAD",
      ref: "HEAD",
      commit: "a".repeat(40),
      serverName: "r-aaaaaaaa",
      folder: "~/launches/r-aaaaaaaaaaaa",
    },
  });
  await db.server.update({ where: { id: 1 }, data: { launchId: launch.id } });
  await db.launch.delete({ where: { id: launch.id } });
  assert.equal((await db.server.findUniqueOrThrow({ where: { id: 1 } })).launchId, null);
  await db.$disconnect();
});
