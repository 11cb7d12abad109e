// POST/DELETE /hub/api/proxy/extra-routes: only the proxy may call them; a route is stored and
// pushed to every proxy, listed in the proxies' full table, and never one the hub owns.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { GET as getRoutes } from "../routes/route";
import { DELETE, POST } from "./route";

let hub: TestHub;
before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { spawner: { kind: "local" } } });
});
after(() => hub.close());

const ctx = { params: Promise.resolve({}) };
function call(method: "POST" | "DELETE", body: unknown, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization) headers.authorization = authorization;
  const req = new Request("http://hub/hub/api/proxy/extra-routes", { method, headers, body: JSON.stringify(body) });
  return (method === "POST" ? POST : DELETE)(req, ctx);
}
async function table(): Promise<Record<string, Record<string, unknown>>> {
  const r = await getRoutes(new Request("http://hub/hub/api/proxy/routes", { headers: { authorization: `token ${hub.rt.config.proxy.authToken}` } }), ctx);
  return (await r.json()) as Record<string, Record<string, unknown>>;
}

test("stored, pushed to the proxies and listed in the full table beside the servers' routes; a DELETE removes it everywhere", async () => {
  const proxy = `token ${hub.rt.config.proxy.authToken}`;
  const user = await hub.addUser("ada");
  await hub.db.server.create({ data: { userId: user.id, name: "", state: "running", spawnerKind: "local", url: "http://127.0.0.1:9", spawnId: "sp" } });
  const data = { target: "http://127.0.0.1:7395", service: "announcement", last_activity: "2026-01-01T00:00:00Z" };
  const r = await call("POST", { path: "services/announcement/", data }, proxy);
  assert.equal(r.status, 201);
  assert.deepEqual(await r.json(), { path: "/services/announcement" });
  assert.deepEqual(hub.routes.routes.get("/services/announcement/"), { target: data.target, service: "announcement" }, "pushed, without last_activity");
  const t = await table();
  assert.deepEqual(Object.keys(t).sort(), ["/services/announcement/", "/user/ada/"]);
  assert.equal(t["/services/announcement/"].target, data.target);
  // posted again: replaced, not duplicated
  assert.equal((await call("POST", { path: "/services/announcement", data: { target: "http://127.0.0.1:7396" } }, proxy)).status, 201);
  assert.equal((await table())["/services/announcement/"].target, "http://127.0.0.1:7396");
  assert.equal(await hub.db.extraRoute.count(), 1);

  assert.equal((await call("DELETE", { path: "/services/announcement/" }, proxy)).status, 204);
  assert.equal(hub.routes.routes.get("/services/announcement/"), undefined);
  assert.deepEqual(hub.routes.changes.slice(-1), ["delete /services/announcement/"]);
  assert.deepEqual(Object.keys(await table()), ["/user/ada/"]);
  const again = await call("DELETE", { path: "/services/announcement/" }, proxy);
  assert.equal(again.status, 404);
  assert.match(((await again.json()) as { message: string }).message, /no route/);
});

test("refused: callers other than the proxy (403), paths the hub owns and spawn_id (403, nothing stored or pushed), bad bodies (400)", async () => {
  const proxy = `token ${hub.rt.config.proxy.authToken}`;
  const changes = hub.routes.changes.length;
  const user = await hub.addUser("eve");
  const { token } = await createApiToken(hub.db, user.id, { note: "t" });
  const ok = { path: "/services/x", data: { target: "http://127.0.0.1:7395" } };
  for (const auth of [undefined, `token ${token}`, `${proxy}x`]) {
    assert.equal((await call("POST", ok, auth)).status, 403, String(auth));
    assert.equal((await call("DELETE", { path: "/services/x" }, auth)).status, 403, String(auth));
  }
  for (const path of ["/user/ada", "/user/ada/", "/", "/hub/login", "//user/ada", "/User/ada"]) {
    const r = await call("POST", { path, data: ok.data }, proxy);
    assert.equal(r.status, 403, path);
    assert.match(((await r.json()) as { message: string }).message, /the hub's/, path);
    assert.equal((await call("DELETE", { path }, proxy)).status, 403, `DELETE ${path}`);
  }
  assert.equal((await call("POST", { path: "/services/x", data: { ...ok.data, spawn_id: "sp" } }, proxy)).status, 403);
  for (const bad of [
    {},
    { path: "/services/x" },
    { path: "/services/x", data: { target: 1 } },
    { path: "/services/x", data: { target: "ftp://h" } },
    { path: "", data: ok.data },
    { ...ok, extra: 1 },
  ]) {
    const r = await call("POST", bad, proxy);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.match(((await r.json()) as { message: string }).message, /\w/);
  }
  assert.equal(await hub.db.extraRoute.count(), 0);
  assert.equal(hub.routes.changes.length, changes, "nothing pushed");
});
