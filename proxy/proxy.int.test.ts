// The real proxy process in front of a real Jupyter server and a real Dask scheduler, with the
// fake hub. Ports: proxy 7310/7311, fake hub 7312, echo backends 7313-7314, Jupyter 7350,
// Dask 7360 (scheduler) / 7361 (dashboard).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket, { WebSocketServer } from "ws";
import { FakeHub } from "./testing/fake-hub";
import { startProxyProcess, startJupyter, startDaskScheduler, stopAll, stopChild, type Child } from "./testing/processes";
import { deriveServerToken } from "./auth/session-cookie";

const SECRET = "int-secret-".padEnd(40, "x");
const TOKEN = "int-proxy-token-0123456789";
const P = "http://127.0.0.1:7310";
const WSP = "ws://127.0.0.1:7310";
const API = "http://127.0.0.1:7311";
const SPAWN = "spawn-alice-1";
const hub = new FakeHub(TOKEN, SECRET);
let proxy: Child;
let echo: http.Server;
let pusher: http.Server;
/** requests the echo backend has answered */
let echoHits = 0;

const proxyArgs = ["--auth-sync-seconds", "0.5", "--activity-flush-seconds", "1", "--dashboard-ports", "7361,7313-7314"];
const startProxy = () => startProxyProcess({ port: 7310, apiPort: 7311, hubUrl: hub.url, secretKey: SECRET, authToken: TOKEN, extraArgs: proxyArgs });

