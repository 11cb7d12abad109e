// A user's server on a unix socket (how local servers listen), through the whole proxy on both
// HTTP paths (the lean client and http.request) and the WebSocket relay: requests reach the
// socket, Jupyter's HTML pages reach the browser without the server's token, and dashboard URLs
// go to the server itself (whose extension relays only the account's own sockets) unless the
// route says the dashboards are "direct" (pods). Proxies on 7374/7375 (APIs 7376/7377), a TCP
// "pod" backend on 7378; the hub is in memory.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import WebSocket, { WebSocketServer } from "ws";
import { GyreProxy } from "../server";
import { InMemoryHub } from "../testing/in-memory-hub";
import { deriveServerToken } from "../auth/session-cookie";

const SECRET = "u".repeat(40);
const TOKEN = "unix-test-token-0123456789";
const hub = new InMemoryHub(SECRET);
const SERVER_TOKEN = deriveServerToken(SECRET, "spawn-unix");
const dir = mkdtempSync(join(tmpdir(), "gyre-unix-test-"));
const SOCKET = join(dir, "jupyter.sock");
const PATHS = { lean: 7374, library: 7375 } as const;
const POD = 7378;
const proxies: GyreProxy[] = [];
let server: http.Server;
let pod: http.Server;

/** A Jupyter-like page that embeds the token it was authenticated with, like jupyter_server does. */
function page(token: string, big: boolean): string {
  const filler = big ? "x".repeat(200_000) : "";
  return `<!doctype html><body data-jupyter-api-token="${token}"><a href="/user/alice/?token=${token}">home</a>${filler}<p>end</p></body>`;
}

before(async () => {
  server = http.createServer((req, res) => {
    const token = (req.headers.authorization ?? "").replace(/^token /, "");
    if (req.url!.startsWith("/user/alice/page")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      // streamed in small pieces so the token is split across chunks
      const body = page(token, req.url!.includes("big"));
      for (let i = 0; i < body.length; i += 7) res.write(body.slice(i, i + 7));
      res.end();
      return;
    }
    if (req.url!.startsWith("/user/alice/fixed")) {
      const body = page(token, false);
      res.writeHead(200, { "content-type": "text/html", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ via: "socket", url: req.url, auth: req.headers.authorization ?? null, body, echoToken: token }));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on("message", (d: Buffer) => ws.send("socket:" + d.toString()))));
  await new Promise<void>((r) => server.listen(SOCKET, r));
  pod = http.createServer((req, res) => res.end(JSON.stringify({ via: "pod", url: req.url, auth: req.headers.authorization ?? null })));
  await new Promise<void>((r) => pod.listen(POD, "127.0.0.1", r));
  hub.state.routes = {
    "/user/alice/": { target: `http+unix://${encodeURIComponent(SOCKET)}`, user: "alice", server_name: "", spawn_id: "spawn-unix" },
    "/user/carol/": { target: "http://127.0.0.1:9", user: "carol", server_name: "", spawn_id: "spawn-carol", dashboards: "direct" },
  };
  hub.state.tokens = { "tok-alice": { user: "alice", admin: false }, "tok-carol": { user: "carol", admin: false } };
  for (const [name, port] of Object.entries(PATHS)) {
    const p = new GyreProxy({
      bindHost: "127.0.0.1",
      port,
      apiHost: "127.0.0.1",
      apiPort: port + 2,
      hubUrl: "http://127.0.0.1:9",
      hub,
      authToken: TOKEN,
      secretKey: SECRET,
      // Single-origin: these tests are about forwarding over unix sockets, with the hub cookie on 127.0.0.1.
      origins: { publicUrl: "http://127.0.0.1", userDomain: "" },
      fullSyncSeconds: 60,
      authSyncSeconds: 60,
      activityFlushSeconds: 60,
      upstreamTimeoutSeconds: 5,
      connectTimeoutSeconds: 2,
      dashboardPorts: [8787, POD],
      logger: pino({ level: "silent" }),
      leanUpstream: name === "lean",
    });
    await p.start();
    proxies.push(p);
  }
});

after(async () => {
  for (const p of proxies) await p.close();
  server.closeAllConnections();
  pod.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => pod.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const alice = { authorization: "token tok-alice" };

for (const [name, port] of Object.entries(PATHS)) {
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;

  test(`${name}: requests reach the server on its unix socket, with the token injected`, async () => {
    const r = await fetch(url("/user/alice/api/status?x=1"), { headers: alice });
    assert.equal(r.status, 200);
    const echo = (await r.json()) as { via: string; url: string; auth: string };
    assert.deepEqual([echo.via, echo.url, echo.auth], ["socket", "/user/alice/api/status?x=1", `token ${SERVER_TOKEN}`]);
    const post = await fetch(url("/user/alice/api/contents"), {
      method: "POST",
      headers: { ...alice, "content-type": "application/json" },
      body: '{"type":"notebook"}',
    });
    assert.equal(((await post.json()) as { body: string }).body, '{"type":"notebook"}');
  });

  test(`${name}: the server's token is cut out of its HTML pages, chunked or with Content-Length`, async () => {
    for (const p of ["/user/alice/page", "/user/alice/page-big", "/user/alice/fixed"]) {
      const r = await fetch(url(p), { headers: alice });
      assert.equal(r.status, 200);
      const html = await r.text();
      assert.ok(!html.includes(SERVER_TOKEN), `${p}: no token in the page`);
      assert.match(html, /data-jupyter-api-token=""/);
      assert.match(html, /href="\/user\/alice\/\?token="/);
      assert.ok(html.endsWith("<p>end</p></body>"), `${p}: the whole page arrives`);
    }
    // JSON (not a page) passes unchanged: here the echo includes the token on purpose.
    const json = (await (await fetch(url("/user/alice/api/x"), { headers: alice })).json()) as { echoToken: string };
    assert.equal(json.echoToken, SERVER_TOKEN);
  });

  test(`${name}: a dashboard URL goes to the server itself (its extension relays), a pod's dashboard goes direct`, async () => {
    const r = await fetch(url("/user/alice/proxy/8787/status?y=2"), { headers: alice });
    const echo = (await r.json()) as { via: string; url: string; auth: string };
    assert.deepEqual([echo.via, echo.url, echo.auth], ["socket", "/user/alice/proxy/8787/status?y=2", `token ${SERVER_TOKEN}`]);
    // carol's route says "direct": the proxy connects to the port on the target's host, no token
    const d = (await (await fetch(url(`/user/carol/proxy/${POD}/status`), { headers: { authorization: "token tok-carol" } })).json()) as {
      via: string;
      url: string;
      auth: string | null;
    };
    assert.deepEqual([d.via, d.url, d.auth], ["pod", "/status", null]);
    // the port allow-list still applies at the proxy
    assert.equal((await fetch(url("/user/alice/proxy/22/x"), { headers: alice })).status, 404);
  });

  test(`${name}: WebSockets reach the unix socket`, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/user/alice/api/kernels/k/channels`, { headers: alice });
    await new Promise((res, rej) => ws.once("open", res).once("error", rej));
    const got = new Promise<string>((res) => ws.once("message", (m: Buffer) => res(m.toString())));
    ws.send("hi");
    assert.equal(await got, "socket:hi");
    ws.close();
  });
}
