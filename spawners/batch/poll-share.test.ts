import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJobStates, pollName, serializeJobStates } from "./poll-share";
import type { JobState } from "./types";

test("job states survive the database as JSON, dates included", () => {
  const states = new Map<string, JobState>([
    ["1", { kind: "pending", code: "PENDING", reason: "Resources", estimatedStart: new Date("2026-12-04T13:00:00Z") }],
    ["2", { kind: "running", code: "RUNNING", host: "n1", startedAt: new Date("2026-12-04T12:00:00Z"), endsAt: new Date("2026-12-04T14:00:00Z") }],
    ["3", { kind: "done", code: "TIMEOUT", exitCode: null, reason: "walltime", ending: true }],
    ["4", { kind: "unknown" }],
  ]);
  assert.deepEqual(parseJobStates(serializeJobStates(states)), states);
});

test("entries that are not job states are left out", () => {
  const parsed = parseJobStates(JSON.stringify({ "1": { kind: "running", code: "R", host: "" }, "2": { kind: "exploded" }, "3": null, "4": "running" }));
  assert.deepEqual([...parsed.keys()], ["1"]);
});

test("one poll per cluster and scheduler", () => {
  assert.equal(pollName("default", "slurm"), "default/slurm");
  assert.notEqual(pollName("gpu", "slurm"), pollName("gpu", "sge"));
});
