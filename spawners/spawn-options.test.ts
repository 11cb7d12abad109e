// Start options are bounded before any kind sees them, so a kind that stores them as they come
// (the local kind has no form) cannot be made to store megabytes or values too deep to serialise.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SpawnerCatalog } from "./kind";
import { MAX_SPAWN_OPTIONS_BYTES, MAX_SPAWN_OPTIONS_DEPTH, validateSpawnOptions } from "./spawn-options";
import { SpawnOptionsError } from "./types";
import { testSpawnerKind } from "./testing";

const catalog = { free: testSpawnerKind("no form: options are taken as they come", () => ({}) as never) } as unknown as SpawnerCatalog;
const source = { catalog, kind: "free", config: { free: {} } };
const user = { name: "alice", admin: false, groups: [] };
const nested = (depth: number): unknown => (depth <= 1 ? {} : { a: nested(depth - 1) });

test("options nested deeper than the limit are refused with a message naming it", () => {
  assert.deepEqual(validateSpawnOptions(source, user, nested(MAX_SPAWN_OPTIONS_DEPTH)), nested(MAX_SPAWN_OPTIONS_DEPTH));
  assert.throws(
    () => validateSpawnOptions(source, user, nested(MAX_SPAWN_OPTIONS_DEPTH + 1)),
    (e: Error) => e instanceof SpawnOptionsError && e.message.includes(`at most ${MAX_SPAWN_OPTIONS_DEPTH} levels`),
  );
  // 100,000 levels: JSON.stringify would overflow the stack; the check is iterative
  let deep: unknown = {};
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  assert.throws(() => validateSpawnOptions(source, user, deep), SpawnOptionsError);
  assert.throws(() => validateSpawnOptions(source, user, [[[[[[[[[[]]]]]]]]]]), SpawnOptionsError, "arrays count too");
});

test("options larger than the limit are refused with a message naming it, whatever the kind would accept", () => {
  const big = { note: "x".repeat(MAX_SPAWN_OPTIONS_BYTES) };
  assert.throws(
    () => validateSpawnOptions(source, user, big),
    (e: Error) => e instanceof SpawnOptionsError && e.message.includes(`at most ${MAX_SPAWN_OPTIONS_BYTES} bytes`),
  );
  assert.deepEqual(validateSpawnOptions(source, user, { note: "x".repeat(1000) }), { note: "x".repeat(1000) });
});
