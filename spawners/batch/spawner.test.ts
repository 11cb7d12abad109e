// The batch spawner against a command-level stand-in for Slurm and Grid Engine
// (spawners/testing/fake-batch-scheduler.ts): where jobs are polled and cancelled after the
// config changed, what runs as the user, log retention. The same paths run on the real
// schedulers in batch.hpc.test.ts and hub.hpc.test.ts.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { FakeBatchScheduler, FakeCallbackChannel } from "../testing/fake-batch-scheduler";
import type { JsonObject, SpawnContext } from "../types";
import { batchSpawnerConfigSchema } from "./config";
import { getSharedPoller } from "./poller";
import { BatchSpawner } from "./spawner";
import { DIALECTS } from "./dialects/index";
import { sudoersAllows, sudoersPatterns, COMMAND_PATHS } from "./user-commands";

const log = { info() {}, warn() {}, error() {}, debug() {} };
// The pollers' timers are unref'd (they must not keep a hub alive); the hub has other handles, a test does not.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));
let n = 0;
function ctx(options: JsonObject = {}): SpawnContext {
  return {
    user: { name: "alice", osUser: "alice", admin: false, groups: [] },
    serverName: "",
    baseUrl: "/user/alice/",
    spawnId: `s${++n}`,
    token: "t0ken",
    apiToken: "api-t0ken",
    hubUrl: "",
    options,
    env: {},
    log,
  };
}

const base = { pollIntervalSeconds: 3600, stopTimeoutSeconds: 5, profiles: [{ name: "p", display: "p", walltimeSeconds: 600 }] };

/** Start a job through the fake and let it run and call back. */
async function startRunning(fake: FakeBatchScheduler, channel: FakeCallbackChannel, sp: BatchSpawner, c: SpawnContext): Promise<string> {
  const started = sp.start();
  let id = "";
  for (let i = 0; i < 200 && !id; i++) {
    await new Promise((r) => setTimeout(r, 5));
    id = sp.jobId ?? "";
  }
  fake.set(id, "running");
  channel.answer(c.spawnId, "node1", 7051, id);
  await started;
  return id;
}

/** `newHub`: a runner of its own, as a restarted hub has (shared pollers and their caches are per runner). */
function spawner(config: object, fake: FakeBatchScheduler, channel: FakeCallbackChannel, c: SpawnContext, newHub = false) {
  const cfg = batchSpawnerConfigSchema.parse({ ...base, ...config });
  return new BatchSpawner(c, cfg, { channel, run: newHub ? (a, o) => fake.run(a, o) : fake.run });
}

test("a job submitted to Grid Engine is polled and cancelled in Grid Engine after the config switched to Slurm", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx();
  const sge = spawner({ scheduler: "sge" }, fake, channel, c);
  const id = await startRunning(fake, channel, sge, c);
  const stored = sge.getState();
  assert.equal(stored.scheduler, "sge");
  assert.equal(stored.cluster, "default");

  // the hub restarts with scheduler: slurm
  fake.calls.length = 0;
  const slurm = spawner({ scheduler: "slurm" }, fake, channel, c, true);
  slurm.loadState(stored);
  assert.equal(await slurm.poll(), null, "still running, never 'no job was submitted'");
  assert.deepEqual(fake.commands(), ["qstat -xml -u *"]);
  await slurm.stop();
  assert.ok(fake.commands().includes(`qdel ${id}`), fake.commands().join(" | "));
  assert.ok(!fake.commands().some((x) => /^(squeue|scancel)/.test(x)), "Slurm is never asked about a Grid Engine job");
  assert.equal(fake.jobs.get(id)?.state, "gone");
});

test("a job of a cluster that left the config is managed with the scheduler and prefixes it was submitted with", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx({ profile: "gpu" });
  const withGpu = {
    scheduler: "slurm",
    clusters: { gpu: { scheduler: "sge", submitPrefix: ["sudo", "-n", "-u", "{osUser}", "-g", "gpu", "--"], queryPrefix: ["env", "SGE_CELL=gpu", "--"] } },
    profiles: [base.profiles[0], { name: "gpu", display: "gpu", cluster: "gpu" }],
  };
  const sp = spawner(withGpu, fake, channel, c);
  const id = await startRunning(fake, channel, sp, c);
  assert.ok(fake.calls.some((a) => a.join(" ") === `sudo -n -u alice -g gpu -- qsub -terse`));
  const stored = sp.getState();
  fake.calls.length = 0;
  const later = spawner({ scheduler: "slurm" }, fake, channel, ctx(), true);
  later.loadState(stored);
  assert.equal(await later.poll(), null);
  assert.deepEqual(fake.calls[0], ["env", "SGE_CELL=gpu", "--", "qstat", "-xml", "-u", "*"]);
  await later.stop();
  assert.ok(fake.calls.some((a) => a.join(" ") === `sudo -n -u alice -g gpu -- qdel ${id}`));
});

