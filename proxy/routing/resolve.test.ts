// Where each request goes, HTTP and WebSocket, one row per case: URL + route table + who is asking
// → forward (route class, upstream, header edits) | redirect | refuse (status, message).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Identity } from "@/proxy/auth/access";
import { buildPortPredicate } from "./route-path";
import { RouteTable } from "./route-table";
import {
  MISSING_SCOPE,
  OTHER_SERVER,
  corsPreflightHeaders,
  decideGuarded,
  parseHubTarget,
  resolveRequest,
  type Caller,
  type RequestLike,
  type ResolveContext,
  type Resolution,
} from "./resolve";

const table = new RouteTable((spawnId) => `T-${spawnId}`);
// alice's servers are pods (dashboards "direct": the pod's own network); dave's is a local server on
// a unix socket, whose dashboards go through the server (its extension checks socket ownership).
table.add("/user/alice/", { target: "http://10.0.0.1:8888", user: "alice", server_name: "", spawn_id: "s1", dashboards: "direct" }, 0);
table.add("/user/alice/gpu/", { target: "http://10.0.0.2:8888", user: "alice", server_name: "gpu", spawn_id: "s2", dashboards: "direct" }, 0);
table.add("/user/dave/", { target: "http+unix://%2Ftmp%2Fgyre-rt-dave-x%2Fjupyter.sock", user: "dave", server_name: "", spawn_id: "s5" }, 0);
table.add("/user/notoken/", { target: "http://10.0.0.3:8888/base/", user: "notoken" }, 0);
table.add("/services/grafana", { target: "http://10.0.0.9:3000" }, 0);
table.add("/shared/bob", { target: "http://10.0.0.4:8888", user: "bob", spawn_id: "s4" }, 0);
const ctx: ResolveContext = { table, hub: parseHubTarget("http://127.0.0.1:8081"), isDashboardPort: buildPortPredicate([8787, "9000-9010"]) };

const as = (identity: Identity | null, cookieEdit: Caller["cookieEdit"] = identity?.via === "cookie" ? "keep=1" : undefined): Caller => ({
  identity,
  cookieEdit,
});
const ALICE = as({ user: "alice", admin: false, via: "cookie" });
const ALICE_TOKEN = as({ user: "alice", admin: false, via: "token", serverAccess: true });
const NOTOKEN_TOKEN = as({ user: "notoken", admin: false, via: "token", serverAccess: true });
const NOTOKEN_COOKIE = as({ user: "notoken", admin: false, via: "cookie" });
const NARROW = as({ user: "alice", admin: false, via: "token", serverAccess: false });
const BOB = as({ user: "bob", admin: false, via: "cookie" });
const CAROL = as({ user: "carol", admin: false, via: "cookie" });
const DAVE = as({ user: "dave", admin: false, via: "cookie" });
const ROOT = as({ user: "root", admin: true, via: "cookie" });
const NOBODY = as(null);

const HTML = { accept: "text/html" };
const SAME_SITE = { origin: "http://hub.example:8000", host: "hub.example:8000" };
const EVIL = { origin: "http://evil.example", host: "hub.example:8000" };
const show = (e: Caller["cookieEdit"]) => (e === undefined ? "keep" : e === null ? "drop" : e);

/** Both steps, and whether the second (who is asking) was needed. */
function resolve(method: string, url: string, headers: RequestLike["headers"], upgrade: boolean, caller: Caller): string {
  const req = { method, headers };
  const first = resolveRequest(req, url, upgrade, ctx);
  const r: Resolution = first.kind === "guarded" ? decideGuarded(first, req, caller, ctx) : first;
  const asked = first.kind === "guarded" ? "" : "(no identity) ";
  if (r.kind === "forward") {
    const where = r.socketPath !== null ? `unix:${r.socketPath}:` : `${r.protocol}//${r.host}:${r.port}`;
    const scrub = r.scrub !== null ? ` scrub=${r.scrub}` : "";
    return `${asked}forward ${r.routeClass} ${where}${r.path} auth=${show(r.authorization)} cookie=${show(r.cookie)}${r.stripLoginCookies ? " strip" : ""}${scrub}`;
  }
  if (r.kind === "redirect") return `${asked}redirect ${r.status} ${r.location}`;
  return `${asked}refuse ${r.status} ${r.message}`;
}

