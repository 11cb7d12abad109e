// Forwarding, auth and redirects against an in-process echo backend (ports 7303-7306).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import pino from "pino";
import { GyreProxy } from "../server";
import { FakeHub } from "../testing/fake-hub";
import { deriveServerToken } from "../auth/session-cookie";
import { HUB_ROUTE_HEADER } from "../api/route-api";

const SECRET = "s".repeat(40);
const TOKEN = "fwd-test-token-0123456789";
const hub = new FakeHub(TOKEN, SECRET);
let proxy: GyreProxy;
let backend: http.Server;
const P = "http://127.0.0.1:7303";

before(async () => {
  backend = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      res.setHeader("set-cookie", ["username-127-0-0-1-7303=secret; Path=/", "_xsrf=keep; Path=/user/alice/"]);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ url: req.url, method: req.method, headers: req.headers, body }));
    });
  });
  await new Promise<void>((r) => backend.listen(7306, "127.0.0.1", r));
  await hub.start(7305);
  hub.state.routes = { "/user/alice/": { target: "http://127.0.0.1:7306", user: "alice", server_name: "", spawn_id: "spawn-a" } };
  hub.state.admins = ["root"];
  hub.state.tokens = {
    "tok-alice": { user: "alice", admin: false },
    "tok-bob": { user: "bob", admin: false },
    "tok-narrow": { user: "alice", admin: false, scopes: ["servers", "read:servers"] },
  };
  proxy = new GyreProxy({
    bindHost: "127.0.0.1",
    port: 7303,
    apiHost: "127.0.0.1",
    apiPort: 7304,
    hubUrl: hub.url,
    authToken: TOKEN,
    secretKey: SECRET,
    // Single-origin: these tests are about forwarding, with the hub cookie on 127.0.0.1.
    origins: { publicUrl: "http://127.0.0.1", userDomain: "" },
    fullSyncSeconds: 60,
    authSyncSeconds: 60,
    activityFlushSeconds: 60,
    upstreamTimeoutSeconds: 5,
    connectTimeoutSeconds: 2,
    dashboardPorts: [8787],
    logger: pino({ level: "silent" }),
  });
  await proxy.start();
});
after(async () => {
  await proxy.close();
  await hub.stop();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
});

const get = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) => fetch(P + path, { headers, redirect: "manual", ...init });
/** What the echo backend and the fake hub answer: the request as it arrived. */
interface Echo {
  url: string;
  method: string;
  headers: Record<string, string | undefined>;
  body: string;
  hub?: boolean;
}
const echoOf = async (r: Response) => (await r.json()) as Echo;
const messageOf = async (r: Response) => ((await r.json()) as { message: string }).message;

test("owner reaches the server with the server token injected and the hub cookie stripped", async () => {
  const r = await get("/user/alice/api/contents?x=1", { cookie: "a=1; " + hub.cookieFor("alice") + "; b=2" });
  assert.equal(r.status, 200);
  const echo = await echoOf(r);
  assert.equal(echo.url, "/user/alice/api/contents?x=1");
  assert.equal(echo.headers.authorization, "token " + deriveServerToken(SECRET, "spawn-a"));
  assert.equal(echo.headers.cookie, "a=1; b=2");
  assert.deepEqual(r.headers.getSetCookie(), ["_xsrf=keep; Path=/user/alice/"], "Jupyter's login cookie is stripped");
});

test("anonymous browser → login redirect with next; anonymous API → 403", async () => {
  const r = await get("/user/alice/tree?a=b", { accept: "text/html" });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get("location"), "/hub/login?next=" + encodeURIComponent("/user/alice/tree?a=b"));
  assert.equal((await get("/user/alice/api/status")).status, 403);
});

test("other user 403, admin 200", async () => {
  assert.equal((await get("/user/alice/tree", { cookie: hub.cookieFor("bob"), accept: "text/html" })).status, 403);
  await proxy.syncAuth();
  assert.equal((await get("/user/alice/tree", { cookie: hub.cookieFor("root") })).status, 200);
});

test("cross-site POST is refused, same-site POST passes", async () => {
  const c = hub.cookieFor("alice");
  const evil = await get(
    "/user/alice/api/contents",
    { cookie: c, origin: "http://evil.example", "content-type": "text/plain" },
    { method: "POST", body: "{}" },
  );
  assert.equal(evil.status, 403);
  const ok = await get("/user/alice/api/contents", { cookie: c, origin: "http://127.0.0.1:7303" }, { method: "POST", body: '{"a":1}' });
  assert.equal(ok.status, 200);
  assert.equal((await echoOf(ok)).body, '{"a":1}');
});

test("API token: accepted from the header, replaced upstream; ?token= is not accepted", async () => {
  const r = await get("/user/alice/api/status", { authorization: "Bearer tok-alice" });
  assert.equal(r.status, 200);
  assert.equal((await echoOf(r)).headers.authorization, "token " + deriveServerToken(SECRET, "spawn-a"));
  assert.equal((await get("/user/alice/api/status", { authorization: "token tok-bob" })).status, 403);
  assert.equal((await get("/user/alice/api/status", { authorization: "token unknown" })).status, 403);
  assert.equal((await get("/user/alice/api/status?token=tok-alice")).status, 403);
  const before = hub.state.tokenLookups;
  await get("/user/alice/api/status", { authorization: "token tok-alice" });
  assert.equal(hub.state.tokenLookups, before, "a known token is cached");
});

