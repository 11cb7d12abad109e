// No leaks: thousands of HTTP and WebSocket connections (including to a stopped upstream)
// through the real proxy process, then open fds and RSS must return near the baseline.
// Ports: proxy 7320/7321, fake hub 7322, backend 7323 (7329 stays closed: the stopped upstream).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket, { WebSocketServer } from "ws";
import { FakeHub } from "./testing/fake-hub";
import { startProxyProcess, stopAll, type Child } from "./testing/processes";

const SECRET = "leak-secret-".padEnd(40, "q");
const TOKEN = "leak-proxy-token-0123456789";
const hub = new FakeHub(TOKEN, SECRET);
let proxy: Child;
let backend: http.Server;

before(async () => {
  await hub.start(7322);
  backend = http.createServer((req, res) => {
    req.resume();
    res.end("ok");
  });
  const wss = new WebSocketServer({ server: backend });
  wss.on("connection", (ws) => ws.on("message", (d) => ws.send(d)));
  await new Promise<void>((r) => backend.listen(7323, "127.0.0.1", r));
  hub.state.routes = {
    "/user/live/": { target: "http://127.0.0.1:7323", user: "live", spawn_id: "a" },
    "/user/dead/": { target: "http://127.0.0.1:7329", user: "dead", spawn_id: "b" },
  };
  proxy = await startProxyProcess({ port: 7320, apiPort: 7321, hubUrl: hub.url, secretKey: SECRET, authToken: TOKEN });
});
after(async () => {
  await stopAll();
  await hub.stop();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
});

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

function request(path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: 7320, path, agent: false, headers: { cookie } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

function wsRoundTrip(path: string, cookie: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket("ws://127.0.0.1:7320" + path, { headers: { cookie } });
    ws.once("open", () => ws.send("hi"));
    ws.once("message", () => {
      ws.close();
      resolve("echo");
    });
    ws.once("unexpected-response", (_q, r) => {
      ws.terminate();
      resolve("refused " + r.statusCode);
    });
    ws.once("error", () => resolve("error"));
  });
}

async function inBatches<T>(n: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => fn(i + j)))));
  return out;
}

test("thousands of HTTP and WebSocket connections leave fds and RSS near baseline", { timeout: 60_000 }, async () => {
  const pid = proxy.proc.pid!;
  const live = hub.cookieFor("live");
  const dead = hub.cookieFor("dead");
  // warm-up, so JIT and pools are in the baseline (at the load's concurrency: a keep-alive pool
  // grows to the number of requests in flight, and that is not a leak)
  await inBatches(200, 32, () => request("/user/live/x", live));
  await inBatches(50, 10, () => wsRoundTrip("/user/live/ws", live));
  await sleep(500);
  const fd0 = fds(pid);
  const rss0 = rssKb(pid);
  const http200 = await inBatches(2000, 32, () => request("/user/live/x", live));
  assert.ok(http200.every((s) => s === 200));
  const httpDead = await inBatches(500, 32, () => request("/user/dead/x", dead));
  assert.ok(httpDead.every((s) => s === 503));
  const wsLive = await inBatches(1000, 20, () => wsRoundTrip("/user/live/ws", live));
  assert.equal(wsLive.filter((r) => r === "echo").length, 1000);
  const wsDead = await inBatches(300, 20, () => wsRoundTrip("/user/dead/ws", dead));
  assert.ok(
    wsDead.every((r) => r !== "echo"),
    "no echo from a stopped upstream",
  );
  await sleep(1500);
  const fd1 = fds(pid);
  const rss1 = rssKb(pid);
  assert.ok(fd1 <= fd0 + 10, `fds ${fd0} → ${fd1}`);
  assert.ok(rss1 <= rss0 + 60_000, `RSS ${rss0} kB → ${rss1} kB`);
  const m = await (await fetch("http://127.0.0.1:7321/metrics", { headers: { authorization: "Bearer " + TOKEN } })).text();
  assert.match(m, /gyre_proxy_open_websockets 0\b/);
});