test("HTTP (table-driven)", () => {
  const cases: Array<[name: string, method: string, url: string, headers: RequestLike["headers"], caller: Caller, want: string]> = [
    [
      "owner: server token injected, hub cookie stripped",
      "GET",
      "/user/alice/tree",
      {},
      ALICE,
      "forward user http://10.0.0.1:8888/user/alice/tree auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "owner by API token: replaced by the server token",
      "GET",
      "/user/alice/api/status",
      {},
      ALICE_TOKEN,
      "forward user http://10.0.0.1:8888/user/alice/api/status auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    [
      "route without a spawn id: an API token is dropped, not passed on",
      "GET",
      "/user/notoken/api",
      {},
      NOTOKEN_TOKEN,
      "forward user http://10.0.0.3:8888/base/user/notoken/api auth=drop cookie=keep strip",
    ],
    [
      "route without a spawn id, cookie caller: Authorization untouched",
      "GET",
      "/user/notoken/api",
      {},
      NOTOKEN_COOKIE,
      "forward user http://10.0.0.3:8888/base/user/notoken/api auth=keep cookie=keep=1 strip",
    ],
    [
      "named server",
      "GET",
      "/user/alice/gpu/lab?x=1",
      {},
      ALICE,
      "forward user http://10.0.0.2:8888/user/alice/gpu/lab?x=1 auth=token T-s2 cookie=keep=1 strip scrub=T-s2",
    ],
    ["admin", "GET", "/user/alice/tree", {}, ROOT, "forward user http://10.0.0.1:8888/user/alice/tree auth=token T-s1 cookie=keep=1 strip scrub=T-s1"],
    ["anonymous browser → login with next", "GET", "/user/alice/tree?x=1", HTML, NOBODY, "redirect 302 /hub/login?next=%2Fuser%2Falice%2Ftree%3Fx%3D1"],
    ["anonymous, no Accept, not an API path → login", "GET", "/user/alice/tree", {}, NOBODY, "redirect 302 /hub/login?next=%2Fuser%2Falice%2Ftree"],
    ["anonymous API client → 403", "GET", "/user/alice/api/status", {}, NOBODY, "refuse 403 Authentication required: log in to the hub or send an API token."],
    [
      "anonymous POST → 403, not a redirect",
      "POST",
      "/user/alice/tree",
      HTML,
      NOBODY,
      "refuse 403 Authentication required: log in to the hub or send an API token.",
    ],
    ["another user", "GET", "/user/alice/tree", HTML, BOB, "refuse 403 You do not have access to alice's server."],
    ["a token without access:servers", "GET", "/user/alice/api/status", {}, NARROW, `refuse 403 ${MISSING_SCOPE}`],
    ["no route, browser → spawn page with next", "GET", "/user/carol/tree", HTML, CAROL, "redirect 302 /hub/spawn/carol?next=%2Fuser%2Fcarol%2Ftree"],
    ["no route, API client → 503", "GET", "/user/carol/api/status", {}, CAROL, "refuse 503 carol's server is not running."],
    ["no route, someone else → 403 before 503", "GET", "/user/carol/api/status", {}, BOB, "refuse 403 You do not have access to carol's server."],
    [
      "a %-encoded name is the same user; that raw prefix has no route",
      "GET",
      "/user/al%69ce/tree",
      HTML,
      ALICE,
      "redirect 302 /hub/spawn/alice?next=%2Fuser%2Fal%2569ce%2Ftree",
    ],
    ["logout goes to the hub, for anyone", "GET", "/user/alice/logout", {}, NOBODY, "(no identity) redirect 302 /hub/logout"],
    ["logout of a named server", "GET", "/user/alice/gpu/logout/", {}, NOBODY, "(no identity) redirect 302 /hub/logout"],
    [
      "cross-site POST → 403 before anyone is identified",
      "POST",
      "/user/alice/api/contents",
      EVIL,
      ALICE,
      "(no identity) refuse 403 Cross-origin request refused: the Origin header does not match this site.",
    ],
    [
      "same-site POST",
      "POST",
      "/user/alice/api/contents",
      SAME_SITE,
      ALICE,
      "forward user http://10.0.0.1:8888/user/alice/api/contents auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "cross-site GET is a navigation, not a state change",
      "GET",
      "/user/alice/tree",
      EVIL,
      ALICE,
      "forward user http://10.0.0.1:8888/user/alice/tree auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "dashboard: no hub credential upstream, path after the port",
      "GET",
      "/user/alice/proxy/8787/status?a=1",
      {},
      ALICE,
      "forward dashboard http://10.0.0.1:8787/status?a=1 auth=drop cookie=keep=1",
    ],
    [
      "dashboard, absolute: the public prefix kept",
      "GET",
      "/user/alice/proxy/absolute/8787/status",
      {},
      ALICE,
      "forward dashboard http://10.0.0.1:8787/user/alice/proxy/absolute/8787/status auth=drop cookie=keep=1",
    ],
    [
      "dashboard of a named server, port in a range",
      "GET",
      "/user/alice/gpu/proxy/9005/x",
      {},
      ALICE,
      "forward dashboard http://10.0.0.2:9005/x auth=drop cookie=keep=1",
    ],
    ["dashboard port not allowed", "GET", "/user/alice/proxy/7777/x", {}, ALICE, "refuse 404 Port 7777 is not an allowed dashboard port."],
    [
      "dashboard of a server on a shared host: to the server itself, token injected (its extension relays only the account's own sockets)",
      "GET",
      "/user/dave/proxy/8787/status?a=1",
      {},
      DAVE,
      "forward dashboard unix:/tmp/gyre-rt-dave-x/jupyter.sock:/user/dave/proxy/8787/status?a=1 auth=token T-s5 cookie=keep=1 strip scrub=T-s5",
    ],
    [
      "dashboard through the server: the allow-list still applies",
      "GET",
      "/user/dave/proxy/22/x",
      {},
      DAVE,
      "refuse 404 Port 22 is not an allowed dashboard port.",
    ],
    ["dashboard through the server: another user", "GET", "/user/dave/proxy/8787/status", {}, BOB, "refuse 403 You do not have access to dave's server."],
    [
      "a local server on a unix socket: token injected, pages scrubbed of it",
      "GET",
      "/user/dave/tree",
      {},
      DAVE,
      "forward user unix:/tmp/gyre-rt-dave-x/jupyter.sock:/user/dave/tree auth=token T-s5 cookie=keep=1 strip scrub=T-s5",
    ],
    ["dashboard without the slash after the port", "GET", "/user/alice/proxy/8787?x", {}, ALICE, "redirect 301 /user/alice/proxy/8787/?x"],
    ["dashboard of another user's server", "GET", "/user/alice/proxy/8787/status", {}, BOB, "refuse 403 You do not have access to alice's server."],
    [
      "dashboard of a named server that is not running",
      "GET",
      "/user/carol/gpu/proxy/8787/",
      HTML,
      CAROL,
      "redirect 302 /hub/spawn/carol/gpu?next=%2Fuser%2Fcarol%2Fgpu%2Fproxy%2F8787%2F",
    ],
    [
      "the hub: no identity needed, headers as sent",
      "GET",
      "/hub/home",
      {},
      NOBODY,
      "(no identity) forward hub http://127.0.0.1:8081/hub/home auth=keep cookie=keep",
    ],
    ["/user/ alone is the hub's", "GET", "/user/", {}, NOBODY, "(no identity) forward hub http://127.0.0.1:8081/user/ auth=keep cookie=keep"],
    [
      "a plain configurable-http-proxy route: no auth",
      "GET",
      "/services/grafana/d/1",
      {},
      NOBODY,
      "(no identity) forward hub http://10.0.0.9:3000/services/grafana/d/1 auth=keep cookie=keep",
    ],
    ["a route outside /user/ that names a user is that user's", "GET", "/shared/bob/x", {}, ALICE, "refuse 403 You do not have access to bob's server."],
    [
      "… and its owner reaches it",
      "GET",
      "/shared/bob/x",
      {},
      BOB,
      "forward user http://10.0.0.4:8888/shared/bob/x auth=token T-s4 cookie=keep=1 strip scrub=T-s4",
    ],
  ];
  for (const [name, method, url, headers, caller, want] of cases) assert.equal(resolve(method, url, headers, false, caller), want, name);
});

