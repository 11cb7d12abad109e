// GET /hub/api/proxy: JupyterHub's routing-table answer for servers the spawn worker really started
// (scripted spawner kind, real SQLite), its pages, and what it refuses.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { ScriptedServers } from "@/spawners/testing/scripted";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { startBackgroundServices, type BackgroundServices } from "@/app/_lib/servers/background";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import * as serverRoute from "@/app/api/users/[name]/server/route";
import * as proxyRoute from "./route";

const scripted = new ScriptedServers();
let hub: TestHub;
let services: BackgroundServices;
let admin: string;

before(async () => {
  hub = await startTestHub({
    catalog: { ...SPAWNER_KINDS, scripted: scripted.kind() },
    config: { hub: { startTimeoutSeconds: 2, httpProbeIntervalMs: 10, pollIntervalSeconds: 3600 }, spawner: { kind: "scripted" } },
  });
  services = await startBackgroundServices(hub.rt, { probe: scripted.probe });
  const root = await hub.addUser("root1", true);
  admin = (await createApiToken(hub.db, root.id, { scopes: ["proxy", "servers"] })).token;
});
after(async () => {
  await services.close();
  await hub.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await proxyRoute.GET(new Request(`http://127.0.0.1:8081${path}`, { headers: { host: "127.0.0.1:8081", ...headers } }), {
    params: Promise.resolve({}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test("GET /hub/api/proxy: the running servers' routes as {routespec, target, data}, by routespec; pages; refusals", async () => {
  for (const u of ["pa", "pb"]) {
    await hub.addUser(u);
    const req = new Request(`http://127.0.0.1/api/users/${u}/server`, {
      method: "POST",
      headers: { authorization: `token ${admin}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal((await serverRoute.POST(req, { params: Promise.resolve({ name: u }) })).status, 202);
  }
  const end = Date.now() + 5000;
  while ((await hub.db.server.count({ where: { state: "running" } })) < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));

  const all = await get("/api/proxy", { authorization: `token ${admin}` });
  assert.equal(all.status, 200);
  assert.deepEqual(Object.keys(all.json), ["/user/pa/", "/user/pb/"]);
  const pa = all.json["/user/pa/"] as { routespec: string; target: string; data: Record<string, unknown> };
  assert.equal(pa.routespec, "/user/pa/");
  assert.equal(pa.target, hub.routes.routes.get("/user/pa/")!.target, "the target the proxies were given");
  assert.equal(pa.data.user, "pa");
  assert.equal(pa.data.server_name, "");
  assert.ok(!("target" in pa.data));

  const page = await get("/api/proxy?offset=1&limit=1", { authorization: `token ${admin}`, accept: "application/jupyterhub-pagination+json" });
  assert.deepEqual(Object.keys(page.json.items as object), ["/user/pb/"]);
  assert.equal((page.json._pagination as { total: number }).total, 2);

  assert.equal((await get("/api/proxy")).status, 401);
  const root = await hub.db.user.findUniqueOrThrow({ where: { name: "root1" } });
  const narrow = (await createApiToken(hub.db, root.id, { scopes: ["read:servers"] })).token;
  assert.equal((await get("/api/proxy", { authorization: `token ${narrow}` })).status, 403, "without the proxy scope");
  const user = await hub.db.user.findUniqueOrThrow({ where: { name: "pa" } });
  const own = (await createApiToken(hub.db, user.id, {})).token;
  assert.equal((await get("/api/proxy", { authorization: `token ${own}` })).status, 403, "a user's token");
  assert.equal((await get("/api/proxy?limit=-1", { authorization: `token ${admin}` })).status, 400);
});

test("POST /hub/api/proxy: replaces every proxy's table with the hub's (200, no body); refusals as GET", async () => {
  hub.routes.routes.delete("/user/pa/");
  hub.routes.routes.set("/stray/", { target: "http://127.0.0.1:9" });
  const post = (headers: Record<string, string> = {}) =>
    proxyRoute.POST(new Request("http://127.0.0.1:8081/api/proxy", { method: "POST", headers: { host: "127.0.0.1:8081", ...headers } }), {
      params: Promise.resolve({}),
    });
  const res = await post({ authorization: `token ${admin}` });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
  assert.deepEqual([...hub.routes.routes.keys()].sort(), ["/user/pa/", "/user/pb/"], "the lost route is back, the stray one gone");
  assert.equal(hub.routes.changes.at(-1), "replace");

  const before = hub.routes.changes.length;
  assert.equal((await post()).status, 401);
  const root = await hub.db.user.findUniqueOrThrow({ where: { name: "root1" } });
  const narrow = (await createApiToken(hub.db, root.id, { scopes: ["read:servers"] })).token;
  assert.equal((await post({ authorization: `token ${narrow}` })).status, 403, "without the proxy scope");
  const user = await hub.db.user.findUniqueOrThrow({ where: { name: "pa" } });
  assert.equal((await post({ authorization: `token ${(await createApiToken(hub.db, user.id, {})).token}` })).status, 403, "a user's token");
  assert.equal(hub.routes.changes.length, before, "nothing pushed for a refused request");
  assert.deepEqual(
    Object.keys(proxyRoute)
      .filter((k) => /^[A-Z]+$/.test(k))
      .sort(),
    ["GET", "POST"],
    "other methods: the JSON 405 of unexported methods",
  );
});
