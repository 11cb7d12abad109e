// WebSockets through the whole proxy, on both paths: our relay (http:// upstreams, the default)
// and http-proxy-3's ws() (HTTPS upstreams, leanUpstream: false). Ports 7384-7389: proxies 7384
// (relay) and 7385 (library), their APIs 7386/7387, the backend 7389; the hub is in memory.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import pino from "pino";
import WebSocket, { WebSocketServer } from "ws";
import { GyreProxy } from "../server";
import { InMemoryHub } from "../testing/in-memory-hub";
import { deriveServerToken } from "../auth/session-cookie";

const SECRET = "w".repeat(40);
const TOKEN = "ws-fwd-test-token-0123456789";
const hub = new InMemoryHub(SECRET);
const BACKEND = 7389;
const PATHS = { relay: 7384, library: 7385 } as const;
type PathName = keyof typeof PATHS;
const proxies: Partial<Record<PathName, GyreProxy>> = {};
let backend: http.Server;
/** Request headers of the last upgrade the backend accepted. */
let seen: http.IncomingHttpHeaders = {};
let seenUrl = "";

before(async () => {
  backend = http.createServer((_q, r) => r.end("plain"));
  const wss = new WebSocketServer({ noServer: true });
  backend.on("upgrade", (req, socket, head) => {
    if (req.url?.includes("refuse")) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nJupyter says no");
      return;
    }
    seen = req.headers;
    seenUrl = req.url ?? "";
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (d, bin) => ws.send(d, { binary: bin }));
      // The server dies mid-conversation: a TCP reset right after the handshake.
      if (req.url?.includes("reset")) setTimeout(() => (socket as import("node:net").Socket).resetAndDestroy(), 50);
    });
  });
  await new Promise<void>((r) => backend.listen(BACKEND, "127.0.0.1", r));
  hub.state.routes = {
    "/user/alice/": { target: `http://127.0.0.1:${BACKEND}`, user: "alice", server_name: "", spawn_id: "spawn-ws" },
    "/user/gone/": { target: "http://127.0.0.1:7383", user: "gone", server_name: "", spawn_id: "spawn-gone" },
  };
  hub.state.tokens = { "tok-alice": { user: "alice", admin: false } };
  for (const [name, port] of Object.entries(PATHS) as Array<[PathName, number]>) {
    const p = new GyreProxy({
      bindHost: "127.0.0.1",
      port,
      apiHost: "127.0.0.1",
      apiPort: port + 2,
      hubUrl: "http://127.0.0.1:9",
      hub,
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
      leanUpstream: name === "relay",
    });
    await p.start();
    proxies[name] = p;
  }
});

after(async () => {
  for (const p of Object.values(proxies)) await p.close();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
});

/** Opens a WebSocket; resolves with it, or with the refused upgrade's status and body. */
function open(port: number, path: string, headers: Record<string, string>): Promise<WebSocket | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_q, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", reject);
  });
}

async function echo(ws: WebSocket, text: string): Promise<string> {
  // Text and binary frames arrive as one Buffer (ws's default binaryType).
  const got = new Promise<string>((r) => ws.once("message", (d) => r((d as Buffer).toString())));
  ws.send(text);
  return got;
}

const origin = (port: number) => `http://127.0.0.1:${port}`;

for (const name of Object.keys(PATHS) as PathName[]) {
  const port = PATHS[name];

  test(`${name}: the owner's WebSocket works; server token injected, hub cookie and API token kept from the server`, async () => {
    const ws = await open(port, "/user/alice/api/kernels/k1/channels?session_id=s", { cookie: `a=1; ${hub.cookieFor("alice")}; b=2`, origin: origin(port) });
    assert.ok(ws instanceof WebSocket, `opened: ${JSON.stringify(ws)}`);
    assert.equal(await echo(ws, "hello"), "hello");
    assert.equal(seenUrl, "/user/alice/api/kernels/k1/channels?session_id=s");
    assert.equal(seen.authorization, "token " + deriveServerToken(SECRET, "spawn-ws"));
    assert.equal(seen.cookie, "a=1; b=2");
    assert.equal(seen.host, `127.0.0.1:${port}`, "Host kept: Jupyter compares it with Origin");
    assert.equal(seen["x-forwarded-for"], "127.0.0.1");
    assert.equal(seen.upgrade, "websocket");
    assert.match(String(seen.connection), /upgrade/i);
    ws.close();

    const viaToken = await open(port, "/user/alice/api/events/subscribe", { authorization: "token tok-alice" });
    assert.ok(viaToken instanceof WebSocket);
    assert.equal(seen.authorization, "token " + deriveServerToken(SECRET, "spawn-ws"), "the client's API token is replaced by the server token");
    viaToken.close();
  });

  test(`${name}: refusals — another user, no credentials, another origin, a stopped server, the server's own 403`, async () => {
    assert.deepEqual(await open(port, "/user/alice/x", { cookie: hub.cookieFor("bob") }).then((r) => (r as { status: number }).status), 403);
    assert.deepEqual(await open(port, "/user/alice/x", {}).then((r) => (r as { status: number }).status), 403);
    assert.deepEqual(
      await open(port, "/user/alice/x", { cookie: hub.cookieFor("alice"), origin: "https://evil.example" }).then((r) => (r as { status: number }).status),
      403,
    );
    const gone = (await open(port, "/user/gone/x", { cookie: hub.cookieFor("gone") })) as { status: number; body: string };
    assert.equal(gone.status, 503);
    assert.match(gone.body, /gone's server is not responding \(ECONNREFUSED\)/);
    const refused = (await open(port, "/user/alice/refuse", { cookie: hub.cookieFor("alice") })) as { status: number; body: string };
    assert.equal(refused.status, 403);
    assert.equal(refused.body, "Jupyter says no");
  });

  test(`${name}: open WebSockets are counted and traffic is activity`, async () => {
    const p = proxies[name]!;
    const entry = p.table.get("/user/alice")!;
    entry.lastActivity = 0;
    const ws = (await open(port, "/user/alice/ws", { cookie: hub.cookieFor("alice") })) as WebSocket;
    assert.equal((await p.metrics.openWebSockets.get()).values[0]?.value, 1);
    entry.lastActivity = 0;
    await echo(ws, "tick");
    assert.ok(entry.lastActivity > 0, "traffic after the handshake counts");
    ws.close();
    for (let i = 0; i < 100 && (await p.metrics.openWebSockets.get()).values[0]?.value !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await p.metrics.openWebSockets.get()).values[0]?.value, 0);
  });

  test(`${name}: an upstream that resets after the upgrade closes the WebSocket (no HTTP error page written into it)`, async () => {
    const ws = (await open(port, "/user/alice/reset", { cookie: hub.cookieFor("alice") })) as WebSocket;
    const errors: string[] = [];
    ws.on("error", (e) => errors.push(e.message));
    const code = await new Promise<number>((r) => ws.once("close", r));
    assert.equal(code, 1006, "abnormal closure, as the server went away");
    assert.deepEqual(errors, []);
  });
}
