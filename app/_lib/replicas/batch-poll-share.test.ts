// A batch server spawned, polled and stopped on a hub replica that does not hold its cluster's
// poll lease, on SQLite, with the command-level stand-in for Slurm: the job is submitted and
// cancelled by its owner, every squeue is run by the holder, and the owner follows the job
// through the holder's answers. Then the sharing scenarios of testing/batch-poll-scenarios.ts on
// SQLite (on PostgreSQL: batch-poll-share.int.test.ts; on real Slurm: batch-poll.hpc.test.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { FakeBatchScheduler, FakeCallbackChannel } from "@/spawners/testing/fake-batch-scheduler";
import { batchSpawnerConfigSchema } from "@/spawners/batch/config";
import { DIALECTS } from "@/spawners/batch/dialects/index";
import { getSharedPoller } from "@/spawners/batch/poller";
import type { CommandRunner } from "@/spawners/batch/run-command";
import { BatchSpawner } from "@/spawners/batch/spawner";
import { DbBatchPollShare } from "./batch-poll-share";
import { HubReplica } from "./replica";
import { describeBatchPollSharing } from "./testing/batch-poll-scenarios";

const log = pino({ level: "silent" });
const HEARTBEAT_S = 0.1;
let db: Db;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gyre-batch-poll-unit-"));
  const opened = await openDatabase(`file:${join(dir, "gyre.db")}`);
  db = opened.db;
  await applyMigrations(db, opened.provider, process.cwd());
});
after(async () => {
  await db?.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a server on a replica without the poll lease starts, is polled and stops through the holder's squeue", async () => {
  const fake = new FakeBatchScheduler();
  const ran: { replica: string; command: string }[] = [];
  const runnerOf =
    (replica: string): CommandRunner =>
    (argv, o) => {
      ran.push({ replica, command: argv.find((a) => /^(sbatch|squeue|scancel)$/.test(a)) ?? argv[0] });
      return fake.run(argv, o);
    };
  const config = batchSpawnerConfigSchema.parse({
    scheduler: "slurm",
    pollIntervalSeconds: 0.2,
    stopTimeoutSeconds: 5,
    profiles: [{ name: "p", display: "p", walltimeSeconds: 600 }],
  });
  // a 3 s lease: a beat delayed under a loaded machine must not hand the poll to the owner (nothing here waits for an expiry)
  const a = new HubReplica({ db, log, leaseSeconds: 3, heartbeatSeconds: HEARTBEAT_S, id: "replica-a" });
  const b = new HubReplica({ db, log, leaseSeconds: 3, heartbeatSeconds: HEARTBEAT_S, id: "replica-b" });
  await a.start();
  await b.start();
  const shareA = new DbBatchPollShare(db, a, HEARTBEAT_S);
  const shareB = new DbBatchPollShare(db, b, HEARTBEAT_S);
  const runA = runnerOf("a");
  // replica a polls the cluster (it asked for the lease first); it has no server of its own there
  const pollerA = getSharedPoller(DIALECTS.slurm, runA, { intervalMs: 200, cluster: "default", share: shareA });
  await waitFor("replica a holds the poll", () => shareA.isPolling("default/slurm"));
  const channel = new FakeCallbackChannel();
  const c = {
    user: { name: "alice", osUser: "alice", admin: false, groups: [] },
    serverName: "",
    baseUrl: "/user/alice/",
    spawnId: "s-shared-1",
    token: "t0ken",
    apiToken: "api-t0ken",
    hubUrl: "",
    options: {},
    env: {},
    log,
  };
  const sp = new BatchSpawner(c, config, { channel, run: runnerOf("b"), pollShare: shareB });
  try {
    const started = sp.start();
    let failed: Error | undefined;
    started.catch((err: Error) => (failed = err));
    await waitFor("the job is submitted", () => {
      if (failed) throw failed;
      return !!sp.jobId;
    });
    const id = sp.jobId!;
    await waitFor("replica b sees its job pending through a's answer", async () => (await shareB.read("default/slurm"))?.states.get(id)?.kind === "pending");
    fake.set(id, "running");
    channel.answer(c.spawnId, "node1", 7051, id);
    assert.deepEqual(await started, { url: "http://node1:7051" });
    assert.equal(await sp.poll({ fresh: true }), null, "running");
    await sp.stop();
    assert.equal(fake.jobs.get(id)?.state, "gone");
    const by = (replica: string, command: string) => ran.filter((r) => r.replica === replica && r.command === command).length;
    assert.equal(by("b", "squeue"), 0, "the owner never asked the scheduler for states");
    assert.ok(by("a", "squeue") > 0, "the holder did");
    assert.equal(by("b", "sbatch"), 1, "the owner submitted");
    assert.equal(by("b", "scancel"), 1, "and cancelled");
    assert.equal(by("a", "sbatch") + by("a", "scancel"), 0, "the holder never acts on another replica's server");
    assert.equal(await db.batchJobWatch.count({ where: { jobId: id } }), 0, "the ended job is no longer watched");
  } finally {
    pollerA.close();
    sp.detach();
    await a.close();
    await b.close();
  }
});

describeBatchPollSharing({
  provider: "sqlite",
  async open() {
    const where = mkdtempSync(join(tmpdir(), "gyre-batch-poll-"));
    return { url: `file:${join(where, "gyre.db")}`, close: async () => rmSync(where, { recursive: true, force: true }) };
  },
});
