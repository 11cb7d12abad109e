import assert from "node:assert/strict";
import { test } from "node:test";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { encodeSpawnerState } from "@/spawners/state";
import { serverDescriber } from "./details";
import { toServerModel } from "./models";

const describe = serverDescriber(SPAWNER_KINDS);
const batchState = encodeSpawnerState(SPAWNER_KINDS.batch.state, {
  cluster: "default",
  scheduler: "slurm",
  jobId: "77",
  pending: { code: "PENDING", reason: "JobHeldUser" },
});

test("a queued batch server's job (id, scheduler, reason) is in the server JSON", () => {
  const row = {
    name: "",
    state: "starting",
    spawnerKind: "batch",
    spawnerState: batchState,
    url: null,
    options: "{}",
    message: null,
    startedAt: null,
    lastActivity: null,
  };
  const model = toServerModel("ada", row, { describe });
  assert.equal(model.details?.job?.jobId, "77");
  assert.equal(model.details?.job?.scheduler, "Slurm");
  assert.equal(model.details?.job?.phase, "queued");
  assert.equal(model.details?.job?.reason, "JobHeldUser");
});

test("where a server runs is in the same details: a local server's host and pid, a batch job's id and queue", () => {
  const local = encodeSpawnerState(SPAWNER_KINDS.local.state, { pid: 4100, startTime: 9000, host: "vm", url: "http://127.0.0.1:1/" });
  assert.deepEqual(describe({ state: "running", spawnerKind: "local", spawnerState: local }), { host: "vm", pid: 4100 });
  const d = describe({ state: "starting", spawnerKind: "batch", spawnerState: batchState });
  assert.equal(d?.scheduler, "slurm");
  assert.equal(d?.jobId, "77");
  assert.equal(d?.job?.scheduler, "Slurm");
});

test("no details for stopped servers, kinds that describe nothing, unknown kinds and unreadable state; a failed job keeps where it ran, not its job state", () => {
  assert.equal(describe({ state: "stopped", spawnerKind: "batch", spawnerState: batchState }), null);
  assert.deepEqual(describe({ state: "failed", spawnerKind: "batch", spawnerState: batchState }), { scheduler: "slurm", jobId: "77" });
  assert.equal(describe({ state: "running", spawnerKind: "local", spawnerState: "{}" }), null);
  assert.equal(describe({ state: "running", spawnerKind: "toString", spawnerState: batchState }), null);
  assert.equal(describe({ state: "running", spawnerKind: "batch", spawnerState: "not json" }), null);
  assert.equal(
    toServerModel("ada", {
      name: "",
      state: "running",
      spawnerKind: "batch",
      spawnerState: batchState,
      url: null,
      options: "{}",
      message: null,
      startedAt: null,
      lastActivity: null,
    }).details,
    null,
    "no describer given",
  );
});
