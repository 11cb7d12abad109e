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

test("no details for stopped or failed servers, kinds that describe nothing, unknown kinds and unreadable state", () => {
  assert.equal(describe({ state: "stopped", spawnerKind: "batch", spawnerState: batchState }), null);
  assert.equal(describe({ state: "failed", spawnerKind: "batch", spawnerState: batchState }), null);
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
