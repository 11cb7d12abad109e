// Routes another client adds through the configurable-http-proxy API (a JupyterHub-style service),
// with two real proxy processes and the hub's real code path: its route handlers
// (app/api/proxy/*) on a real database, served over HTTP, pushing through its real ProxyClient.
// Ports: proxy A 7351/7352, proxy B 7353/7354, hub 7355, the service 7356, a user's server 7357.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { startProxyProcess, stopAll, stopChild, type Child, type ProxyProcessOptions } from "./testing/processes";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { ProxyClient } from "@/app/_lib/servers/proxy-client";
import { GET as routesGet } from "@/app/api/proxy/routes/route";
import { GET as authGet } from "@/app/api/proxy/auth/route";
import { POST as activityPost } from "@/app/api/proxy/activity/route";
import { POST as extraPost, DELETE as extraDelete } from "@/app/api/proxy/extra-routes/route";

const A = { port: 7351, apiPort: 7352 };
const B = { port: 7353, apiPort: 7354 };
const HUB_PORT = 7355;
type Handler = (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;
const HANDLERS: Record<string, Handler> = {
  "GET /hub/api/proxy/routes": routesGet,
  "GET /hub/api/proxy/auth": authGet,
  "POST /hub/api/proxy/activity": activityPost,
  "POST /hub/api/proxy/extra-routes": extraPost,
  "DELETE /hub/api/proxy/extra-routes": extraDelete,
};

let hub: TestHub;
let hubServer: http.Server;
const backends: http.Server[] = [];
let proxyA: Child;
let proxyB: Child;

/** Serves the hub's proxy endpoints from its route handlers, as Next would. */
function serveHub(): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const handler = HANDLERS[`${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`];
      const chunks: Buffer[] = [];
      for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
      if (!handler) {
        res.writeHead(404, { "content-type": "text/plain" });
        return res.end("the hub: not found");
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const answer = await handler(new Request(`http://127.0.0.1:${HUB_PORT}${req.url}`, { method: req.method, headers, body }), {
        params: Promise.resolve({}),
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
}

function backend(port: number, name: string): Promise<void> {
  const s = http.createServer((req, res) => {
    req.resume();
    res.end(`${name} ${req.url}`);
  });
  backends.push(s);
  return new Promise((r) => s.listen(port, "127.0.0.1", r));
}

const opts = (p: { port: number; apiPort: number }): ProxyProcessOptions => ({
  ...p,
  hubUrl: `http://127.0.0.1:${HUB_PORT}`,
  secretKey: hub.rt.config.hub.secretKey,
  authToken: hub.rt.config.proxy.authToken,
  // full syncs every second: a route kept across several of them is kept by the sync
  extraArgs: ["--full-sync-seconds", "1", "--auth-sync-seconds", "5"],
});

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { spawner: { kind: "local" } } });
  hub.rt.proxy = new ProxyClient([`http://127.0.0.1:${A.apiPort}`, `http://127.0.0.1:${B.apiPort}`], hub.rt.config.proxy.authToken, pino({ level: "silent" }));
  hubServer = serveHub();
  await new Promise<void>((r) => hubServer.listen(HUB_PORT, "127.0.0.1", r));
  await Promise.all([backend(7356, "service"), backend(7357, "ada's server")]);
  const ada = await hub.addUser("ada");
  await hub.db.server.create({ data: { userId: ada.id, name: "", state: "running", spawnerKind: "local", url: "http://127.0.0.1:7357", spawnId: "sp-ada" } });
  [proxyA, proxyB] = await Promise.all([startProxyProcess(opts(A)), startProxyProcess(opts(B))]);
});

after(async () => {
  await stopAll();
  hubServer?.closeAllConnections();
  await new Promise<void>((r) => (hubServer ? hubServer.close(() => r()) : r()));
  for (const s of backends) {
    s.closeAllConnections();
    s.close();
  }
  await hub?.close();
});

/** GET a path through one proxy: status and body. */
async function via(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: "manual" });
  return { status: r.status, body: await r.text() };
}

