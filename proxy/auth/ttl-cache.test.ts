import { test } from "node:test";
import assert from "node:assert/strict";
import { TtlCache } from "./ttl-cache";

test("entries expire at their ttl, null values are cached too", () => {
  const c = new TtlCache<string | null>();
  c.set("a", "alice", 10_000, 0);
  c.set("b", null, 2_000, 0);
  assert.equal(c.get("a", 9_999), "alice");
  assert.equal(c.has("b", 1_999), true);
  assert.equal(c.get("b", 1_999), null);
  assert.equal(c.has("b", 2_000), false);
  assert.equal(c.get("a", 10_000), undefined);
});

test("the oldest entry is dropped when full", () => {
  const c = new TtlCache<number>(2);
  c.set("a", 1, 100, 0);
  c.set("b", 2, 100, 0);
  c.set("c", 3, 100, 0);
  assert.equal(c.get("a", 1), undefined);
  assert.equal(c.get("c", 1), 3);
});
