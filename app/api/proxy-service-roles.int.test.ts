// The hub and a real proxy process together: a *service's* API token reaches the servers its
// roles' access:servers open (!user=, !group=), by Authorization header and by WebSocket (header or
// ?token=), and nothing else; a role assignment withdrawn (config) applies at the proxy's next auth
// snapshot, a group membership change at once (the hub pushes the service access map). The proxy's
// hub endpoints are the fake hub's, answered from the test hub's own database by the hub's own
// functions (auth snapshot, token-owner route, parsed by the proxy's own parser); the hub pushes to
// the proxy with ProxyClient. Ports: proxy 7570/7571, fake hub 7572, the users' server (HTTP +
// WebSocket echo) 7573.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import pino from "pino";
import WebSocket, { WebSocketServer } from "ws";
import { setTimeout as sleep } from "node:timers/promises";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { createGroup } from "@/app/_lib/groups/groups";
import { buildAuthSnapshot, buildRouteTable } from "@/app/_lib/proxy-state";
import { servicesOf } from "@/app/_lib/services/registry";
import { ProxyClient } from "@/app/_lib/servers/proxy-client";
import { FakeHub } from "@/proxy/testing/fake-hub";
import { startProxyProcess, stopAll, type Child } from "@/proxy/testing/processes";
import { parseTokenOwner } from "@/proxy/hub/http-client";
import * as tokenOwnerRoute from "./proxy/token-owner/route";
import * as groupUsersRoute from "./groups/[name]/users/route";
import { callRoute } from "@/app/_lib/testing/route-call";

const SECRET = "proxy-service-roles-secret-".padEnd(48, "x");
const PROXY_TOKEN = "proxy-service-roles-proxy-token-0123456789";
const GRADER = "grader-service-token-".padEnd(48, "g");
const WATCH = "watch-service-token-".padEnd(48, "w");
const PLAIN = "plain-service-token-".padEnd(48, "p");
const P = "http://127.0.0.1:7570";
const WSP = "ws://127.0.0.1:7570";
const API = "http://127.0.0.1:7571";
const BACKEND = "http://127.0.0.1:7573";
const AUTH_SYNC_SECONDS = 2;
const fake = new FakeHub(PROXY_TOKEN, SECRET);
let hub: TestHub;
let proxy: Child;
let backend: http.Server;
const ids: Record<string, number> = {};
let rootToken: string;

const call = callRoute;

before(async () => {
  hub = await startTestHub({
    catalog: SPAWNER_KINDS,
    config: {
      hub: { secretKey: SECRET },
      proxy: { authToken: PROXY_TOKEN },
      services: [
        { name: "grader", apiToken: GRADER },
        { name: "watch", apiToken: WATCH },
        { name: "plain", apiToken: PLAIN, scopes: ["list:users", "read:servers"] },
      ] as unknown as Record<string, unknown>,
      roles: [
        { name: "grading", scopes: ["access:servers!user=alice", "read:users"], services: ["grader"] },
        { name: "classwatch", scopes: ["access:servers!group=class"], services: ["watch"] },
      ] as unknown as Record<string, unknown>,
    },
  });
  for (const [name, admin] of [
    ["root", true],
    ["alice", false],
    ["bob", false],
    ["carol", false],
    ["grader", false],
  ] as const)
    ids[name] = (await hub.addUser(name, admin)).id;
  await createGroup(hub.db, "class", { members: ["carol"] });
  rootToken = (await createApiToken(hub.db, ids.root, {})).token;
  for (const u of ["alice", "bob", "carol", "grader"])
    await hub.db.server.create({ data: { userId: ids[u], name: "", state: "running", url: BACKEND, spawnId: `s-${u}`, spawnerKind: "local" } });

  fake.memory.fetchRoutes = () => buildRouteTable(hub.db, hub.rt.catalog, []);
  fake.memory.fetchAuth = () => buildAuthSnapshot(hub.db, new Date(), hub.rt.config.roles, servicesOf(hub.rt.config).list);
  fake.memory.fetchTokenOwner = async (token: string) => {
    const r = await call(tokenOwnerRoute.GET, "GET", "/api/proxy/token-owner", { headers: { authorization: `token ${PROXY_TOKEN}`, "x-gyre-token": token } });
    return r.status === 404 ? null : parseTokenOwner(JSON.parse(r.text));
  };
  await fake.start(7572);
  backend = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url, authorization: req.headers.authorization ?? null }));
  });
  const wss = new WebSocketServer({ server: backend });
  wss.on("connection", (ws) => ws.on("message", (d) => ws.send(d)));
  await new Promise<void>((r) => backend.listen(7573, "127.0.0.1", r));
  proxy = await startProxyProcess({
    port: 7570,
    apiPort: 7571,
    hubUrl: fake.url,
    secretKey: SECRET,
    authToken: PROXY_TOKEN,
    extraArgs: ["--auth-sync-seconds", String(AUTH_SYNC_SECONDS), "--full-sync-seconds", "3600"],
  });
  hub.rt.proxy = new ProxyClient([API], PROXY_TOKEN, pino({ level: "silent" }));
});

after(async () => {
  await stopAll();
  await fake.stop();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
  await hub.close();
});

const status = async (path: string, token: string) => (await fetch(P + path, { headers: { authorization: `token ${token}` }, redirect: "manual" })).status;