before(async () => {
  await hub.start(7312);
  // echo backend (a "dashboard" port on alice's host, to see what the proxy sends there)
  echo = http.createServer((req, res) => {
    echoHits++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  await new Promise<void>((r) => echo.listen(7313, "127.0.0.1", r));
  // a WebSocket server that only pushes (server → client)
  pusher = http.createServer();
  const wss = new WebSocketServer({ server: pusher });
  wss.on("connection", (ws) => {
    const t = setInterval(() => ws.send("tick"), 100);
    ws.on("close", () => clearInterval(t));
  });
  await new Promise<void>((r) => pusher.listen(7314, "127.0.0.1", r));
  hub.state.routes = {
    "/user/alice/": { target: "http://127.0.0.1:7350", user: "alice", server_name: "", spawn_id: SPAWN },
    "/user/pusher/": { target: "http://127.0.0.1:7314", user: "pusher", server_name: "", spawn_id: "p1" },
  };
  hub.state.admins = ["root"];
  hub.state.tokens = { "api-tok-alice": { user: "alice", admin: false } };
  [proxy] = await Promise.all([
    startProxy(),
    startJupyter(7350, "alice", deriveServerToken(SECRET, SPAWN), "/user/alice/", "7361,7313-7314"),
    startDaskScheduler(7360, 7361),
  ]);
});

after(async () => {
  await stopAll();
  await hub.stop();
  for (const s of [echo, pusher]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const alice = () => hub.cookieFor("alice");
const get = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) => fetch(P + path, { headers, redirect: "manual", ...init });
/** What the echo backend answers: the request as it arrived. */
type Echo = { url: string; headers: Record<string, string | undefined> };
/** A kernel message, as far as these tests read it. */
type KernelMessage = { msg_type: string; parent_header: { msg_id?: string }; content: { status?: string } };
const lastActivity = async (r: Response) => Date.parse(((await r.json()) as { last_activity: string }).last_activity);

/** Opens a WebSocket and resolves with it, or rejects with the HTTP status of a refused upgrade. */
function openWs(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => {
      reject(Object.assign(new Error("refused " + res.statusCode), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

async function startKernel(): Promise<string> {
  const r = await get("/user/alice/api/kernels", { cookie: alice(), "content-type": "application/json" }, { method: "POST", body: "{}" });
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { id: string }).id;
}

test("owner gets 200 through the proxy (token injected, no token sent by the client)", async () => {
  const r = await get("/user/alice/api/status", { cookie: alice() });
  assert.equal(r.status, 200);
  assert.ok("kernels" in (await r.json()));
  const tree = await get("/user/alice/tree", { cookie: alice(), accept: "text/html" });
  assert.equal(tree.status, 200);
  assert.ok(!tree.headers.getSetCookie().some((c) => c.startsWith("username-")), "Jupyter's login cookie is stripped");
});

test("kernel WebSocket through the proxy: kernel_info round trip", async () => {
  const id = await startKernel();
  const ws = await openWs(`${WSP}/user/alice/api/kernels/${id}/channels?session_id=${randomUUID()}`, { cookie: alice(), origin: "http://127.0.0.1:7310" });
  const msgId = randomUUID();
  const reply = new Promise<KernelMessage>((resolve) =>
    ws.on("message", (d) => {
      // Text frames arrive as one Buffer (ws's default binaryType).
      const m = JSON.parse((d as Buffer).toString()) as KernelMessage;
      if (m.parent_header?.msg_id === msgId && m.msg_type === "kernel_info_reply") resolve(m);
    }),
  );
  ws.send(
    JSON.stringify({
      header: { msg_id: msgId, username: "alice", session: randomUUID(), msg_type: "kernel_info_request", version: "5.3", date: new Date().toISOString() },
      parent_header: {},
      metadata: {},
      content: {},
      channel: "shell",
      buffers: [],
    }),
  );
  const m = await Promise.race([reply, sleep(20_000).then(() => assert.fail("no kernel_info_reply within 20 s"))]);
  assert.equal(m.content.status, "ok");
  ws.close();
  await get(`/user/alice/api/kernels/${id}`, { cookie: alice() }, { method: "DELETE" });
});

test("anonymous browser → 302 to /hub/login?next=<path+query>", async () => {
  const r = await get("/user/alice/tree?x=1", { accept: "text/html" });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get("location"), "/hub/login?next=%2Fuser%2Falice%2Ftree%3Fx%3D1");
});

test("another user → 403 on HTTP and on the kernel WebSocket; an admin → 200", async () => {
  const bob = hub.cookieFor("bob");
  assert.equal((await get("/user/alice/api/status", { cookie: bob })).status, 403);
  await assert.rejects(openWs(`${WSP}/user/alice/api/kernels/x/channels`, { cookie: bob }), (e: { status?: number }) => e.status === 403);
  assert.equal((await get("/user/alice/api/status", { cookie: hub.cookieFor("root") })).status, 200);
});

test("cross-site POST and cross-site WebSocket → 403 (Jupyter's own checks are off under token auth)", async () => {
  const evil = await get(
    "/user/alice/api/contents",
    { cookie: alice(), origin: "http://evil.example", "content-type": "text/plain" },
    { method: "POST", body: '{"type":"notebook"}' },
  );
  assert.equal(evil.status, 403);
  const id = await startKernel();
  await assert.rejects(
    openWs(`${WSP}/user/alice/api/kernels/${id}/channels`, { cookie: alice(), origin: "http://evil.example" }),
    (e: { status?: number }) => e.status === 403,
  );
  const same = await get(
    "/user/alice/api/contents",
    { cookie: alice(), origin: "http://127.0.0.1:7310", "content-type": "application/json" },
    { method: "POST", body: '{"type":"notebook"}' },
  );
  assert.equal(same.status, 201);
  await get(`/user/alice/api/kernels/${id}`, { cookie: alice() }, { method: "DELETE" });
});

test("the hub cookie and an API token never reach a dashboard (seen on an echo dashboard port, through the server's relay)", async () => {
  const r = await get("/user/alice/proxy/7313/x?y=1", { cookie: "keep=1; " + alice() });
  assert.equal(r.status, 200);
  const e = (await r.json()) as Echo;
  assert.equal(e.url, "/x?y=1");
  assert.equal(e.headers.cookie, "keep=1");
  assert.equal(e.headers.authorization, undefined, "no token injection on dashboard ports");
  const t = (await (await get("/user/alice/proxy/7313/x", { authorization: "token api-tok-alice" })).json()) as Echo;
  assert.equal(t.headers.authorization, undefined);
});

test("API token access; unknown tokens refused", async () => {
  assert.equal((await get("/user/alice/api/status", { authorization: "token api-tok-alice" })).status, 200);
  assert.equal((await get("/user/alice/api/status", { authorization: "Bearer nope" })).status, 403);
});

test("session revocation takes effect within seconds", async () => {
  const c = hub.cookieFor("alice", "sid-to-revoke");
  assert.equal((await get("/user/alice/api/status", { cookie: c })).status, 200);
  hub.state.revokedSessions = ["sid-to-revoke"];
  const t0 = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - t0 < 5000) {
    await sleep(100);
    status = (await get("/user/alice/api/status", { cookie: c })).status;
  }
  assert.equal(status, 403);
  assert.ok(Date.now() - t0 < 3000, `revocation took ${Date.now() - t0} ms`);
  assert.equal((await get("/user/alice/api/status", { cookie: alice() })).status, 200, "other sessions still work");
});

test("dask dashboard: /health, workers page, counts.json, eventstream WebSocket; port allow-list; slash redirect", async () => {
  const h = await get("/user/alice/proxy/7361/health", { cookie: alice() });
  assert.equal(h.status, 200);
  assert.equal((await h.text()).trim(), "ok");
  const w = await get("/user/alice/proxy/7361/info/main/workers.html", { cookie: alice() });
  assert.equal(w.status, 200);
  assert.match(await w.text(), /<html/i);
  const c = await get("/user/alice/proxy/7361/json/counts.json", { cookie: alice() });
  assert.equal(c.status, 200);
  const counts = (await c.json()) as { clients?: unknown };
  assert.equal(typeof counts.clients, "number", JSON.stringify(counts));
  const slash = await get("/user/alice/proxy/7361", { cookie: alice() });
  assert.equal(slash.status, 301);
  assert.equal(slash.headers.get("location"), "/user/alice/proxy/7361/");
  assert.equal((await get("/user/alice/proxy/7350/api", { cookie: alice() })).status, 404, "Jupyter's own port is not a dashboard port");
  assert.equal((await get("/user/alice/proxy/7361/health", { cookie: hub.cookieFor("bob") })).status, 403);
  const ws = await openWs(`${WSP}/user/alice/proxy/7361/eventstream`, { cookie: alice(), origin: "http://127.0.0.1:7310" });
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.close();
});

test("dask dashboard: bokeh pages 404 through the proxy (Debian has no bokeh)", async () => {
  assert.equal((await get("/user/alice/proxy/7361/workers", { cookie: alice() })).status, 404);
  const s = await get("/user/alice/proxy/7361/status", { cookie: alice() });
  assert.equal(s.status, 200);
  assert.match(await s.text(), /bokeh/i);
});

test("server→client-only WebSocket traffic counts as activity and is reported to the hub", async () => {
  const ws = await openWs(`${WSP}/user/pusher/`, { cookie: hub.cookieFor("pusher") });
  let got = 0;
  ws.on("message", () => got++);
  await sleep(300);
  const auth = { authorization: "token " + TOKEN };
  const before = await lastActivity(await fetch(API + "/api/routes/user/pusher", { headers: auth }));
  const reportsBefore = hub.state.activityReports.length;
  await sleep(2200);
  const afterLa = await lastActivity(await fetch(API + "/api/routes/user/pusher", { headers: auth }));
  ws.close();
  assert.ok(got > 5, `pushes received: ${got}`);
  assert.ok(afterLa - before > 1000, `last_activity moved ${afterLa - before} ms`);
  const reported = hub.state.activityReports.slice(reportsBefore).filter((r) => r["/user/pusher/"]);
  assert.ok(reported.length > 0, "activity for /user/pusher/ reported to the hub");
});

test("metrics count requests by route class and status class", async () => {
  assert.equal((await fetch(API + "/metrics")).status, 403, "no token, no metrics: they name every user with a server");
  const m = await (await fetch(API + "/metrics", { headers: { authorization: "Bearer " + TOKEN } })).text();
  const v = (re: RegExp) => Number(re.exec(m)?.[1] ?? 0);
  assert.ok(v(/gyre_proxy_requests_total\{route="user",status="2xx"\} (\d+)/) > 3);
  assert.ok(v(/gyre_proxy_requests_total\{route="dashboard",status="2xx"\} (\d+)/) > 2);
  assert.ok(v(/gyre_proxy_requests_total\{route="none",status="4xx"\} (\d+)/) > 2);
  assert.equal(v(/gyre_proxy_routes (\d+)/), 2);
  assert.match(m, /gyre_proxy_upstream_latency_seconds_bucket/);
});

/** Sends raw bytes to the proxy; the answer's status (0: none within 3 s) and text. */
function rawRequest(bytes: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const sock = net.connect(7310, "127.0.0.1");
    let got = "";
    const done = () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1] ?? 0), text: got });
    sock.on("data", (d) => {
      got += d.toString("latin1");
      if (/\r\n\r\n/.test(got)) setTimeout(() => sock.destroy(), 200);
    });
    sock.on("close", done);
    sock.on("error", () => undefined);
    sock.setTimeout(3000, () => sock.destroy());
    sock.write(bytes);
  });
}

