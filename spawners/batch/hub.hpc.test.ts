// The whole hub path on real schedulers: hub + proxy as separate processes (e2e/harness)
// with spawner.kind=batch, a non-root user (hpctest), starts through the REST API, progress read
// from the SSE stream, the notebook reached through the proxy, cancel while queued, a job killed
// behind the hub's back, a hub restart that re-adopts a running job, a hub restart that follows a
// queued job again (same job id), stop → job gone.
// Queue state is made observable by taking the queue down (Slurm partition DOWN / SGE qmod -d)
// while a spawn waits, then bringing it back.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { ADMIN, createUser, startGyre, type Gyre } from "@/e2e/harness";

const USER = process.env.TEST_USER ?? "hpctest";
const PROFILES = JSON.stringify([
  { name: "small", display: "1 core, 10 min", walltimeSeconds: 600 },
  { name: "two", display: "2 cores, 20 min", cores: 2, walltimeSeconds: 1200 },
]);

type Sched = "slurm" | "sge";
const NAME: Record<Sched, string> = { slurm: "Slurm", sge: "Grid Engine" };

async function holdQueue(s: Sched, hold: boolean): Promise<void> {
  if (s === "sge") await execa("qmod", [hold ? "-d" : "-e", "all.q"]);
  else await execa("scontrol", ["update", "PartitionName=debug", `State=${hold ? "DOWN" : "UP"}`]);
}

/** Job ids of USER's Gyre jobs the scheduler still lists. */
async function userJobs(s: Sched): Promise<string[]> {
  if (s === "slurm") {
    const r = await execa("squeue", ["-h", "-u", USER, "-o", "%i %j"], { reject: false });
    return r.stdout
      .split("\n")
      .filter((l) => / gyre-/.test(l))
      .map((l) => l.split(" ")[0]);
  }
  const r = await execa("qstat", ["-u", USER], { reject: false });
  return r.stdout
    .split("\n")
    .filter((l) => /gyre-/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
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

type Ev = { progress?: number; message?: string; ready?: boolean; failed?: boolean; at: number };

/** Reads the spawn's SSE progress stream until `until` says so (or the stream ends). */
async function readProgress(g: Gyre, until: (ev: Ev, all: Ev[]) => boolean, timeoutMs = 120_000): Promise<Ev[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const all: Ev[] = [];
  try {
    // straight to the hub: while a job sits in the queue the stream can be quiet for longer than
    // the proxy keeps a streaming response open (proxy.upstreamTimeoutSeconds); the browser's
    // EventSource reconnects and replays, this reader would not
    const r = await fetch(`${g.hubUrl}/hub/api/users/${USER}/server/progress`, { signal: ac.signal, headers: { authorization: `token ${g.token(USER)}` } });
    assert.equal(r.status, 200, "progress stream");
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const line = block.split("\n").find((l) => l.startsWith("data: "));
        if (!line) continue;
        const ev = { ...(JSON.parse(line.slice(6)) as Ev), at: Date.now() };
        all.push(ev);
        if (until(ev, all) || ev.ready || ev.failed) return all;
      }
    }
    return all;
  } catch (err) {
    throw new Error(`progress: ${(err as Error).message}; events so far: ${all.map((e) => e.message).join(" | ")}`, { cause: err });
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

type ServerModel = { state: string; ready: boolean; message: string | null };
async function serverModel(g: Gyre): Promise<ServerModel | undefined> {
  const m = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, ServerModel> };
  return m.servers[""];
}

async function start(g: Gyre, body: object): Promise<number> {
  const t0 = Date.now();
  const r = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "POST", body: JSON.stringify(body) });
  assert.equal(r.status, 202, await r.text());
  return t0;
}

async function notebookStatus(g: Gyre): Promise<number> {
  const r = await g.api(USER, `/user/${USER}/api/status`);
  await r.arrayBuffer();
  return r.status;
}

async function stopAndCheckGone(g: Gyre, s: Sched): Promise<void> {
  const r = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "DELETE" });
  assert.ok([202, 204].includes(r.status), String(r.status));
  await waitFor("server stopped", async () => ["stopped", undefined].includes((await serverModel(g))?.state), 60_000);
  await waitFor("job gone from the scheduler", async () => (await userJobs(s)).length === 0, 30_000);
}