test("a server stopped through the hub leaves no log; a failed start and a server that ended on its own keep theirs", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx();
  const sp = spawner({ scheduler: "slurm" }, fake, channel, c);
  await startRunning(fake, channel, sp, c);
  const logPath = sp.getState().logPath as string;
  assert.equal(logPath, `/home/alice/.gyre-batch-${c.spawnId}.log`);
  await sp.stop();
  assert.ok(fake.commands().includes(`rm -f -- ${logPath}`));

  const fake2 = new FakeBatchScheduler();
  const c2 = ctx();
  const failing = spawner({ scheduler: "slurm", queuedTimeoutSeconds: 0.001, pollIntervalSeconds: 0.02 }, fake2, channel, c2);
  await assert.rejects(failing.start(), /waited in the queue/);
  await failing.stop();
  const log2 = failing.getState().logPath as string;
  assert.ok(!fake2.commands().some((x) => x.includes(`rm -f -- ${log2}`)), "the failed start's log stays for the error page");

  // the hub's clean-up after a server that ended on its own (walltime, a crash)
  const fake3 = new FakeBatchScheduler();
  const c3 = ctx();
  const ended = spawner({ scheduler: "slurm" }, fake3, channel, c3);
  await startRunning(fake3, channel, ended, c3);
  await ended.stop({ ended: true });
  const log3 = ended.getState().logPath as string;
  assert.ok(!fake3.commands().some((x) => x.includes(`rm -f -- ${log3}`)), "the log of a server that ended on its own stays: it says why");
});

test("logRetention.keepPerUser: after a submission the user's oldest job logs beyond the newest N are deleted, as the user", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx();
  fake.logs = Array.from({ length: 5 }, (_, i) => ({ mtime: 1000 + i, path: `/home/alice/.gyre-batch-old${i}.log` }));
  fake.logs.push({ mtime: 999, path: "/home/alice/.gyre-batch-not a log.log" });
  const sp = spawner({ scheduler: "slurm", logRetention: { keepPerUser: 3 } }, fake, channel, c);
  await startRunning(fake, channel, sp, c);
  await new Promise((r) => setTimeout(r, 20));
  const cmds = fake.commands();
  assert.ok(cmds.includes(`find /home/alice -maxdepth 1 -type f -name .gyre-batch-*.log -printf %T@ %p\\n`), cmds.join(" | "));
  // the new log plus the two newest old ones stay
  assert.ok(cmds.includes("rm -f -- /home/alice/.gyre-batch-old2.log /home/alice/.gyre-batch-old1.log /home/alice/.gyre-batch-old0.log"), cmds.join(" | "));
  await sp.stop();
});

test("everything the spawner runs as the user is allowed by the documented sudoers rule, and nothing else is", async () => {
  for (const scheduler of ["slurm", "sge"] as const) {
    const fake = new FakeBatchScheduler();
    const channel = new FakeCallbackChannel();
    const c = ctx();
    const sp = spawner({ scheduler, logRetention: { keepPerUser: 1 } }, fake, channel, c);
    fake.logs = [{ mtime: 1, path: "/home/alice/.gyre-batch-x.log" }];
    fake.logTail = "line";
    await startRunning(fake, channel, sp, c);
    await sp.logTail();
    await new Promise((r) => setTimeout(r, 20));
    await sp.stop();
    const asUser = fake.calls.filter((a) => a[0] === "sudo").map((a) => a.slice(a.indexOf("--") + 1));
    const names = new Set(asUser.map((a) => a[0]));
    assert.deepEqual(
      [...names].sort(),
      ["dd", "find", "install", "rm", "tail", scheduler === "slurm" ? "sbatch" : "qsub", scheduler === "slurm" ? "scancel" : "qdel"].sort(),
    );
    const patterns = sudoersPatterns([scheduler]);
    for (const a of asUser) assert.ok(sudoersAllows(patterns, [COMMAND_PATHS[a[0]], ...a.slice(1)]), `not allowed by the rule: ${a.join(" ")}`);
    assert.ok(!sudoersAllows(patterns, [COMMAND_PATHS.rm, "-rf", "/home/alice"]), "the rule is not a blank cheque");
    assert.ok(!sudoersAllows(patterns, ["/usr/bin/bash", "-c", "id"]));
  }
});

test("the job script carries dask-jobqueue's settings for the profile, and the Dask dashboard link through the hub", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx();
  const sp = spawner(
    { scheduler: "slurm", profiles: [{ name: "p", display: "p", queue: "debug", account: "proj", cores: 4, memoryBytes: "8G", walltimeSeconds: 7200 }] },
    fake,
    channel,
    c,
  );
  await startRunning(fake, channel, sp, c);
  const script = [...fake.jobs.values()][0].script;
  for (const line of [
    "export DASK_JOBQUEUE__SLURM__QUEUE='debug'",
    "export DASK_JOBQUEUE__SLURM__ACCOUNT='proj'",
    "export DASK_JOBQUEUE__SLURM__WALLTIME='02:00:00'",
    "export DASK_JOBQUEUE__SLURM__CORES='4'",
    "export DASK_JOBQUEUE__SLURM__MEMORY='8192MiB'",
    "export DASK_DISTRIBUTED__DASHBOARD__LINK='/user/alice/proxy/{port}/status'",
    "export GYRE_CALLBACK_URL='http://hub.example:8081/hub/api/batch/callback'",
  ])
    assert.ok(script.includes(`\n${line}\n`), line);
  await sp.stop();
});

