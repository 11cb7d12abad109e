// JupyterHub's REST API as Gyre's route handlers answer it, against a real SQLite database and the
// spawn worker with the scripted spawner kind: who-am-I and version answers, the user list's
// filters and pages, server models, stops that answer 204 or 202, {"remove": true}, JupyterHub's
// scope names on tokens — and what each must refuse.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { ScriptedServers } from "@/spawners/testing/scripted";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { startBackgroundServices, type BackgroundServices } from "@/app/_lib/servers/background";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import * as apiRoot from "./route";
import * as infoRoute from "./info/route";
import * as userRoute from "./user/route";
import * as usersRoute from "./users/route";
import * as oneUserRoute from "./users/[name]/route";
import * as defaultServerRoute from "./users/[name]/server/route";
import * as namedServerRoute from "./users/[name]/servers/[server]/route";
import * as tokensRoute from "./users/[name]/tokens/route";
import * as activityRoute from "./users/[name]/activity/route";
import * as groupsRoute from "./groups/route";
import * as oneGroupRoute from "./groups/[name]/route";
import { createGroup } from "@/app/_lib/groups/groups";

const scripted = new ScriptedServers();
const catalog = { ...SPAWNER_KINDS, scripted: scripted.kind() };
let hub: TestHub;
let services: BackgroundServices;
let adminToken: string;

before(async () => {
  hub = await startTestHub({
    catalog,
    config: {
      hub: {
        startTimeoutSeconds: 2,
        httpProbeIntervalMs: 10,
        pollIntervalSeconds: 3600,
        stopTimeoutSeconds: 5,
        slowStopTimeoutSeconds: 1,
        publicUrl: "https://hub.example.org",
      },
      spawner: { kind: "scripted" },
    },
  });
  services = await startBackgroundServices(hub.rt, { probe: scripted.probe });
  const admin = await hub.addUser("root1", true);
  adminToken = (await createApiToken(hub.db, admin.id, {})).token;
});
after(async () => {
  await services.close();
  await hub.close();
});

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

