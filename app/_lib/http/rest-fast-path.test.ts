// The Express fast path for GET /hub/api/users, /hub/api/users/<name> and /hub/api/proxy/auth against the Next route
// handlers called as Next calls them (the path without /hub), on a real SQLite database: the same
// status, content type and body bytes for every request, allowed and refused (401, 403, 404, 400);
// other methods and paths are passed on untouched.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { request, type Server } from "node:http";
import express from "express";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import { canonicalApiPaths } from "./api-paths";
import { refuseMalformedPaths } from "./express-guards";
import { restFastPath } from "./rest-fast-path";
import * as usersRoute from "@/app/api/users/route";
import * as oneUserRoute from "@/app/api/users/[name]/route";
import * as authRoute from "@/app/api/proxy/auth/route";

let hub: TestHub;
let server: Server;
let base: string;
const tokens: Record<string, string> = {};
let aliceCookie: string;

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { hub: { publicUrl: "https://hub.example.org" } } });
  const admin = await hub.addUser("root1", true);
  const alice = await hub.addUser("alice");
  const bob = await hub.addUser("bob");
  for (let i = 0; i < 7; i++) await hub.addUser(`user${i}`);
  await hub.db.server.create({ data: { userId: bob.id, name: "", state: "running", spawnerKind: "local", url: "http://127.0.0.1:1/" } });
  await hub.db.server.create({ data: { userId: bob.id, name: "gpu", state: "stopped", spawnerKind: "local" } });
  await hub.db.group.create({ data: { name: "climate", members: { create: [{ userId: bob.id }] } } });
  const odd = await hub.addUser("zoé");
  await hub.db.server.create({ data: { userId: odd.id, name: "", state: "pending", spawnerKind: "local", message: 'waiting for "node"' } });
  await hub.db.group.create({ data: { name: 'sea "deep" \\ ünï', members: { create: [{ userId: odd.id }] } } });
  tokens.admin = (await createApiToken(hub.db, admin.id, {})).token;
  tokens.alice = (await createApiToken(hub.db, alice.id, {})).token;
  tokens.listOnly = (await createApiToken(hub.db, admin.id, { scopes: ["list:users"] })).token;
  tokens.names = (await createApiToken(hub.db, admin.id, { scopes: ["list:users", "read:users:name"] })).token;
  tokens.servers = (await createApiToken(hub.db, admin.id, { scopes: ["read:servers"] })).token;
  tokens.allFields = (await createApiToken(hub.db, admin.id, { scopes: ["list:users", "read:users", "read:servers", "read:roles:users"] })).token;
  tokens.expired = (await createApiToken(hub.db, admin.id, { expiresAt: new Date(Date.now() - 1000) })).token;
  const revoked = await createApiToken(hub.db, admin.id, {});
  await hub.db.apiToken.update({ where: { id: revoked.row.id }, data: { revokedAt: new Date() } });
  tokens.revoked = revoked.token;
  const carol = await hub.addUser("carol", true);
  tokens.blocked = (await createApiToken(hub.db, carol.id, {})).token;
  await hub.db.user.update({ where: { id: carol.id }, data: { blockedAt: new Date() } });
  const session = await createSession(hub.db, alice.id, 3600, "test", new Date());
  aliceCookie = buildSessionCookie({
    sid: session.id,
    user: "alice",
    userId: alice.id,
    expiresAt: session.expiresAt,
    key: hub.rt.keys.sessionCookie,
    secure: true,
  }).split(";")[0];

  const app = express();
  app.use(refuseMalformedPaths);
  app.use(canonicalApiPaths);
  app.use(restFastPath);
  // what reaches here would have gone on to Next
  app.use((req, res) => res.status(599).json({ passedOn: `${req.method} ${req.url}` }));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await hub.close();
});