/** The route API of one proxy, as a client other than the hub (no x-gyre-route-owner). */
function api(p: { apiPort: number }, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${p.apiPort}/api/routes${path}`, {
    method,
    headers: { authorization: `token ${hub.rt.config.proxy.authToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Polls until `probe` is true (every 10 ms); ms it took, or Infinity after `limitMs`. */
async function msUntil(probe: () => Promise<boolean>, limitMs = 5000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (await probe()) return performance.now() - t0;
    await sleep(10);
  }
  return Infinity;
}

test("a service's route POSTed to one replica is served by both, kept by their full syncs, survives a restart, and a DELETE on the other replica removes it everywhere", async () => {
  const t0 = performance.now();
  const post = await api(A, "POST", "/services/announce/", { target: "http://127.0.0.1:7356", service: "announce" });
  assert.equal(post.status, 201, await post.text());
  assert.equal((await via(A.port, "/services/announce/x")).body, "service /services/announce/x", "served by the replica that got the POST");
  const onB = await msUntil(async () => (await via(B.port, "/services/announce/x")).body === "service /services/announce/x");
  process.stdout.write(`# service route POSTed to A → served by B after ${(performance.now() - t0).toFixed(1)} ms\n`);
  assert.ok(onB < 1000, `B served it after ${onB} ms`);
  assert.deepEqual(
    (await hub.db.extraRoute.findMany()).map((r) => r.path),
    ["/services/announce"],
    "stored in the hub's database",
  );

  // several full syncs (every second) later, both still have it
  await sleep(2500);
  for (const p of [A, B]) assert.equal((await via(p.port, "/services/announce/y")).body, "service /services/announce/y");

  // a replica killed and started again has it from its first answer
  await stopChild(proxyB, "SIGKILL");
  proxyB = await startProxyProcess(opts(B));
  assert.equal((await via(B.port, "/services/announce/z")).body, "service /services/announce/z", "loaded from the hub before it listened");

  // deleted through B: gone from A too, and from the hub's table
  assert.equal((await api(B, "DELETE", "/services/announce")).status, 204);
  // a /services/ name without a route is the proxy's own 404 (proxy/routing/resolve.ts)
  const gone = async (port: number) => {
    const r = await via(port, "/services/announce/x");
    return r.status === 404 && r.body.includes("No such service: announce");
  };
  const goneOnA = await msUntil(() => gone(A.port));
  assert.ok(goneOnA < 1000, `A still served it ${goneOnA} ms after the DELETE`);
  assert.equal(await hub.db.extraRoute.count(), 0);
  await stopChild(proxyA, "SIGTERM");
  proxyA = await startProxyProcess(opts(A));
  assert.ok(await gone(A.port), "not back after a restart");
  assert.equal((await api(A, "DELETE", "/services/announce")).status, 404);
});

test("another client cannot take over a user's route, the hub's paths or the whole table: 403, on every replica nothing changed, nothing stored", async () => {
  const adaRoute = async (p: { apiPort: number }) => ((await (await api(p, "GET", "/user/ada")).json()) as { target: string }).target;
  assert.deepEqual([await adaRoute(A), await adaRoute(B)], ["http://127.0.0.1:7357", "http://127.0.0.1:7357"]);
  const evil = { target: "http://127.0.0.1:7356" };
  for (const path of ["/user/ada/", "/user/ada/lab", "/user/bob", "//user/ada", "/", "/hub/login"]) {
    const r = await api(A, "POST", path, evil);
    assert.equal(r.status, 403, `POST ${path}`);
    assert.match(await r.text(), /the hub's/);
  }
  assert.equal((await api(B, "DELETE", "/user/ada")).status, 403);
  assert.equal((await api(A, "POST", "/services/evil", { ...evil, spawn_id: "sp-ada" })).status, 403, "a route that would carry ada's server token");
  for (const [method, body] of [
    ["PUT", { "/user/ada/": evil }],
    ["PATCH", { add: { "/user/ada/": evil } }],
  ] as const) {
    assert.equal((await api(B, method, "", body)).status, 403, method);
  }
  await sleep(1200); // a full sync in between changes nothing either
  assert.deepEqual([await adaRoute(A), await adaRoute(B)], ["http://127.0.0.1:7357", "http://127.0.0.1:7357"]);
  for (const p of [A, B]) assert.equal((await via(p.port, "/hub/login")).body, "the hub: not found", "the hub's paths still go to the hub");
  assert.equal(await hub.db.extraRoute.count(), 0);
});
