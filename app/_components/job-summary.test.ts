import assert from "node:assert/strict";
import { test } from "node:test";
import { formatLeft, summarizeJob } from "./job-summary";

const now = Date.UTC(2026, 11, 3, 14, 0);

test("queued: scheduler, job, state code, the scheduler's reason, estimated start", () => {
  assert.deepEqual(
    summarizeJob(
      {
        jobId: "31",
        scheduler: "Grid Engine",
        cluster: "default",
        phase: "queued",
        state: "qw",
        reason: 'queue instance "all.q@vm" dropped because it is disabled',
        estimatedStart: "2026-12-03T15:00:00.000Z",
      },
      now,
    ),
    {
      text: 'Grid Engine job 31 is waiting in the queue (qw): queue instance "all.q@vm" dropped because it is disabled. Estimated start 2026-12-03 15:00 UTC.',
      warning: null,
    },
  );
  assert.equal(
    summarizeJob({ jobId: "7", scheduler: "Slurm", cluster: "gpu", phase: "queued", state: "" }, now).text,
    "Slurm job 7 (cluster gpu) is waiting in the queue.",
  );
});

test("running: node, the walltime's end and time left; a warning within warnSeconds", () => {
  const job = { jobId: "41", scheduler: "Slurm", cluster: "default", phase: "running" as const, state: "", node: "vm", warnSeconds: 900 };
  assert.deepEqual(summarizeJob({ ...job, endsAt: "2026-12-03T15:05:00.000Z" }, now), {
    text: "Slurm job 41 is running on vm; its walltime ends 2026-12-03 15:05 UTC (1 h 5 min left).",
    warning: null,
  });
  assert.deepEqual(summarizeJob({ ...job, endsAt: "2026-12-03T14:10:00.000Z" }, now), {
    text: "Slurm job 41 is running on vm; its walltime ends 2026-12-03 14:10 UTC (10 min left).",
    warning: "Your job ends in 10 min, when its walltime is reached, and your server with it: save your work.",
  });
  assert.equal(summarizeJob({ ...job, node: undefined }, now).text, "Slurm job 41 is running.");
});

test("formatLeft", () => {
  assert.deepEqual([formatLeft(-5), formatLeft(40), formatLeft(720), formatLeft(3600), formatLeft(3900)], ["0 s", "40 s", "12 min", "1 h", "1 h 5 min"]);
});