for (const sched of ["slurm", "sge"] as const) {
  describe(`hub + proxy with the batch spawner on real ${NAME[sched]} (user ${USER})`, () => {
    let g: Gyre;
    before(async () => {
      for (const cmd of sched === "slurm" ? ["sbatch", "squeue"] : ["qsub", "qstat"]) {
        const r = await execa("which", [cmd], { reject: false });
        assert.equal(r.exitCode, 0, `${cmd} is missing: run scripts/setup-${sched}.sh first (npm run test:hpc does)`);
      }
      g = await startGyre({
        basePort: sched === "slurm" ? 7800 : 7806,
        env: {
          GYRE_SPAWNER__KIND: "batch",
          GYRE_SPAWNER__BATCH__SCHEDULER: sched,
          GYRE_SPAWNER__BATCH__PORT_RANGE: sched === "slurm" ? "7050-7069" : "7070-7089",
          GYRE_SPAWNER__BATCH__POLL_INTERVAL_SECONDS: "1",
          GYRE_SPAWNER__BATCH__PROFILES: PROFILES,
          GYRE_HUB__POLL_INTERVAL_SECONDS: "2",
          // a queued job must outlive the hub's own start timeout (https://github.com/jupyterhub/batchspawner/issues/88)
          GYRE_HUB__START_TIMEOUT_SECONDS: "5",
        },
      });
      await createUser(g, USER, "hpctest-password-1");
    });
    after(async () => {
      await holdQueue(sched, false).catch(() => undefined);
      for (const id of await userJobs(sched)) await execa(sched === "slurm" ? "scancel" : "qdel", [id], { reject: false });
      await g?.stop();
    });

    test("bad options are refused with a 400 naming the field; nothing is written", async () => {
      const r = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "POST", body: JSON.stringify({ profile: "huge" }) });
      assert.equal(r.status, 400);
      assert.match(((await r.json()) as { message: string }).message, /"profile"/);
      const r2 = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "POST", body: JSON.stringify({ cores: 64 }) });
      assert.equal(r2.status, 400);
      assert.match(((await r2.json()) as { message: string }).message, /"cores"/);
      assert.equal((await serverModel(g))?.state ?? "stopped", "stopped");
    });

    test("queued job: progress shows the queue state past hub.startTimeoutSeconds; cancel removes the job", async () => {
      await holdQueue(sched, true);
      try {
        await start(g, { profile: "small" });
        const evs = await readProgress(g, (e) => /^queued in /.test(e.message ?? ""));
        const queued = evs.at(-1)!.message!;
        assert.match(queued, sched === "slurm" ? /^queued in Slurm \(PENDING: .+\)/ : /^queued in Grid Engine \(qw/, evs.map((e) => e.message).join(" | "));
        assert.equal((await userJobs(sched)).length, 1, "one job queued");
        // longer than hub.startTimeoutSeconds (5 s): the spawner owns its timeouts
        await new Promise((r) => setTimeout(r, 7000));
        assert.match((await serverModel(g))?.state ?? "", /^(pending|starting)$/, "still waiting in the queue");
        assert.equal((await userJobs(sched)).length, 1, "the job is still queued");
        // the spawn page's Cancel button is this DELETE (useStopServer)
        await stopAndCheckGone(g, sched);
        const m = await serverModel(g);
        assert.equal(m?.state, "stopped");
      } finally {
        await holdQueue(sched, false);
        if ((await userJobs(sched)).length) await stopAndCheckGone(g, sched).catch(() => undefined);
      }
    });

    test("queued → running → notebook through the proxy; a job killed behind the hub's back is marked stopped with the reason", async (t) => {
      await holdQueue(sched, true);
      let released = false;
      try {
        await start(g, { profile: "two" });
        const evs = await readProgress(g, (e) => {
          if (/^queued in /.test(e.message ?? "") && !released) {
            released = true;
            void holdQueue(sched, false);
          }
          return false;
        });
        const msgs = evs.map((e) => e.message ?? "");
        t.diagnostic(`progress: ${msgs.join(" | ")}`);
        assert.ok(evs.at(-1)?.ready, msgs.join(" | "));
        assert.ok(msgs.some((m) => /^queued in /.test(m)));
        assert.ok(msgs.some((m) => /^running on \S+/.test(m)));
        assert.ok(msgs.some((m) => /server starting/.test(m)));
      } finally {
        await holdQueue(sched, false);
      }
      assert.equal(await notebookStatus(g), 200, "/user/<name>/api/status through the proxy");
      const [jobId] = await userJobs(sched);
      assert.ok(jobId);
      await execa(sched === "slurm" ? "scancel" : "qdel", [jobId]);
      const killedAt = Date.now();
      const m = await waitFor(
        "server marked stopped",
        async () => {
          const s = await serverModel(g);
          return s?.state === "stopped" ? s : null;
        },
        30_000,
      );
      const took = Date.now() - killedAt;
      t.diagnostic(`killed → marked stopped in ${took} ms; reason: ${m.message}`);
      assert.match(m.message ?? "", sched === "slurm" ? /cancelled/ : /deleted|no longer known/);
      // one hub poll (2 s) + the batch poller's cycle (1 s) + teardown-state refreshes (≤ 3 s)
      assert.ok(took < 10_000, `noticed after ${took} ms`);
      assert.notEqual(await notebookStatus(g), 200, "route removed");
      // the hub's metrics saw it all: the wait in the queue, the start, the poll that found the job gone
      const r = await g.api(ADMIN.name, "/hub/metrics");
      assert.equal(r.status, 200);
      const metrics = await r.text();
      const count = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? "0");
      const waited = count(/^gyre_hub_batch_queue_wait_seconds_sum\{cluster="default",queue="[^"]*"\} (\S+)$/m);
      t.diagnostic(`queue wait observed: ${waited} s`);
      assert.ok(count(/^gyre_hub_batch_queue_wait_seconds_count\{cluster="default",queue="[^"]*"\} (\d+)$/m) >= 1, "queue wait observed");
      assert.ok(waited > 0, "the job waited while the queue was down");
      assert.ok(count(/^jupyterhub_server_spawn_duration_seconds_count\{status="success"\} (\d+)$/m) >= 1);
      assert.ok(count(/^jupyterhub_server_poll_duration_seconds_count\{status="stopped"\} (\d+)$/m) >= 1);
    });

    test("a queued job survives a hub restart with the same job id and starts when the queue frees", async (t) => {
      await holdQueue(sched, true);
      let jobId = "";
      try {
        await start(g, {});
        await readProgress(g, (e) => /^queued in /.test(e.message ?? ""));
        [jobId] = await userJobs(sched);
        assert.ok(jobId, "a job in the queue");
        // the job itself held: the queue may come back while the hub is down, the job stays queued
        await execa(sched === "slurm" ? "scontrol" : "qhold", sched === "slurm" ? ["hold", jobId] : [jobId]);
      } finally {
        await holdQueue(sched, false);
      }
      try {
        await g.killHub("SIGTERM");
        await waitFor(
          "hub port free",
          async () =>
            await fetch(`${g.hubUrl}/hub/api`).then(
              () => false,
              () => true,
            ),
          15_000,
        );
        await g.startHub();
        const again = await readProgress(g, (e) => new RegExp(`^following job ${jobId} in `).test(e.message ?? ""), 60_000);
        assert.ok(!again.at(-1)?.failed, again.map((e) => e.message).join(" | "));
        assert.deepEqual(await userJobs(sched), [jobId], "the same job still queued: not cancelled, not resubmitted");
        assert.equal((await serverModel(g))?.state, "starting");
      } finally {
        await execa(sched === "slurm" ? "scontrol" : "qrls", sched === "slurm" ? ["release", jobId] : [jobId]);
      }
      const released = Date.now();
      const evs = await readProgress(g, () => false);
      const msgs = evs.map((e) => e.message ?? "");
      t.diagnostic(`${NAME[sched]}: job ${jobId} released → ready ${Date.now() - released} ms after the hub restart; progress: ${msgs.join(" | ")}`);
      assert.ok(evs.at(-1)?.ready, msgs.join(" | "));
      assert.ok(
        msgs.some((m) => /^The hub restarted during the spawn; following it again$/.test(m)),
        "the same progress page goes on",
      );
      assert.ok(!msgs.some((m) => /starting again/.test(m)), "never restarted");
      await waitFor("api/status 200", async () => (await notebookStatus(g)) === 200, 30_000);
      assert.deepEqual(await userJobs(sched), [jobId], "still the one job");
      await stopAndCheckGone(g, sched);
    });

    test("start → usable notebook; a restarted hub re-adopts the running job; stop → job gone", async (t) => {
      const t0 = await start(g, {});
      const evs = await readProgress(g, () => false);
      assert.ok(evs.at(-1)?.ready, evs.map((e) => e.message).join(" | "));
      await waitFor("api/status 200", async () => (await notebookStatus(g)) === 200, 30_000);
      const running = evs.find((e) => /^running on/.test(e.message ?? ""));
      t.diagnostic(`${NAME[sched]}: start request → usable notebook ${Date.now() - t0} ms (→ "running on" event ${running ? running.at - t0 : "?"} ms)`);
      const jobsBefore = await userJobs(sched);
      assert.equal(jobsBefore.length, 1);

      // SIGTERM: the harness runs the hub under the tsx wrapper, which forwards SIGTERM but cannot
      // forward SIGKILL (a SIGKILLed wrapper leaves the real hub running on its port). The hub's
      // shutdown leaves user servers running either way.
      await g.killHub("SIGTERM");
      await waitFor(
        "hub port free",
        async () =>
          await fetch(`${g.hubUrl}/hub/api`).then(
            () => false,
            () => true,
          ),
        15_000,
      );
      await g.startHub();
      await waitFor("adopted server still ready", async () => (await serverModel(g))?.state === "running", 30_000);
      assert.equal(await notebookStatus(g), 200, "notebook still reachable after the hub restart");
      assert.deepEqual(await userJobs(sched), jobsBefore, "same job, not resubmitted");

      await stopAndCheckGone(g, sched);
    });
  });
}
