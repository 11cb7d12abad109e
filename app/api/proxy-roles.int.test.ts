// The hub and a real proxy process together: POST /hub/api/proxy puts back a route removed from a
// proxy out of band, and configured roles' access:servers (here !group=class) open servers at the
// proxy (HTTP and WebSocket), follow group membership at once (the hub pushes the role access
// map) or at the proxy's next auth snapshot, and a token narrows them. The proxy's hub endpoints
// are the fake hub's, answered from the test hub's own database by the hub's own functions (route
// table, auth snapshot with roles, token owners); the hub pushes to the proxy with ProxyClient.
// Ports: proxy 7560/7561, fake hub 7562, the users' server (HTTP + WebSocket echo) 7563.
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
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import { decideOriginAccess } from "@/app/_lib/auth/origin-login";
import { buildAuthSnapshot, buildRouteTable } from "@/app/_lib/proxy-state";
import { ProxyClient } from "@/app/_lib/servers/proxy-client";
import { FakeHub } from "@/proxy/testing/fake-hub";
import { startProxyProcess, stopAll, type Child } from "@/proxy/testing/processes";
import type { TokenOwner } from "@/proxy/hub/connection";
import * as proxyRoute from "./proxy/route";
import * as tokenOwnerRoute from "./proxy/token-owner/route";
import * as groupUsersRoute from "./groups/[name]/users/route";
import { callRoute } from "@/app/_lib/testing/route-call";

const SECRET = "proxy-roles-secret-".padEnd(48, "x");
const PROXY_TOKEN = "proxy-roles-proxy-token-0123456789";
const P = "http://127.0.0.1:7560";
const WSP = "ws://127.0.0.1:7560";
const API = "http://127.0.0.1:7561";
const BACKEND = "http://127.0.0.1:7563";
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
      roles: [
        { name: "ta", scopes: ["access:servers!group=class"], users: ["tess"] },
        { name: "peek", scopes: ["access:servers!server=nina/"], users: ["pete"] },
      ] as unknown as Record<string, unknown>,
    },
  });
  for (const [name, admin] of [
    ["root", true],
    ["tess", false],
    ["pete", false],
    ["alice", false],
    ["bob", false],
    ["nina", false],
    ["class", false],
    ["mallory", false],
  ] as const)
    ids[name] = (await hub.addUser(name, admin)).id;
  await createGroup(hub.db, "class", { members: ["alice", "bob"] });
  rootToken = (await createApiToken(hub.db, ids.root, {})).token;
  // every user but the roles' holders has a running default server (one backend answers them all)
  for (const u of ["alice", "bob", "nina", "class"])
    await hub.db.server.create({ data: { userId: ids[u], name: "", state: "running", url: BACKEND, spawnId: `s-${u}`, spawnerKind: "local" } });

  // the proxy's view of the hub: the hub's own functions on the test hub's database
  fake.memory.fetchRoutes = () => buildRouteTable(hub.db, hub.rt.catalog, []);
  fake.memory.fetchAuth = () => buildAuthSnapshot(hub.db, new Date(), hub.rt.config.roles);
  fake.memory.fetchTokenOwner = async (token: string): Promise<TokenOwner | null> => {
    const r = await call(tokenOwnerRoute.GET, "GET", "/api/proxy/token-owner", { headers: { authorization: `token ${PROXY_TOKEN}`, "x-gyre-token": token } });
    if (r.status === 404) return null;
    const b = JSON.parse(r.text) as { user: string; user_id: number; admin: boolean; scopes: string[] };
    return { user: b.user, userId: b.user_id, admin: b.admin, scopes: b.scopes, expiresAt: null, serverAccess: true };
  };
  await fake.start(7562);
  backend = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url }));
  });
  const wss = new WebSocketServer({ server: backend });
  wss.on("connection", (ws) => ws.on("message", (d) => ws.send(d)));
  await new Promise<void>((r) => backend.listen(7563, "127.0.0.1", r));
  proxy = await startProxyProcess({
    port: 7560,
    apiPort: 7561,
    hubUrl: fake.url,
    secretKey: SECRET,
    authToken: PROXY_TOKEN,
    // no periodic full sync during the test: only POST /hub/api/proxy can put a route back
    extraArgs: ["--auth-sync-seconds", String(AUTH_SYNC_SECONDS), "--full-sync-seconds", "3600"],
  });
  // the hub pushes to this proxy as in production
  hub.rt.proxy = new ProxyClient([API], PROXY_TOKEN, pino({ level: "silent" }));
});

after(async () => {
  await stopAll();
  await fake.stop();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
  await hub.close();
});