/** Opens a WebSocket and resolves with it, or rejects with the HTTP status of a refused upgrade. */
function openWs(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
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

async function echoes(ws: WebSocket, text: string): Promise<void> {
  const echoed = new Promise<string>((r) => ws.once("message", (d) => r((d as Buffer).toString())));
  ws.send(text);
  assert.equal(await echoed, text);
}

test("a service whose role grants access:servers!user=alice reaches alice's server by token (HTTP and WebSocket), not bob's; the token never reaches the server", async () => {
  const r = await fetch(`${P}/user/alice/api/status`, { headers: { authorization: `token ${GRADER}` } });
  assert.equal(r.status, 200);
  assert.notEqual(((await r.json()) as { authorization: string | null }).authorization, `token ${GRADER}`, "the server gets its own token, not the service's");
  assert.equal(await status("/user/bob/api/status", GRADER), 403);
  assert.equal(await status("/user/grader/api/status", GRADER), 403, "the user named like the service owns nothing of it");

  const byHeader = await openWs(`${WSP}/user/alice/api/kernels/k/channels`, { authorization: `token ${GRADER}` });
  await echoes(byHeader, "a service through its role");
  byHeader.close();
  const byQuery = await openWs(`${WSP}/user/alice/api/kernels/k/channels?token=${GRADER}`);
  await echoes(byQuery, "by ?token=");
  byQuery.close();
  await assert.rejects(openWs(`${WSP}/user/bob/api/kernels/k/channels`, { authorization: `token ${GRADER}` }), { status: 403 });
  await assert.rejects(openWs(`${WSP}/user/bob/api/kernels/k/channels?token=${GRADER}`), { status: 403 });
});

test("refusals: a service without access:servers, a forged or unknown token, as users' tokens are", async () => {
  assert.equal(await status("/user/alice/api/status", PLAIN), 403, "a service without the scope");
  await assert.rejects(openWs(`${WSP}/user/alice/api/kernels/k/channels?token=${PLAIN}`), { status: 403 });
  const forged = GRADER.slice(0, -1) + "h";
  assert.equal(await status("/user/alice/api/status", forged), 403, "a forged token");
  assert.equal(await status("/user/alice/api/status", "not-a-token"), 403, "an unknown token");
  await assert.rejects(openWs(`${WSP}/user/alice/api/kernels/k/channels?token=${forged}`), { status: 403 });
  // users' tokens answer the same way
  const bobs = (await createApiToken(hub.db, ids.bob, {})).token;
  assert.equal(await status("/user/alice/api/status", bobs), 403);
  assert.equal(await status("/user/alice/api/status", bobs.slice(0, -1) + "z"), 403);
});

test("a service's role through !group=: a member removed is refused at once (pushed), its open WebSocket closed", async () => {
  assert.equal(await status("/user/carol/api/status", WATCH), 200);
  assert.equal(await status("/user/alice/api/status", WATCH), 403);
  const ws = await openWs(`${WSP}/user/carol/api/kernels/k/channels?token=${WATCH}`);
  await echoes(ws, "watching carol");
  const closed = new Promise<void>((r) => ws.once("close", () => r()));
  const removed = await call(groupUsersRoute.DELETE, "DELETE", "/api/groups/class/users", {
    token: rootToken,
    params: { name: "class" },
    body: { users: ["carol"] },
  });
  assert.equal(removed.status, 200, removed.text);
  assert.equal(await status("/user/carol/api/status", WATCH), 403);
  await Promise.race([closed, sleep(2000).then(() => assert.fail(`the service's WebSocket to carol stayed open\n${proxy.output()}`))]);
  const added = await call(groupUsersRoute.POST, "POST", "/api/groups/class/users", {
    token: rootToken,
    params: { name: "class" },
    body: { users: ["carol"] },
  });
  assert.equal(added.status, 200, added.text);
  assert.equal(await status("/user/carol/api/status", WATCH), 200, "back in the class, at once");
});

test("the service's role withdrawn from the config: refused from the proxy's next auth snapshot, its token still known", async () => {
  assert.equal(await status("/user/alice/api/status", GRADER), 200);
  const ws = await openWs(`${WSP}/user/alice/api/kernels/k/channels`, { authorization: `token ${GRADER}` });
  const closed = new Promise<void>((r) => ws.once("close", () => r()));
  // a new config (as a restarted hub's): the same services, the grading role gone
  hub.rt.config = { ...hub.rt.config, services: [...hub.rt.config.services], roles: hub.rt.config.roles.filter((r) => r.name !== "grading") };
  const t0 = Date.now();
  while ((await status("/user/alice/api/status", GRADER)) !== 403) {
    if (Date.now() - t0 > (AUTH_SYNC_SECONDS + 5) * 1000) assert.fail(`the snapshot never withdrew the service's access\n${proxy.output()}`);
    await sleep(50);
  }
  await Promise.race([closed, sleep(2000).then(() => assert.fail("the service's WebSocket stayed open after its role was withdrawn"))]);
  console.log(`a withdrawn service role applied at the proxy after ${Date.now() - t0} ms (auth sync every ${AUTH_SYNC_SECONDS} s)`);
  assert.equal(await status("/user/carol/api/status", WATCH), 200, "the other service keeps its role");
});
