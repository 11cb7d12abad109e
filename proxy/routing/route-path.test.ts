import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeRoutePath, toRouteSpec, parseUserPath, isLogoutPath, parseDashboardPath, buildPortPredicate } from "./route-path";

test("route prefixes normalise like configurable-http-proxy's trimPrefix", () => {
  const cases: Array<[string, string]> = [
    ["", "/"],
    ["/", "/"],
    ["user/alice/", "/user/alice"],
    ["/user/alice/", "/user/alice"],
    ["/user/alice", "/user/alice"],
    ["/user/alice//", "/user/alice/"],
  ];
  for (const [input, out] of cases) assert.equal(normalizeRoutePath(input), out, input);
  assert.equal(toRouteSpec("/"), "/");
  assert.equal(toRouteSpec("/user/alice"), "/user/alice/");
});

test("user paths split into name, segments and query", () => {
  assert.deepEqual(parseUserPath("/user/alice/tree?x=1"), { user: "alice", userPrefix: "/user/alice", segments: ["tree"], query: "?x=1" });
  assert.deepEqual(parseUserPath("/user/a%40b"), { user: "a@b", userPrefix: "/user/a%40b", segments: [], query: "" });
  assert.equal(parseUserPath("/hub/home"), null);
  assert.equal(parseUserPath("/user/"), null);
  assert.equal(parseUserPath("/user/%zz/"), null);
});

test("logout paths (table-driven)", () => {
  const cases: Array<[string, boolean]> = [
    ["/user/alice/logout", true],
    ["/user/alice/logout/", true],
    ["/user/alice/gpu/logout", true],
    ["/user/alice/logout?x", true],
    ["/user/alice/tree/logout", true],
    ["/user/alice/a/b/logout", false],
    ["/user/alice/logoutx", false],
    ["/user/alice/", false],
  ];
  for (const [url, expected] of cases) assert.equal(isLogoutPath(parseUserPath(url)!), expected, url);
});

test("dashboard paths (table-driven)", () => {
  type Row = [string, null | { serverName: string; port: number; absolute: boolean; upstreamPath: string; redirectTo: string | null }];
  const cases: Row[] = [
    ["/user/alice/proxy/8787/status", { serverName: "", port: 8787, absolute: false, upstreamPath: "/status", redirectTo: null }],
    ["/user/alice/proxy/8787/", { serverName: "", port: 8787, absolute: false, upstreamPath: "/", redirectTo: null }],
    ["/user/alice/proxy/8787", { serverName: "", port: 8787, absolute: false, upstreamPath: "", redirectTo: "/user/alice/proxy/8787/" }],
    ["/user/alice/proxy/8787?a=1", { serverName: "", port: 8787, absolute: false, upstreamPath: "", redirectTo: "/user/alice/proxy/8787/?a=1" }],
    ["/user/alice/proxy/8787/json/counts.json?x=1", { serverName: "", port: 8787, absolute: false, upstreamPath: "/json/counts.json?x=1", redirectTo: null }],
    [
      "/user/alice/proxy/absolute/8787/status",
      { serverName: "", port: 8787, absolute: true, upstreamPath: "/user/alice/proxy/absolute/8787/status", redirectTo: null },
    ],
    ["/user/alice/gpu/proxy/8787/status", { serverName: "gpu", port: 8787, absolute: false, upstreamPath: "/status", redirectTo: null }],
    [
      "/user/alice/gpu/proxy/absolute/9000/x",
      { serverName: "gpu", port: 9000, absolute: true, upstreamPath: "/user/alice/gpu/proxy/absolute/9000/x", redirectTo: null },
    ],
    ["/user/alice/proxy/notaport/x", null],
    ["/user/alice/proxy/99999/x", null],
    ["/user/alice/tree", null],
    ["/user/alice/a/b/proxy/8787/", null],
  ];
  for (const [url, expected] of cases) assert.deepEqual(parseDashboardPath(parseUserPath(url)!), expected, url);
});

test("dashboard port allow-list with ranges", () => {
  const ok = buildPortPredicate([8787, "9000-9002"]);
  assert.deepEqual([8787, 8788, 8999, 9000, 9002, 9003].map(ok), [true, false, false, true, true, false]);
  assert.throws(() => buildPortPredicate(["9-1"]), /invalid dashboard port range/);
});