async function cookieOf(user: string): Promise<string> {
  const s = await createSession(hub.db, ids[user], 3600, "test", new Date());
  return buildSessionCookie({ sid: s.id, user, userId: ids[user], expiresAt: s.expiresAt, key: hub.rt.keys.sessionCookie, secure: false }).split(";")[0];
}
const status = async (path: string, headers: Record<string, string>) => (await fetch(P + path, { headers, redirect: "manual" })).status;
const routeAtProxy = async (path: string) => (await fetch(`${API}/api/routes${path}`, { headers: { authorization: `token ${PROXY_TOKEN}` } })).status;

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

test("POST /hub/api/proxy puts back a route removed from the proxy out of band (its CHP API), and drops a stray one; refusals", async () => {
  assert.equal(await routeAtProxy("/user/alice"), 200);
  const removed = await fetch(`${API}/api/routes/user/alice`, {
    method: "DELETE",
    headers: { authorization: `token ${PROXY_TOKEN}`, "x-gyre-route-owner": "hub" },
  });
  assert.equal(removed.status, 204);
  const stray = await fetch(`${API}/api/routes/user/ghost`, {
    method: "POST",
    headers: { authorization: `token ${PROXY_TOKEN}`, "x-gyre-route-owner": "hub", "content-type": "application/json" },
    body: JSON.stringify({ target: BACKEND, user: "ghost", user_id: 999_999, server_name: "", spawn_id: "s-ghost" }),
  });
  assert.equal(stray.status, 201);
  assert.equal(await routeAtProxy("/user/alice"), 404);

  // refused: nothing is pushed
  assert.equal((await call(proxyRoute.POST, "POST", "/api/proxy")).status, 401, "no token (Gyre's API answers 401 without credentials)");
  const narrow = (await createApiToken(hub.db, ids.root, { scopes: ["read:servers", "servers"] })).token;
  assert.equal((await call(proxyRoute.POST, "POST", "/api/proxy", { token: narrow })).status, 403, "an admin's token without the proxy scope");
  const user = (await createApiToken(hub.db, ids.alice, {})).token;
  assert.equal((await call(proxyRoute.POST, "POST", "/api/proxy", { token: user })).status, 403, "a user's token");
  assert.equal(await routeAtProxy("/user/alice"), 404);

  const proxyOnly = (await createApiToken(hub.db, ids.root, { scopes: ["proxy"] })).token;
  const r = await call(proxyRoute.POST, "POST", "/api/proxy", { token: proxyOnly });
  assert.equal(r.status, 200);
  assert.equal(r.text, "", "JupyterHub's empty answer");
  // the push has been applied when the hub answered
  assert.equal(await routeAtProxy("/user/alice"), 200);
  assert.equal(await routeAtProxy("/user/ghost"), 404, "the proxy's table is the hub's");
  assert.equal(await status("/user/alice/api/status", { cookie: await cookieOf("alice") }), 200);
});

test("a role's access:servers!group=class opens the class members' servers at the proxy (cookie, token, WebSocket), not others'", async () => {
  const tess = await cookieOf("tess");
  assert.equal(await status("/user/alice/api/status", { cookie: tess }), 200);
  assert.equal(await status("/user/bob/api/status", { cookie: tess }), 200);
  assert.equal(await status("/user/nina/api/status", { cookie: tess }), 403);
  // a browser on a non-member's server is refused as anyone else is (no spawn page for another's server)
  assert.equal(await status("/user/nina/lab", { cookie: tess, accept: "text/html" }), 403);
  // the user named like the group is no member of it
  assert.equal(await status("/user/class/api/status", { cookie: tess }), 403);
  const ws = await openWs(`${WSP}/user/alice/api/kernels/k/channels`, { cookie: tess });
  const echoed = new Promise<string>((r) => ws.once("message", (d) => r((d as Buffer).toString())));
  ws.send("hello through a role");
  assert.equal(await echoed, "hello through a role");
  ws.close();
  await assert.rejects(openWs(`${WSP}/user/nina/api/kernels/k/channels`, { cookie: tess }), { status: 403 });

  // a token narrows the role: inherit reaches what the role opens; one limited to bob's servers only bob's
  const inherit = (await createApiToken(hub.db, ids.tess, {})).token;
  assert.equal(await status("/user/alice/api/status", { authorization: `token ${inherit}` }), 200);
  const bobOnly = (await createApiToken(hub.db, ids.tess, { scopes: ["access:servers!user=bob"] })).token;
  assert.equal(await status("/user/bob/api/status", { authorization: `token ${bobOnly}` }), 200);
  assert.equal(await status("/user/alice/api/status", { authorization: `token ${bobOnly}` }), 403);
  const noAccess = (await createApiToken(hub.db, ids.tess, { scopes: ["read:servers!group=class"] })).token;
  assert.equal(await status("/user/alice/api/status", { authorization: `token ${noAccess}` }), 403);

  // a single server named by a role's !server= filter
  const pete = await cookieOf("pete");
  assert.equal(await status("/user/nina/api/status", { cookie: pete }), 200);
  assert.equal(await status("/user/alice/api/status", { cookie: pete }), 403);

  // per-user origins: the hub signs a holder in on the origins of the owners their roles reach, and no others
  const viewer = (n: string) => ({ id: ids[n], name: n, admin: false });
  const roles = hub.rt.config.roles;
  assert.equal(await decideOriginAccess(hub.db, viewer("tess"), "alice", roles), "shared");
  assert.equal(await decideOriginAccess(hub.db, viewer("tess"), "nina", roles), "forbidden");
  assert.equal(await decideOriginAccess(hub.db, viewer("tess"), "class", roles), "forbidden");
  assert.equal(await decideOriginAccess(hub.db, viewer("pete"), "nina", roles), "shared");
  assert.equal(await decideOriginAccess(hub.db, viewer("pete"), "alice", roles), "forbidden");
  assert.equal(await decideOriginAccess(hub.db, viewer("mallory"), "alice", roles), "forbidden");
});