/** Calls a route handler as Next does (the path without the /hub basePath). */
async function call<P>(
  handler: Handler<P>,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; params?: P; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { host: "127.0.0.1:8081", ...opts.headers };
  if (opts.token) headers.authorization = `token ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://127.0.0.1:8081${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const res = await handler(req, { params: Promise.resolve((opts.params ?? {}) as P) });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown> & { items?: Record<string, unknown>[] }) : null,
  };
}

async function tokenFor(name: string, scopes: string[] = [], admin = false): Promise<string> {
  const user = (await hub.db.user.findUnique({ where: { name } })) ?? (await hub.addUser(name, admin));
  return (await createApiToken(hub.db, user.id, { scopes })).token;
}

async function waitState(user: string, server: string, states: string[]) {
  const end = Date.now() + 5000;
  for (;;) {
    const s = await hub.db.server.findFirst({ where: { user: { name: user }, name: server } });
    if (s && states.includes(s.state)) return s;
    if (Date.now() > end) throw new Error(`${user}/${server} never reached ${states.join("/")} (is ${s?.state})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startServer(user: string, server = "") {
  const r = server
    ? await call(namedServerRoute.POST, "POST", `/api/users/${user}/servers/${server}`, { token: adminToken, params: { name: user, server }, body: {} })
    : await call(defaultServerRoute.POST, "POST", `/api/users/${user}/server`, { token: adminToken, params: { name: user }, body: {} });
  assert.equal(r.status, 202);
  return waitState(user, server, ["running"]);
}

describe("version, who am I, info", () => {
  test("GET /hub/api answers a JupyterHub version clients compare as a version (≥ 1.3: the modern API), Gyre's own alongside, without a token", async () => {
    const r = await call(apiRoot.GET as Handler<object>, "GET", "/api");
    assert.equal(r.status, 200);
    const v = String(r.json!.version);
    assert.match(v, /^\d+\.\d+\.\d+$/);
    const [major, minor] = v.split(".").map(Number);
    assert.ok(major > 1 || (major === 1 && minor >= 3), v);
    assert.equal(r.json!.gyre_version, (await import("@/package.json")).default.version);
  });

  test("GET /hub/api/user: the token's owner, its id and its scopes — for any valid token, however narrow", async () => {
    const token = await tokenFor("whoami1", ["delete:servers"]);
    const r = await call(userRoute.GET, "GET", "/api/user", { token });
    assert.equal(r.status, 200);
    assert.equal(r.json!.name, "whoami1");
    assert.equal(r.json!.kind, "user");
    assert.equal(r.json!.admin, false);
    assert.deepEqual(r.json!.groups, []);
    assert.match(String(r.json!.token_id), /^a\d+$/);
    assert.deepEqual(r.json!.scopes, ["delete:servers"]);
    assert.equal(r.json!.servers, undefined, "no read:servers: no servers");
    assert.equal(r.json!.last_activity, undefined, "no read:users:activity: no activity");
    const full = await call(userRoute.GET, "GET", "/api/user", { token: await tokenFor("whoami1") });
    // "inherit" with the owner's own scopes, as JupyterHub lists them (jupyterhub-singleuser checks access:servers!user=<name>)
    assert.ok((full.json!.scopes as string[]).includes("inherit"));
    assert.ok((full.json!.scopes as string[]).includes("access:servers!user=whoami1"));
    assert.ok(!(full.json!.scopes as string[]).includes("access:servers"), "not an admin: no unfiltered access:servers");
    assert.ok(full.json!.servers && "created" in full.json!);
  });

  test("GET /hub/api/user refuses: no credentials 401, an unknown or revoked token 403", async () => {
    assert.equal((await call(userRoute.GET, "GET", "/api/user")).status, 401);
    assert.equal((await call(userRoute.GET, "GET", "/api/user", { token: "x".repeat(43) })).status, 403);
    const token = await tokenFor("whoami2");
    await hub.db.apiToken.updateMany({ where: { user: { name: "whoami2" } }, data: { revokedAt: new Date() } });
    assert.equal((await call(userRoute.GET, "GET", "/api/user", { token })).status, 403);
  });

  test("GET /hub/api/info: admins (tokens with read:hub); others and narrower admin tokens refused", async () => {
    const r = await call(infoRoute.GET, "GET", "/api/info", { token: adminToken });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json!.spawner, { class: "gyre:scripted", version: r.json!.gyre_version });
    assert.equal((await call(infoRoute.GET, "GET", "/api/info", { token: await tokenFor("root1", ["read:hub"]) })).status, 200);
    assert.equal((await call(infoRoute.GET, "GET", "/api/info", { token: await tokenFor("plain1") })).status, 403);
    assert.equal((await call(infoRoute.GET, "GET", "/api/info", { token: await tokenFor("root1", ["admin:users"]) })).status, 403);
  });
});

