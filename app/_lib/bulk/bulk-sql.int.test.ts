// The bulk job runner's look for work on the driver (bulk-sql.ts) against the jobs its claim reads
// through Prisma, on SQLite and a real PostgreSQL: queued jobs, running ones whose hub's heartbeat
// is older than the stale limit (also one never refreshed), and none of the others.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@/app/_lib/db/open";
import { applyMigrations } from "@/app/_lib/db/migrate";
import type { Db } from "@/app/_lib/db/types";
import { readRows, readsOf } from "@/app/_lib/db/sql-reads";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { buildJobToClaimQuery } from "./bulk-sql";

process.env.TZ = "Pacific/Auckland";

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "gyre-bulk-sql-"));
before(async () => {
  pg = await startTestPostgres(7687);
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const STALE = new Date(Date.UTC(2026, 11, 6, 6, 0, 0, 250));
const at = (ms: number) => new Date(STALE.getTime() + ms);

for (const provider of ["sqlite", "postgres"] as const) {
  describe(`the bulk runner's look for work in SQL on ${provider}`, () => {
    let db: Db;
    before(async () => {
      const opened = await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url);
      db = opened.db;
      await applyMigrations(db, opened.provider, process.cwd());
    });
    after(async () => db?.$disconnect());

    test("a job to claim exactly when the runner's Prisma read finds one", async () => {
      const found = async () => (await readRows<{ id: string }>(db, buildJobToClaimQuery(readsOf(db).dialect, STALE))).map((r) => r.id);
      const prisma = async () =>
        (await db.bulkJob.findMany({ where: { OR: [{ state: "queued" }, { state: "running", heartbeatAt: { lt: STALE } }] } })).map((j) => j.id);
      const job = (id: string, state: string, heartbeatAt: Date | null) =>
        db.bulkJob.create({ data: { id, action: "stop", createdBy: "admin", state, total: 1, heartbeatAt } });
      await job("done-old", "done", at(-600_000));
      await job("running-fresh", "running", STALE);
      await job("running-never", "running", null);
      assert.deepEqual(await found(), []);
      assert.deepEqual(await prisma(), [], "nothing for the runner: a running job beating at the limit is not stale, one never beating is left alone");
      for (const [id, state, heartbeatAt] of [
        ["running-stale", "running", at(-1)],
        ["queued", "queued", null],
      ] as const) {
        await job(id, state, heartbeatAt);
        assert.deepEqual(await found(), [id]);
        assert.deepEqual(await prisma(), [id]);
        await db.bulkJob.delete({ where: { id } });
      }
    });
  });
}
