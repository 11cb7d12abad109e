// JupyterHub's group write API on Gyre's route handlers and a real SQLite database: create one or
// several groups, delete, add and remove members, replace properties — JupyterHub's shapes, codes
// and scopes (admin:groups, delete:groups, groups, groups!group=<name>) — and what each refuses,
// with nothing changed by a refusal. GitHub teams' groups keep their members.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import { syncTeamGroups } from "@/app/_lib/groups/groups";
import * as groupsRoute from "./route";
import * as oneGroupRoute from "./[name]/route";
import * as usersRoute from "./[name]/users/route";
import * as propertiesRoute from "./[name]/properties/route";
import * as tokensRoute from "../users/[name]/tokens/route";

let hub: TestHub;
let admin: string;

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS });
  const root = await hub.addUser("root1", true);
  admin = (await createApiToken(hub.db, root.id, {})).token;
  for (const n of ["ann", "bob", "carol"]) await hub.addUser(n);
});
after(() => hub.close());

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

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
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null, text };
}

async function token(name: string, scopes: string[]): Promise<string> {
  const u = await hub.db.user.findUniqueOrThrow({ where: { name } });
  return (await createApiToken(hub.db, u.id, { scopes })).token;
}

const model = (name: string, users: string[] = [], properties: object = {}) => ({ kind: "group", name, users, properties, roles: [] });
const groupNames = async () => (await hub.db.group.findMany({ orderBy: { name: "asc" } })).map((g) => g.name);

