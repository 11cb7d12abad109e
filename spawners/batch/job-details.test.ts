import assert from "node:assert/strict";
import { test } from "node:test";
import { describeBatchState } from "./job-details";

test("queued: job id, scheduler, its state code, reason and estimated start", () => {
  const d = describeBatchState(
    {
      cluster: "default",
      scheduler: "sge",
      jobId: "31",
      submittedAt: Date.UTC(2026, 11, 3, 14, 0),
      walltimeSeconds: 3600,
      pending: { code: "qw", reason: 'queue instance "all.q@vm" dropped because it is disabled', estimatedStart: Date.UTC(2026, 11, 3, 15, 0) },
      warnSeconds: 900,
    },
    "starting",
  );
  assert.deepEqual(d, {
    scheduler: "sge",
    jobId: "31",
    queue: undefined,
    host: undefined,
    job: {
      jobId: "31",
      scheduler: "Grid Engine",
      cluster: "default",
      phase: "queued",
      state: "qw",
      reason: 'queue instance "all.q@vm" dropped because it is disabled',
      estimatedStart: "2026-12-03T15:00:00.000Z",
      node: undefined,
      startedAt: undefined,
      endsAt: undefined,
      walltimeSeconds: 3600,
      warnSeconds: 900,
      queueWaitSeconds: undefined,
    },
  });
});

test("running: node, start and the walltime's end (the scheduler's own end time first, else start + walltime)", () => {
  const started = Date.UTC(2026, 11, 3, 14, 0);
  const own = describeBatchState(
    { cluster: "gpu", scheduler: "slurm", jobId: "41", host: "vm", startedAt: started, endsAt: started + 5 * 60_000, walltimeSeconds: 3600 },
    "running",
  );
  assert.equal(own?.job?.endsAt, "2026-12-03T14:05:00.000Z");
  assert.equal(own?.job?.node, "vm");
  assert.equal(own?.job?.cluster, "gpu");
  assert.equal(own?.job?.phase, "running");
  const derived = describeBatchState({ scheduler: "sge", jobId: "8", host: "vm", runningAt: started, walltimeSeconds: 3600 }, "running");
  assert.equal(derived?.job?.endsAt, "2026-12-03T15:00:00.000Z");
  assert.equal(derived?.job?.cluster, "default", "state from before clusters");
});

test("queue wait: submission to running as the hub saw it, once the job runs (gyre_hub_batch_queue_wait_seconds)", () => {
  const submitted = Date.UTC(2026, 11, 3, 14, 0);
  const state = { cluster: "gpu", scheduler: "slurm", jobId: "41", queue: "debug", submittedAt: submitted };
  assert.equal(describeBatchState(state, "starting").job?.queueWaitSeconds, undefined, "still queued");
  const running = describeBatchState({ ...state, runningAt: submitted + 95_500, startedAt: submitted + 90_000 }, "running");
  assert.equal(running.job?.queueWaitSeconds, 95.5);
  assert.equal(running.queue, "debug");
});

test("no job to show before the scheduler accepted one", () => {
  assert.equal(describeBatchState({}, "starting").job, undefined);
  assert.equal(describeBatchState({ scheduler: "slurm", jobId: "" }, "starting").job, undefined);
  assert.equal(describeBatchState({ scheduler: "slurm", jobId: "" }, "starting").scheduler, "slurm");
});
