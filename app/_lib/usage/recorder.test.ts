// Usage records against a real SQLite database: one record per run, whoever opens it first.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { openUsageRecord, type UsageRun } from "./recorder";

let hub: TestHub;
before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS });
});
after(() => hub.close());

test("opening a run's record twice keeps the first (a resumed or adopted run opens it again)", async () => {
  const user = await hub.addUser("rec1");
  const run: UsageRun = {
    userId: user.id,
    serverName: "",
    spawnId: "spawn-rec-1",
    spawnerKind: "local",
    profile: null,
    requestedAt: null,
    startedAt: new Date(1_000),
  };
  await openUsageRecord(hub.db, run, { host: "first" }, new Date(2_000));
  await openUsageRecord(hub.db, { ...run, startedAt: new Date(5_000) }, { host: "second" }, new Date(6_000));
  const rows = await hub.db.usageRecord.findMany({ where: { spawnId: "spawn-rec-1" } });
  assert.equal(rows.length, 1);
  assert.equal((JSON.parse(rows[0].placement) as { host?: string }).host, "first");
  assert.equal(rows[0].startedAt.getTime(), 1_000);
});

test("a failure other than the run's record existing is not swallowed", async () => {
  const run: UsageRun = {
    userId: 999_999,
    serverName: "",
    spawnId: "spawn-rec-2",
    spawnerKind: "local",
    profile: null,
    requestedAt: null,
    startedAt: new Date(),
  };
  await assert.rejects(openUsageRecord(hub.db, run, {}, new Date()));
});