describe("JupyterHub's group write API", () => {
  test("POST /groups/{name} creates (201, the model, members normalised); DELETE deletes (204)", async () => {
    const r = await call(oneGroupRoute.POST, "POST", "/api/groups/physics", { token: admin, params: { name: "physics" }, body: { users: ["Bob", "ann"] } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json, model("physics", ["ann", "bob"]));
    const empty = await call(oneGroupRoute.POST, "POST", "/api/groups/chem", { token: admin, params: { name: "chem" } });
    assert.equal(empty.status, 201);
    assert.deepEqual(empty.json, model("chem"));
    const del = await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/chem", { token: admin, params: { name: "chem" } });
    assert.equal(del.status, 204);
    assert.equal(del.text, "");
    assert.ok(!(await groupNames()).includes("chem"));
  });

  test("POST /groups creates several with the same members (201, a list); one bad name, an existing group or an unknown user creates none", async () => {
    const r = await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: ["bio-a", "bio-b"], users: ["carol"] } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json, [model("bio-a", ["carol"]), model("bio-b", ["carol"])]);
    const before = await groupNames();
    const exists = await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: ["bio-c", "bio-a"] } });
    assert.equal(exists.status, 409);
    assert.match(exists.text, /bio-a already exists/);
    const unknownUser = await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: ["bio-d"], users: ["nobody"] } });
    assert.equal(unknownUser.status, 400, "JupyterHub: an unknown user is a 400");
    assert.match(unknownUser.text, /No such user: nobody/);
    assert.equal((await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: ["ok-1", "bad name"] } })).status, 400);
    assert.equal((await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: ["x1", "x1"] } })).status, 400);
    const none = await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: [] } });
    assert.equal(none.status, 400);
    assert.match(none.text, /at least one group/);
    assert.equal((await call(groupsRoute.POST, "POST", "/api/groups", { token: admin, body: { groups: ["y1"], colour: "red" } })).status, 400, "unknown key");
    assert.deepEqual(await groupNames(), before, "nothing created by a refusal");
  });

  test("POST/DELETE /groups/{name}/users add and remove members (200, the model); PUT …/properties replaces them", async () => {
    await call(oneGroupRoute.POST, "POST", "/api/groups/astro", { token: admin, params: { name: "astro" } });
    const add = await call(usersRoute.POST, "POST", "/api/groups/astro/users", { token: admin, params: { name: "astro" }, body: { users: ["ann", "bob"] } });
    assert.equal(add.status, 200, add.text);
    assert.deepEqual(add.json, model("astro", ["ann", "bob"]));
    const again = await call(usersRoute.POST, "POST", "/api/groups/astro/users", { token: admin, params: { name: "astro" }, body: { users: ["ann"] } });
    assert.deepEqual(again.json, model("astro", ["ann", "bob"]), "a member already in it: no change, no error");
    const rm = await call(usersRoute.DELETE, "DELETE", "/api/groups/astro/users", { token: admin, params: { name: "astro" }, body: { users: ["bob"] } });
    assert.equal(rm.status, 200);
    assert.deepEqual(rm.json, model("astro", ["ann"]));
    const props = await call(propertiesRoute.PUT, "PUT", "/api/groups/astro/properties", { token: admin, params: { name: "astro" }, body: { gpu: true } });
    assert.equal(props.status, 200);
    assert.deepEqual(props.json, model("astro", ["ann"], { gpu: true }));
    const replaced = await call(propertiesRoute.PUT, "PUT", "/api/groups/astro/properties", { token: admin, params: { name: "astro" }, body: { quota: 3 } });
    assert.deepEqual(replaced.json, model("astro", ["ann"], { quota: 3 }), "replaced, not merged");
  });

  test("refusals change nothing: unknown group 404, unknown user 400, no users 400, properties not an object 400, existing group 409", async () => {
    await call(oneGroupRoute.POST, "POST", "/api/groups/geo", { token: admin, params: { name: "geo" }, body: { users: ["ann"] } });
    const p = { name: "geo" };
    assert.equal(
      (await call(usersRoute.POST, "POST", "/api/groups/nope/users", { token: admin, params: { name: "nope" }, body: { users: ["ann"] } })).status,
      404,
    );
    assert.equal((await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/nope", { token: admin, params: { name: "nope" } })).status, 404);
    const unknown = await call(usersRoute.POST, "POST", "/api/groups/geo/users", { token: admin, params: p, body: { users: ["bob", "nobody"] } });
    assert.equal(unknown.status, 400);
    const noUsers = await call(usersRoute.POST, "POST", "/api/groups/geo/users", { token: admin, params: p, body: {} });
    assert.equal(noUsers.status, 400);
    assert.match(noUsers.text, /Must specify users to add/);
    assert.equal((await call(usersRoute.DELETE, "DELETE", "/api/groups/geo/users", { token: admin, params: p, body: { users: ["nobody"] } })).status, 400);
    assert.equal((await call(propertiesRoute.PUT, "PUT", "/api/groups/geo/properties", { token: admin, params: p, body: [1, 2] })).status, 400);
    const exists = await call(oneGroupRoute.POST, "POST", "/api/groups/geo", { token: admin, params: p, body: { users: ["bob"] } });
    assert.equal(exists.status, 409);
    assert.equal((await call(oneGroupRoute.POST, "POST", "/api/groups/x:y", { token: admin, params: { name: "x:y" } })).status, 400, "':' is GitHub teams'");
    assert.equal((await call(oneGroupRoute.POST, "POST", "/api/groups/z1", { token: admin, params: { name: "z1" }, body: { roles: ["r"] } })).status, 400);
    const g = await call(oneGroupRoute.GET, "GET", "/api/groups/geo", { token: admin, params: p });
    assert.deepEqual(g.json, model("geo", ["ann"]));
    assert.ok(!(await groupNames()).includes("z1"));
  });

  test("GitHub teams' groups: members are the team's (400, unchanged); properties are the hub's; deleted only once empty", async () => {
    const ann = await hub.db.user.findUniqueOrThrow({ where: { name: "ann" } });
    await syncTeamGroups(hub.db, ann.id, ["pangeo:core"]);
    const p = { name: "pangeo:core" };
    const add = await call(usersRoute.POST, "POST", "/api/groups/pangeo:core/users", { token: admin, params: p, body: { users: ["bob"] } });
    assert.equal(add.status, 400);
    assert.match(add.text, /GitHub team/);
    assert.equal((await call(usersRoute.DELETE, "DELETE", "/api/groups/pangeo:core/users", { token: admin, params: p, body: { users: ["ann"] } })).status, 400);
    assert.equal((await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/pangeo:core", { token: admin, params: p })).status, 400);
    const props = await call(propertiesRoute.PUT, "PUT", "/api/groups/pangeo:core/properties", { token: admin, params: p, body: { tier: "gold" } });
    assert.equal(props.status, 200);
    assert.deepEqual(props.json, model("pangeo:core", ["ann"], { tier: "gold" }));
  });

  test("scopes: admin:groups creates, delete:groups deletes, groups edits members and properties; groups!group=<name> only that group; users and sessions without CSRF refused", async () => {
    await call(oneGroupRoute.POST, "POST", "/api/groups/ops", { token: admin, params: { name: "ops" } });
    await call(oneGroupRoute.POST, "POST", "/api/groups/dev", { token: admin, params: { name: "dev" } });
    const groups = await token("root1", ["groups"]);
    assert.equal((await call(oneGroupRoute.POST, "POST", "/api/groups/g2", { token: groups, params: { name: "g2" } })).status, 403, "groups cannot create");
    assert.equal((await call(groupsRoute.POST, "POST", "/api/groups", { token: groups, body: { groups: ["g3"] } })).status, 403);
    assert.equal((await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/ops", { token: groups, params: { name: "ops" } })).status, 403, "nor delete");
    assert.equal(
      (await call(usersRoute.POST, "POST", "/api/groups/ops/users", { token: groups, params: { name: "ops" }, body: { users: ["ann"] } })).status,
      200,
    );
    const readOnly = await token("root1", ["read:groups", "list:groups"]);
    assert.equal(
      (await call(usersRoute.POST, "POST", "/api/groups/ops/users", { token: readOnly, params: { name: "ops" }, body: { users: ["bob"] } })).status,
      403,
    );
    assert.equal((await call(propertiesRoute.PUT, "PUT", "/api/groups/ops/properties", { token: readOnly, params: { name: "ops" }, body: {} })).status, 403);
    const deleter = await token("root1", ["delete:groups"]);
    assert.equal((await call(oneGroupRoute.POST, "POST", "/api/groups/g4", { token: deleter, params: { name: "g4" } })).status, 403);
    assert.equal((await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/dev", { token: deleter, params: { name: "dev" } })).status, 204);
    const creator = await token("root1", ["admin:groups"]);
    assert.equal((await call(oneGroupRoute.POST, "POST", "/api/groups/dev", { token: creator, params: { name: "dev" } })).status, 201);
    assert.equal(
      (await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/dev", { token: creator, params: { name: "dev" } })).status,
      204,
      "admin:groups includes delete",
    );

    const onlyOps = await token("root1", ["groups!group=ops"]);
    const opsUsers = await call(usersRoute.POST, "POST", "/api/groups/ops/users", { token: onlyOps, params: { name: "ops" }, body: { users: ["bob"] } });
    assert.equal(opsUsers.status, 200);
    assert.deepEqual(opsUsers.json, model("ops", ["ann", "bob"]));
    assert.equal(
      (await call(oneGroupRoute.GET, "GET", "/api/groups/ops", { token: onlyOps, params: { name: "ops" } })).status,
      200,
      "groups!group includes reading it",
    );
    assert.equal(
      (await call(usersRoute.POST, "POST", "/api/groups/astro/users", { token: onlyOps, params: { name: "astro" }, body: { users: ["bob"] } })).status,
      403,
    );
    assert.equal((await call(oneGroupRoute.GET, "GET", "/api/groups/astro", { token: onlyOps, params: { name: "astro" } })).status, 403);
    assert.equal((await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/ops", { token: onlyOps, params: { name: "ops" } })).status, 403);
    // groups!group=ops includes list:groups!group=ops (JupyterHub passes filters on): the list has ops only
    const listed = await call(groupsRoute.GET, "GET", "/api/groups", { token: onlyOps });
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (listed.json as Array<{ name: string }>).map((g) => g.name),
      ["ops"],
    );

    const user = await token("carol", []);
    assert.equal((await call(oneGroupRoute.POST, "POST", "/api/groups/mine", { token: user, params: { name: "mine" } })).status, 403, "a user's own token");
    assert.equal(
      (await call(usersRoute.POST, "POST", "/api/groups/ops/users", { token: user, params: { name: "ops" }, body: { users: ["carol"] } })).status,
      403,
    );
    const mint = await call(tokensRoute.POST, "POST", "/api/users/carol/tokens", {
      token: user,
      params: { name: "carol" },
      body: { scopes: ["groups!group=ops"] },
    });
    assert.equal(mint.status, 403, "group scopes are admins' only, filtered or not");
    assert.equal((await call(groupsRoute.POST, "POST", "/api/groups", { body: { groups: ["anon"] } })).status, 401);

    const root = await hub.db.user.findUniqueOrThrow({ where: { name: "root1" } });
    const s = await createSession(hub.db, root.id, 3600, "test", new Date());
    const cookie = buildSessionCookie({
      sid: s.id,
      user: "root1",
      userId: root.id,
      expiresAt: s.expiresAt,
      key: hub.rt.keys.sessionCookie,
      secure: false,
    }).split(";")[0];
    const noCsrf = await call(oneGroupRoute.POST, "POST", "/api/groups/csrf", { params: { name: "csrf" }, headers: { cookie } });
    assert.equal(noCsrf.status, 403, noCsrf.text);
    assert.match(noCsrf.text, /CSRF/);
    const withCsrf = await call(oneGroupRoute.POST, "POST", "/api/groups/csrf", { params: { name: "csrf" }, headers: { cookie, "x-gyre-csrf": s.csrf } });
    assert.equal(withCsrf.status, 201, "an admin's session with its CSRF token");
    assert.equal(
      (await call(oneGroupRoute.DELETE, "DELETE", "/api/groups/csrf", { params: { name: "csrf" }, headers: { cookie, "x-gyre-csrf": s.csrf } })).status,
      204,
    );
    assert.ok(!(await groupNames()).includes("csrf"));
    assert.ok(!(await groupNames()).includes("mine"));
  });
});
