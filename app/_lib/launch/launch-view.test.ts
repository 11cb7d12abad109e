import { test } from "node:test";
import assert from "node:assert/strict";
import { buildPhaseRows } from "./launch-view";

const states = (rows: ReturnType<typeof buildPhaseRows>) => rows.map((r) => `${r.phase}:${r.state}${r.environment ? `(${r.environment})` : ""}`);

test("before anything: resolving is active, the usual phases follow", () => {
  assert.deepEqual(states(buildPhaseRows([], "running")), ["resolving:active", "fetching:pending", "building:pending", "starting:pending", "ready:pending"]);
});

test("a local launch: fetch, a reused environment, start, ready", () => {
  const events = [
    { message: "Resolving HEAD", phase: "resolving" },
    { message: "Server requested" },
    { message: "Fetching", phase: "fetching" },
    { message: "Environment cached", phase: "building", cached: true },
    { message: "Starting the server", phase: "starting" },
    { message: "Checking the server with its token" },
  ];
  assert.deepEqual(states(buildPhaseRows(events, "running")), ["resolving:done", "fetching:done", "building:done(reused)", "starting:active", "ready:pending"]);
  assert.deepEqual(states(buildPhaseRows(events, "ready")), ["resolving:done", "fetching:done", "building:done(reused)", "starting:done", "ready:done"]);
  assert.equal(buildPhaseRows(events, "running")[3].message, "Checking the server with its token");
});

test("a batch launch waits in the queue before it fetches; a failed build marks the environment row", () => {
  const events = [
    { message: "queued in Slurm (PD: Resources)", phase: "waiting" },
    { message: "running on node1" },
    { message: "Fetching", phase: "fetching" },
    { message: "pip install -r requirements.txt", phase: "building" },
  ];
  assert.deepEqual(states(buildPhaseRows(events, "failed")), [
    "resolving:done",
    "waiting:done",
    "fetching:done",
    "building:failed",
    "starting:pending",
    "ready:pending",
  ]);
  const built = [...events, { message: "Environment built", phase: "building", cached: false }];
  assert.equal(buildPhaseRows(built, "running").find((r) => r.phase === "building")?.environment, "built");
});

test("a link that fails to resolve fails the resolving row", () => {
  assert.deepEqual(states(buildPhaseRows([{ message: "Resolving nope", phase: "resolving" }], "failed")).slice(0, 2), ["resolving:failed", "fetching:pending"]);
});
