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

test("lookups stay cheap with 100,000 routes", () => {
  const t = new RouteTrie<number>();
  for (let i = 0; i < 100_000; i++) t.add(`/user/u${i}`, i);
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < 100_000; i++) if (t.match(`/user/u${(i * 7919) % 100_000}/api/x`)) hits++;
  const ms = performance.now() - t0;
  assert.equal(hits, 100_000);
  assert.ok(ms < 2000, `100k lookups took ${ms} ms`);
});
