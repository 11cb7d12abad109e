// CHP route API semantics, on an in-process proxy (ports 7300-7301) with an in-memory hub.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { GyreProxy } from "../server";
import { InMemoryHub } from "../testing/in-memory-hub";

const TOKEN = "api-test-token-0123456789";
const hub = new InMemoryHub("x".repeat(40));
let proxy: GyreProxy;
const api = "http://127.0.0.1:7301/api/routes";
/** the hub's own calls (its pushes carry the mark); `other` is any other client with the proxy token */
const auth = { authorization: "token " + TOKEN, "x-gyre-route-owner": "hub" };
const other = { authorization: "token " + TOKEN };
/** One route as the API answers it: the data verbatim plus last_activity. */
type RouteJson = Record<string, unknown> & { last_activity: string };
type RoutesJson = Record<string, RouteJson>;

before(async () => {
  hub.state.routes = { "/user/fromhub/": { target: "http://127.0.0.1:7399", user: "fromhub", server_name: "", spawn_id: "s0" } };
  proxy = new GyreProxy({
    bindHost: "127.0.0.1",
    port: 7300,
    apiHost: "127.0.0.1",
    apiPort: 7301,
    hubUrl: "http://127.0.0.1:9",
    hub,
    authToken: TOKEN,
    secretKey: "x".repeat(40),
    // Single-origin: these tests are about forwarding, with the hub cookie on 127.0.0.1.
    origins: { publicUrl: "http://127.0.0.1", userDomain: "" },
    fullSyncSeconds: 60,
    authSyncSeconds: 60,
    activityFlushSeconds: 60,
    upstreamTimeoutSeconds: 5,
    connectTimeoutSeconds: 2,
    dashboardPorts: [8787],
    logger: pino({ level: "silent" }),
    // a push earlier than the sync is not kept (proxy/hub/sync.test.ts has the grace)
    routePushGraceMs: 0,
  });
  await proxy.start();
});
after(async () => {
  await proxy.close();
});

