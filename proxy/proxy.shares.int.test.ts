// Shared servers through the real proxy process, with the fake hub: a user a server is shared
// with reaches it (HTTP and WebSocket, cookie and API token), a revocation the hub pushes stops new
// requests at once and closes the WebSockets already open through the share, the auth snapshot
// alone also grants and revokes (group membership changes arrive that way), and what it refuses:
// users without a share, a share made on a deleted account of the same name, a token limited to
// other servers, a malformed or unauthenticated push, a grantee of a stopped server.
// Ports: proxy 7430/7431, fake hub 7432, the owner's server (HTTP + WebSocket echo) 7433.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket, { WebSocketServer } from "ws";
import { FakeHub } from "./testing/fake-hub";
import { startProxyProcess, stopAll, type Child } from "./testing/processes";

const SECRET = "shares-secret-".padEnd(40, "x");
const TOKEN = "shares-proxy-token-0123456789";
const P = "http://127.0.0.1:7430";
const WSP = "ws://127.0.0.1:7430";
const API = "http://127.0.0.1:7431";
const hub = new FakeHub(TOKEN, SECRET);
let proxy: Child;
let backend: http.Server;

before(async () => {
  await hub.start(7432);
  backend = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url }));
  });
  const wss = new WebSocketServer({ server: backend });
  wss.on("connection", (ws) => ws.on("message", (d) => ws.send(d)));
  await new Promise<void>((r) => backend.listen(7433, "127.0.0.1", r));
  hub.state.routes = {
    "/user/alice/": { target: "http://127.0.0.1:7433", user: "alice", user_id: hub.memory.idOf("alice"), server_name: "", spawn_id: "s-alice" },
  };
  hub.state.tokens = {
    "tok-bob-inherit": { user: "bob", admin: false },
    "tok-bob-alice": { user: "bob", admin: false, scopes: ["access:servers!server=alice/"] },
    "tok-bob-own": { user: "bob", admin: false, scopes: ["access:servers!server=bob/"] },
  };
  proxy = await startProxyProcess({
    port: 7430,
    apiPort: 7431,
    hubUrl: hub.url,
    secretKey: SECRET,
    authToken: TOKEN,
    // a slow snapshot, so the tests that push see the push, not the next snapshot
    extraArgs: ["--auth-sync-seconds", "1"],
  });
});

after(async () => {
  await stopAll();
  await hub.stop();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
});

const cookie = (user: string) => hub.cookieFor(user);
const get = (path: string, headers: Record<string, string>) => fetch(P + path, { headers, redirect: "manual" });
const shareOfAlice = (...users: string[]) => ({ "alice/": { owner_id: hub.memory.idOf("alice"), user_ids: users.map((u) => hub.memory.idOf(u)) } });

