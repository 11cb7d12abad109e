// Real-scheduler tests: Grid Engine (qsub) and Slurm (sbatch) on this host, set up by
// scripts/setup-sge.sh and scripts/setup-slurm.sh (npm run test:hpc runs them first). Each job is
// a real /usr/bin/jupyter-server (jupyter_server 1.23) running as the non-root user hpctest.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { SpawnError, type JsonObject, type SpawnContext, type SpawnLogger } from "../types";
import { HttpCallbackReceiver } from "./callback";
import { batchSpawnerConfigSchema, type BatchSpawnerConfig } from "./config";
import { DIALECTS } from "./dialects/index";
import { BatchPoller } from "./poller";
import { runCommand, type CommandRunner } from "./run-command";
import { BatchSpawner } from "./spawner";

const TEST_USER = process.env.TEST_USER ?? "hpctest";
const logLines: string[] = [];
const log: SpawnLogger = {
  info: (o, m) => void logLines.push(JSON.stringify([o, m])),
  warn: (o, m) => void logLines.push(JSON.stringify([o, m])),
  error: (o, m) => void logLines.push(JSON.stringify([o, m])),
  debug: () => undefined,
};

function makeConfig(scheduler: "sge" | "slurm", extra: Partial<Record<string, unknown>> = {}): BatchSpawnerConfig {
  return batchSpawnerConfigSchema.parse({
    scheduler,
    portRange: "7050-7089", // jobs' servers; the callback receivers use 7090-7099
    pollIntervalSeconds: 1,
    startingTimeoutSeconds: 120,
    queuedTimeoutSeconds: 120,
    stopTimeoutSeconds: 30,
    profiles: [{ name: "small", display: "1 core, 10 min", walltimeSeconds: 600 }],
    ...extra,
  });
}

function makeCtx(options: Record<string, string | number> = {}, user = TEST_USER): SpawnContext {
  return {
    user: { name: user, osUser: user, admin: false, groups: [] },
    serverName: "",
    baseUrl: `/user/${user}/`,
    spawnId: `t${randomBytes(6).toString("hex")}`,
    token: randomBytes(24).toString("hex"),
    apiToken: randomBytes(24).toString("base64url"),
    hubUrl: "http://127.0.0.1:1",
    options,
    // a port nothing listens on: the relay's own 503 shows Gyre's extension runs in the job
    env: { GYRE_DASHBOARD_PORTS: String(IDLE_DASHBOARD_PORT) },
    log,
  };
}

/** Allowed for dashboards in the tests' jobs; nothing listens there. */
const IDLE_DASHBOARD_PORT = 7097;

/** Runs real commands and records every argv (to show what reached the system). */
function recordingRunner(): { run: CommandRunner; argvs: string[][] } {
  const argvs: string[][] = [];
  return { argvs, run: (argv, o) => (argvs.push(argv), runCommand(argv, o)) };
}