test("the table from the hub is loaded at start, keys normalised like CHP", async () => {
  const r = await fetch(api, { headers: auth });
  const body = (await r.json()) as RoutesJson;
  assert.deepEqual(Object.keys(body), ["/user/fromhub"]);
  assert.equal(body["/user/fromhub"].spawn_id, "s0");
  assert.match(body["/user/fromhub"].last_activity, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("no or wrong token → 403", async () => {
  assert.equal((await fetch(api)).status, 403);
  assert.equal((await fetch(api, { headers: { authorization: "token nope" } })).status, 403);
  assert.equal((await fetch(api + "/user/x", { method: "POST", body: '{"target":"http://h"}' })).status, 403);
});

test("POST 201, GET one and all, data echoed verbatim, DELETE 204 then 404", async () => {
  const data = { target: "http://127.0.0.1:7398", user: "alice", server_name: "", spawn_id: "abc", jupyterhub: true, nested: { a: [1, 2] } };
  const post = await fetch(api + "/user/alice/", { method: "POST", headers: auth, body: JSON.stringify(data) });
  assert.equal(post.status, 201);
  const one = await fetch(api + "/user/alice", { headers: auth });
  assert.equal(one.status, 200);
  const got = (await one.json()) as RouteJson;
  const { last_activity, ...rest } = got;
  assert.deepEqual(rest, data);
  assert.ok(Date.now() - Date.parse(last_activity) < 5000);
  const all = (await (await fetch(api, { headers: auth })).json()) as RoutesJson;
  assert.ok(all["/user/alice"]);
  assert.equal((await fetch(api + "/user/alice/", { method: "DELETE", headers: auth })).status, 204);
  assert.equal((await fetch(api + "/user/alice/", { method: "DELETE", headers: auth })).status, 404);
  assert.equal((await fetch(api + "/user/alice", { headers: auth })).status, 404);
});

test("POST without a string target → 400, bad JSON → 400", async () => {
  const r = await fetch(api + "/x", { method: "POST", headers: auth, body: '{"target": 1}' });
  assert.equal(r.status, 400);
  assert.equal(await r.text(), "Must specify 'target' as string");
  assert.equal((await fetch(api + "/x", { method: "POST", headers: auth, body: "{nope" })).status, 400);
});

test("inactive_since / inactiveSince: strict <, garbage → 400 with CHP's message", async () => {
  await fetch(api + "/user/idle", { method: "POST", headers: auth, body: '{"target":"http://127.0.0.1:7397"}' });
  const la = ((await (await fetch(api + "/user/idle", { headers: auth })).json()) as RouteJson).last_activity;
  const at = (await (await fetch(`${api}?inactive_since=${encodeURIComponent(la)}`, { headers: auth })).json()) as RoutesJson;
  assert.equal(at["/user/idle"], undefined, "equal timestamps are not 'inactive since'");
  const later = new Date(Date.parse(la) + 1).toISOString();
  const after1 = (await (await fetch(`${api}?inactiveSince=${encodeURIComponent(later)}`, { headers: auth })).json()) as RoutesJson;
  assert.ok(after1["/user/idle"]);
  const old = (await (await fetch(`${api}?inactive_since=2000-01-01T00:00:00Z`, { headers: auth })).json()) as RoutesJson;
  assert.deepEqual(old, {});
  const bad = await fetch(`${api}?inactive_since=garbage`, { headers: auth });
  assert.equal(bad.status, 400);
  assert.equal(await bad.text(), "Invalid datestamp 'garbage' must be ISO8601.");
});

test("bulk: PATCH adds and removes many, PUT replaces the table", async () => {
  const add: Record<string, unknown> = {};
  for (let i = 0; i < 500; i++) add[`/user/b${i}/`] = { target: `http://127.0.0.1:${7000 + (i % 100)}`, user: `b${i}` };
  const p = await fetch(api, { method: "PATCH", headers: auth, body: JSON.stringify({ add, remove: ["/user/idle/"] }) });
  assert.equal(p.status, 200);
  assert.deepEqual(await p.json(), { added: 500, removed: 1, total: proxy.table.size });
  assert.ok(proxy.table.get("/user/b499"));
  const bad = await fetch(api, { method: "PATCH", headers: auth, body: JSON.stringify({ add: { "/user/ok": { target: "http://h" }, "/user/bad": {} } }) });
  assert.equal(bad.status, 400);
  assert.equal(proxy.table.get("/user/ok"), undefined, "a bad bulk request changes nothing");
  const put = await fetch(api, { method: "PUT", headers: auth, body: JSON.stringify({ "/user/only/": { target: "http://127.0.0.1:7396" } }) });
  assert.equal(put.status, 200);
  assert.deepEqual(Object.keys((await (await fetch(api, { headers: auth })).json()) as RoutesJson), ["/user/only"]);
});

test("a route another client adds (CHP POST, no hub mark) is stored at the hub first, kept by the full sync, and a DELETE removes it there too", async () => {
  hub.state.routes = { "/user/fromhub/": { target: "http://127.0.0.1:7399", user: "fromhub", server_name: "", spawn_id: "s0" } };
  hub.state.extraRoutes = {};
  const svc = { target: "http://127.0.0.1:7395", service: "announcement" };
  // what JupyterHub's CHPProxy.add_route sends: POST /api/routes/<path> with the data, token auth
  assert.equal((await fetch(api + "/services/announcement/", { method: "POST", headers: other, body: JSON.stringify(svc) })).status, 201);
  assert.deepEqual(hub.state.extraRoutes, { "/services/announcement/": svc }, "stored at the hub");
  const stale = { target: "http://127.0.0.1:7394", user: "gone", server_name: "", spawn_id: "g" };
  assert.equal((await fetch(api + "/user/gone/", { method: "POST", headers: auth, body: JSON.stringify(stale) })).status, 201);
  // a sync spares routes pushed while it runs (same millisecond included)
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await proxy.syncRoutes(), true);
  const after1 = (await (await fetch(api, { headers: auth })).json()) as RoutesJson;
  assert.deepEqual(Object.keys(after1).sort(), ["/services/announcement", "/user/fromhub"], "the service's route kept, the hub's stale push dropped");
  assert.equal(after1["/services/announcement"].target, svc.target);
  assert.equal((await fetch(api + "/services/announcement/", { method: "DELETE", headers: other })).status, 204);
  assert.deepEqual(hub.state.extraRoutes, {}, "removed at the hub");
  assert.equal((await fetch(api + "/services/announcement/", { method: "DELETE", headers: other })).status, 404);
  await proxy.syncRoutes();
  assert.deepEqual(Object.keys((await (await fetch(api, { headers: auth })).json()) as RoutesJson), ["/user/fromhub"]);
  // stored at the hub through another replica, never seen here: a DELETE here still removes it
  hub.state.extraRoutes = { "/services/elsewhere/": { target: "http://127.0.0.1:7395" } };
  assert.equal((await fetch(api + "/services/elsewhere", { method: "DELETE", headers: other })).status, 204);
  assert.deepEqual(hub.state.extraRoutes, {});
});

test("another client cannot add, replace or delete what the hub owns: 403 with the reason, nothing changed here or at the hub", async () => {
  hub.state.routes = { "/user/fromhub/": { target: "http://127.0.0.1:7399", user: "fromhub", server_name: "", spawn_id: "s0" } };
  hub.state.extraRoutes = {};
  await proxy.syncRoutes();
  const before = JSON.stringify(Object.keys(proxy.table.toJSON()).sort());
  const evil = JSON.stringify({ target: "http://127.0.0.1:7393" });
  for (const path of [
    "/user/fromhub/",
    "/user/newcomer",
    "/user",
    "/",
    "",
    "/hub/",
    "/hub/login",
    "//user/fromhub",
    "/User/fromhub",
    "/%75ser/fromhub",
    "/_gyre/callback",
    "/_chp_healthz",
  ]) {
    const r = await fetch(api + path, { method: "POST", headers: other, body: evil });
    assert.equal(r.status, 403, `POST ${path}`);
    assert.match(await r.text(), /the hub's/, `POST ${path}`);
  }
  const withToken = await fetch(api + "/services/x", {
    method: "POST",
    headers: other,
    body: JSON.stringify({ target: "http://127.0.0.1:7393", spawn_id: "s0" }),
  });
  assert.equal(withToken.status, 403, "a spawn_id would make the proxy send a server's token to the target");
  assert.match(await withToken.text(), /spawn_id/);
  const del = await fetch(api + "/user/fromhub", { method: "DELETE", headers: other });
  assert.equal(del.status, 403);
  for (const method of ["PUT", "PATCH"]) {
    const body = method === "PUT" ? { "/user/fromhub/": { target: "http://127.0.0.1:7393" } } : { add: {}, remove: ["/user/fromhub/"] };
    const r = await fetch(api, { method, headers: other, body: JSON.stringify(body) });
    assert.equal(r.status, 403, method);
    assert.match(await r.text(), /Bulk route changes are the hub's/);
  }
  const bad = await fetch(api + "/services/x", { method: "POST", headers: other, body: JSON.stringify({ target: "ftp://h" }) });
  assert.equal(bad.status, 400, "checked here before the hub is asked");
  assert.equal(JSON.stringify(Object.keys(proxy.table.toJSON()).sort()), before);
  assert.equal(proxy.table.get("/user/fromhub")?.data.target, "http://127.0.0.1:7399");
  assert.deepEqual(hub.state.extraRoutes, {});
});

test("another client's route change while the hub is down: 503, nothing changed (it would be lost at the next sync)", async () => {
  hub.state.extraRoutes = { "/services/kept/": { target: "http://127.0.0.1:7392" } };
  await proxy.syncRoutes();
  hub.down = new Error("connect ECONNREFUSED");
  try {
    const add = await fetch(api + "/services/new", { method: "POST", headers: other, body: JSON.stringify({ target: "http://127.0.0.1:7392" }) });
    assert.equal(add.status, 503);
    assert.match(await add.text(), /hub could not be reached/);
    assert.equal(proxy.table.get("/services/new"), undefined);
    assert.equal((await fetch(api + "/services/kept", { method: "DELETE", headers: other })).status, 503);
    assert.ok(proxy.table.get("/services/kept"), "still routed");
  } finally {
    hub.down = null;
    hub.state.extraRoutes = {};
  }
});

test("health on both ports without a token; metrics on the internal one only with the proxy token", async () => {
  assert.deepEqual(await (await fetch("http://127.0.0.1:7300/_chp_healthz")).json(), { status: "OK" });
  assert.equal(((await (await fetch("http://127.0.0.1:7301/health")).json()) as { status: string }).status, "OK");
  const attempts: Array<Record<string, string>> = [{}, { authorization: "Bearer wrong-token-0123456789" }, { authorization: "token " + TOKEN.slice(0, -1) }];
  for (const headers of attempts) {
    const r = await fetch("http://127.0.0.1:7301/metrics", { headers });
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.doesNotMatch(await r.text(), /gyre_proxy/);
  }
  assert.equal(
    (await fetch("http://127.0.0.1:7300/metrics", { headers: { authorization: "Bearer " + TOKEN } })).status === 200,
    false,
    "not on the public port",
  );
  const m = await (await fetch("http://127.0.0.1:7301/metrics", { headers: { authorization: "Bearer " + TOKEN } })).text();
  assert.match(m, /gyre_proxy_routes \d+/);
  assert.match(m, /gyre_proxy_open_websockets 0/);
});
