// Usage of a real batch job, settled from real accounting: the test Slurm keeps accounting in
// slurmdbd (scripts/setup-slurm.sh), so the hub's settling reads `sacct` for a spawned server's job
// after it ended; the test Grid Engine writes its accounting file (scripts/setup-sge.sh), read by
// `qacct`. The job burns CPU and holds memory before its Jupyter server starts (a profile prologue,
// as a site's setup would), so the figures are known to be well above zero.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { openDatabase } from "@/app/_lib/db/open";
import { applyMigrations } from "@/app/_lib/db/migrate";
import type { Db } from "@/app/_lib/db/types";
import { createLogger } from "@/app/_lib/log";
import type { HubRuntime } from "@/app/_lib/runtime";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { HttpCallbackReceiver } from "@/spawners/batch/callback";
import { batchSpawnerConfigSchema, type BatchSpawnerConfig } from "@/spawners/batch/config";
import { DIALECTS } from "@/spawners/batch/dialects/index";
import { BatchPoller } from "@/spawners/batch/poller";
import { runCommand } from "@/spawners/batch/run-command";
import { BatchSpawner } from "@/spawners/batch/spawner";
import { decodeSpawnerState, encodeSpawnerState } from "@/spawners/state";
import type { SpawnContext } from "@/spawners/types";
import { UsageSampler, type SampledServer } from "./usage-sampler";

const TEST_USER = process.env.TEST_USER ?? "hpctest";
const RECEIVER_PORT = 7093;
/** CPU seconds the job's prologue burns (process time, so a busy machine only makes it slower) */
const BURN_CPU_SECONDS = 3;
/**
 * MiB the prologue holds: well above what the Jupyter server itself reaches (on Grid Engine, whose
 * maxvmem is virtual memory, an idle server peaks near 170 MiB), so the peak is the prologue's.
 */
const HOLD_MIB = 400;

function makeConfig(scheduler: "sge" | "slurm"): BatchSpawnerConfig {
  return batchSpawnerConfigSchema.parse({
    scheduler,
    portRange: "7050-7089",
    pollIntervalSeconds: 1,
    startingTimeoutSeconds: 180,
    queuedTimeoutSeconds: 120,
    stopTimeoutSeconds: 30,
    profiles: [{ name: "small", display: "1 core, 10 min", walltimeSeconds: 600 }],
    prologue: [`/usr/bin/python3 -c "import time; b = b'x' * (${HOLD_MIB} * 2**20); exec('while time.process_time() < ${BURN_CPU_SECONDS}: pass')"`],
  });
}

function makeCtx(spawnId: string): SpawnContext {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
  return {
    user: { name: TEST_USER, osUser: TEST_USER, admin: false, groups: [] },
    serverName: "",
    baseUrl: `/user/${TEST_USER}/`,
    spawnId,
    token: randomBytes(24).toString("hex"),
    apiToken: randomBytes(24).toString("base64url"),
    hubUrl: "http://127.0.0.1:1",
    options: {},
    env: {},
    log,
  };
}

const dir = mkdtempSync(join(tmpdir(), "gyre-usage-hpc-"));
let db: Db;
let receiver: HttpCallbackReceiver;
const pollers: BatchPoller[] = [];
let userId: number;
const live: BatchSpawner[] = [];