/** Pushes the share map as the hub does (app/_lib/servers/proxy-client.ts). */
async function push(shares: unknown, token = TOKEN): Promise<number> {
  const r = await fetch(`${API}/api/shares`, {
    method: "PUT",
    headers: { authorization: `token ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ shares }),
  });
  return r.status;
}

/** Opens a WebSocket and resolves with it, or rejects with the HTTP status of a refused upgrade. */
function openWs(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { origin: P, ...headers } });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => {
      reject(Object.assign(new Error("refused " + res.statusCode), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

async function echoes(ws: WebSocket, text: string): Promise<boolean> {
  const got = new Promise<string>((r) => ws.once("message", (d) => r((d as Buffer).toString())));
  ws.send(text);
  return (await got) === text;
}

test("without a share, another user is refused (HTTP and WebSocket); the owner gets through", async () => {
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("alice") })).status, 200);
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("bob") })).status, 403);
  await assert.rejects(openWs(`${WSP}/user/alice/api/kernels/k/channels`, { cookie: cookie("bob") }), { status: 403 });
});

test("a pushed share lets its user in at once, by cookie and by token; others stay out; a revocation pushed closes the open WebSocket and refuses the next request", async () => {
  assert.equal(await push(shareOfAlice("bob")), 204);
  hub.state.shares = shareOfAlice("bob");
  const r = await get("/user/alice/api/status", { cookie: cookie("bob") });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { url: "/user/alice/api/status" });
  assert.equal((await get("/user/alice/api/status", { authorization: "token tok-bob-inherit" })).status, 200);
  assert.equal((await get("/user/alice/api/status", { authorization: "token tok-bob-alice" })).status, 200);
  // a token limited to bob's own server does not reach alice's, shared or not
  assert.equal((await get("/user/alice/api/status", { authorization: "token tok-bob-own" })).status, 403);
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("carol") })).status, 403);
  const ws = await openWs(`${WSP}/user/alice/api/kernels/k/channels`, { cookie: cookie("bob") });
  assert.ok(await echoes(ws, "hello through a share"));
  const owners = await openWs(`${WSP}/user/alice/api/kernels/k/channels`, { cookie: cookie("alice") });
  const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));

  hub.state.shares = {};
  assert.equal(await push({}), 204);
  // the push has been applied when the proxy answered it: no waiting for a snapshot
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("bob") })).status, 403);
  await Promise.race([closed, sleep(2000).then(() => assert.fail(`bob's WebSocket stayed open after the revocation\n${proxy.output()}`))]);
  await assert.rejects(openWs(`${WSP}/user/alice/api/kernels/k/channels`, { cookie: cookie("bob") }), { status: 403 });
  // the owner's own WebSocket is untouched
  assert.ok(await echoes(owners, "still here"));
  owners.close();
});

test("the auth snapshot alone grants and revokes (a group's new member, a member who left), open WebSockets included", async () => {
  hub.state.shares = shareOfAlice("carol");
  const end = Date.now() + 5000;
  while ((await get("/user/alice/api/status", { cookie: cookie("carol") })).status !== 200) {
    if (Date.now() > end) assert.fail("the snapshot's share never let carol in");
    await sleep(100);
  }
  const ws = await openWs(`${WSP}/user/alice/api/kernels/k/channels`, { cookie: cookie("carol") });
  const closed = new Promise<void>((r) => ws.once("close", () => r()));
  hub.state.shares = {};
  await Promise.race([closed, sleep(5000).then(() => assert.fail("carol's WebSocket stayed open after the snapshot dropped her share"))]);
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("carol") })).status, 403);
});

test("refusals: a share made on a deleted account named alice, a malformed or unauthenticated push; a grantee of a stopped server gets 503, not the spawn page", async () => {
  // the share names another account id than the route's owner: alice was deleted and re-created
  hub.state.shares = { "alice/": { owner_id: 99_999, user_ids: [hub.memory.idOf("bob")] } };
  assert.equal(await push(hub.state.shares), 204);
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("bob") })).status, 403);
  // nothing changes on a bad push
  hub.state.shares = shareOfAlice("bob");
  assert.equal(await push(hub.state.shares), 204);
  assert.equal(await push({ "alice/": { owner_id: "x", user_ids: [1] } }), 400);
  assert.equal(await push([1, 2]), 400);
  assert.equal(await push({}, "wrong-token"), 403);
  assert.equal((await get("/user/alice/api/status", { cookie: cookie("bob") })).status, 200);
  // carol's server is shared with bob but not running (no route): bob cannot start it
  const stopped = { ...shareOfAlice("bob"), "carol/": { owner_id: hub.memory.idOf("carol"), user_ids: [hub.memory.idOf("bob")] } };
  hub.state.shares = stopped;
  assert.equal(await push(stopped), 204);
  const r = await get("/user/carol/lab", { cookie: cookie("bob"), accept: "text/html" });
  assert.equal(r.status, 503);
  assert.match(await r.text(), /only carol can start it/);
  // the owner is sent to the spawn page as before, and dave (no share) is refused
  const own = await get("/user/carol/lab", { cookie: cookie("carol"), accept: "text/html" });
  assert.equal(own.status, 302);
  assert.match(own.headers.get("location") ?? "", /\/hub\/spawn\/carol/);
  assert.equal((await get("/user/carol/lab", { cookie: cookie("dave"), accept: "text/html" })).status, 403);
});
