import { test } from "node:test";
import assert from "node:assert/strict";
import { SpawnerStateError, decodeSpawnerState, encodeSpawnerState } from "./state";
import type { SpawnerStateFormat } from "./kind";
import type { JsonObject } from "./types";

// A kind whose state went through two format changes: v1 {pid}, v2 {pid, host}, v3 {process: {pid, host}}.
const v3: SpawnerStateFormat = {
  version: 3,
  migrate(state, from) {
    let s: JsonObject = state;
    if (from < 2) s = { ...s, host: "localhost" };
    return { process: { pid: s.pid ?? null, host: s.host ?? null } };
  },
};

test("stored state is tagged with the kind's format version; no format declared = version 1", () => {
  assert.equal(encodeSpawnerState(v3, { process: { pid: 7, host: "n1" } }), '{"stateVersion":3,"state":{"process":{"pid":7,"host":"n1"}}}');
  assert.equal(encodeSpawnerState(undefined, { pid: 7 }), '{"stateVersion":1,"state":{"pid":7}}');
});

test("reading stored state: current, older (migrated), untagged (written before versions), empty (table-driven)", () => {
  const cases: Array<[name: string, format: SpawnerStateFormat | undefined, stored: string, want: JsonObject]> = [
    ["current version as stored", v3, '{"stateVersion":3,"state":{"process":{"pid":7,"host":"n1"}}}', { process: { pid: 7, host: "n1" } }],
    ["version 2 → 3", v3, '{"stateVersion":2,"state":{"pid":7,"host":"n1"}}', { process: { pid: 7, host: "n1" } }],
    ["version 1 → 3", v3, '{"stateVersion":1,"state":{"pid":7}}', { process: { pid: 7, host: "localhost" } }],
    ["untagged state is version 1", v3, '{"pid":7}', { process: { pid: 7, host: "localhost" } }],
    ["untagged state of a version-1 kind is read as is", undefined, '{"pid":7,"port":8888}', { pid: 7, port: 8888 }],
    ["nothing stored yet", undefined, "{}", {}],
    ["a round trip", { version: 1 }, encodeSpawnerState({ version: 1 }, { jobId: "42", scheduler: "slurm" }), { jobId: "42", scheduler: "slurm" }],
    ["a state with its own 'state' key but no version is untagged", undefined, '{"state":{"x":1}}', { state: { x: 1 } }],
  ];
  for (const [name, format, stored, want] of cases) assert.deepEqual(decodeSpawnerState(format, stored), want, name);
});

test("state this hub cannot read is refused with a reason (table-driven)", () => {
  const cases: Array<[name: string, format: SpawnerStateFormat | undefined, stored: string, want: RegExp]> = [
    ["written by a newer hub", { version: 1 }, '{"stateVersion":2,"state":{}}', /format version 2, newer than this hub reads \(1\)/],
    ["older, and the kind has no migration", { version: 2 }, '{"pid":1}', /format version 1 and this hub reads only version 2/],
    ["not JSON", undefined, "{pid", /not valid JSON/],
    ["not an object", undefined, "[1]", /not a JSON object/],
  ];
  for (const [name, format, stored, want] of cases)
    assert.throws(
      () => decodeSpawnerState(format, stored),
      (e: Error) => e instanceof SpawnerStateError && want.test(e.message),
      name,
    );
});