/** A request over HTTP with exactly these headers (fetch would replace Host). */
function get(path: string, headers: Record<string, string>, method = "GET") {
  return new Promise<{ status: number; type: string | undefined; cache: string | undefined; body: string }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, type: res.headers["content-type"], cache: res.headers["cache-control"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

function headersFor(who: { token?: string; cookie?: string; accept?: string }): Record<string, string> {
  const h: Record<string, string> = { host: "hub.example.org", "x-forwarded-proto": "https" };
  if (who.token) h.authorization = `token ${who.token}`;
  if (who.cookie) h.cookie = who.cookie;
  if (who.accept) h.accept = who.accept;
  return h;
}

/** Both answers to one request: the fast path over HTTP, the route handler as Next calls it. */
async function both<P>(handler: Handler<P>, path: string, params: P, who: { token?: string; cookie?: string; accept?: string }) {
  const headers = headersFor(who);
  const fast = await get(path, headers);
  const viaNext = await handler(new Request(`http://127.0.0.1:8081${path.replace(/^\/hub/, "")}`, { headers }), { params: Promise.resolve(params) });
  return {
    fast,
    next: { status: viaNext.status, type: viaNext.headers.get("content-type"), body: await viaNext.text() },
  };
}

async function assertSame<P>(handler: Handler<P>, path: string, params: P, who: { token?: string; cookie?: string; accept?: string }, status: number) {
  const { fast, next } = await both(handler, path, params, who);
  assert.equal(fast.status, status, `${path}: ${fast.body}`);
  assert.deepEqual({ status: fast.status, type: fast.type, body: fast.body }, next, path);
  assert.match(fast.cache ?? "", /no-store/);
  return JSON.parse(fast.body) as unknown;
}

const paging = "application/jupyterhub-pagination+json";

describe("GET /hub/api/users on the fast path", () => {
  test("answers as the route does, plain and paginated, with every filter and sort", async () => {
    const list = (await assertSame(usersRoute.GET, "/hub/api/users", {}, { token: tokens.admin }, 200)) as { name: string }[];
    assert.equal(list.length, 12);
    await assertSame(usersRoute.GET, "/hub/api/users?sort=-name&include_stopped_servers", {}, { token: tokens.admin }, 200);
    await assertSame(usersRoute.GET, "/hub/api/users?state=ready", {}, { token: tokens.admin }, 200);
    await assertSame(usersRoute.GET, "/hub/api/users?state=inactive&sort=last_activity", {}, { token: tokens.admin }, 200);
    const page = (await assertSame(usersRoute.GET, "/hub/api/users?limit=3&offset=2", {}, { token: tokens.admin, accept: paging }, 200)) as {
      _pagination: { next: { url: string } };
    };
    assert.equal(page._pagination.next.url, "https://hub.example.org/hub/api/users?limit=3&offset=5");
    await assertSame(usersRoute.GET, "/hub/api/users/", {}, { token: tokens.admin }, 200);
  });

  test("a caller who sees everything gets the JSON written without models: the same bytes as a token whose scopes show every field", async () => {
    for (const path of [
      "/hub/api/users",
      "/hub/api/users?include_stopped_servers",
      "/hub/api/users?sort=-name&state=active",
      "/hub/api/users?limit=4&offset=8",
    ])
      for (const accept of [undefined, paging]) {
        const written = await get(path, headersFor({ token: tokens.admin, accept }));
        const fromModels = await get(path, headersFor({ token: tokens.allFields, accept }));
        assert.equal(written.status, 200);
        assert.equal(written.body, fromModels.body, `${path} ${accept ?? ""}`);
      }
    const zoe = (JSON.parse((await get("/hub/api/users?sort=-name&limit=1", headersFor({ token: tokens.admin }))).body) as object[])[0];
    assert.deepEqual(
      { ...zoe, created: "…" },
      {
        kind: "user",
        name: "zoé",
        admin: false,
        roles: ["user"],
        groups: ['sea "deep" \\ ünï'],
        created: "…",
        last_activity: null,
        server: null,
        pending: "spawn",
        servers: (zoe as { servers: object }).servers,
      },
    );
  });

  test("narrow tokens see what their scopes cover", async () => {
    const names = (await assertSame(usersRoute.GET, "/hub/api/users", {}, { token: tokens.listOnly }, 200)) as object[];
    assert.deepEqual(Object.keys(names[0]), ["kind", "name"]);
    await assertSame(usersRoute.GET, "/hub/api/users", {}, { token: tokens.names }, 200);
  });

  test("refuses as the route does: no credentials 401, an unknown, expired, revoked or blocked token or a non-admin 403, a token without list:users 403, a bad query 400", async () => {
    await assertSame(usersRoute.GET, "/hub/api/users", {}, {}, 401);
    await assertSame(usersRoute.GET, "/hub/api/users", {}, { token: "not-a-token" }, 403);
    for (const token of [tokens.expired, tokens.revoked, tokens.blocked]) await assertSame(usersRoute.GET, "/hub/api/users", {}, { token }, 403);
    await assertSame(usersRoute.GET, "/hub/api/users", {}, { token: tokens.alice }, 403);
    await assertSame(usersRoute.GET, "/hub/api/users", {}, { cookie: aliceCookie }, 403);
    await assertSame(usersRoute.GET, "/hub/api/users", {}, { token: tokens.servers }, 403);
    await assertSame(usersRoute.GET, "/hub/api/users?state=running", {}, { token: tokens.admin }, 400);
    await assertSame(usersRoute.GET, "/hub/api/users?limit=-1", {}, { token: tokens.admin }, 400);
  });
});

describe("GET /hub/api/users/<name> on the fast path", () => {
  test("answers as the route does for an admin, the user themselves and narrow tokens", async () => {
    const bob = (await assertSame(oneUserRoute.GET, "/hub/api/users/bob", { name: "bob" }, { token: tokens.admin }, 200)) as { groups: string[] };
    assert.deepEqual(bob.groups, ["climate"]);
    await assertSame(oneUserRoute.GET, "/hub/api/users/bob?include_stopped_servers=1", { name: "bob" }, { token: tokens.admin }, 200);
    await assertSame(oneUserRoute.GET, "/hub/api/users/BOB", { name: "BOB" }, { token: tokens.admin }, 200);
    await assertSame(oneUserRoute.GET, "/hub/api/users/alice", { name: "alice" }, { token: tokens.alice }, 200);
    await assertSame(oneUserRoute.GET, "/hub/api/users/alice", { name: "alice" }, { cookie: aliceCookie }, 200);
    await assertSame(oneUserRoute.GET, "/hub/api/users/bob", { name: "bob" }, { token: tokens.servers }, 200);
  });

  test("refuses as the route does: 401 without credentials, 403 for someone else's user, 404 for an unknown user", async () => {
    await assertSame(oneUserRoute.GET, "/hub/api/users/bob", { name: "bob" }, {}, 401);
    await assertSame(oneUserRoute.GET, "/hub/api/users/bob", { name: "bob" }, { token: tokens.alice }, 403);
    await assertSame(oneUserRoute.GET, "/hub/api/users/bob", { name: "bob" }, { cookie: aliceCookie }, 403);
    await assertSame(oneUserRoute.GET, "/hub/api/users/bob", { name: "bob" }, { token: "nope" }, 403);
    await assertSame(oneUserRoute.GET, "/hub/api/users/nobody", { name: "nobody" }, { token: tokens.admin }, 404);
    await assertSame(oneUserRoute.GET, "/hub/api/users/a%20b", { name: "a b" }, { token: tokens.admin }, 404);
    await assertSame(oneUserRoute.GET, "/hub/api/users/nobody", { name: "nobody" }, { token: tokens.alice }, 403);
  });
});

describe("GET /hub/api/proxy/auth on the fast path", () => {
  test("answers the proxy as the route does, with the admins, a revoked session and a share", async () => {
    const alice = await hub.db.user.findUniqueOrThrow({ where: { name: "alice" } });
    const bob = await hub.db.user.findUniqueOrThrow({ where: { name: "bob" } });
    const revoked = await createSession(hub.db, alice.id, 3600, "test", new Date());
    await hub.db.session.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    const bobs = await hub.db.server.findFirstOrThrow({ where: { userId: bob.id, name: "" } });
    await hub.db.share.create({ data: { serverId: bobs.id, userId: alice.id, scopes: "access:servers" } });
    const snapshot = (await assertSame(authRoute.GET, "/hub/api/proxy/auth", {}, { token: hub.rt.config.proxy.authToken }, 200)) as {
      admins: string[];
      revoked_sessions: string[];
      shares: Record<string, unknown>;
    };
    assert.deepEqual(snapshot.admins.sort(), ["carol", "root1"]);
    assert.deepEqual(snapshot.revoked_sessions, [revoked.id]);
    assert.deepEqual(snapshot.shares, { "bob/": { owner_id: bob.id, user_ids: [alice.id] } });
  });

  test("refuses as the route does: 403 without the proxy's token, with a user's token, with a token one character off", async () => {
    const proxyToken = hub.rt.config.proxy.authToken;
    const offByOne = proxyToken.slice(0, -1) + (proxyToken.endsWith("a") ? "b" : "a");
    for (const who of [{}, { token: tokens.admin }, { token: offByOne }, { cookie: aliceCookie }]) {
      const body = (await assertSame(authRoute.GET, "/hub/api/proxy/auth", {}, who, 403)) as { message: string };
      assert.match(body.message, /for the proxy/);
    }
  });
});

test("other methods and paths go on to Next", async () => {
  for (const [method, path] of [
    ["POST", "/hub/api/users"],
    ["DELETE", "/hub/api/users/bob"],
    ["HEAD", "/hub/api/users"],
    ["GET", "/hub/api/users/bob/server"],
    ["GET", "/hub/api/users/bob/tokens"],
    ["GET", "/hub/api/user"],
    ["GET", "/hub/api/usersx"],
    ["POST", "/hub/api/proxy/auth"],
    ["GET", "/hub/api/proxy/auth/x"],
    ["GET", "/hub/api/proxy/routes"],
  ]) {
    const res = await get(path, headersFor({ token: tokens.admin }), method);
    assert.equal(res.status, 599, `${method} ${path}`);
  }
});

test("a token's last use is recorded, at most once a minute", async () => {
  const token = (await createApiToken(hub.db, (await hub.db.user.findUniqueOrThrow({ where: { name: "alice" } })).id, {})).token;
  const lastUsed = async () => (await hub.db.apiToken.findFirstOrThrow({ where: { prefix: token.slice(0, 8) } })).lastUsed;
  const setLastUsed = (at: Date) => hub.db.apiToken.updateMany({ where: { prefix: token.slice(0, 8) }, data: { lastUsed: at } });
  assert.equal(await lastUsed(), null);
  assert.equal((await get("/hub/api/users/alice", headersFor({ token }))).status, 200);
  const first = await lastUsed();
  assert.ok(first && Date.now() - first.getTime() < 60_000, "recorded on first use");
  const recent = new Date(Date.now() - 30_000);
  await setLastUsed(recent);
  assert.equal((await get("/hub/api/users/alice", headersFor({ token }))).status, 200);
  assert.equal((await lastUsed())?.getTime(), recent.getTime(), "not again within a minute");
  await setLastUsed(new Date(Date.now() - 120_000));
  assert.equal((await get("/hub/api/users/alice", headersFor({ token }))).status, 200);
  assert.ok(Date.now() - (await lastUsed())!.getTime() < 60_000, "again after a minute");
});