test("stored state says where the job went and what pages show: scheduler, cluster, node, times", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx();
  const sp = spawner({ scheduler: "slurm", walltimeWarningSeconds: 300 }, fake, channel, c);
  await startRunning(fake, channel, sp, c);
  const s = sp.getState();
  assert.deepEqual(
    { scheduler: s.scheduler, cluster: s.cluster, host: s.host, port: s.port, warnSeconds: s.warnSeconds, walltimeSeconds: s.walltimeSeconds },
    { scheduler: "slurm", cluster: "default", host: "node1", port: 7051, warnSeconds: 300, walltimeSeconds: 600 },
  );
  assert.equal(s.endsAt, new Date("2026-12-03T15:25:17").getTime(), "the scheduler's own end time");
  assert.deepEqual(s.submitPrefix, ["sudo", "-n", "-H", "-u", "{osUser}", "--"]);
  await sp.stop();
});

test("one shared poller per cluster: spawners of a cluster share one query per cycle; another cluster has its own", async () => {
  const fake = new FakeBatchScheduler();
  const opts = { intervalMs: 3600_000 };
  const cpu = getSharedPoller(DIALECTS.slurm, fake.run, { ...opts, cluster: "default" });
  assert.equal(getSharedPoller(DIALECTS.slurm, fake.run, { ...opts, cluster: "default" }), cpu);
  const gpu = getSharedPoller(DIALECTS.sge, fake.run, { ...opts, cluster: "gpu", queryPrefix: ["ssh", "gpu-login", "--"] });
  assert.notEqual(gpu, cpu);
  for (const id of ["1", "2", "3"]) cpu.track(id);
  for (const id of ["7", "8"]) gpu.track(id);
  await Promise.all([cpu.refresh(), gpu.refresh()]);
  assert.deepEqual(fake.calls.map((a) => a.slice(0, 4).join(" ")).sort(), ["squeue -h -t all", "ssh gpu-login -- 'qstat'"]);
  cpu.close();
  gpu.close();
});

test("JupyterHub's environment: the API token only in the 0600 secret file, never in the script the scheduler shows; API URLs on the nodes' hub address", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = { ...ctx(), env: { JUPYTERHUB_USER: "alice", JUPYTERHUB_API_URL: "http://127.0.0.1:8081/hub/api", JUPYTERHUB_API_TOKEN: "leak" } };
  const sp = spawner({ scheduler: "slurm", env: { JPY_API_TOKEN: "leak" } }, fake, channel, c);
  await startRunning(fake, channel, sp, c);
  const script = [...fake.jobs.values()][0].script;
  assert.ok(!script.includes("api-t0ken") && !script.includes("leak"), "no API token in the job script");
  assert.ok(!/(JUPYTERHUB_API_TOKEN|JPY_API_TOKEN)=/.test(script), "the launcher reads it from the secret file; the script never sets it");
  const secrets = [...fake.files.values()].join("\n");
  assert.ok(secrets.includes("JUPYTERHUB_API_TOKEN=api-t0ken"), "the token travels in the secret file");
  for (const line of [
    "export JUPYTERHUB_USER='alice'",
    "export JUPYTERHUB_API_URL='http://hub.example:8081/hub/api'",
    "export JUPYTERHUB_ACTIVITY_URL='http://hub.example:8081/hub/api/users/alice/activity'",
  ])
    assert.ok(script.includes(`\n${line}\n`), line);
  await sp.stop();
});

test("command jupyterhub-singleuser: the script tells the launcher so, its arguments quoted; the state says the server checks its users with the hub", async () => {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const c = ctx();
  const sp = spawner({ command: ["/usr/bin/jupyterhub-singleuser", "--SingleUserNotebookApp.x='a b'"] }, fake, channel, c);
  const id = await startRunning(fake, channel, sp, c);
  const script = fake.jobs.get(id)!.script;
  assert.match(script, /^export GYRE_SERVER_APP='singleuser'$/m);
  // one bash word, taken literally: the single quote inside is written '\''
  assert.ok(
    script.includes(`'--SingleUserNotebookApp.x='\\''a b'\\'''`),
    script.split("\n").find((l) => l.includes("GYRE_LAUNCHER_EOF")),
  );
  assert.equal(sp.getState().serverAuth, "hub");
  await sp.stop();

  const plain = ctx();
  const sp2 = spawner({}, fake, channel, plain);
  const id2 = await startRunning(fake, channel, sp2, plain);
  assert.doesNotMatch(fake.jobs.get(id2)!.script, /^export GYRE_SERVER_APP/m);
  assert.equal(sp2.getState().serverAuth, undefined);
  await sp2.stop();
});