describe("the user list", () => {
  before(async () => {
    for (const n of ["la", "lb", "lc", "ld", "le"]) await hub.addUser(n);
    await startServer("lb");
    await startServer("ld", "gpu");
  });

  test("state filter: ready / active / inactive, JupyterHub's meanings", async () => {
    const names = async (state: string) =>
      ((await call(usersRoute.GET, "GET", `/api/users?state=${state}&sort=name`, { token: adminToken })).json as unknown as { name: string }[])
        .map((u) => u.name)
        .filter((n) => n.startsWith("l"));
    assert.deepEqual(await names("ready"), ["lb", "ld"]);
    assert.deepEqual(await names("active"), ["lb", "ld"]);
    assert.deepEqual(await names("inactive"), ["la", "lc", "le"]);
    assert.equal((await call(usersRoute.GET, "GET", "/api/users?state=running", { token: adminToken })).status, 400);
  });

  test("pages: offset/limit, and next pages on the origin and path the client used (not hub.publicUrl)", async () => {
    const accept = { accept: "application/jupyterhub-pagination+json" };
    const first = await call(usersRoute.GET, "GET", "/api/users?sort=name&limit=2", { token: adminToken, headers: accept });
    assert.equal(first.headers.get("content-type"), "application/jupyterhub-pagination+json");
    const page = first.json!._pagination as { offset: number; limit: number; total: number; next: { url: string; offset: number } };
    assert.equal(first.json!.items!.length, 2);
    assert.equal(page.total, await hub.db.user.count());
    const next = new URL(page.next.url);
    assert.equal(next.origin, "http://127.0.0.1:8081");
    assert.equal(next.pathname, "/hub/api/users");
    assert.deepEqual(Object.fromEntries(next.searchParams), { sort: "name", limit: "2", offset: "2" });
    const proxied = await call(usersRoute.GET, "GET", "/api/users?limit=2", {
      token: adminToken,
      headers: { ...accept, "x-forwarded-host": "gyre.lab.example:8000", "x-forwarded-proto": "https" },
    });
    assert.match((proxied.json!._pagination as { next: { url: string } }).next.url, /^https:\/\/gyre\.lab\.example:8000\/hub\/api\/users\?/);
    // walking the pages yields every user once
    const seen: string[] = [];
    let url: string | null = "/api/users?limit=2";
    while (url) {
      const page: { items: { name: string }[]; _pagination: { next: { url: string } | null } } = (
        await call(usersRoute.GET, "GET", url.replace(/^https?:\/\/[^/]+\/hub/, ""), { token: adminToken, headers: accept })
      ).json as never;
      seen.push(...page.items.map((u) => u.name));
      url = page._pagination.next?.url ?? null;
    }
    assert.equal(seen.length, await hub.db.user.count());
    assert.equal(new Set(seen).size, seen.length);
    for (const bad of ["offset=-1", "limit=ten", "offset=1e3", "sort=password"])
      assert.equal((await call(usersRoute.GET, "GET", `/api/users?${bad}`, { token: adminToken })).status, 400, bad);
  });

  test("server models: JupyterHub's fields; stopped servers only with include_stopped_servers", async () => {
    const r = await call(oneUserRoute.GET, "GET", "/api/users/ld", { token: adminToken, params: { name: "ld" } });
    const gpu = (r.json!.servers as Record<string, Record<string, unknown>>).gpu;
    assert.deepEqual(
      {
        name: gpu.name,
        full_name: gpu.full_name,
        ready: gpu.ready,
        stopped: gpu.stopped,
        pending: gpu.pending,
        url: gpu.url,
        full_url: gpu.full_url,
        progress_url: gpu.progress_url,
        full_progress_url: gpu.full_progress_url,
      },
      {
        name: "gpu",
        full_name: "ld/gpu",
        ready: true,
        stopped: false,
        pending: null,
        url: "/user/ld/gpu/",
        full_url: "https://hub.example.org/user/ld/gpu/",
        progress_url: "/hub/api/users/ld/servers/gpu/progress",
        full_progress_url: "https://hub.example.org/hub/api/users/ld/servers/gpu/progress",
      },
    );
    assert.ok(gpu.started && gpu.last_activity !== undefined);
    await hub.db.server.create({ data: { userId: (await hub.db.user.findUniqueOrThrow({ where: { name: "ld" } })).id, name: "old", state: "stopped" } });
    const without = await call(oneUserRoute.GET, "GET", "/api/users/ld", { token: adminToken, params: { name: "ld" } });
    assert.deepEqual(Object.keys(without.json!.servers as object), ["gpu"]);
    const withStopped = await call(oneUserRoute.GET, "GET", "/api/users/ld?include_stopped_servers", { token: adminToken, params: { name: "ld" } });
    const old = (withStopped.json!.servers as Record<string, Record<string, unknown>>).old;
    assert.deepEqual([old.stopped, old.ready, old.pending], [true, false, null]);
    const list = await call(usersRoute.GET, "GET", "/api/users?include_stopped_servers=1&state=ready", { token: adminToken });
    const ld = (list.json as unknown as { name: string; servers: object }[]).find((u) => u.name === "ld")!;
    assert.deepEqual(Object.keys(ld.servers).sort(), ["gpu", "old"]);
  });

  test("a token sees the fields its scopes cover: the culler's scopes give names and admin flags (read:servers includes read:users:name), activity and servers; nothing else", async () => {
    const culler = await tokenFor("root1", ["list:users", "read:users:activity", "read:servers", "delete:servers"]);
    const list = (await call(usersRoute.GET, "GET", "/api/users?state=ready", { token: culler })).json as unknown as Record<string, unknown>[];
    const lb = list.find((u) => u.name === "lb")!;
    assert.deepEqual(Object.keys(lb).sort(), ["admin", "kind", "last_activity", "name", "servers"]);
    const names = (await call(usersRoute.GET, "GET", "/api/users", { token: await tokenFor("root1", ["list:users"]) })).json as unknown as object[];
    assert.deepEqual(Object.keys(names[0]).sort(), ["kind", "name"]);
    assert.equal((await call(usersRoute.GET, "GET", "/api/users", { token: await tokenFor("root1", ["read:users"]) })).status, 403, "read:users does not list");
    assert.equal((await call(usersRoute.GET, "GET", "/api/users", { token: await tokenFor("plain2", ["list:users"]) })).status, 403, "not an admin");
  });
});

