// Real PostgreSQL: the hub's own migration applier (prisma migrate deploy cannot run offline on
// PostgreSQL) and the generated client through the pg driver adapter.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { openDatabase } from "./open";
import { applyMigrations, listMigrations } from "./migrate";
import { startTestPostgres, type TestPostgres } from "../testing/postgres";

let pg: TestPostgres;
before(async () => {
  pg = await startTestPostgres(7691);
});
after(async () => {
  await pg?.stop();
});

test("migrations apply to a real PostgreSQL once, concurrently-safe, and the client reads and writes", async () => {
  const a = await openDatabase(pg.url);
  const b = await openDatabase(pg.url);
  assert.equal(a.provider, "postgres");
  // Two hubs starting at once: the advisory lock makes exactly one of them apply the migrations.
  const all = listMigrations(process.cwd(), "postgres").map((m) => m.name);
  const [ra, rb] = await Promise.all([applyMigrations(a.db, "postgres", process.cwd()), applyMigrations(b.db, "postgres", process.cwd())]);
  assert.deepEqual([...ra, ...rb], all, `applied: ${JSON.stringify([ra, rb])}`);
  assert.ok(ra.length === 0 || rb.length === 0);
  assert.deepEqual(await applyMigrations(a.db, "postgres", process.cwd()), []);
  const u = await a.db.user.create({ data: { name: "alice", admin: true } });
  await a.db.server.create({ data: { userId: u.id, name: "", state: "running", url: "http://127.0.0.1:1" } });
  const got = await b.db.user.findUnique({ where: { name: "alice" }, include: { servers: true } });
  assert.equal(got?.servers[0].state, "running");
  await assert.rejects(a.db.user.create({ data: { name: "alice" } }), /Unique constraint/);
  await a.db.$disconnect();
  await b.db.$disconnect();
});
