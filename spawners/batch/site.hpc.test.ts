// Real-scheduler tests of what a site configures (Grid Engine and Slurm on this host, set up by
// scripts/setup-sge.sh and scripts/setup-slurm.sh): its own job-script template, an epilogue,
// a profile's Python environment and command, memory written with a unit; and a job that
// outlives a change of scheduler in the config (it is still polled and stopped where it runs).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import type { JsonObject, SpawnContext, SpawnLogger } from "../types";
import { HttpCallbackReceiver } from "./callback";
import { batchSpawnerConfigSchema, type BatchSpawnerConfig } from "./config";
import { DIALECTS } from "./dialects/index";
import { BUILT_IN_TEMPLATE, checkJobScriptTemplate } from "./job-script";
import { BatchPoller, closeSharedPollers } from "./poller";
import { runCommand } from "./run-command";
import { BatchSpawner } from "./spawner";

const TEST_USER = process.env.TEST_USER ?? "hpctest";
const log: SpawnLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

function makeCtx(): SpawnContext {
  return {
    user: { name: TEST_USER, osUser: TEST_USER, admin: false, groups: [] },
    serverName: "",
    baseUrl: `/user/${TEST_USER}/`,
    spawnId: `t${randomBytes(6).toString("hex")}`,
    token: randomBytes(24).toString("hex"),
    apiToken: randomBytes(24).toString("base64url"),
    hubUrl: "http://127.0.0.1:1",
    options: {},
    env: {},
    log,
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function schedulerKnows(scheduler: "sge" | "slurm", jobId: string): Promise<boolean> {
  if (scheduler === "sge") {
    const r = await execa("qstat", ["-u", "*"], { reject: false });
    return r.stdout.split("\n").some((l) => l.trim().split(/\s+/)[0] === jobId);
  }
  const r = await execa("squeue", ["-h", "-j", jobId, "-o", "%T"], { reject: false });
  return /RUNNING|PENDING|COMPLETING/.test(r.stdout);
}

/** What the job's marker lines wrote to the shared file (the job runs as TEST_USER on this host). */
function markers(file: string, jobId: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.split(" ").includes(`job=${jobId}`));
}

// A world-writable directory the job (as TEST_USER) writes its markers into.
const dir = mkdtempSync(join(tmpdir(), "gyre-site-"));
await execa("chmod", ["1777", dir]);
// after every describe's own after(): their jobs are stopped, nothing writes here any more
after(() => rmSync(dir, { recursive: true, force: true }));
const markerFile = join(dir, "markers.txt");

// The site's template: Gyre's blocks plus a line of its own, which uses template variables.
const templatePath = join(dir, "site-job.sh.mustache");
const siteTemplate = BUILT_IN_TEMPLATE.replace(
  "{{prologue}}",
  `{{prologue}}\necho "site-template job=$GYRE_JOB_ID scheduler={{scheduler}} profile={{profile}} python=$(command -v {{pythonCommand}})" >> ${markerFile}`,
);
writeFileSync(templatePath, siteTemplate);

function siteConfig(scheduler: "sge" | "slurm"): BatchSpawnerConfig {
  return batchSpawnerConfigSchema.parse({
    scheduler,
    portRange: "7050-7089",
    pollIntervalSeconds: 1,
    startingTimeoutSeconds: 120,
    queuedTimeoutSeconds: 120,
    stopTimeoutSeconds: 40,
    jobScriptTemplate: templatePath,
    epilogue: [`echo "section-epilogue job=$GYRE_JOB_ID status=$GYRE_SERVER_STATUS" >> ${markerFile}`],
    profiles: [
      {
        name: "site",
        display: "site profile",
        walltimeSeconds: 600,
        memoryBytes: "2G",
        pythonEnvironment: "/usr",
        pythonCommand: "python3",
        epilogue: [`echo "profile-epilogue job=$GYRE_JOB_ID" >> ${markerFile}`],
      },
    ],
  });
}

describe(`a site's job script, epilogue, profile environment and memory (real qsub and sbatch, user ${TEST_USER})`, () => {
  let receiver: HttpCallbackReceiver;
  const live: BatchSpawner[] = [];
  const pollers: BatchPoller[] = [];
  before(async () => {
    receiver = await new HttpCallbackReceiver().listen("127.0.0.1", 7096);
  });
  after(async () => {
    for (const sp of live) await sp.stop().catch(() => undefined);
    for (const p of pollers) p.close();
    await receiver.close();
  });

  test("the site template passes the hub-start check", () => {
    assert.deepEqual(checkJobScriptTemplate(siteTemplate, ["epilogue"]), []);
  });

  for (const scheduler of ["sge", "slurm"] as const) {
    test(`${scheduler}: the template's own line ran with the profile's python; memory "2G" reached the scheduler; the epilogues ran after the server exited`, async (t) => {
      const poller = new BatchPoller(DIALECTS[scheduler], runCommand, { intervalMs: 1000 });
      pollers.push(poller);
      const ctx = makeCtx();
      const sp = new BatchSpawner(ctx, siteConfig(scheduler), { channel: receiver, poller, templates: new Map([[templatePath, siteTemplate]]) });
      live.push(sp);
      const { url } = await sp.start();
      const jobId = sp.jobId!;

      // memory with a unit, as the scheduler holds it (Grid Engine: per slot, here one)
      if (scheduler === "slurm") {
        const r = await execa("squeue", ["-h", "-j", jobId, "-o", "%m"]);
        assert.equal(r.stdout.trim(), "2G");
      } else {
        const r = await execa("qstat", ["-j", jobId]);
        assert.match(r.stdout, /h_vmem=2048M/);
      }

      const [site] = await waitFor("the template's own line", async () => {
        const m = markers(markerFile, jobId).filter((l) => l.startsWith("site-template"));
        return m.length ? m : null;
      });
      assert.equal(site, `site-template job=${jobId} scheduler=${scheduler} profile=site python=/usr/bin/python3`);

      // the server ends on its own (jupyter_server's shutdown API): the script goes on to the epilogues
      await waitFor(
        "server answers",
        async () => (await fetch(`${url}${ctx.baseUrl}api/status`, { headers: { Authorization: `token ${ctx.token}` } }).catch(() => null))?.ok,
      );
      const shut = await fetch(`${url}${ctx.baseUrl}api/shutdown`, { method: "POST", headers: { Authorization: `token ${ctx.token}` } });
      assert.equal(shut.status, 200);
      const lines = await waitFor("both epilogues", async () => {
        const m = markers(markerFile, jobId).filter((l) => l.includes("epilogue"));
        return m.length >= 2 ? m : null;
      });
      t.diagnostic(lines.join(" | "));
      assert.deepEqual(lines, [`profile-epilogue job=${jobId}`, `section-epilogue job=${jobId} status=0`], "profile's epilogue first, then the section's");
      await waitFor("job gone", async () => !(await schedulerKnows(scheduler, jobId)));
      await poller.refresh();
      const exit = await waitFor("the end is noticed", async () => sp.poll());
      t.diagnostic(`reason: ${exit.reason}`);
      assert.match(exit.reason, /exit|ended/);
    });
  }

  for (const scheduler of ["sge", "slurm"] as const) {
    test(`${scheduler}: a job whose Python is missing fails at start with its exit status and what it means`, async () => {
      const poller = new BatchPoller(DIALECTS[scheduler], runCommand, { intervalMs: 1000 });
      pollers.push(poller);
      const config = batchSpawnerConfigSchema.parse({
        scheduler,
        pollIntervalSeconds: 1,
        startingTimeoutSeconds: 60,
        queuedTimeoutSeconds: 60,
        profiles: [{ name: "broken", display: "broken", walltimeSeconds: 600, pythonCommand: "/usr/bin/gyre-no-such-python" }],
      });
      const sp = new BatchSpawner(makeCtx(), config, { channel: receiver, poller });
      live.push(sp);
      const err = await sp.start().then(
        () => null,
        (e: unknown) => e as Error,
      );
      assert.ok(err, "the start failed");
      assert.match(err.message, /exit status 127 \(a command was not found/);
      assert.doesNotMatch(err.message, /no longer known/);
    });
  }

  test("slurm: scancel's TERM reaches the server and the epilogue still runs", async () => {
    const poller = new BatchPoller(DIALECTS.slurm, runCommand, { intervalMs: 1000 });
    pollers.push(poller);
    const sp = new BatchSpawner(makeCtx(), siteConfig("slurm"), { channel: receiver, poller, templates: new Map([[templatePath, siteTemplate]]) });
    live.push(sp);
    await sp.start();
    const jobId = sp.jobId!;
    await execa("scancel", [jobId]);
    const lines = await waitFor("the epilogue after scancel", async () => {
      const m = markers(markerFile, jobId).filter((l) => l.includes("section-epilogue"));
      return m.length ? m : null;
    });
    assert.match(lines[0], /^section-epilogue job=\d+ status=\d+$/);
    const exit = await waitFor("the end is noticed", async () => (await poller.refresh(), sp.poll()));
    assert.match(exit.reason, /cancelled/, "the server's own exit status does not hide the scancel");
  });
});

describe(`a job outlives a change of scheduler in the config (real qsub then a Slurm config, user ${TEST_USER})`, () => {
  let receiver: HttpCallbackReceiver;
  const live: BatchSpawner[] = [];
  before(async () => {
    receiver = await new HttpCallbackReceiver().listen("127.0.0.1", 7095);
  });
  after(async () => {
    for (const sp of live) await sp.stop().catch(() => undefined);
    closeSharedPollers();
    await receiver.close();
  });

  test("started on Grid Engine; the hub restarts configured for Slurm: the job is still seen running, then stopped on Grid Engine, no orphan", async (t) => {
    const base = { portRange: "7050-7089", pollIntervalSeconds: 1, startingTimeoutSeconds: 120, queuedTimeoutSeconds: 120, stopTimeoutSeconds: 30 };
    const sgeConfig = batchSpawnerConfigSchema.parse({ ...base, scheduler: "sge", profiles: [{ name: "small", display: "small", walltimeSeconds: 600 }] });
    const slurmConfig = batchSpawnerConfigSchema.parse({ ...base, scheduler: "slurm", profiles: [{ name: "small", display: "small", walltimeSeconds: 600 }] });
    const sgePoller = new BatchPoller(DIALECTS.sge, runCommand, { intervalMs: 1000 });
    const first = new BatchSpawner(makeCtx(), sgeConfig, { channel: receiver, poller: sgePoller });
    live.push(first);
    await first.start();
    const jobId = first.jobId!;
    const state = JSON.parse(JSON.stringify(first.getState())) as JsonObject;
    assert.equal(state.scheduler, "sge");
    sgePoller.close();

    // the restarted hub: a Slurm config, the spawner built from the stored state, its shared pollers
    const adopted = new BatchSpawner(makeCtx(), slurmConfig, { channel: receiver });
    live.push(adopted);
    adopted.loadState(state);
    assert.equal(adopted.dialect.kind, "sge", "managed where it was submitted");
    for (let i = 0; i < 3; i++) {
      assert.equal(await adopted.poll(), null, "still running (never 'no job was submitted')");
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(await schedulerKnows("sge", jobId));
    await adopted.stop();
    assert.equal(await schedulerKnows("sge", jobId), false, "no orphan left in Grid Engine");
    t.diagnostic(`Grid Engine job ${jobId} polled and stopped by a hub configured for Slurm`);
  });
});