test("refusals: a token that names the role's scope without the role, crafted names, a holder's name on another account", async () => {
  const mallory = (await createApiToken(hub.db, ids.mallory, { scopes: ["access:servers!group=class"] })).token;
  assert.equal(await status("/user/alice/api/status", { authorization: `token ${mallory}` }), 403, "a filter on a token opens nothing its owner may not reach");
  const m = await cookieOf("mallory");
  for (const path of [
    "/user/alice/api/status",
    "/user/ALICE/api/status",
    "/user/alice%2F/api/status",
    "/user/class/api/status",
    "/user/nina/../alice/api/status",
  ])
    assert.notEqual(await status(path, { cookie: m }), 200, path);
  // a session cookie naming tess but made for mallory's account: the role follows the account id
  const s = await createSession(hub.db, ids.mallory, 3600, "test", new Date());
  const forged = buildSessionCookie({
    sid: s.id,
    user: "tess",
    userId: ids.mallory,
    expiresAt: s.expiresAt,
    key: hub.rt.keys.sessionCookie,
    secure: false,
  }).split(";")[0];
  assert.equal(await status("/user/alice/api/status", { cookie: forged }), 403);
});

test("group membership: removing a member refuses the TA at once (pushed), open WebSockets included; a change the hub does not push applies at the next snapshot", async () => {
  const tess = await cookieOf("tess");
  const ws = await openWs(`${WSP}/user/bob/api/kernels/k/channels`, { cookie: tess });
  const closed = new Promise<void>((r) => ws.once("close", () => r()));
  const removed = await call(groupUsersRoute.DELETE, "DELETE", "/api/groups/class/users", {
    token: rootToken,
    params: { name: "class" },
    body: { users: ["bob"] },
  });
  assert.equal(removed.status, 200, removed.text);
  // pushed before the hub answered: the very next request is refused
  assert.equal(await status("/user/bob/api/status", { cookie: tess }), 403);
  await Promise.race([closed, sleep(2000).then(() => assert.fail(`the TA's WebSocket to bob stayed open\n${proxy.output()}`))]);
  assert.equal(await status("/user/alice/api/status", { cookie: tess }), 200, "alice is still in the class");

  const added = await call(groupUsersRoute.POST, "POST", "/api/groups/class/users", { token: rootToken, params: { name: "class" }, body: { users: ["bob"] } });
  assert.equal(added.status, 200, added.text);
  assert.equal(await status("/user/bob/api/status", { cookie: tess }), 200, "back in the class, at once");

  // a membership change straight in the database (as a GitHub team's at login): the snapshot carries it
  const group = await hub.db.group.findUniqueOrThrow({ where: { name: "class" } });
  await hub.db.groupMember.delete({ where: { userId_groupId: { userId: ids.alice, groupId: group.id } } });
  const t0 = Date.now();
  while ((await status("/user/alice/api/status", { cookie: tess })) !== 403) {
    if (Date.now() - t0 > (AUTH_SYNC_SECONDS + 5) * 1000) assert.fail("the snapshot never dropped alice from the TA's reach");
    await sleep(50);
  }
  console.log(`snapshot-only membership change applied at the proxy after ${Date.now() - t0} ms (auth sync every ${AUTH_SYNC_SECONDS} s)`);
});