async function schedulerKnows(scheduler: "sge" | "slurm", jobId: string): Promise<string> {
  if (scheduler === "sge") {
    const r = await execa("qstat", ["-u", "*"], { reject: false });
    return r.stdout.split("\n").find((l) => l.trim().split(/\s+/)[0] === jobId) ?? "";
  }
  const r = await execa("squeue", ["-h", "-j", jobId, "-o", "%i %T"], { reject: false });
  return r.stdout.trim();
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const scheduler of ["sge", "slurm"] as const) {
  describe(`${scheduler === "sge" ? "Grid Engine" : "Slurm"} (real ${scheduler === "sge" ? "qsub" : "sbatch"}, user ${TEST_USER})`, () => {
    let receiver: HttpCallbackReceiver;
    let poller: BatchPoller;
    const live: BatchSpawner[] = [];
    const config = makeConfig(scheduler);
    const port = scheduler === "sge" ? 7098 : 7099;

    before(async () => {
      receiver = await new HttpCallbackReceiver().listen("127.0.0.1", port);
      poller = new BatchPoller(DIALECTS[scheduler], runCommand, { intervalMs: 1000 });
    });
    after(async () => {
      // a failed assertion must not leave a job holding the node
      for (const sp of live) await sp.stop().catch(() => undefined);
      poller.close();
      await receiver.close();
    });

    test("start as the user → callback → api/status 200 with the token; token never in ps or the scheduler; re-adopt; stop → gone", async (t) => {
      const { run, argvs } = recordingRunner();
      const ctx = makeCtx();
      const sp = new BatchSpawner(ctx, config, { channel: receiver, run, poller });
      live.push(sp);
      const events: string[] = [];
      const progress = (async () => {
        for await (const e of sp.progress()) events.push(`${e.progress} ${e.message}`);
      })();
      const t0 = performance.now();
      const { url } = await sp.start();
      const tCallback = performance.now() - t0;
      await progress;
      // readiness exactly as the hub probes it
      const status = await waitFor("api/status 200", async () => {
        const r = await fetch(`${url}${ctx.baseUrl}api/status`, { headers: { Authorization: `token ${ctx.token}` } }).catch(() => null);
        return r?.status === 200 ? r : null;
      });
      const tReady = performance.now() - t0;
      assert.equal(status.status, 200);
      const unauth = await fetch(`${url}${ctx.baseUrl}api/status`);
      assert.equal(unauth.status, 403, "no token → 403");
      // Gyre's extension (dashboard relay) was loaded from the zip the job script carries
      const relay = await fetch(`${url}${ctx.baseUrl}proxy/${IDLE_DASHBOARD_PORT}/status`, { headers: { Authorization: `token ${ctx.token}` } });
      assert.equal(relay.status, 503);
      assert.match(await relay.text(), /Nothing listens on port 7097/);
      t.diagnostic(`submit→callback ${Math.round(tCallback)} ms, submit→api/status 200 ${Math.round(tReady)} ms`);
      t.diagnostic(`progress: ${events.join(" | ")}`);
      assert.ok(events.some((e) => e.includes("submitted")));
      assert.ok(
        events.some((e) => /running on \S+/.test(e)),
        events.join("|"),
      );
      assert.ok(events.some((e) => e.includes("server starting")));
      const jobId = sp.jobId!;

      // the server runs as the user, not root
      const who = await execa("ps", ["-o", "user=", "-C", "python3"]);
      assert.ok(
        who.stdout
          .split("\n")
          .map((s) => s.trim())
          .includes(TEST_USER),
      );

      // the tokens (the server's, and its hub API token) are in no argv, no scheduler output, no log line
      const ps = await execa("ps", ["-eo", "args"]);
      assert.ok(!ps.stdout.includes(ctx.token), "token visible in ps");
      assert.ok(!ps.stdout.includes(ctx.apiToken), "API token visible in ps");
      const sched =
        scheduler === "sge" ? await execa("qstat", ["-j", jobId], { reject: false }) : await execa("scontrol", ["show", "job", "-d", jobId], { reject: false });
      assert.ok(sched.stdout.length > 50, "scheduler shows the job");
      assert.ok(!sched.stdout.includes(ctx.token), `token visible in ${scheduler === "sge" ? "qstat -j" : "scontrol show job"}`);
      assert.ok(!sched.stdout.includes(ctx.apiToken), `API token visible in ${scheduler === "sge" ? "qstat -j" : "scontrol show job"}`);
      assert.ok(!argvs.flat().some((a) => a.includes(ctx.apiToken)), "API token in an argv we ran");
      assert.ok(!argvs.flat().some((a) => a.includes(ctx.token)), "token in an argv we ran");
      assert.ok(!logLines.some((l) => l.includes(ctx.token)), "token logged");
      // the secret file is gone once the hub accepted the callback
      await waitFor(
        "secret file removed",
        async () => (await execa("test", ["-e", `/home/${TEST_USER}/.gyre/${ctx.spawnId}.secret`], { reject: false })).exitCode !== 0,
        10_000,
      );

      // a hub restart: a new spawner instance re-adopts the job from its stored state
      const state = JSON.parse(JSON.stringify(sp.getState())) as JsonObject;
      const adopted = new BatchSpawner(makeCtx(), config, {
        channel: receiver,
        poller: new BatchPoller(DIALECTS[scheduler], runCommand, { intervalMs: 1000 }),
      });
      adopted.loadState(state);
      assert.equal(await adopted.poll(), null, "re-adopted job is running");
      assert.equal(adopted.getState().port, state.port);

      await adopted.stop();
      assert.equal(await schedulerKnows(scheduler, jobId), "", "job gone from the scheduler after stop()");
      // The original instance reads the shared poller's cache: it sees the end within one poll cycle.
      await waitFor("original instance sees it ended", async () => !!(await sp.poll())?.reason, 10_000);
    });

    test("a job killed behind the spawner's back is noticed within one poll, with a reason", async (t) => {
      const ctx = makeCtx();
      const sp = new BatchSpawner(ctx, config, { channel: receiver, poller });
      live.push(sp);
      await sp.start();
      const jobId = sp.jobId!;
      assert.equal(await sp.poll(), null);
      await execa(scheduler === "sge" ? "qdel" : "scancel", [jobId]);
      const callsBefore = poller.calls;
      await poller.refresh(); // the next poll cycle
      const exit = await sp.poll();
      assert.ok(exit, "noticed at the first poll after the kill");
      // (extra shared refreshes only while the job shows a teardown state such as CG/dr)
      t.diagnostic(`reason: ${exit.reason}; scheduler calls for all jobs meanwhile: ${poller.calls - callsBefore}`);
      assert.match(exit.reason, scheduler === "sge" ? /deleted|no longer known/ : /cancelled/);
      await waitFor("job gone", async () => (await schedulerKnows(scheduler, jobId)) === "");
      // the hub's clean-up after a server that ended on its own: the job's log, which says why, stays
      const logPath = sp.getState().logPath as string;
      await sp.stop({ ended: true });
      assert.equal((await execa("test", ["-s", logPath], { reject: false })).exitCode, 0, `${logPath} kept`);
      await execa("rm", ["-f", "--", logPath]);
    });

    test("hostile spawn options and names never reach a command", async () => {
      const hostileValues = ["x'; id; echo '", "$(id)", "`id`", "debug\n#SBATCH --uid=0", "a;b", "--partition=x"];
      const c = makeConfig(scheduler, { bounds: { queues: ["debug"], walltimeSeconds: { min: 600, max: 3600 } } });
      for (const v of hostileValues) {
        for (const options of [{ queue: v }, { profile: v }, { walltimeSeconds: v }, { account: v }, { prologue: v }]) {
          const { run, argvs } = recordingRunner();
          const sp = new BatchSpawner(makeCtx(options as unknown as Record<string, string>), c, { channel: receiver, run, poller });
          await assert.rejects(sp.start(), SpawnError, JSON.stringify(options));
          assert.deepEqual(argvs, [], `no command ran for ${JSON.stringify(options)}`);
        }
      }
      for (const osUser of ["root", "-s", "#0", "a b", "x;id"]) {
        const { run, argvs } = recordingRunner();
        const sp = new BatchSpawner(makeCtx({}, osUser), c, { channel: receiver, run, poller });
        await assert.rejects(sp.start(), SpawnError, osUser);
        assert.deepEqual(argvs, [], `no command ran for osUser ${osUser}`);
      }
    });

    test("cancel while queued: stop() during start() removes the job", async () => {
      // a queue with no free slots holds the job pending
      if (scheduler === "sge") await execa("qmod", ["-d", "all.q"]);
      else await execa("scontrol", ["update", "PartitionName=debug", "State=DOWN"]);
      try {
        const sp = new BatchSpawner(makeCtx(), config, { channel: receiver, poller });
        const events: string[] = [];
        const progress = (async () => {
          for await (const e of sp.progress()) events.push(e.message);
        })();
        const started = sp.start().catch((e: unknown) => e);
        await waitFor("queued event", async () => events.find((e) => e.startsWith("queued")), 30_000);
        const jobId = sp.jobId!;
        await sp.stop();
        const err = await started;
        await progress;
        assert.ok(err instanceof SpawnError && /cancelled/.test(err.message), String(err));
        assert.ok(
          events.some((e) => /^queued in (Grid Engine|Slurm) \((qw|PENDING)/.test(e)),
          events.join("|"),
        );
        assert.equal(await schedulerKnows(scheduler, jobId), "");
      } finally {
        if (scheduler === "sge") await execa("qmod", ["-e", "all.q"]);
        else await execa("scontrol", ["update", "PartitionName=debug", "State=UP"]);
      }
    });
  });
}

// Slurm's shortest time limit is one minute and slurmctld enforces limits on a ~30 s cycle, so this
// test takes 1–2 minutes; it is the one place a real walltime end is observed.
describe(`Slurm walltime (real sbatch, user ${TEST_USER})`, () => {
  let receiver: HttpCallbackReceiver;
  let poller: BatchPoller;
  const live: BatchSpawner[] = [];
  before(async () => {
    receiver = await new HttpCallbackReceiver().listen("127.0.0.1", 7097);
    poller = new BatchPoller(DIALECTS.slurm, runCommand, { intervalMs: 1000 });
  });
  after(async () => {
    for (const sp of live) await sp.stop().catch(() => undefined);
    poller.close();
    await receiver.close();
  });

  test("a job that reaches its walltime is noticed within one poll and the user is told so", { timeout: 240_000 }, async (t) => {
    const config = makeConfig("slurm", {
      profiles: [{ name: "minute", display: "1 core, 1 min", walltimeSeconds: 60 }],
      bounds: { walltimeSeconds: { min: 60, max: 3600 } },
    });
    const sp = new BatchSpawner(makeCtx(), config, { channel: receiver, poller });
    live.push(sp);
    await sp.start();
    const jobId = sp.jobId!;
    const t0 = Date.now();
    const exit = await waitFor("the job to end at its walltime", async () => sp.poll(), 200_000);
    t.diagnostic(`job ${jobId} ended ${Math.round((Date.now() - t0) / 1000)} s after it was running; reason: ${exit.reason}`);
    assert.match(exit.reason, /reached its 1 min walltime/);
  });
});