before(async () => {
  ({ db } = await openDatabase(`file:${join(dir, "gyre.db")}`));
  await applyMigrations(db, "sqlite", process.cwd());
  receiver = await new HttpCallbackReceiver().listen("127.0.0.1", RECEIVER_PORT);
  userId = (await db.user.create({ data: { name: TEST_USER } })).id;
});
after(async () => {
  for (const sp of live) await sp.stop().catch(() => undefined);
  for (const p of pollers) p.close();
  await receiver.close();
  await db.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** What the scheduler's own accounting says about the job, for the test's diagnostics. */
async function accountingOf(scheduler: "sge" | "slurm", jobId: string): Promise<string> {
  if (scheduler === "sge") return (await execa("qacct", ["-j", jobId], { reject: false })).stdout;
  return (await execa("sacct", ["-j", jobId, "--noheader", "--parsable2", "--format=JobID,State,Submit,Start,End,TotalCPU,MaxRSS"])).stdout;
}

for (const [scheduler, source, memory] of [
  ["slurm", "sacct", "MaxRSS"],
  // Grid Engine's maxvmem: the peak virtual memory of the job's processes (its ru_maxrss is printed in a wrong unit)
  ["sge", "qacct", "maxvmem"],
] as const) {
  test(
    `a spawned server's ${scheduler === "sge" ? "Grid Engine" : "Slurm"} job that burnt CPU: settling reads ${source} and stores CPU time, peak memory (${memory}), queue wait and run time`,
    { timeout: 300_000 },
    async (t) => {
      const config = makeConfig(scheduler);
      const poller = new BatchPoller(DIALECTS[scheduler], runCommand, { intervalMs: 1000 });
      pollers.push(poller);
      const spawnId = `u${randomBytes(6).toString("hex")}`;
      const sp = new BatchSpawner(makeCtx(spawnId), config, { channel: receiver, poller });
      live.push(sp);
      const requestedAt = new Date();
      await sp.start();
      const startedAt = new Date();
      const jobId = sp.jobId!;

      // The hub's own settling path, with only what it needs of the runtime.
      const samples: string[] = [];
      const rt = {
        db,
        config: { usage: { sampleSeconds: 0, settleHours: 24 } },
        log: createLogger("silent"),
      } as unknown as Pick<HubRuntime, "db" | "config" | "log">;
      const sampler = new UsageSampler({
        rt,
        catalog: SPAWNER_KINDS,
        spawnerForEndedRun: async (run) => {
          const ended = new BatchSpawner(makeCtx(run.spawnId), config, { channel: receiver, poller });
          ended.loadState(decodeSpawnerState(SPAWNER_KINDS.batch.state, run.spawnerState));
          const usage = ended.usage.bind(ended);
          ended.usage = async () => {
            const u = await usage();
            samples.push(JSON.stringify(u));
            return u;
          };
          return ended;
        },
      });
      const state = () => encodeSpawnerState(SPAWNER_KINDS.batch.state, sp.getState());
      const server: SampledServer = {
        id: 1,
        userId,
        name: "",
        spawnId,
        spawnerKind: "batch",
        spawnerState: state(),
        profile: "small",
        requestedAt,
        startedAt,
      };
      await sampler.opened(server, state(), startedAt);
      const lastSample = await sampler.beforeStop(server, sp);
      await sp.stop();
      await sampler.ended(server, lastSample, state(), new Date());

      const t0 = Date.now();
      let rec = await db.usageRecord.findUniqueOrThrow({ where: { spawnId } });
      while (!rec.settled && Date.now() - t0 < 120_000) {
        await sampler.settle(new Date());
        rec = await db.usageRecord.findUniqueOrThrow({ where: { spawnId } });
        if (!rec.settled) await new Promise((r) => setTimeout(r, 1000));
      }
      t.diagnostic(`${source} -j ${jobId}:\n${await accountingOf(scheduler, jobId)}`);
      t.diagnostic(`what settling read: ${samples.join(" | ")}`);
      t.diagnostic(
        `settled after ${Date.now() - t0} ms: cpu ${rec.cpuSeconds} s, peak ${Math.round((rec.peakMemoryBytes ?? 0) / 2 ** 20)} MiB, queue wait ${rec.queueWaitSeconds} s, source ${rec.source}`,
      );
      assert.equal(rec.settled, true, "settled once the job's accounting record is complete");
      assert.equal(rec.source, source);
      assert.ok(rec.cpuSeconds >= BURN_CPU_SECONDS * 0.8, `CPU time ${rec.cpuSeconds} s`);
      assert.ok((rec.peakMemoryBytes ?? 0) >= HOLD_MIB * 0.9 * 2 ** 20, `peak memory ${rec.peakMemoryBytes} B`);
      assert.ok(rec.queueWaitSeconds !== null && rec.queueWaitSeconds >= 0 && rec.queueWaitSeconds < 120, `queue wait ${rec.queueWaitSeconds}`);
      assert.ok(rec.endedAt && rec.endedAt.getTime() - rec.startedAt.getTime() > 0, "run time (start to end) stored");
      assert.equal((JSON.parse(rec.placement) as { jobId?: string }).jobId, jobId, "where it ran: the job id");
    },
  );
}