describe("stopping and removing servers", () => {
  test("DELETE …/server: 204 when the stop completes within the request", async () => {
    await hub.addUser("s1");
    await startServer("s1");
    const r = await call(defaultServerRoute.DELETE, "DELETE", "/api/users/s1/server", { token: adminToken, params: { name: "s1" } });
    assert.equal(r.status, 204);
    assert.equal((await waitState("s1", "", ["stopped"])).state, "stopped");
    assert.equal(
      (await call(defaultServerRoute.DELETE, "DELETE", "/api/users/s1/server", { token: adminToken, params: { name: "s1" } })).status,
      204,
      "not running",
    );
  });

  test("a slow stop answers 202 (hub.slowStopTimeoutSeconds) and completes afterwards", async () => {
    await hub.addUser("s2");
    await startServer("s2", "big");
    scripted.stopDelayMs = 2500;
    try {
      const r = await call(namedServerRoute.DELETE, "DELETE", "/api/users/s2/servers/big", { token: adminToken, params: { name: "s2", server: "big" } });
      assert.equal(r.status, 202);
      assert.equal((await hub.db.server.findFirstOrThrow({ where: { name: "big" } })).state, "stopping");
      await waitState("s2", "big", ["stopped"]);
    } finally {
      scripted.stopDelayMs = 0;
    }
  });

  test('{"remove": true} deletes the record of a named server once it has stopped — also after a slow stop', async () => {
    await hub.addUser("s3");
    await startServer("s3", "a");
    const r = await call(namedServerRoute.DELETE, "DELETE", "/api/users/s3/servers/a", {
      token: adminToken,
      params: { name: "s3", server: "a" },
      body: { remove: true },
    });
    assert.equal(r.status, 204);
    assert.equal(await hub.db.server.count({ where: { user: { name: "s3" }, name: "a" } }), 0);
    await startServer("s3", "b");
    scripted.stopDelayMs = 2500;
    try {
      const slow = await call(namedServerRoute.DELETE, "DELETE", "/api/users/s3/servers/b", {
        token: adminToken,
        params: { name: "s3", server: "b" },
        body: { remove: true },
      });
      assert.equal(slow.status, 202);
      const end = Date.now() + 5000;
      while ((await hub.db.server.count({ where: { user: { name: "s3" }, name: "b" } })) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      assert.equal(await hub.db.server.count({ where: { user: { name: "s3" }, name: "b" } }), 0);
    } finally {
      scripted.stopDelayMs = 0;
    }
    // a stopped server is removed at once
    const uid = (await hub.db.user.findUniqueOrThrow({ where: { name: "s3" } })).id;
    await hub.db.server.create({ data: { userId: uid, name: "c", state: "stopped" } });
    assert.equal(
      (
        await call(namedServerRoute.DELETE, "DELETE", "/api/users/s3/servers/c", {
          token: adminToken,
          params: { name: "s3", server: "c" },
          body: { remove: true },
        })
      ).status,
      204,
    );
    assert.equal(await hub.db.server.count({ where: { userId: uid, name: "c" } }), 0);
    // without remove the record stays
    await startServer("s3", "d");
    await call(namedServerRoute.DELETE, "DELETE", "/api/users/s3/servers/d", { token: adminToken, params: { name: "s3", server: "d" } });
    assert.equal((await waitState("s3", "d", ["stopped"])).state, "stopped");
  });

  test("refusals: remove on the default server 400, an unknown named server 404, a bad body 400, another user's server 403", async () => {
    await hub.addUser("s4");
    const del = (path: string, params: { name: string; server: string }, body?: unknown, token = adminToken) =>
      call(params.server ? namedServerRoute.DELETE : (defaultServerRoute.DELETE as Handler<{ name: string; server: string }>), "DELETE", path, {
        token,
        params,
        body,
      });
    assert.equal((await del("/api/users/s4/server", { name: "s4", server: "" }, { remove: true })).status, 400);
    assert.equal((await del("/api/users/s4/servers/nope", { name: "s4", server: "nope" })).status, 404);
    assert.equal((await del("/api/users/s4/servers/nope", { name: "s4", server: "nope" }, { remove: "yes" })).status, 400);
    assert.equal((await del("/api/users/s4/servers/nope", { name: "s4", server: "nope" }, [true])).status, 400);
    await startServer("s4", "mine");
    const other = await tokenFor("s5");
    assert.equal((await del("/api/users/s4/servers/mine", { name: "s4", server: "mine" }, { remove: true }, other)).status, 403);
    assert.equal((await waitState("s4", "mine", ["running"])).state, "running");
    const readOnly = await tokenFor("s4", ["read:servers"]);
    assert.equal((await del("/api/users/s4/servers/mine", { name: "s4", server: "mine" }, undefined, readOnly)).status, 403, "read:servers cannot stop");
    const deleteOnly = await tokenFor("s4", ["delete:servers"]);
    assert.equal(
      (await call(namedServerRoute.POST, "POST", "/api/users/s4/servers/x", { token: deleteOnly, params: { name: "s4", server: "x" }, body: {} })).status,
      403,
      "delete:servers cannot start",
    );
    assert.equal((await del("/api/users/s4/servers/mine", { name: "s4", server: "mine" }, undefined, deleteOnly)).status, 204);
  });
});

describe("tokens with JupyterHub's scope names", () => {
  test("an admin creates a culler token for another admin account; it culls but cannot delete users, not even its own account", async () => {
    const owner = await hub.addUser("culler-svc", true);
    const scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"];
    const r = await call(tokensRoute.POST, "POST", "/api/users/culler-svc/tokens", {
      token: adminToken,
      params: { name: "culler-svc" },
      body: { scopes, note: "culler" },
    });
    assert.equal(r.status, 201);
    assert.equal(r.json!.user, "culler-svc");
    assert.deepEqual(r.json!.scopes, scopes);
    const culler = String(r.json!.token);
    const stored = await hub.db.apiToken.findFirstOrThrow({ where: { userId: owner.id } });
    assert.notEqual(stored.hash, culler, "stored hashed");
    assert.equal((await call(usersRoute.GET, "GET", "/api/users", { token: culler })).status, 200);
    for (const name of ["culler-svc", "root1", "la"])
      assert.equal((await call(oneUserRoute.DELETE, "DELETE", `/api/users/${name}`, { token: culler, params: { name } })).status, 403, `DELETE ${name}`);
    assert.ok(await hub.db.user.findUnique({ where: { name: "culler-svc" } }));
    assert.equal(
      (await call(oneUserRoute.PATCH, "PATCH", "/api/users/la", { token: culler, params: { name: "la" }, body: { admin: true } })).status,
      403,
      "no admin:users",
    );
    assert.equal(
      (await call(tokensRoute.POST, "POST", "/api/users/culler-svc/tokens", { token: culler, params: { name: "culler-svc" }, body: {} })).status,
      403,
      "no tokens scope",
    );
  });

  test("token creation refusals: another user's token by a non-admin, admin-only scopes for a non-admin, unknown names, more than the creator has", async () => {
    const alice = await tokenFor("t-alice");
    await hub.addUser("t-bob");
    const post = (name: string, token: string, body: unknown) => call(tokensRoute.POST, "POST", `/api/users/${name}/tokens`, { token, params: { name }, body });
    assert.equal((await post("t-bob", alice, {})).status, 403);
    for (const s of ["list:users", "users", "admin:users", "read:hub"]) assert.equal((await post("t-alice", alice, { scopes: [s] })).status, 403, s);
    assert.equal((await post("t-bob", adminToken, { scopes: ["list:users"] })).status, 403, "an admin cannot give a non-admin admin-only scopes");
    assert.equal((await post("t-alice", alice, { scopes: ["read:everything"] })).status, 400);
    const narrow = await tokenFor("t-alice", ["tokens", "delete:servers"]);
    assert.equal((await post("t-alice", narrow, { scopes: ["servers"] })).status, 403, "servers is more than delete:servers");
    assert.equal((await post("t-alice", narrow, { scopes: ["delete:servers"] })).status, 201);
    assert.equal((await post("t-alice", alice, { scopes: ["read:users", "read:servers", "servers", "access:servers"] })).status, 201);
  });
});

describe("servers know their hub: JUPYTERHUB_* environment, the server's API token, activity reports", () => {
  const scriptedServer = (spawnId: string | null) => [...scripted.servers.values()].find((x) => x.spawnId === spawnId)!;
  const activity = (name: string, token: string, body: unknown) =>
    call(activityRoute.POST, "POST", `/api/users/${name}/activity`, { token, params: { name }, body });

  test("a server gets JupyterHub's environment and its own API token; the token is stored hashed, works for who-am-I and activity, and is revoked when the server stops", async () => {
    await hub.addUser("env1");
    const row = await startServer("env1", "gpu");
    const server = scriptedServer(row.spawnId);
    assert.deepEqual(
      Object.fromEntries(Object.entries(server.env).filter(([k]) => k.startsWith("JUPYTERHUB_"))),
      {
        JUPYTERHUB_API_URL: `${hub.rt.config.proxy.hubUrl}/hub/api`,
        JUPYTERHUB_ACTIVITY_URL: `${hub.rt.config.proxy.hubUrl}/hub/api/users/env1/activity`,
        JUPYTERHUB_BASE_URL: "/",
        JUPYTERHUB_HOST: "",
        JUPYTERHUB_USER: "env1",
        JUPYTERHUB_SERVER_NAME: "gpu",
        JUPYTERHUB_SERVICE_PREFIX: "/user/env1/gpu/",
        JUPYTERHUB_PUBLIC_HUB_URL: "https://hub.example.org/hub/",
        JUPYTERHUB_PUBLIC_URL: "https://hub.example.org/user/env1/gpu/",
        // the server's OAuth client (jupyterhub-singleuser logs its users in with it)
        JUPYTERHUB_CLIENT_ID: "jupyterhub-user-env1-gpu",
        JUPYTERHUB_OAUTH_CALLBACK_URL: "/user/env1/gpu/oauth_callback",
        JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:servers!server=env1/gpu","access:servers!user=env1"]',
        JUPYTERHUB_OAUTH_SCOPES: '["access:servers!server=env1/gpu","access:servers!user=env1"]',
        JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: "[]",
      },
      "no token among the plain variables",
    );
    const token = server.apiToken;
    const stored = await hub.db.apiToken.findUniqueOrThrow({ where: { prefix: token.slice(0, 8) } });
    assert.notEqual(stored.hash, token);
    assert.ok(!JSON.stringify(stored).includes(token), "stored hashed");
    assert.deepEqual(stored.scopes.split(" "), ["access:servers!server=env1/gpu", "users:activity!user=env1"]);

    const me = await call(userRoute.GET, "GET", "/api/user", { token });
    assert.equal(me.status, 200);
    assert.equal(me.json!.name, "env1");
    const at = new Date(Date.now() - 1000).toISOString();
    assert.equal((await activity("env1", token, { last_activity: at, servers: { gpu: { last_activity: at } } })).status, 200);
    assert.equal(
      (await hub.db.server.findFirstOrThrow({ where: { id: row.id } })).lastActivity?.toISOString(),
      at > row.lastActivity!.toISOString() ? at : row.lastActivity!.toISOString(),
    );

    assert.equal(
      (await call(namedServerRoute.DELETE, "DELETE", "/api/users/env1/servers/gpu", { token: adminToken, params: { name: "env1", server: "gpu" } })).status,
      204,
    );
    assert.equal((await call(userRoute.GET, "GET", "/api/user", { token })).status, 403, "revoked with the server");
  });

  test("the server's token cannot touch another user, start or stop servers, nor mint tokens", async () => {
    await hub.addUser("env2");
    await hub.addUser("env3");
    await startServer("env3");
    const row = await startServer("env2");
    const token = scriptedServer(row.spawnId).apiToken;
    const now = new Date().toISOString();
    assert.equal((await activity("env3", token, { last_activity: now })).status, 403, "another user's activity");
    assert.equal((await call(oneUserRoute.GET, "GET", "/api/users/env3", { token, params: { name: "env3" } })).status, 403);
    assert.equal((await call(defaultServerRoute.DELETE, "DELETE", "/api/users/env3/server", { token, params: { name: "env3" } })).status, 403);
    assert.equal(
      (await call(defaultServerRoute.DELETE, "DELETE", "/api/users/env2/server", { token, params: { name: "env2" } })).status,
      403,
      "not even its own",
    );
    assert.equal(
      (await call(namedServerRoute.POST, "POST", "/api/users/env2/servers/x", { token, params: { name: "env2", server: "x" }, body: {} })).status,
      403,
    );
    assert.equal((await call(tokensRoute.POST, "POST", "/api/users/env2/tokens", { token, params: { name: "env2" }, body: {} })).status, 403);
    assert.equal((await call(tokensRoute.GET, "GET", "/api/users/env2/tokens", { token, params: { name: "env2" } })).status, 403);
    assert.equal((await call(usersRoute.GET, "GET", "/api/users", { token })).status, 403);
  });

  test("POST /users/{name}/activity: JupyterHub's body; times only move forward; refusals say why and change nothing", async () => {
    await hub.addUser("act1");
    const own = await tokenFor("act1");
    const row = await startServer("act1");
    const later = new Date(Date.now() + 60_000);
    const before = await hub.db.server.findFirstOrThrow({ where: { id: row.id } });
    const bad: [unknown, RegExp][] = [
      [[], /json dict/],
      [{}, /at least one of/],
      [{ servers: { "": "yesterday" } }, /servers must be a dict/],
      [{ servers: { "": {} } }, /servers must be a dict/],
      [{ servers: { nope: { last_activity: later.toISOString() } } }, /No such server 'nope'/],
      [{ last_activity: "March 7" }, /Not a datetime/],
      [{ last_activity: new Date(Date.now() + 2 * 3600_000).toISOString() }, /more than an hour in the future/],
      [{ last_activity: later.toISOString(), servers: { nope: { last_activity: later.toISOString() } } }, /No such server/],
    ];
    for (const [body, message] of bad) {
      const r = await activity("act1", own, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(String(r.json!.message), message);
    }
    assert.deepEqual((await hub.db.server.findFirstOrThrow({ where: { id: row.id } })).lastActivity, before.lastActivity, "nothing written");
    // a little in the future is clock skew: clamped to now
    assert.equal((await activity("act1", own, { servers: { "": { last_activity: later.toISOString() } } })).status, 200);
    const moved = (await hub.db.server.findFirstOrThrow({ where: { id: row.id } })).lastActivity!;
    assert.ok(moved > before.lastActivity! && moved <= new Date(), "clamped to now");
    assert.equal((await activity("act1", own, { servers: { "": { last_activity: "2020-01-01T00:00:00Z" } } })).status, 200);
    assert.deepEqual((await hub.db.server.findFirstOrThrow({ where: { id: row.id } })).lastActivity, moved, "never backwards");
    await hub.addUser("act2");
    assert.equal((await activity("act2", own, { last_activity: new Date().toISOString() })).status, 403, "another user's, with an unlimited token");
    assert.equal(
      (await activity("act1", await tokenFor("act1", ["read:users"]), { last_activity: new Date().toISOString() })).status,
      403,
      "needs users:activity",
    );
    assert.equal((await activity("act1", await tokenFor("act1", ["users:activity"]), { last_activity: new Date().toISOString() })).status, 200);
    assert.equal((await activity("act2", adminToken, { last_activity: new Date().toISOString() })).status, 200, "admins may report for anyone");
  });
});

describe("groups", () => {
  test("GET /groups and /groups/{name}: JupyterHub's group model, pages, fields by scope", async () => {
    for (const n of ["g-ann", "g-bob"]) await hub.addUser(n);
    await createGroup(hub.db, "zz-climate", { properties: { quota: 2 }, members: ["g-bob", "g-ann"] });
    await createGroup(hub.db, "zz-ocean");
    const one = await call(oneGroupRoute.GET, "GET", "/api/groups/zz-climate", { token: adminToken, params: { name: "zz-climate" } });
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, { kind: "group", name: "zz-climate", users: ["g-ann", "g-bob"], properties: { quota: 2 }, roles: [] });
    const all = await call(groupsRoute.GET, "GET", "/api/groups", { token: adminToken });
    const mine = (all.json as unknown as { name: string }[]).filter((g) => g.name.startsWith("zz-"));
    assert.deepEqual(mine, [
      { kind: "group", name: "zz-climate", users: ["g-ann", "g-bob"], properties: { quota: 2 }, roles: [] },
      { kind: "group", name: "zz-ocean", users: [], properties: {}, roles: [] },
    ]);
    const total = await hub.db.group.count();
    const page = await call(groupsRoute.GET, "GET", `/api/groups?offset=${total - 1}&limit=1`, {
      token: adminToken,
      headers: { accept: "application/jupyterhub-pagination+json" },
    });
    assert.equal(page.json!.items!.length, 1);
    assert.equal(page.json!.items![0].name, "zz-ocean");
    assert.deepEqual((page.json!._pagination as { total: number; next: unknown }).total, total);
    assert.equal((page.json!._pagination as { next: unknown }).next, null);
    const names = await call(groupsRoute.GET, "GET", "/api/groups", { token: await tokenFor("root1", ["list:groups"]) });
    assert.ok(
      (names.json as unknown as object[]).every((g) => Object.keys(g).sort().join() === "kind,name"),
      "list:groups alone: names only",
    );
  });

  test("groups refusals: non-admins and tokens without the scope 403, an unknown group 404, a bad page 400", async () => {
    const user = await tokenFor("g-carol");
    assert.equal((await call(groupsRoute.GET, "GET", "/api/groups", { token: user })).status, 403);
    assert.equal((await call(oneGroupRoute.GET, "GET", "/api/groups/zz-climate", { token: user, params: { name: "zz-climate" } })).status, 403);
    const narrow = await tokenFor("root1", ["read:users"]);
    assert.equal((await call(groupsRoute.GET, "GET", "/api/groups", { token: narrow })).status, 403);
    assert.equal((await call(oneGroupRoute.GET, "GET", "/api/groups/zz-climate", { token: narrow, params: { name: "zz-climate" } })).status, 403);
    const listOnly = await tokenFor("root1", ["list:groups"]);
    assert.equal((await call(oneGroupRoute.GET, "GET", "/api/groups/zz-climate", { token: listOnly, params: { name: "zz-climate" } })).status, 403);
    assert.equal((await call(oneGroupRoute.GET, "GET", "/api/groups/nope", { token: adminToken, params: { name: "nope" } })).status, 404);
    assert.equal((await call(groupsRoute.GET, "GET", "/api/groups?limit=-1", { token: adminToken })).status, 400);
    const post = (token: string, scopes: string[]) =>
      call(tokensRoute.POST, "POST", "/api/users/g-carol/tokens", { token, params: { name: "g-carol" }, body: { scopes } });
    assert.equal((await post(user, ["read:groups"])).status, 403, "admin-only scope");
  });
});
