// Scheduler calls per poll cycle with 1 vs 100 tracked batch jobs: Gyre's shared BatchPoller vs
// one query per job (what batchspawner does). The scheduler is a STAND-IN CLI
// (bench/batch-fake-squeue.sh) that records each invocation; no real Slurm is needed.
//   npx tsx bench/batch-poll-bench.ts
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SpawnContext } from "@/spawners/types";
import type { BatchCallbackChannel } from "@/spawners/batch/callback";
import { batchSpawnerConfigSchema } from "@/spawners/batch/config";
import { SlurmDialect } from "@/spawners/batch/dialects/slurm";
import { BatchPoller } from "@/spawners/batch/poller";
import { runCommand, type CommandRunner } from "@/spawners/batch/run-command";
import { BatchSpawner } from "@/spawners/batch/spawner";

const FAKE = join(import.meta.dirname, "batch-fake-squeue.sh");
const CYCLES = 5;
const logFile = join(mkdtempSync(join(tmpdir(), "gyre-bench-")), "squeue-calls.log");
// the stand-in replaces argv[0] ("squeue"); everything else is the real Slurm dialect's argv
const run: CommandRunner = (argv, o) => runCommand([FAKE, ...argv.slice(1)], { ...o, env: { FAKE_SQUEUE_LOG: logFile } });
const invocations = () => readFileSync(logFile, "utf8").split("\n").filter(Boolean).length;
const channel: BatchCallbackChannel = {
  url: "http://127.0.0.1:1/",
  register: async () => "x",
  wait: () => new Promise(() => undefined),
  release: () => undefined,
};
const config = batchSpawnerConfigSchema.parse({ scheduler: "slurm", pollIntervalSeconds: 3600 });
const log = { info() {}, warn() {}, error() {}, debug() {} };

async function gyre(jobs: number): Promise<{ perCycle: number; ms: number }> {
  writeFileSync(logFile, "");
  const poller = new BatchPoller(SlurmDialect, run, { intervalMs: 3_600_000 });
  const spawners = Array.from({ length: jobs }, (_, i) => {
    const ctx = {
      user: { name: `u${i}`, osUser: `u${i}`, admin: false, groups: [] },
      serverName: "",
      baseUrl: `/user/u${i}/`,
      spawnId: `s${i}`,
      token: "t",
      apiToken: "a",
      hubUrl: "",
      options: {},
      env: {},
      log,
    } satisfies SpawnContext;
    const s = new BatchSpawner(ctx, config, { channel, run, poller });
    s.loadState({ scheduler: "slurm", jobId: String(1000 + i) }); // re-adopted running jobs
    return s;
  });
  const t0 = performance.now();
  for (let c = 0; c < CYCLES; c++) {
    await poller.refresh(); // the poll cycle
    const exits = await Promise.all(spawners.map((s) => s.poll())); // the hub polls every server
    if (exits.some((e) => e !== null)) throw new Error("a job was reported gone");
  }
  poller.close();
  return { perCycle: invocations() / CYCLES, ms: (performance.now() - t0) / CYCLES };
}

async function perJob(jobs: number): Promise<{ perCycle: number; ms: number }> {
  writeFileSync(logFile, "");
  const t0 = performance.now();
  for (let c = 0; c < CYCLES; c++) {
    // batchspawner: every spawner runs its own `squeue -j <id>` in its poll()
    await Promise.all(Array.from({ length: jobs }, (_, i) => run(SlurmDialect.queryCommand([String(1000 + i)]))));
  }
  return { perCycle: invocations() / CYCLES, ms: (performance.now() - t0) / CYCLES };
}

console.log(`scheduler: stand-in ${FAKE} (records invocations), ${CYCLES} poll cycles each`);
console.log("jobs | Gyre calls/cycle | Gyre ms/cycle | per-job calls/cycle | per-job ms/cycle");
for (const n of [1, 100]) {
  const g = await gyre(n);
  const p = await perJob(n);
  console.log(
    `${String(n).padStart(4)} | ${String(g.perCycle).padStart(16)} | ${g.ms.toFixed(1).padStart(13)} | ${String(p.perCycle).padStart(19)} | ${p.ms.toFixed(1).padStart(16)}`,
  );
}