test("bad request targets and framing get a clean 4xx from the proxy, never forwarded: OPTIONS *, a WebSocket to the hub, Transfer-Encoding smuggling", async () => {
  const add = await fetch(API + "/api/routes/user/echoer", {
    method: "POST",
    headers: { authorization: "token " + TOKEN, "x-gyre-route-owner": "hub" },
    body: JSON.stringify({ target: "http://127.0.0.1:7313", user: "echoer", server_name: "", spawn_id: "e1" }),
  });
  assert.equal(add.status, 201);
  const cookie = hub.cookieFor("echoer");
  assert.equal((await get("/user/echoer/x", { cookie })).status, 200, "the route works");
  const hits = echoHits;
  const options = await rawRequest("OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  assert.equal(options.status, 204, options.text);
  assert.match(options.text, /allow: GET, HEAD, POST/i);
  await assert.rejects(openWs(WSP + "/hub/api/events", { cookie }), (e: { status?: number }) => e.status === 404);
  for (const te of ["identity, chunked", "chunked, identity", "gzip, chunked"]) {
    const body = "5\r\nhello\r\n0\r\n\r\n";
    const r = await rawRequest(`POST /user/echoer/x HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nTransfer-Encoding: ${te}\r\n\r\n${body}`);
    assert.ok(r.status === 400, `${te}: ${r.text.slice(0, 120)}`);
  }
  const both = await rawRequest(
    `POST /user/echoer/x HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  );
  assert.equal(both.status, 400, both.text.slice(0, 120));
  assert.equal(echoHits, hits, "nothing reached the user's server");
  assert.equal(
    (await get("/user/echoer/x", { cookie, "content-type": "text/plain" }, { method: "POST", body: "hello" })).status,
    200,
    "plain bodies still pass",
  );
  await fetch(API + "/api/routes/user/echoer", { method: "DELETE", headers: { authorization: "token " + TOKEN, "x-gyre-route-owner": "hub" } });
});

test("kill -9 and restart: every route from the hub is back when it first answers (it syncs before listening)", async () => {
  for (let i = 0; i < 200; i++) hub.state.routes[`/user/r${i}/`] = { target: "http://127.0.0.1:7313", user: `r${i}`, server_name: "", spawn_id: `s${i}` };
  await stopChild(proxy, "SIGKILL");
  const t0 = Date.now();
  proxy = await startProxy();
  const routes = (await (await fetch(API + "/api/routes", { headers: { authorization: "token " + TOKEN } })).json()) as Record<string, unknown>;
  assert.equal(Object.keys(routes).length, 202);
  assert.ok(Date.now() - t0 < 8000, "process start (tsx) plus sync within 8 s");
  assert.equal((await get("/user/alice/api/status", { cookie: alice() })).status, 200);
});
