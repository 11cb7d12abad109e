// JupyterHub's scope filters (!user=, !group=, !server=, !service=) through the real REST API
// handlers (a test hub on SQLite) and the real proxy process: a filtered list answers only what
// the filter names, a filtered token reads, starts and stops only its users' servers, and the
// proxy lets access:servers!user=… and !group=… tokens reach only those users' servers. The
// proxy's hub endpoints are the fake hub's, but for token-owner, which the hub's own handler
// answers from the test hub's database (that is where !group= becomes the group's members).
// Ports: proxy 7540/7541, fake hub 7542, the users' server (one HTTP backend) 7543.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { ScriptedServers } from "@/spawners/testing/scripted";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { createGroup } from "@/app/_lib/groups/groups";
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import { FakeHub } from "@/proxy/testing/fake-hub";
import { startProxyProcess, stopAll } from "@/proxy/testing/processes";
import type { TokenOwner } from "@/proxy/hub/connection";
import * as usersRoute from "./users/route";
import * as oneUserRoute from "./users/[name]/route";
import * as defaultServerRoute from "./users/[name]/server/route";
import * as tokensRoute from "./users/[name]/tokens/route";
import * as groupsRoute from "./groups/route";
import * as tokenOwnerRoute from "./proxy/token-owner/route";
import * as oneGroupRoute from "./groups/[name]/route";
import * as servicesRoute from "./services/route";
import * as whoRoute from "./user/route";