test("a token without access:servers: 403 that names the missing scope (HTTP and WebSocket)", async () => {
  const r = await get("/user/alice/api/status", { authorization: "token tok-narrow" });
  assert.equal(r.status, 403);
  assert.match(await messageOf(r), /lacks the access:servers scope.*\/hub\/token/);
  const ws = await new Promise<number>((resolve) => {
    const q = http.request({
      host: "127.0.0.1",
      port: 7303,
      path: "/user/alice/api/kernels/k/channels",
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        authorization: "token tok-narrow",
      },
    });
    q.on("response", (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        assert.match(body, /access:servers/);
        resolve(res.statusCode ?? 0);
      });
    });
    q.on("upgrade", (_res, socket) => (socket.destroy(), resolve(101)));
    q.end();
  });
  assert.equal(ws, 403);
});

test("no route: spawn redirect for browsers, 503 JSON for API clients", async () => {
  const c = hub.cookieFor("carol");
  const r = await get("/user/carol/tree", { cookie: c, accept: "text/html" });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get("location"), "/hub/spawn/carol?next=" + encodeURIComponent("/user/carol/tree"));
  const api = await get("/user/carol/api/status", { cookie: c });
  assert.equal(api.status, 503);
  assert.match(await messageOf(api), /not running/);
});

test("logout goes to the hub; /hub and other paths go to the hub with the cookie intact", async () => {
  const r = await get("/user/alice/logout", { cookie: hub.cookieFor("alice") });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get("location"), "/hub/logout");
  const h = await get("/hub/home", { cookie: hub.cookieFor("alice") });
  const echo = await echoOf(h);
  assert.equal(echo.hub, true);
  assert.equal(echo.url, "/hub/home");
  assert.match(echo.headers.cookie ?? "", /^gyre-session=/);
});

test("a user's server that refuses connections: the page says what the hub knows (stopped, and why) with a link to start it again; asked once per server, never for a request the proxy refuses", async () => {
  await fetch("http://127.0.0.1:7304/api/routes/user/gone/gpu", {
    method: "POST",
    headers: { authorization: "token " + TOKEN, [HUB_ROUTE_HEADER]: "hub" },
    body: JSON.stringify({ target: "http://127.0.0.1:7397", user: "gone", server_name: "gpu", spawn_id: "g1" }),
  });
  hub.state.serverChecks["gone/gpu"] = {
    state: "stopped",
    message: "The server stopped: Slurm job 42 was cancelled (scancel).",
    stoppedAt: "2026-12-03T18:00:00.000Z",
  };
  const calls = hub.state.serverCheckCalls;

  // someone else's request is refused before anything is asked of the hub
  const other = await get("/user/gone/gpu/lab", { cookie: hub.cookieFor("bob"), accept: "text/html" });
  assert.equal(other.status, 403);
  assert.doesNotMatch(await other.text(), /scancel/);
  assert.equal(hub.state.serverCheckCalls, calls);

  const r = await get("/user/gone/gpu/lab", { cookie: hub.cookieFor("gone"), accept: "text/html" });
  assert.equal(r.status, 503);
  const html = await r.text();
  assert.match(html, /gone&#39;s server has stopped\. The server stopped: Slurm job 42 was cancelled \(scancel\)\./);
  assert.match(html, /<a class="button" href="\/hub\/spawn\/gone\/gpu">Start it again<\/a>/);
  assert.match(html, /href="\/hub\/home"/);
  assert.doesNotMatch(html, /may be starting or stopped/);

  const api = await get("/user/gone/gpu/api/status", { cookie: hub.cookieFor("gone") });
  assert.equal(api.status, 503);
  const body = (await api.json()) as { message: string; links: Array<{ href: string; label: string }> };
  assert.match(body.message, /cancelled \(scancel\)/);
  assert.deepEqual(body.links[0], { href: "/hub/spawn/gone/gpu", label: "Start it again" });
  assert.equal(hub.state.serverCheckCalls, calls + 1, "the second failure within the TTL reused the answer");
});

test("a hub that does not answer the check in time: the page says only what the proxy knows", async () => {
  await fetch("http://127.0.0.1:7304/api/routes/user/slow", {
    method: "POST",
    headers: { authorization: "token " + TOKEN, [HUB_ROUTE_HEADER]: "hub" },
    body: JSON.stringify({ target: "http://127.0.0.1:7396", user: "slow", spawn_id: "s1" }),
  });
  hub.memory.down = new Error("hub down");
  try {
    const r = await get("/user/slow/tree", { cookie: hub.cookieFor("slow"), accept: "text/html" });
    assert.equal(r.status, 503);
    assert.match(await r.text(), /slow&#39;s server is not responding \(ECONNREFUSED\)\. It may be starting or stopped\./);
  } finally {
    hub.memory.down = null;
  }
});

test("a stopped upstream gives the styled 503 page linking to /hub/home", async () => {
  await fetch("http://127.0.0.1:7304/api/routes/user/dead", {
    method: "POST",
    headers: { authorization: "token " + TOKEN, [HUB_ROUTE_HEADER]: "hub" },
    body: JSON.stringify({ target: "http://127.0.0.1:7398", user: "dead", spawn_id: "x" }),
  });
  const r = await get("/user/dead/tree", { cookie: hub.cookieFor("dead"), accept: "text/html" });
  assert.equal(r.status, 503);
  assert.match(await r.text(), /href="\/hub\/home"/);
});
