import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteTrie } from "./route-trie";

const routes = ["/", "/user/alice", "/user/alice/gpu", "/user/bob", "/services/x/y"];

const cases: Array<[url: string, expected: string | undefined]> = [
  ["/", "/"],
  ["/hub/login", "/"],
  ["/user/alice", "/user/alice"],
  ["/user/alice/", "/user/alice"],
  ["/user/alice/tree?x=/user/bob", "/user/alice"],
  ["/user/alice/gpu/api", "/user/alice/gpu"],
  ["/user/alice/gpux/api", "/user/alice"],
  ["/user/alicex/", "/"],
  ["/user/bob/api/kernels", "/user/bob"],
  ["/user//bob/", "/user/bob"],
  ["/services/x", "/"],
  ["/services/x/y/z", "/services/x/y"],
  ["/user/alice?next=1", "/user/alice"],
];

test("longest-prefix match, by whole segments (table-driven)", () => {
  const t = new RouteTrie<string>();
  for (const r of routes) t.add(r, r);
  assert.equal(t.size, routes.length);
  for (const [url, expected] of cases) {
    const m = t.match(url);
    assert.equal(m?.data, expected, url);
    if (m) assert.equal(m.prefix, expected, `prefix for ${url}`);
  }
});

test("no root route: unmatched paths give undefined", () => {
  const t = new RouteTrie<number>();
  t.add("/user/alice", 1);
  assert.equal(t.match("/hub/home"), undefined);
  assert.equal(t.match("/user/bob"), undefined);
  assert.equal(t.match("/user"), undefined);
  assert.equal(t.match("/user/alice/x")?.data, 1);
});

test("remove prunes and falls back to the shorter prefix", () => {
  const t = new RouteTrie<string>();
  for (const r of routes) t.add(r, r);
  assert.equal(t.remove("/user/alice"), true);
  assert.equal(t.remove("/user/alice"), false);
  assert.equal(t.remove("/nope/x"), false);
  assert.equal(t.match("/user/alice/tree")?.data, "/");
  assert.equal(t.match("/user/alice/gpu/x")?.data, "/user/alice/gpu");
  assert.equal(t.remove("/user/alice/gpu"), true);
  assert.equal(t.getExact("/user/alice/gpu"), undefined);
  assert.equal(t.size, 3);
  t.add("/user/bob", "again");
  assert.equal(t.size, 3, "replacing does not grow the count");
  assert.equal(t.getExact("/user/bob/"), "again");
});

test("a lookup among 100,000 routes walks one map per path segment, never the routes", () => {
  const t = new RouteTrie<number>();
  for (let i = 0; i < 100_000; i++) t.add(`/user/u${i}`, i);
  let hits = 0;
  for (let i = 0; i < 100_000; i++) {
    const k = (i * 7919) % 100_000;
    if (t.match(`/user/u${k}/api/x`)?.data === k) hits++;
  }
  assert.equal(hits, 100_000, "every lookup finds its own route");
  // the cost of a lookup, counted instead of timed: Map lookups made by one match
  const desc = Object.getOwnPropertyDescriptor(Map.prototype, "get")!;
  const get = desc.value as (this: Map<unknown, unknown>, key: unknown) => unknown;
  let gets = 0;
  Map.prototype.get = function (this: Map<unknown, unknown>, key: unknown): unknown {
    gets++;
    return get.call(this, key);
  };
  try {
    assert.equal(t.match("/user/u99999/api/x/y")?.data, 99_999);
  } finally {
    Object.defineProperty(Map.prototype, "get", desc);
  }
  // "user", then "u99999", whose node is a leaf: the walk stops there
  assert.ok(gets >= 2 && gets <= 5, `one match made ${gets} map lookups (5 path segments)`);
});