const SECRET = "scope-filters-secret-".padEnd(48, "x");
const PROXY_TOKEN = "scope-filters-proxy-token-0123456789";
const SERVICE_TOKEN = "scope-filters-service-token-".padEnd(40, "s");
const P = "http://127.0.0.1:7540";
const scripted = new ScriptedServers();
const fake = new FakeHub(PROXY_TOKEN, SECRET);
let hub: TestHub;
let backend: http.Server;
const ids: Record<string, number> = {};

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
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** A token of `user` with `scopes`, made through POST /hub/api/users/{user}/tokens by `by`'s full token. */
async function tokenWith(user: string, scopes: string[], by = rootToken): Promise<string> {
  const r = await call(tokensRoute.POST, "POST", `/api/users/${user}/tokens`, { token: by, body: { scopes }, params: { name: user } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json!.token as string;
}

const listNames = async (token: string) => {
  const r = await call(usersRoute.GET, "GET", "/api/users", { token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json as unknown as Array<{ name: string }>).map((u) => u.name);
};

let rootToken: string;
let aliceToken: string;

before(async () => {
  hub = await startTestHub({
    catalog: { ...SPAWNER_KINDS, scripted: scripted.kind() },
    config: {
      hub: { secretKey: SECRET },
      spawner: { kind: "scripted" },
      proxy: { authToken: PROXY_TOKEN },
      services: [{ name: "watch", apiToken: SERVICE_TOKEN }] as unknown as Record<string, unknown>,
      roles: [
        { name: "teacher", scopes: ["servers!group=ocean", "list:users!group=ocean", "read:users!group=ocean"], users: ["tina"] },
        { name: "gardener", scopes: ["read:users:activity!group=land"], groups: ["land"] },
        { name: "watcher", scopes: ["list:services", "read:services!service=watch"], services: ["watch"] },
      ] as unknown as Record<string, unknown>,
    },
  });
  for (const [name, admin] of [
    ["root", true],
    ["alice", false],
    ["bob", false],
    ["carol", false],
    ["dave", false],
    ["ocean", false],
    ["tina", false],
  ] as const)
    ids[name] = (await hub.addUser(name, admin)).id;
  await createGroup(hub.db, "ocean", { members: ["bob", "carol"] });
  await createGroup(hub.db, "land", { members: ["dave"] });
  rootToken = (await createApiToken(hub.db, ids.root, {})).token;
  aliceToken = (await createApiToken(hub.db, ids.alice, {})).token;

  // the proxy's token-owner answers come from the hub's own handler and database
  fake.memory.fetchTokenOwner = async (token: string): Promise<TokenOwner | null> => {
    const r = await call(tokenOwnerRoute.GET, "GET", "/api/proxy/token-owner", { headers: { authorization: `token ${PROXY_TOKEN}`, "x-gyre-token": token } });
    if (r.status === 404) return null;
    const b = r.json as { user: string; user_id: number; admin: boolean; scopes: string[] };
    return { user: b.user, userId: b.user_id, admin: b.admin, scopes: b.scopes, expiresAt: null, serverAccess: true };
  };
  await fake.start(7542);
  backend = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((r) => backend.listen(7543, "127.0.0.1", r));
  fake.state.admins = ["root"];
  for (const name of Object.keys(ids)) fake.state.userIds[name] = ids[name];
  fake.state.routes = Object.fromEntries(
    ["alice", "bob", "carol", "dave"].map((u) => [
      `/user/${u}/`,
      { target: "http://127.0.0.1:7543", user: u, user_id: ids[u], server_name: "", spawn_id: `s-${u}` },
    ]),
  );
  await startProxyProcess({ port: 7540, apiPort: 7541, hubUrl: fake.url, secretKey: SECRET, authToken: PROXY_TOKEN });
});

after(async () => {
  await stopAll();
  await fake.stop();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
  await hub.close();
});

test("list:users!group=ocean lists only ocean's members, !user= adds one user; fields follow the filtered read scopes per user", async () => {
  assert.deepEqual(await listNames(await tokenWith("root", ["list:users!group=ocean"])), ["bob", "carol"]);
  assert.deepEqual(await listNames(await tokenWith("root", ["list:users!group=ocean", "list:users!user=alice"])), ["alice", "bob", "carol"]);
  assert.deepEqual(await listNames(await tokenWith("root", ["list:users!user=ocean"])), ["ocean"], "the user named ocean, not the group");
  assert.deepEqual(await listNames(await tokenWith("root", ["list:users!group=nobody"])), [], "an unknown group: nobody");
  assert.equal((await listNames(await tokenWith("root", ["list:users"]))).length, 7);
  const t = await tokenWith("root", ["list:users!group=ocean", "read:users:activity!user=bob"]);
  const paged = await call(usersRoute.GET, "GET", "/api/users", { token: t, headers: { accept: "application/jupyterhub-pagination+json" } });
  const items = paged.json!.items as Array<Record<string, unknown>>;
  assert.deepEqual(
    items.map((u) => Object.keys(u).sort()),
    [
      ["kind", "last_activity", "name"],
      ["kind", "name"],
    ],
  );
  assert.equal((paged.json!._pagination as { total: number }).total, 2, "the total counts what the filter lets through");
  const other = await call(usersRoute.GET, "GET", "/api/users", { token: await tokenWith("root", ["read:users!group=ocean"]) });
  assert.equal(other.status, 403, "reading is not listing");
});

test("read:servers!user=alice reads alice's servers only; servers!group=ocean starts ocean members' servers only", async () => {
  const a = await tokenWith("root", ["read:servers!user=alice"]);
  const alice = await call(oneUserRoute.GET, "GET", "/api/users/alice", { token: a, params: { name: "alice" } });
  assert.equal(alice.status, 200);
  assert.deepEqual(Object.keys(alice.json!).sort(), ["admin", "kind", "name", "servers"], "read:servers includes read:users:name");
  assert.equal((await call(oneUserRoute.GET, "GET", "/api/users/bob", { token: a, params: { name: "bob" } })).status, 403);
  assert.equal(
    (await call(defaultServerRoute.DELETE, "DELETE", "/api/users/alice/server", { token: a, params: { name: "alice" } })).status,
    403,
    "reading is not stopping",
  );

  const ocean = await tokenWith("root", ["servers!group=ocean"]);
  assert.equal((await call(defaultServerRoute.POST, "POST", "/api/users/bob/server", { token: ocean, params: { name: "bob" }, body: {} })).status, 202);
  assert.equal((await call(defaultServerRoute.POST, "POST", "/api/users/dave/server", { token: ocean, params: { name: "dave" }, body: {} })).status, 403);
  assert.equal(
    (await call(defaultServerRoute.POST, "POST", "/api/users/ocean/server", { token: ocean, params: { name: "ocean" }, body: {} })).status,
    403,
    "a user named like the group is not its member",
  );
  // the filter narrows an admin's token; it never widens a user's: alice's token naming bob stops nothing of bob's
  const aliceBob = await tokenWith("alice", ["servers!user=bob"], aliceToken);
  assert.equal((await call(defaultServerRoute.DELETE, "DELETE", "/api/users/bob/server", { token: aliceBob, params: { name: "bob" } })).status, 403);
});

test("filtered group scopes: list:groups!group=ocean lists ocean only, with members only where read:groups covers", async () => {
  const t = await tokenWith("root", ["list:groups!group=ocean"]);
  const r = await call(groupsRoute.GET, "GET", "/api/groups", { token: t });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, [{ kind: "group", name: "ocean" }]);
  const full = await call(groupsRoute.GET, "GET", "/api/groups", { token: await tokenWith("root", ["list:groups", "read:groups!group=land"]) });
  assert.deepEqual(
    (full.json as unknown as Array<Record<string, unknown>>).map((g) => [g.name, "users" in g]),
    [
      ["land", true],
      ["ocean", false],
    ],
  );
});

test("crafted filters are refused when a token is made; filters are admins' where the scope is", async () => {
  for (const bad of [
    "read:servers!user=alice/x",
    "read:servers!user=alice!group=ocean",
    "read:servers!server=alice",
    "servers!user=*",
    "read:hub!user=alice",
    "groups!user=alice",
  ]) {
    const r = await call(tokensRoute.POST, "POST", "/api/users/root/tokens", { token: rootToken, body: { scopes: [bad] }, params: { name: "root" } });
    assert.equal(r.status, 400, bad);
  }
  const r = await call(tokensRoute.POST, "POST", "/api/users/alice/tokens", {
    token: aliceToken,
    body: { scopes: ["list:users!user=alice"] },
    params: { name: "alice" },
  });
  assert.equal(r.status, 403, "list:users is admins' only, filtered or not");
  // a narrow token makes no wider one: servers!user=alice cannot mint servers!user=bob
  const narrow = await tokenWith("root", ["tokens", "servers!user=alice"]);
  const wider = await call(tokensRoute.POST, "POST", "/api/users/root/tokens", {
    token: narrow,
    body: { scopes: ["servers!user=bob"] },
    params: { name: "root" },
  });
  assert.equal(wider.status, 403);
});

const through = async (path: string, token: string) => (await fetch(P + path, { headers: { authorization: `token ${token}` }, redirect: "manual" })).status;

test("the proxy: access:servers!user=alice reaches alice's servers only, !group=ocean its members' only, !server= one server", async () => {
  const a = await tokenWith("root", ["access:servers!user=alice"]);
  assert.equal(await through("/user/alice/api/status", a), 200);
  assert.equal(await through("/user/bob/api/status", a), 403);
  const ocean = await tokenWith("root", ["access:servers!group=ocean"]);
  assert.equal(await through("/user/bob/api/status", ocean), 200);
  assert.equal(await through("/user/carol/api/status", ocean), 200);
  assert.equal(await through("/user/dave/api/status", ocean), 403);
  assert.equal(await through("/user/alice/api/status", ocean), 403);
  const d = await tokenWith("root", ["access:servers!server=dave/"]);
  assert.equal(await through("/user/dave/api/status", d), 200);
  assert.equal(await through("/user/carol/api/status", d), 403);
  // a user's token naming someone else's servers opens nothing of theirs, their own stays closed too
  const aliceBob = await tokenWith("alice", ["access:servers!user=bob"], aliceToken);
  assert.equal(await through("/user/bob/api/status", aliceBob), 403);
  assert.equal(await through("/user/alice/api/status", aliceBob), 403);
  // without access:servers in any form, nothing
  assert.equal(await through("/user/alice/api/status", await tokenWith("root", ["read:servers!user=alice"])), 403);
});

test("roles: a configured role lets its holder act on others as its scopes say, and no further", async () => {
  const tina = (await createApiToken(hub.db, ids.tina, {})).token;
  assert.deepEqual(await listNames(tina), ["bob", "carol"], "list:users!group=ocean");
  const bob = await call(oneUserRoute.GET, "GET", "/api/users/bob", { token: tina, params: { name: "bob" } });
  assert.equal(bob.status, 200);
  assert.equal(bob.json!.name, "bob");
  assert.ok("last_activity" in bob.json! && !("roles" in bob.json), "read:users fields, not read:roles:users");
  assert.equal((await call(oneUserRoute.GET, "GET", "/api/users/dave", { token: tina, params: { name: "dave" } })).status, 403);
  assert.equal((await call(defaultServerRoute.DELETE, "DELETE", "/api/users/carol/server", { token: tina, params: { name: "carol" } })).status, 204);
  assert.equal((await call(defaultServerRoute.POST, "POST", "/api/users/dave/server", { token: tina, params: { name: "dave" }, body: {} })).status, 403);
  assert.equal((await call(oneUserRoute.DELETE, "DELETE", "/api/users/bob", { token: tina, params: { name: "bob" } })).status, 403, "no delete:users");
  assert.equal((await call(groupsRoute.GET, "GET", "/api/groups", { token: tina })).status, 403, "no list:groups");
  // a token narrower than the role narrows it: only the role's scopes the token also has
  const readOnly = await tokenWith("tina", ["read:users!group=ocean"], tina);
  assert.equal((await call(oneUserRoute.GET, "GET", "/api/users/carol", { token: readOnly, params: { name: "carol" } })).status, 200);
  assert.equal((await call(defaultServerRoute.DELETE, "DELETE", "/api/users/carol/server", { token: readOnly, params: { name: "carol" } })).status, 403);
  // her own account is hers as before
  const self = await call(oneUserRoute.GET, "GET", "/api/users/tina", { token: tina, params: { name: "tina" } });
  assert.deepEqual(self.json!.roles, ["user", "teacher"]);
  // roles given through a group: dave (land) reads land members' activity, not ocean's
  const dave = (await createApiToken(hub.db, ids.dave, {})).token;
  assert.deepEqual((await call(oneUserRoute.GET, "GET", "/api/users/dave", { token: rootToken, params: { name: "dave" } })).json!.roles, ["user", "gardener"]);
  assert.equal((await call(oneUserRoute.GET, "GET", "/api/users/bob", { token: dave, params: { name: "bob" } })).status, 403);
  // logged in (a session), the same: the role's reads of others, not more
  const s = await createSession(hub.db, ids.tina, 3600, "test", new Date());
  const cookie = buildSessionCookie({ sid: s.id, user: "tina", userId: ids.tina, expiresAt: s.expiresAt, key: hub.rt.keys.sessionCookie, secure: false }).split(
    ";",
  )[0];
  const viaSession = await call(oneUserRoute.GET, "GET", "/api/users/carol", { params: { name: "carol" }, headers: { cookie } });
  assert.equal(viaSession.status, 200);
  assert.ok(!("roles" in viaSession.json!), "the role's fields, not an admin's whole model");
  assert.equal((await call(oneUserRoute.GET, "GET", "/api/users/dave", { params: { name: "dave" }, headers: { cookie } })).status, 403);
  const ownViaSession = await call(oneUserRoute.GET, "GET", "/api/users/tina", { params: { name: "tina" }, headers: { cookie } });
  assert.deepEqual(ownViaSession.json!.roles, ["user", "teacher"], "her own model, whole");
  // the teacher role grants servers, not access:servers: tina's token reaches no ocean server through the proxy
  assert.equal(await through("/user/bob/api/status", tina), 403);
});

test("roles in models: users, groups and services list theirs; tokens made with roles carry the roles' scopes", async () => {
  assert.deepEqual((await call(oneUserRoute.GET, "GET", "/api/users/root", { token: rootToken, params: { name: "root" } })).json!.roles, ["user", "admin"]);
  assert.deepEqual((await call(oneGroupRoute.GET, "GET", "/api/groups/land", { token: rootToken, params: { name: "land" } })).json!.roles, ["gardener"]);
  const who = await call(whoRoute.GET, "GET", "/api/user", { token: SERVICE_TOKEN });
  assert.deepEqual(who.json!.roles, ["watcher"]);
  const svc = await call(servicesRoute.GET, "GET", "/api/services", { token: SERVICE_TOKEN });
  assert.equal(svc.status, 200, "the role's list:services");
  assert.deepEqual((svc.json as Record<string, { roles: string[] }>).watch.roles, ["watcher"]);

  const tina = (await createApiToken(hub.db, ids.tina, {})).token;
  const made = await call(tokensRoute.POST, "POST", "/api/users/tina/tokens", { token: tina, body: { roles: ["teacher"] }, params: { name: "tina" } });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.deepEqual(made.json!.scopes, ["servers!group=ocean", "list:users!group=ocean", "read:users!group=ocean"]);
  assert.deepEqual(made.json!.roles, []);
  assert.deepEqual(await listNames(made.json!.token as string), ["bob", "carol"]);
  const own = await call(tokensRoute.POST, "POST", "/api/users/tina/tokens", { token: tina, body: { roles: ["user"] }, params: { name: "tina" } });
  assert.equal(own.status, 201);
  assert.ok((own.json!.scopes as string[]).every((s) => s.endsWith("!user=tina")));
  const refused: Array<[unknown, number]> = [
    [{ roles: ["admin"] }, 403],
    [{ roles: ["server"] }, 400],
    [{ roles: ["nope"] }, 400],
    [{ roles: ["teacher"], scopes: ["servers"] }, 400],
  ];
  for (const [body, status] of refused)
    assert.equal(
      (await call(tokensRoute.POST, "POST", "/api/users/tina/tokens", { token: tina, body, params: { name: "tina" } })).status,
      status,
      JSON.stringify(body),
    );
  const alice = await call(tokensRoute.POST, "POST", "/api/users/alice/tokens", { token: aliceToken, body: { roles: ["teacher"] }, params: { name: "alice" } });
  assert.equal(alice.status, 403, "a role alice does not have");
});
