// Where each request goes, HTTP and WebSocket, one row per case: URL + route table + who is asking
// → forward (route class, upstream, header edits) | redirect | refuse (status, message).
import { test } from "node:test";
import assert from "node:assert/strict";
import { takeQueryToken, type Identity } from "@/proxy/auth/access";
import { resolveOriginPlan } from "@/proxy/origins/origin-plan";
import { userLabel } from "@/proxy/origins/user-label";
import { buildPortPredicate } from "./route-path";
import { RouteTable } from "./route-table";
import {
  MISSING_SCOPE,
  OTHER_SERVER,
  corsPreflightHeaders,
  decideGuarded,
  foundNoRoute,
  withQueryToken,
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
// erin's server is jupyterhub-singleuser: it logs its users in itself through the hub (OAuth)
table.add("/user/erin/", { target: "http://127.0.0.1:7001", user: "erin", server_name: "", spawn_id: "s7", server_auth: "hub" }, 0);
table.add("/services/grafana", { target: "http://10.0.0.9:3000" }, 0);
table.add("/shared/bob", { target: "http://10.0.0.4:8888", user: "bob", spawn_id: "s4" }, 0);
const single = resolveOriginPlan({ publicUrl: "http://hub.example:8000", userDomain: "" });
const ctx: ResolveContext = { table, hub: parseHubTarget("http://127.0.0.1:8081"), isDashboardPort: buildPortPredicate([8787, "9000-9010"]), plan: single };

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
const ERIN = as({ user: "erin", admin: false, via: "cookie" });
const ERIN_TOKEN = as({ user: "erin", admin: false, via: "token", serverAccess: true });
const NOBODY = as(null);

const HTML = { accept: "text/html" };
const SAME_SITE = { origin: "http://hub.example:8000", host: "hub.example:8000" };
const EVIL = { origin: "http://evil.example", host: "hub.example:8000" };
const show = (e: Caller["cookieEdit"]) => (e === undefined ? "keep" : e === null ? "drop" : e);

/** Both steps, and whether the second (who is asking) was needed. */
function resolve(method: string, url: string, headers: Headers, upgrade: boolean, caller: Caller, c = ctx): string {
  const req: RequestLike = { method, ...headers };
  const first = resolveRequest(req, url, upgrade, c);
  const r: Resolution = first.kind === "guarded" ? decideGuarded(first, req, caller, c) : first;
  const asked = first.kind === "guarded" ? (c.plan.mode === "per-user" ? `(${first.credentials}) ` : "") : "(no identity) ";
  if (r.kind === "forward") {
    const where = r.socketPath !== null ? `unix:${r.socketPath}:` : `${r.protocol}//${r.host}:${r.port}`;
    const scrub = r.scrub !== null ? ` scrub=${r.scrub}` : "";
    return `${asked}forward ${r.routeClass} ${where}${r.path} auth=${show(r.authorization)} cookie=${show(r.cookie)}${r.stripLoginCookies ? " strip" : ""}${scrub}${r.stripCors === (r.routeClass === "hub") ? " CORS-WRONG" : ""}`;
  }
  // " [no route]": the proxy looks at the hub's table once before it answers so (Refuse.noRoute)
  const noRoute = foundNoRoute(r) ? " [no route]" : "";
  if (r.kind === "redirect") return `${asked}redirect ${r.status} ${r.location}${r.clearOriginCookies ? " (clear cookies)" : ""}${noRoute}`;
  if (r.kind === "origin-login") return `${asked}origin-login user=${r.user} next=${r.next}`;
  if (r.kind === "origin-callback") return `${asked}origin-callback`;
  return `${asked}refuse ${r.status} ${r.message}${noRoute}`;
}

type Headers = Omit<RequestLike, "method">;

test("HTTP (table-driven)", () => {
  const cases: Array<[name: string, method: string, url: string, headers: Headers, caller: Caller, want: string]> = [
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
      "server that logs its users in through the hub: no server token, the hub cookie still stripped",
      "GET",
      "/user/erin/tree",
      {},
      ERIN,
      "forward user http://127.0.0.1:7001/user/erin/tree auth=keep cookie=keep=1 strip",
    ],
    [
      "server that logs its users in through the hub: the caller's API token passes on (the server checks it with the hub)",
      "GET",
      "/user/erin/api/status",
      {},
      ERIN_TOKEN,
      "forward user http://127.0.0.1:7001/user/erin/api/status auth=keep cookie=keep strip",
    ],
    [
      "server that logs its users in through the hub: others are still refused by the proxy",
      "GET",
      "/user/erin/tree",
      {},
      BOB,
      "refuse 403 You do not have access to erin's server.",
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
    [
      "no route, browser → spawn page with next",
      "GET",
      "/user/carol/tree",
      HTML,
      CAROL,
      "redirect 302 /hub/spawn/carol?next=%2Fuser%2Fcarol%2Ftree [no route]",
    ],
    ["no route, API client → 503", "GET", "/user/carol/api/status", {}, CAROL, "refuse 503 carol's server is not running. [no route]"],
    ["no route, someone else → 403 before 503", "GET", "/user/carol/api/status", {}, BOB, "refuse 403 You do not have access to carol's server."],
    [
      "a %-encoded name is the same user; that raw prefix has no route",
      "GET",
      "/user/al%69ce/tree",
      HTML,
      ALICE,
      "redirect 302 /hub/spawn/alice?next=%2Fuser%2Fal%2569ce%2Ftree [no route]",
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
      "cross-origin GET (a fetch(), which Jupyter would answer with Access-Control-Allow-Origin) → 403",
      "GET",
      "/user/alice/api/contents",
      EVIL,
      ALICE,
      "(no identity) refuse 403 Cross-origin request refused: the Origin header does not match this site.",
    ],
    [
      "a navigation from another site carries no Origin",
      "GET",
      "/user/alice/tree",
      { host: "hub.example:8000" },
      ALICE,
      "forward user http://10.0.0.1:8888/user/alice/tree auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "Origin: null (a sandboxed frame, a redirect) is not this site",
      "GET",
      "/user/alice/tree",
      { origin: "null", host: "hub.example:8000" },
      ALICE,
      "(no identity) refuse 403 Cross-origin request refused: the Origin header does not match this site.",
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
      "dashboard of a server that logs its users in through the hub: the caller's API token passes on to its relay, no server token",
      "GET",
      "/user/erin/proxy/8787/status",
      {},
      ERIN_TOKEN,
      "forward dashboard http://127.0.0.1:7001/user/erin/proxy/8787/status auth=keep cookie=keep strip",
    ],
    [
      "dashboard of a server that logs its users in through the hub: a browser's own cookies pass, the hub's are stripped",
      "GET",
      "/user/erin/proxy/8787/status",
      {},
      ERIN,
      "forward dashboard http://127.0.0.1:7001/user/erin/proxy/8787/status auth=keep cookie=keep=1 strip",
    ],
    [
      "dashboard of a server that logs its users in through the hub: another user",
      "GET",
      "/user/erin/proxy/8787/status",
      {},
      BOB,
      "refuse 403 You do not have access to erin's server.",
    ],
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
      "redirect 302 /hub/spawn/carol/gpu?next=%2Fuser%2Fcarol%2Fgpu%2Fproxy%2F8787%2F [no route]",
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
  const cases: Array<[name: string, url: string, headers: Headers, caller: Caller, want: string]> = [
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
    ["no route", "/user/carol/api/kernels/k/channels", HTML, CAROL, "refuse 503 carol's server is not running. [no route]"],
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
    ["the hub serves no WebSockets: refused, never forwarded", "/hub/api/events", EVIL, NOBODY, "(no identity) refuse 404 The hub serves no WebSockets."],
    ["/user/ alone is the hub's: no WebSocket either", "/user/", {}, NOBODY, "(no identity) refuse 404 The hub serves no WebSockets."],
    ["a plain route", "/services/grafana/ws", {}, NOBODY, "(no identity) forward hub http://10.0.0.9:3000/services/grafana/ws auth=keep cookie=keep"],
  ];
  for (const [name, url, headers, caller, want] of cases) assert.equal(resolve("GET", url, headers, true, caller), want, name);
});

test('a catch-all "/" route does not cover /user/<name>: that user has no route', () => {
  const t = new RouteTable((id) => `T-${id}`);
  t.add("/", { target: "http://10.9.9.9:80" }, 0);
  const c: ResolveContext = { ...ctx, table: t };
  const first = resolveRequest({ method: "GET" }, "/user/zed/api/status", false, c);
  assert.equal(first.kind, "guarded");
  assert.deepEqual(decideGuarded(first, { method: "GET" }, as({ user: "zed", admin: false, via: "cookie" }), c), {
    kind: "refuse",
    status: 503,
    message: "zed's server is not running.",
    noRoute: true,
  });
  assert.equal((resolveRequest({ method: "GET" }, "/anything", false, c) as { host?: string }).host, "10.9.9.9", "everything else goes to the catch-all");
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
  const run = (method: string, url: string, headers: Headers, upgrade: boolean, caller: Caller, hasToken: boolean) => {
    const req: RequestLike = { method, ...headers, authorization: hasToken };
    const first = resolveRequest(req, url, upgrade, corsCtx);
    const r: Resolution = first.kind === "guarded" ? decideGuarded(first, req, caller, corsCtx) : first;
    return r.kind === "forward"
      ? `forward ${r.path} auth=${show(r.authorization)}${r.corsOrigin ? ` cors=${r.corsOrigin}` : ""}`
      : r.kind === "redirect"
        ? `redirect ${r.location}`
        : r.kind === "refuse"
          ? `refuse ${r.status} ${r.message}`
          : r.kind;
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

  const pre = (headers: Record<string, string>, url = "/user/alice/gpu/api/kernels") =>
    corsPreflightHeaders({ method: "OPTIONS", origin: headers.origin, requestMethod: headers["access-control-request-method"] }, url, corsCtx);
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

// Per-user origins: the hub on hub.example:8000, each user's servers on <label>.hub.example:8000.
const perUser: ResolveContext = { ...ctx, plan: resolveOriginPlan({ publicUrl: "http://hub.example:8000", userDomain: "hub.example" }) };
table.add("/user/alice_smith/", { target: "http://10.0.0.5:8888", user: "alice_smith", server_name: "", spawn_id: "s5" }, 0);
const ON_ALICE = { host: "alice.hub.example:8000" };
const ON_HUB = { host: "hub.example:8000" };
const ALICE_ORIGIN = "http://alice.hub.example:8000";

test("per-user origins, HTTP on a user's origin (table-driven)", () => {
  const cases: Array<[name: string, method: string, url: string, headers: Headers, caller: Caller, want: string]> = [
    [
      "owner, user-origin cookie",
      "GET",
      "/user/alice/tree",
      ON_ALICE,
      ALICE,
      "(origin-cookie) forward user http://10.0.0.1:8888/user/alice/tree auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "anonymous browser → the handshake",
      "GET",
      "/user/alice/tree?x=1",
      { ...ON_ALICE, ...HTML },
      NOBODY,
      "(origin-cookie) origin-login user=alice next=/user/alice/tree?x=1",
    ],
    [
      "anonymous API client → 403",
      "GET",
      "/user/alice/api/status",
      ON_ALICE,
      NOBODY,
      "(origin-cookie) refuse 403 Authentication required: log in to the hub or send an API token.",
    ],
    [
      "owner by API token",
      "GET",
      "/user/alice/api/status",
      { ...ON_ALICE, authorization: true },
      ALICE_TOKEN,
      "(origin-cookie) forward user http://10.0.0.1:8888/user/alice/api/status auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    [
      "an admin (who confirmed at the hub)",
      "GET",
      "/user/alice/tree",
      ON_ALICE,
      ROOT,
      "(origin-cookie) forward user http://10.0.0.1:8888/user/alice/tree auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "another user's cookie for this host (cannot be issued, still refused)",
      "GET",
      "/user/alice/tree",
      { ...ON_ALICE, ...HTML },
      BOB,
      "(origin-cookie) refuse 403 You do not have access to alice's server.",
    ],
    [
      "own origin's POST",
      "POST",
      "/user/alice/api/contents",
      { ...ON_ALICE, origin: ALICE_ORIGIN },
      ALICE,
      "(origin-cookie) forward user http://10.0.0.1:8888/user/alice/api/contents auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "a fetch() GET from bob's origin → 403",
      "GET",
      "/user/alice/api/contents",
      { ...ON_ALICE, origin: "http://bob.hub.example:8000" },
      ALICE,
      "(no identity) refuse 403 Cross-origin request refused: the Origin header does not match this site.",
    ],
    [
      "… or from the hub's origin → 403",
      "GET",
      "/user/alice/tree",
      { ...ON_ALICE, origin: "http://hub.example:8000" },
      ALICE,
      "(no identity) refuse 403 Cross-origin request refused: the Origin header does not match this site.",
    ],
    [
      "bob's path on alice's origin: a browser goes to bob's origin",
      "GET",
      "/user/bob/tree",
      { ...ON_ALICE, ...HTML },
      BOB,
      "(no identity) redirect 302 http://bob.hub.example:8000/user/bob/tree",
    ],
    [
      "… a script gets 403, never bob's server",
      "GET",
      "/user/bob/api/contents",
      ON_ALICE,
      BOB,
      "(no identity) refuse 403 This origin serves only its own user's servers; bob's are at http://bob.hub.example:8000.",
    ],
    [
      "… and a state change too",
      "PUT",
      "/user/bob/api/contents/x.txt",
      { ...ON_ALICE, origin: ALICE_ORIGIN },
      BOB,
      "(no identity) refuse 403 This origin serves only its own user's servers; bob's are at http://bob.hub.example:8000.",
    ],
    ["a hub page → the hub's origin", "GET", "/hub/home", ON_ALICE, NOBODY, "(no identity) redirect 302 http://hub.example:8000/hub/home"],
    ["the origin's root → the hub's home", "GET", "/", ON_ALICE, NOBODY, "(no identity) redirect 302 http://hub.example:8000/hub/home"],
    [
      "a launch link → the hub's origin",
      "GET",
      "/v2/gh/org/repo/main",
      ON_ALICE,
      NOBODY,
      "(no identity) redirect 302 http://hub.example:8000/v2/gh/org/repo/main",
    ],
    [
      "the hub's API, written to from user content on this origin → 403",
      "PATCH",
      "/hub/api/users/alice",
      { ...ON_ALICE, origin: ALICE_ORIGIN },
      ALICE,
      "(no identity) refuse 403 This origin serves only one user's servers; the hub is at http://hub.example:8000.",
    ],
    ["the handshake's callback is the proxy's", "GET", "/_gyre/callback?code=x", ON_ALICE, NOBODY, "(no identity) origin-callback"],
    ["… GET only", "POST", "/_gyre/callback", ON_ALICE, NOBODY, "(no identity) refuse 404 Not found."],
    ["… and nothing else under /_gyre/", "GET", "/_gyre/other", ON_ALICE, NOBODY, "(no identity) refuse 404 Not found."],
    [
      "logout → the hub's logout, this origin's cookies cleared",
      "GET",
      "/user/alice/logout",
      ON_ALICE,
      ALICE,
      "(no identity) redirect 302 http://hub.example:8000/hub/logout (clear cookies)",
    ],
    [
      "not running → the hub's spawn page",
      "GET",
      "/user/carol/tree",
      { host: "carol.hub.example:8000", ...HTML },
      CAROL,
      "(origin-cookie) redirect 302 http://hub.example:8000/hub/spawn/carol?next=%2Fuser%2Fcarol%2Ftree [no route]",
    ],
    [
      "dashboard on the owner's origin",
      "GET",
      "/user/alice/proxy/8787/status",
      ON_ALICE,
      ALICE,
      "(origin-cookie) forward dashboard http://10.0.0.1:8787/status auth=drop cookie=keep=1",
    ],
    [
      "a name that is not a DNS label has an escaped label",
      "GET",
      "/user/alice_smith/tree",
      { host: `${userLabel("alice_smith")}.hub.example:8000` },
      as({ user: "alice_smith", admin: false, via: "cookie" }),
      "(origin-cookie) forward user http://10.0.0.5:8888/user/alice_smith/tree auth=token T-s5 cookie=keep=1 strip scrub=T-s5",
    ],
    [
      "… and its path is not served on a look-alike plain label",
      "GET",
      "/user/alice_smith/tree",
      { host: "alice-smith.hub.example:8000" },
      NOBODY,
      `(no identity) redirect 302 http://${userLabel("alice_smith")}.hub.example:8000/user/alice_smith/tree`,
    ],
    [
      "two labels deep → 404",
      "GET",
      "/user/alice/tree",
      { host: "x.alice.hub.example:8000" },
      ALICE,
      "(no identity) refuse 404 No user's servers are served on this host name.",
    ],
  ];
  for (const [name, method, url, headers, caller, want] of cases) assert.equal(resolve(method, url, headers, false, caller, perUser), want, name);
});

test("per-user origins, HTTP on the hub's origin: /user/ only for API tokens (table-driven)", () => {
  const cases: Array<[name: string, method: string, url: string, headers: Headers, caller: Caller, want: string]> = [
    [
      "a browser with the hub's cookie → the user's origin",
      "GET",
      "/user/alice/tree?x=1",
      { ...ON_HUB, ...HTML },
      ALICE,
      "(no identity) redirect 302 http://alice.hub.example:8000/user/alice/tree?x=1",
    ],
    [
      "… the dashboard too",
      "GET",
      "/user/alice/proxy/8787/status",
      ON_HUB,
      ALICE,
      "(no identity) redirect 302 http://alice.hub.example:8000/user/alice/proxy/8787/status",
    ],
    [
      "… a named server that is not running",
      "GET",
      "/user/carol/gpu/",
      ON_HUB,
      CAROL,
      "(no identity) redirect 302 http://carol.hub.example:8000/user/carol/gpu/",
    ],
    [
      "a state change with the hub's cookie → 403, never served here",
      "POST",
      "/user/alice/api/contents",
      { ...ON_HUB, origin: "http://hub.example:8000" },
      ALICE,
      "(no identity) refuse 403 alice's servers are served on their own origin, http://alice.hub.example:8000; here only with an API token.",
    ],
    [
      "an API token on any host",
      "GET",
      "/user/alice/api/status",
      { ...ON_HUB, authorization: true },
      ALICE_TOKEN,
      "(token) forward user http://10.0.0.1:8888/user/alice/api/status auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    [
      "an API token, on 127.0.0.1 (scripts, the e2e harness)",
      "POST",
      "/user/alice/api/contents",
      { host: "127.0.0.1:8000", authorization: true },
      ALICE_TOKEN,
      "(token) forward user http://10.0.0.1:8888/user/alice/api/contents auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    [
      "an API token the hub does not know",
      "GET",
      "/user/alice/api/status",
      { ...ON_HUB, authorization: true },
      NOBODY,
      "(token) refuse 403 Authentication required: send a valid API token.",
    ],
    ["logout → the hub's", "GET", "/user/alice/logout", ON_HUB, NOBODY, "(no identity) redirect 302 /hub/logout"],
    ["the hub itself", "GET", "/hub/home", ON_HUB, NOBODY, "(no identity) forward hub http://127.0.0.1:8081/hub/home auth=keep cookie=keep"],
  ];
  for (const [name, method, url, headers, caller, want] of cases) assert.equal(resolve(method, url, headers, false, caller, perUser), want, name);
});

test("per-user origins, WebSocket upgrades (table-driven)", () => {
  const cases: Array<[name: string, url: string, headers: Headers, caller: Caller, want: string]> = [
    [
      "owner, own origin",
      "/user/alice/api/kernels/k/channels",
      { ...ON_ALICE, origin: ALICE_ORIGIN },
      ALICE,
      "(origin-cookie) forward user http://10.0.0.1:8888/user/alice/api/kernels/k/channels auth=token T-s1 cookie=keep=1 strip scrub=T-s1",
    ],
    [
      "from bob's origin",
      "/user/alice/api/kernels/k/channels",
      { ...ON_ALICE, origin: "http://bob.hub.example:8000" },
      ALICE,
      "(no identity) refuse 403 Cross-origin WebSocket refused.",
    ],
    [
      "bob's kernel on alice's origin",
      "/user/bob/api/kernels/k/channels",
      { ...ON_ALICE, origin: ALICE_ORIGIN },
      BOB,
      "(no identity) refuse 403 This origin serves only its own user's servers; bob's are at http://bob.hub.example:8000.",
    ],
    ["anonymous", "/user/alice/api/kernels/k/channels", ON_ALICE, NOBODY, "(origin-cookie) refuse 403 Authentication required."],
    [
      "on the hub's origin with the hub's cookie",
      "/user/alice/api/kernels/k/channels",
      { ...ON_HUB, origin: "http://hub.example:8000" },
      ALICE,
      "(no identity) refuse 403 alice's servers are served on their own origin, http://alice.hub.example:8000; here only with an API token.",
    ],
    [
      "on the hub's origin with an API token",
      "/user/alice/api/kernels/k/channels",
      { ...ON_HUB, authorization: true },
      ALICE_TOKEN,
      "(token) forward user http://10.0.0.1:8888/user/alice/api/kernels/k/channels auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    ["the callback is not a WebSocket", "/_gyre/callback", ON_ALICE, NOBODY, "(no identity) refuse 404 Not found."],
    [
      "the hub's paths on a user origin",
      "/hub/api/events",
      ON_ALICE,
      NOBODY,
      "(no identity) refuse 404 This origin serves only one user's servers; the hub is at http://hub.example:8000.",
    ],
  ];
  for (const [name, url, headers, caller, want] of cases) assert.equal(resolve("GET", url, headers, true, caller, perUser), want, name);
});

test("request targets that are not paths are refused, never forwarded (HTTP and WebSocket)", () => {
  for (const url of ["*", "http://evil.example/user/alice/tree", "127.0.0.1:8888", ""]) {
    for (const upgrade of [false, true]) {
      assert.equal(
        resolve("OPTIONS", url, {}, upgrade, NOBODY),
        "(no identity) refuse 400 The request target must be a path starting with /.",
        `${url} ${upgrade}`,
      );
    }
  }
});

test("a route that names its owner's account id opens only to that account (table-driven)", () => {
  const t = new RouteTable((id) => `T-${id}`);
  t.add("/user/xena/", { target: "http://10.0.0.7:8888", user: "xena", user_id: 42, server_name: "", spawn_id: "s7" }, 0);
  t.add("/user/yan/", { target: "http://10.0.0.8:8888", user: "yan", server_name: "", spawn_id: "s8" }, 0);
  const c: ResolveContext = { ...ctx, table: t };
  const run = (url: string, caller: Caller, upgrade = false, on: { host?: string; c?: ResolveContext } = {}) => {
    const req: RequestLike = { method: "GET", host: on.host };
    const first = resolveRequest(req, url, upgrade, on.c ?? c);
    const r = first.kind === "guarded" ? decideGuarded(first, req, caller, on.c ?? c) : first;
    return r.kind === "forward" ? `forward ${r.host}` : `${r.kind} ${"status" in r ? r.status : ""}`;
  };
  const cases: Array<[name: string, url: string, caller: Caller, want: string]> = [
    ["the account itself", "/user/xena/api/status", as({ user: "xena", userId: 42, admin: false, via: "cookie" }), "forward 10.0.0.7"],
    ["a deleted account of the same name (old cookie)", "/user/xena/api/status", as({ user: "xena", userId: 41, admin: false, via: "cookie" }), "refuse 403"],
    [
      "a deleted account's cached token",
      "/user/xena/api/status",
      as({ user: "xena", userId: 41, admin: false, via: "token", serverAccess: true }),
      "refuse 403",
    ],
    ["no id at all", "/user/xena/api/status", as({ user: "xena", admin: false, via: "token", serverAccess: true }), "refuse 403"],
    ["an admin", "/user/xena/api/status", as({ user: "root", userId: 1, admin: true, via: "cookie" }), "forward 10.0.0.7"],
    ["WebSocket of a deleted account", "/user/xena/api/kernels/k/channels", as({ user: "xena", userId: 41, admin: false, via: "cookie" }), "refuse 403"],
    [
      "a route without user_id (plain CHP client): names decide",
      "/user/yan/api/status",
      as({ user: "yan", userId: 5, admin: false, via: "cookie" }),
      "forward 10.0.0.8",
    ],
  ];
  for (const [name, url, caller, want] of cases) assert.equal(run(url, caller, name.startsWith("WebSocket")), want, name);
  // Per-user origins: on xena's own origin the user-origin cookie's claims carry the account id the
  // same way (proxy/origins/handshake.ts), so a deleted account's old user-origin cookie is refused too.
  const onXena = { host: `${userLabel("xena")}.hub.example:8000`, c: { ...perUser, table: t } };
  assert.equal(run("/user/xena/api/status", as({ user: "xena", userId: 42, admin: false, via: "cookie" }), false, onXena), "forward 10.0.0.7");
  assert.equal(
    run("/user/xena/api/status", as({ user: "xena", userId: 41, admin: false, via: "cookie" }), false, onXena),
    "refuse 403",
    "old user-origin cookie",
  );
  assert.equal(run("/user/xena/api/kernels/k/channels", as({ user: "xena", userId: 41, admin: false, via: "cookie" }), true, onXena), "refuse 403");
  assert.throws(() => t.add("/user/z/", { target: "http://h", user: "z", user_id: "42" }, 0), /user_id/);
});

test("default plan on localhost: a browser page load on 127.0.0.1 or [::1] goes to the hub's name; API clients are served there", () => {
  const local: ResolveContext = { ...ctx, plan: resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: undefined }) };
  const cases: Array<[name: string, method: string, url: string, headers: Headers, caller: Caller, want: string]> = [
    [
      "page load on 127.0.0.1",
      "GET",
      "/hub/login?next=%2Fhub%2Fhome",
      { host: "127.0.0.1:8000", ...HTML },
      NOBODY,
      "(no identity) redirect 302 http://localhost:8000/hub/login?next=%2Fhub%2Fhome",
    ],
    ["page load on [::1]", "GET", "/hub/home", { host: "[::1]:8000", ...HTML }, NOBODY, "(no identity) redirect 302 http://localhost:8000/hub/home"],
    [
      "page load on 127.0.0.1, a user's path",
      "GET",
      "/user/alice/tree",
      { host: "127.0.0.1:8000", ...HTML },
      NOBODY,
      "(no identity) redirect 302 http://localhost:8000/user/alice/tree",
    ],
    [
      "an API client on 127.0.0.1 (no text/html)",
      "GET",
      "/hub/api/users",
      { host: "127.0.0.1:8000" },
      NOBODY,
      "(no identity) forward hub http://127.0.0.1:8081/hub/api/users auth=keep cookie=keep",
    ],
    [
      "a form post on 127.0.0.1 is not redirected (the hub's Origin check decides)",
      "POST",
      "/hub/login",
      { host: "127.0.0.1:8000", ...HTML },
      NOBODY,
      "(no identity) forward hub http://127.0.0.1:8081/hub/login auth=keep cookie=keep",
    ],
    [
      "a token on 127.0.0.1",
      "GET",
      "/user/alice/api/status",
      { host: "127.0.0.1:8000", authorization: true, ...HTML },
      ALICE_TOKEN,
      "(token) forward user http://10.0.0.1:8888/user/alice/api/status auth=token T-s1 cookie=keep strip scrub=T-s1",
    ],
    [
      "the hub's own name",
      "GET",
      "/hub/home",
      { host: "localhost:8000", ...HTML },
      NOBODY,
      "(no identity) forward hub http://127.0.0.1:8081/hub/home auth=keep cookie=keep",
    ],
    [
      "another address is not a loopback one",
      "GET",
      "/hub/home",
      { host: "10.0.0.9:8000", ...HTML },
      NOBODY,
      "(no identity) forward hub http://127.0.0.1:8081/hub/home auth=keep cookie=keep",
    ],
  ];
  for (const [name, method, url, headers, caller, want] of cases) assert.equal(resolve(method, url, headers, false, caller, local), want, name);
  const single: ResolveContext = { ...ctx, plan: resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "" }) };
  assert.equal(
    resolve("GET", "/hub/home", { host: "127.0.0.1:8000", ...HTML }, false, NOBODY, single),
    "(no identity) forward hub http://127.0.0.1:8081/hub/home auth=keep cookie=keep",
    "single-origin: served on any host",
  );
});

test("/services/<name>/: the hub's service routes are forwarded without Gyre's cookies, an unknown name is a 404 (table-driven)", () => {
  const t = new RouteTable((spawnId) => `T-${spawnId}`);
  t.add("/services/whoami", { target: "http://127.0.0.1:10101", service: "whoami" }, 0);
  t.add("/services/grafana", { target: "http://10.0.0.9:3000" }, 0);
  // a route whose data names another service than its path: never forwarded
  t.add("/services/liar", { target: "http://10.0.0.8:1", service: "whoami" }, 0);
  t.add("/user/alice/", { target: "http://10.0.0.1:8888", user: "alice", server_name: "", spawn_id: "s1" }, 0);
  const c: ResolveContext = { ...ctx, table: t };
  const perUser: ResolveContext = { ...c, plan: resolveOriginPlan({ publicUrl: "http://hub.example:8000", userDomain: "hub.example" }) };
  const show = (r: ReturnType<typeof resolveRequest>) =>
    r.kind === "forward"
      ? `forward ${r.routeClass} ${r.host}:${r.port}${r.path} cookie=${r.dropGyreCookies ? "without-gyre" : r.cookie === undefined ? "keep" : String(r.cookie)} auth=${r.authorization === undefined ? "keep" : "edit"}`
      : r.kind === "refuse"
        ? `refuse ${r.status} ${r.message}`
        : r.kind === "redirect"
          ? `redirect ${r.status} ${r.location}`
          : r.kind;
  const cases: Array<[name: string, url: string, req: RequestLike, upgrade: boolean, context: ResolveContext, want: string]> = [
    [
      "a service's page, with its query",
      "/services/whoami/?x=1",
      { method: "GET", ...SAME_SITE },
      false,
      c,
      "forward service 127.0.0.1:10101/services/whoami/?x=1 cookie=without-gyre auth=keep",
    ],
    [
      "a POST from another site: the service decides (its own XSRF checks)",
      "/services/whoami/api",
      { method: "POST", ...EVIL },
      false,
      c,
      "forward service 127.0.0.1:10101/services/whoami/api cookie=without-gyre auth=keep",
    ],
    ["its WebSocket", "/services/whoami/ws", { method: "GET" }, true, c, "forward service 127.0.0.1:10101/services/whoami/ws cookie=without-gyre auth=keep"],
    ["no trailing slash", "/services/whoami", { method: "GET" }, false, c, "forward service 127.0.0.1:10101/services/whoami cookie=without-gyre auth=keep"],
    ["an unknown service", "/services/nope/", { method: "GET" }, false, c, "refuse 404 No such service: nope"],
    ["an unknown service's WebSocket", "/services/nope/ws", { method: "GET" }, true, c, "refuse 404 No such service."],
    ["a name sharing a prefix is another service", "/services/whoamix/", { method: "GET" }, false, c, "refuse 404 No such service: whoamix"],
    ["a route whose data names another service", "/services/liar/", { method: "GET" }, false, c, "refuse 404 No such service: liar"],
    ["/services/ itself", "/services/", { method: "GET" }, false, c, "refuse 404 No such service: (none named)"],
    [
      "a plain configurable-http-proxy client's route: as such clients expect",
      "/services/grafana/d/1",
      { method: "GET" },
      false,
      c,
      "forward hub 10.0.0.9:3000/services/grafana/d/1 cookie=keep auth=keep",
    ],
    [
      "per-user origins: on the hub's origin",
      "/services/whoami/",
      { method: "GET", host: "hub.example:8000" },
      false,
      perUser,
      "forward service 127.0.0.1:10101/services/whoami/ cookie=without-gyre auth=keep",
    ],
    [
      "per-user origins: never on a user's origin",
      "/services/whoami/",
      { method: "GET", host: "alice.hub.example:8000" },
      false,
      perUser,
      "redirect 302 http://hub.example:8000/services/whoami/",
    ],
  ];
  for (const [name, url, req, upgrade, context, want] of cases) assert.equal(show(resolveRequest(req, url, upgrade, context)), want, name);
});

test("a WebSocket's ?token= goes on to a jupyterhub-singleuser server as the upgrade's Authorization header, only there and only when it identified the caller", () => {
  const upgrade = (url: string, caller: Caller, token: string | null, hasAuthorization = false) => {
    const req: RequestLike = { method: "GET", ...SAME_SITE, authorization: token !== null || hasAuthorization };
    const { url: stripped } = takeQueryToken(url);
    const first = resolveRequest(req, stripped, true, ctx);
    const r = withQueryToken(first.kind === "guarded" ? decideGuarded(first, req, caller, ctx) : first, caller, token, hasAuthorization);
    return r.kind === "forward" ? `forward ${r.path} auth=${show(r.authorization)}` : `${r.kind} ${"status" in r ? r.status : ""}`;
  };
  const ch = "/api/kernels/k/channels";
  assert.equal(upgrade(`/user/erin${ch}?token=T1&session_id=s`, ERIN_TOKEN, "T1"), `forward /user/erin${ch}?session_id=s auth=token T1`);
  // the caller's own Authorization header goes on as it is (the token it carries identified them)
  assert.equal(upgrade(`/user/erin${ch}`, ERIN_TOKEN, null, true), `forward /user/erin${ch} auth=keep`);
  assert.equal(upgrade(`/user/erin${ch}?token=T1`, ERIN_TOKEN, "T1", true), `forward /user/erin${ch} auth=keep`);
  // a cookie identified the caller: an unchecked ?token= is not passed on
  assert.equal(upgrade(`/user/erin${ch}?token=T1`, ERIN, "T1"), `forward /user/erin${ch} auth=keep`);
  // Gyre's own servers get their server token, never the caller's
  assert.equal(upgrade(`/user/alice${ch}?token=T2`, ALICE_TOKEN, "T2"), `forward /user/alice${ch} auth=token T-s1`);
  // refused callers get nothing forwarded
  assert.equal(upgrade(`/user/erin${ch}?token=T3`, as({ user: "bob", admin: false, via: "token", serverAccess: true }), "T3"), "refuse 403");
  assert.equal(upgrade(`/user/erin${ch}?token=T4`, NOBODY, "T4"), "refuse 403");
});
