import assert from "node:assert/strict";
import { test } from "node:test";
import { SgeDialect } from "./dialects/sge";
import { SlurmDialect } from "./dialects/slurm";
import { BatchPoller } from "./poller";
import type { BatchPollShare, SharedPollResult } from "./poll-share";
import type { CommandRunner } from "./run-command";

function fakeSqueue(): { run: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (argv) => {
    calls.push(argv);
    const ids = argv[argv.indexOf("-j") + 1].split(",");
    return { stdout: ids.map((id) => `${id}|RUNNING|None|vm|vm|2026-11-21T10:00:00|2026-11-21T11:00:00|0`).join("\n"), stderr: "", exitCode: 0 };
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
    fail ? { stdout: "", stderr: "Unable to contact slurm controller", exitCode: 1 } : { stdout: "1|RUNNING|None|vm|vm|N/A|N/A|0", stderr: "", exitCode: 0 };
  const p = new BatchPoller(SlurmDialect, run, { intervalMs: 60_000 });
  p.track("1");
  await p.refresh();
  fail = true;
  await p.refresh();
  assert.equal(p.get("1")?.state.kind, "running");
  assert.match(p.lastError ?? "", /squeue failed/);
  p.close();
});

test("Grid Engine: while jobs pend, one more batched query (qstat -j) gives their reasons; none when nothing pends", async () => {
  const calls: string[][] = [];
  let pending = true;
  const run: CommandRunner = async (argv) => {
    calls.push(argv);
    if (argv.includes("-j")) {
      return {
        stdout:
          "<?xml version='1.0'?>\n<detailed_job_info><djob_info><element><JB_job_number>7</JB_job_number></element><element><JB_job_number>8</JB_job_number></element></djob_info>" +
          '<messages><element><SME_message_list><element><MES_message>queue instance "all.q@vm" dropped because it is disabled</MES_message></element></SME_message_list></element></messages></detailed_job_info>',
        stderr: "",
        exitCode: 0,
      };
    }
    const job = (id: string, state: string, list: string) =>
      `<job_list state="${list}"><JB_job_number>${id}</JB_job_number><state>${state}</state><queue_name>${list === "running" ? "all.q@vm" : ""}</queue_name></job_list>`;
    const jobs = pending ? job("7", "qw", "pending") + job("8", "qw", "pending") : job("7", "r", "running") + job("8", "r", "running");
    return { stdout: `<?xml version='1.0'?><job_info><queue_info></queue_info><job_info>${jobs}</job_info></job_info>`, stderr: "", exitCode: 0 };
  };
  const p = new BatchPoller(SgeDialect, run, { intervalMs: 60_000 });
  p.track("7");
  p.track("8");
  await p.refresh();
  assert.deepEqual(
    calls.map((c) => c.join(" ")),
    ["qstat -xml -u *", "qstat -j 7,8 -xml"],
  );
  assert.deepEqual(p.get("8")?.state, { kind: "pending", code: "qw", reason: 'queue instance "all.q@vm" dropped because it is disabled' });
  pending = false;
  calls.length = 0;
  await p.refresh();
  assert.deepEqual(
    calls.map((c) => c.join(" ")),
    ["qstat -xml -u *"],
  );
  p.close();
});

/** Two replicas' views of one in-memory poll table; `holder` says which one holds the lease. */
function memoryShares() {
  const watches = new Map<string, string>();
  let result: SharedPollResult | null = null;
  const lease = { holder: "a" };
  const view = (replica: string): BatchPollShare => ({
    takeOverMs: 1_000,
    isPolling: () => lease.holder === replica,
    watch: async (_poll, jobId) => void watches.set(jobId, replica),
    unwatch: async (_poll, jobId) => void (watches.get(jobId) === replica && watches.delete(jobId)),
    watchedJobs: async () => [...watches.keys()],
    publish: async (_poll, r) => {
      result = "error" in r ? { ...(result ?? { finishedAt: 0, states: new Map() }), startedAt: r.startedAt, error: r.error } : { ...r, error: null };
    },
    read: async () => result,
  });
  return { lease, watches, a: view("a"), b: view("b") };
}

test("shared: the lease holder's one query covers every replica's jobs; the other replica reads it and never queries", async () => {
  const shares = memoryShares();
  const a = fakeSqueue();
  const b = fakeSqueue();
  const pa = new BatchPoller(SlurmDialect, a.run, { intervalMs: 60_000, share: { via: shares.a, poll: "default/slurm" } });
  const pb = new BatchPoller(SlurmDialect, b.run, { intervalMs: 60_000, share: { via: shares.b, poll: "default/slurm" } });
  pa.track("1");
  pb.track("2");
  pb.track("3");
  await Promise.all([pa.flushed(), pb.flushed()]);
  const reading = pb.refresh(); // waits for an answer from a query that starts after it
  await pa.refresh();
  await reading;
  assert.deepEqual(
    a.calls.map((c) => c[c.indexOf("-j") + 1]),
    ["1,2,3"],
  );
  assert.equal(b.calls.length, 0);
  assert.equal(pb.get("3")?.state.kind, "running");
  assert.equal(pa.get("3"), undefined, "the holder caches only what its own servers follow");
  pb.untrack("3");
  await pb.flushed();
  assert.deepEqual([...shares.watches.keys()], ["1", "2"]);
  // the lease moves to b: its refresh queries the scheduler itself
  shares.lease.holder = "b";
  await pb.refresh();
  assert.deepEqual(
    b.calls.map((c) => c[c.indexOf("-j") + 1]),
    ["2,1"],
  );
  pa.close();
  pb.close();
});
