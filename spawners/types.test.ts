import { test } from "node:test";
import assert from "node:assert/strict";
import { SpawnOptionsError } from "./types";

test("a SpawnOptionsError from another copy of the module is still one (the Next bundle has its own copy)", async () => {
  // A second instance of this module, as Next's bundle holds beside the hub's.
  const other = (await import(new URL("./types.ts?another-copy", import.meta.url).href)) as typeof import("./types");
  assert.notEqual(other.SpawnOptionsError, SpawnOptionsError, "two copies of the class");
  const fromOther = new other.SpawnOptionsError('Invalid spawn option "cores": at most 8', "cores");
  assert.ok(fromOther instanceof SpawnOptionsError);
  assert.ok(new SpawnOptionsError("x") instanceof other.SpawnOptionsError);
  assert.ok(!(new Error("x") instanceof SpawnOptionsError));
  assert.ok(!((null as unknown as object) instanceof SpawnOptionsError));
});
