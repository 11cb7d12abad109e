// Time from "start" to a usable notebook (api/status 200 with the token) through Gyre's batch
// spawner vs the bare submit→running latency of the scheduler (a `sleep` job polled every 100 ms),
// on the real single-host Grid Engine and Slurm (scripts/setup-sge.sh, scripts/setup-slurm.sh).
//   npx tsx bench/batch-latency-bench.ts [rounds=3]
import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { HttpCallbackReceiver } from "@/spawners/batch/callback";
import { batchSpawnerConfigSchema } from "@/spawners/batch/config";
import { BatchSpawner } from "@/spawners/batch/spawner";

const USER = process.env.TEST_USER ?? "hpctest";
const ROUNDS = Number(process.argv[2] ?? 3);
const log = { info() {}, warn() {}, error() {}, debug() {} };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bare(s: "sge" | "slurm"): Promise<number> {
  const t0 = performance.now();
  const sub =
    s === "sge"
      ? await execa("sudo", ["-n", "-u", USER, "qsub", "-terse", "-o", "/dev/null", "-j", "y", "-wd", "/tmp"], { input: "sleep 30\n" })
      : await execa("sudo", ["-n", "-u", USER, "sbatch", "--parsable", "-o", "/dev/null", "-D", "/tmp"], { input: "#!/bin/bash\nsleep 30\n" });
  const id = sub.stdout.trim().split(";")[0];
  for (;;) {
    const r = s === "sge" ? await execa("qstat", ["-u", "*"]) : await execa("squeue", ["-h", "-j", id, "-o", "%T"]);
    const running = s === "sge" ? r.stdout.split("\n").some((l) => l.trim().split(/\s+/)[0] === id && /\sr\s/.test(l)) : r.stdout.trim() === "RUNNING";
    if (running) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const ms = performance.now() - t0;
  await execa(s === "sge" ? "qdel" : "scancel", [id], { reject: false });
  return ms;
}

async function gyre(s: "sge" | "slurm", receiver: HttpCallbackReceiver): Promise<number> {
  const config = batchSpawnerConfigSchema.parse({
    scheduler: s,
    portRange: "7050-7089",
    pollIntervalSeconds: 1,
    profiles: [{ name: "p", display: "p", walltimeSeconds: 600 }],
  });
  const ctx = {
    user: { name: USER, osUser: USER, admin: false, groups: [] },
    serverName: "",
    baseUrl: `/user/${USER}/`,
    spawnId: `b${randomBytes(6).toString("hex")}`,
    token: randomBytes(24).toString("hex"),
    apiToken: randomBytes(24).toString("base64url"),
    hubUrl: "",
    options: {},
    env: {},
    log,
  };
  const sp = new BatchSpawner(ctx, config, { channel: receiver });
  const t0 = performance.now();
  const { url } = await sp.start();
  for (;;) {
    const r = await fetch(`${url}${ctx.baseUrl}api/status`, { headers: { Authorization: `token ${ctx.token}` } }).catch(() => null);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const ms = performance.now() - t0;
  await sp.stop();
  return ms;
}

const receiver = await new HttpCallbackReceiver().listen("127.0.0.1", 7097);
for (const s of ["sge", "slurm"] as const) {
  const b: number[] = [],
    g: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    b.push(await bare(s));
    g.push(await gyre(s, receiver));
  }
  console.log(
    `${s}: bare submit→running median ${Math.round(median(b))} ms (${b.map(Math.round).join(", ")}); Gyre start→api/status 200 median ${Math.round(median(g))} ms (${g.map(Math.round).join(", ")})`,
  );
}
await receiver.close();
process.exit(0);