test("WebSocket upgrades (table-driven): refusals, never redirects", () => {
  const cases: Array<[name: string, url: string, headers: RequestLike["headers"], caller: Caller, want: string]> = [
    [
      "owner, same site",
      "/user/alice/api/kernels/k/channels",
      SAME_SITE,
      ALICE,
      "forward user http://10.0.0.1:8888/user/alice/api/kernels/k/channels auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "no Origin (a script)",
      "/user/alice/api/kernels/k/channels",
      {},
      ALICE_TOKEN,
      "forward user http://10.0.0.1:8888/user/alice/api/kernels/k/channels auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    [
      "cross-site → 403 before anyone is identified",
      "/user/alice/api/kernels/k/channels",
      EVIL,
      ALICE,
      "(no identity) refuse 403 Cross-origin WebSocket refused.",
    ],
    ["anonymous", "/user/alice/api/kernels/k/channels", {}, NOBODY, "refuse 403 Authentication required."],
    ["another user", "/user/alice/api/kernels/k/channels", {}, BOB, "refuse 403 You do not have access to alice's server."],
    ["a token without access:servers", "/user/alice/api/kernels/k/channels", {}, NARROW, `refuse 403 ${MISSING_SCOPE}`],
    ["no route", "/user/carol/api/kernels/k/channels", HTML, CAROL, "refuse 503 carol's server is not running."],
    ["dashboard", "/user/alice/proxy/8787/eventstream", {}, ALICE, "forward dashboard http://10.0.0.1:8787/eventstream auth=drop cookie=keep=1"],
    ["dashboard port not allowed", "/user/alice/proxy/7777/ws", {}, ALICE, "refuse 404 Not an allowed dashboard port."],
    [
      "dashboard through the server",
      "/user/dave/proxy/8787/ws",
      {},
      DAVE,
      "forward dashboard unix:/tmp/gyre-rt-dave-x/jupyter.sock:/user/dave/proxy/8787/ws auth=token T-s5 cookie=keep=1 strip scrub=T-s5",
    ],
    ["dashboard without the slash", "/user/alice/proxy/8787", {}, ALICE, "refuse 404 Dashboard WebSocket paths need a slash after the port."],
    [
      "logout is not special for a WebSocket",
      "/user/alice/logout",
      {},
      ALICE,
      "forward user http://10.0.0.1:8888/user/alice/logout auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    ["the hub", "/hub/api/events", EVIL, NOBODY, "(no identity) forward hub http://127.0.0.1:8081/hub/api/events auth=keep cookie=keep"],
    ["a plain route", "/services/grafana/ws", {}, NOBODY, "(no identity) forward hub http://10.0.0.9:3000/services/grafana/ws auth=keep cookie=keep"],
  ];
  for (const [name, url, headers, caller, want] of cases) assert.equal(resolve("GET", url, headers, true, caller), want, name);
});

test('a catch-all "/" route does not cover /user/<name>: that user has no route', () => {
  const t = new RouteTable((id) => `T-${id}`);
  t.add("/", { target: "http://10.9.9.9:80" }, 0);
  const c: ResolveContext = { ...ctx, table: t };
  const first = resolveRequest({ method: "GET", headers: {} }, "/user/zed/api/status", false, c);
  assert.equal(first.kind, "guarded");
  assert.deepEqual(decideGuarded(first, { method: "GET", headers: {} }, as({ user: "zed", admin: false, via: "cookie" }), c), {
    kind: "refuse",
    status: 503,
    message: "zed's server is not running.",
  });
  assert.equal(
    (resolveRequest({ method: "GET", headers: {} }, "/anything", false, c) as { host?: string }).host,
    "10.9.9.9",
    "everything else goes to the catch-all",
  );
});

test("the hub's address: default ports by scheme, base path kept", () => {
  assert.deepEqual(parseHubTarget("http://hub:8081"), { protocol: "http:", host: "hub", port: 8081, basePath: "" });
  assert.deepEqual(parseHubTarget("https://hub.example/prefix/"), { protocol: "https:", host: "hub.example", port: 443, basePath: "/prefix" });
  assert.deepEqual(parseHubTarget("http://hub"), { protocol: "http:", host: "hub", port: 80, basePath: "" });
});

test("a token limited to one server, and pages of proxy.tokenCorsOrigins (Thebe with a /build ready token)", () => {
  const BOOK = "https://book.example.org";
  const corsCtx: ResolveContext = { ...ctx, tokenCorsOrigins: new Set([BOOK]) };
  const LIMITED = as({ user: "alice", admin: false, via: "token", serverAccess: false, servers: ["alice/gpu"] });
  const run = (method: string, url: string, headers: RequestLike["headers"], upgrade: boolean, caller: Caller, hasToken: boolean) => {
    const req = { method, headers };
    const first = resolveRequest(req, url, upgrade, corsCtx, hasToken);
    const r: Resolution = first.kind === "guarded" ? decideGuarded(first, req, caller, corsCtx) : first;
    return r.kind === "forward"
      ? `forward ${r.path} auth=${show(r.authorization)}${r.corsOrigin ? ` cors=${r.corsOrigin}` : ""}`
      : r.kind === "redirect"
        ? `redirect ${r.location}`
        : `refuse ${r.status} ${r.message}`;
  };
  const book = { origin: BOOK, host: "hub.example:8000" };
  const cases: Array<[name: string, got: string, want: string]> = [
    ["limited token, its server", run("GET", "/user/alice/gpu/api/status", {}, false, LIMITED, true), "forward /user/alice/gpu/api/status auth=token T-s2"],
    ["limited token, the user's default server", run("GET", "/user/alice/api/status", {}, false, LIMITED, true), `refuse 403 ${OTHER_SERVER}`],
    ["limited token, a WebSocket to another server", run("GET", "/user/alice/api/kernels/k/channels", {}, true, LIMITED, true), `refuse 403 ${OTHER_SERVER}`],
    [
      "book page, token: a POST passes the Origin check and the answer allows the book",
      run("POST", "/user/alice/gpu/api/kernels", book, false, LIMITED, true),
      "forward /user/alice/gpu/api/kernels auth=token T-s2 cors=https://book.example.org",
    ],
    [
      "book page, token: its WebSocket",
      run("GET", "/user/alice/gpu/api/kernels/k/channels", book, true, LIMITED, true),
      "forward /user/alice/gpu/api/kernels/k/channels auth=token T-s2 cors=https://book.example.org",
    ],
    [
      "book page without a token: the Origin check refuses",
      run("POST", "/user/alice/gpu/api/kernels", book, false, ALICE, false),
      "refuse 403 Cross-origin request refused: the Origin header does not match this site.",
    ],
    [
      "book page whose cookie identified someone (identify() must not let it)",
      run("POST", "/user/alice/gpu/api/kernels", book, false, ALICE, true),
      "refuse 403 Cross-origin request refused: another site's page must send an API token.",
    ],
    [
      "an origin not configured, even with a token",
      run("POST", "/user/alice/gpu/api/kernels", EVIL, false, LIMITED, true),
      "refuse 403 Cross-origin request refused: the Origin header does not match this site.",
    ],
  ];
  for (const [name, got, want] of cases) assert.equal(got, want, name);

  const pre = (headers: Record<string, string>, url = "/user/alice/gpu/api/kernels") => corsPreflightHeaders({ method: "OPTIONS", headers }, url, corsCtx);
  assert.deepEqual(pre({ origin: BOOK, "access-control-request-method": "POST" }), {
    "access-control-allow-origin": BOOK,
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, x-xsrftoken",
    "access-control-max-age": "600",
    vary: "Origin",
  });
  assert.equal(pre({ origin: "http://evil.example", "access-control-request-method": "POST" }), null);
  assert.equal(pre({ origin: BOOK }), null, "a plain OPTIONS is not a preflight");
  assert.equal(pre({ origin: BOOK, "access-control-request-method": "POST" }, "/hub/api/users"), null, "the hub is never opened to other origins");
});
