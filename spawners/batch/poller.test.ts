import assert from "node:assert/strict";
import { test } from "node:test";
import { SlurmDialect } from "./dialects/slurm";
import { BatchPoller } from "./poller";
import type { CommandRunner } from "./run-command";

function fakeSqueue(): { run: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (argv) => {
    calls.push(argv);
    const ids = argv[argv.indexOf("-j") + 1].split(",");
    return { stdout: ids.map((id) => `${id}|RUNNING|None|vm|vm|2026-11-21T10:00:00`).join("\n"), stderr: "", exitCode: 0 };
  };
  return { run, calls };
}

test("one scheduler call per refresh, whatever the number of jobs", async () => {
  const { run, calls } = fakeSqueue();
  const p = new BatchPoller(SlurmDialect, run, { intervalMs: 60_000 });
  for (let i = 1; i <= 100; i++) p.track(String(i));
  await p.refresh();
  assert.equal(calls.length, 1);
  assert.equal(p.get("57")?.state.kind, "running");
  p.close();
});

test("concurrent refreshes share one query", async () => {
  const { run, calls } = fakeSqueue();
  const p = new BatchPoller(SlurmDialect, run, { intervalMs: 60_000 });
  p.track("1");
  p.track("2");
  await Promise.all([p.refresh(), p.refresh(), p.refresh()]);
  assert.equal(calls.length, 1);
  p.close();
});

test("a failed query keeps the cache (scheduler down is not 'all jobs gone')", async () => {
  let fail = false;
  const run: CommandRunner = async () =>
    fail ? { stdout: "", stderr: "Unable to contact slurm controller", exitCode: 1 } : { stdout: "1|RUNNING|None|vm|vm|x", stderr: "", exitCode: 0 };
  const p = new BatchPoller(SlurmDialect, run, { intervalMs: 60_000 });
  p.track("1");
  await p.refresh();
  fail = true;
  await p.refresh();
  assert.equal(p.get("1")?.state.kind, "running");
  assert.match(p.lastError ?? "", /squeue failed/);
  p.close();
});
