// Sharing servers (JupyterHub 5's shares and share codes) as Gyre's route handlers answer it,
// against a real SQLite database: the models, the share map pushed to the proxies after every
// change, and what each route must refuse (non-owners, grantees sharing onward, scopes other than
// access to the one server, blocked users, narrow tokens, bad codes).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { createGroup, addMembers, removeMembers } from "@/app/_lib/groups/groups";
import { buildAuthSnapshot } from "@/app/_lib/proxy-state";
import { acceptShareCode } from "@/app/_lib/shares/share-codes";
import { loadShareMap } from "@/app/_lib/shares/shares";
import { decideOriginAccess } from "@/app/_lib/auth/origin-login";
import * as sharesOwner from "./shares/[owner]/route";
import * as sharesServer from "./shares/[owner]/[server]/route";
import * as codesServer from "./share-codes/[owner]/[server]/route";
import * as userShared from "./users/[name]/shared/route";
import * as userSharedOne from "./users/[name]/shared/[owner]/[server]/route";
import * as groupShared from "./groups/[name]/shared/route";
import * as groupSharedOne from "./groups/[name]/shared/[owner]/[server]/route";

let hub: TestHub;
const ids: Record<string, number> = {};
const tokens: Record<string, string> = {};

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { hub: { publicUrl: "https://hub.example.org" } } });
  for (const [name, admin] of [
    ["alice", false],
    ["bob", false],
    ["carol", false],
    ["dave", false],
    ["root", true],
  ] as const) {
    ids[name] = (await hub.addUser(name, admin)).id;
    tokens[name] = (await createApiToken(hub.db, ids[name], {})).token;
  }
  await hub.db.server.create({ data: { userId: ids.alice, name: "gpu", state: "running", url: "http://127.0.0.1:1" } });
});
after(() => hub.close());

/** The share map as "owner/server" → user ids. */
function users(map: Record<string, { owner_id: number; user_ids: number[] }> | null) {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, v.user_ids]));
}

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

/** Calls a route handler as Next does (the path without the /hub basePath). */
async function call<P>(handler: Handler<P>, method: string, path: string, opts: { token?: string; body?: unknown; params: P }) {
  const headers: Record<string, string> = { host: "127.0.0.1:8081" };
  if (opts.token) headers.authorization = `token ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://127.0.0.1:8081${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const res = await handler(req, { params: Promise.resolve(opts.params) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown> & { items?: Record<string, unknown>[]; message?: string }) : null };
}

const share = (token: string, owner: string, server: string, body: unknown, method = "POST") =>
  call(method === "POST" ? sharesServer.POST : sharesServer.PATCH, method, `/api/shares/${owner}/${server}`, { token, body, params: { owner, server } });

describe("shares", () => {
  test("the owner shares a never-started default server with a user: JupyterHub's Share model, listed for both sides, pushed to the proxies", async () => {
    const r = await share(tokens.alice, "alice", "_default_", { user: "bob" });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(
      { ...r.json, created_at: typeof r.json!.created_at },
      {
        kind: "share",
        server: { name: "", user: { name: "alice" }, url: "/user/alice/", full_url: "https://hub.example.org/user/alice/", ready: false },
        scopes: ["access:servers!server=alice/"],
        user: { name: "bob" },
        group: null,
        created_at: "string",
      },
    );
    assert.deepEqual(users(hub.routes.shareMap), { ["alice/"]: [ids.bob] });
    const mine = await call(sharesOwner.GET, "GET", "/api/shares/alice", { token: tokens.alice, params: { owner: "alice" } });
    assert.equal(mine.json!.items!.length, 1);
    assert.deepEqual(mine.json!._pagination, { offset: 0, limit: 50, total: 1, next: null });
    const theirs = await call(userShared.GET, "GET", "/api/users/bob/shared", { token: tokens.bob, params: { name: "bob" } });
    assert.deepEqual(
      theirs.json!.items!.map((s) => (s.server as { url: string }).url),
      ["/user/alice/"],
    );
    const one = await call(userSharedOne.GET, "GET", "/api/users/bob/shared/alice/_default_", {
      token: tokens.bob,
      params: { name: "bob", owner: "alice", server: "_default_" },
    });
    assert.equal(one.status, 200);
    // the auth snapshot carries the same map
    assert.deepEqual((await buildAuthSnapshot(hub.db, new Date())).shares, { "alice/": { owner_id: ids.alice, user_ids: [ids.bob] } });
  });

  test("granting again keeps one share; scopes may be access:servers or the server's own filter, nothing else", async () => {
    assert.equal((await share(tokens.alice, "alice", "_default_", { user: "bob", scopes: ["access:servers"] })).status, 200);
    assert.equal((await share(tokens.alice, "alice", "_default_", { user: "bob", scopes: ["access:servers!server=alice/"] })).status, 200);
    assert.equal(await hub.db.share.count(), 1);
    for (const scopes of [["admin:users"], ["access:servers!server=alice/gpu"], ["access:servers!server=carol/"], ["shares"]]) {
      const r = await share(tokens.alice, "alice", "_default_", { user: "carol", scopes });
      assert.equal(r.status, 403, scopes.join());
      assert.match(r.json!.message!, /may grant only "access:servers!server=alice\/"/);
    }
    assert.equal(await hub.db.share.count(), 1);
  });

  test("refusals: another user sharing alice's server, the grantee sharing onward, a blocked user, the owner, unknown parties, both or neither", async () => {
    const carol = await share(tokens.carol, "alice", "gpu", { user: "carol" });
    assert.equal(carol.status, 403);
    assert.match(carol.json!.message!, /Only alice or an admin/);
    // bob has a share of alice's default server: he cannot hand it on
    assert.equal((await share(tokens.bob, "alice", "_default_", { user: "carol" })).status, 403);
    await hub.db.user.update({ where: { id: ids.dave }, data: { blockedAt: new Date() } });
    const blocked = await share(tokens.alice, "alice", "gpu", { user: "dave" });
    assert.equal(blocked.status, 400);
    assert.match(blocked.json!.message!, /dave is blocked/);
    await hub.db.user.update({ where: { id: ids.dave }, data: { blockedAt: null } });
    assert.equal((await share(tokens.alice, "alice", "gpu", { user: "alice" })).status, 400);
    assert.equal((await share(tokens.alice, "alice", "gpu", { user: "nobody" })).status, 400);
    assert.equal((await share(tokens.alice, "alice", "gpu", { group: "nogroup" })).status, 400);
    assert.equal((await share(tokens.alice, "alice", "gpu", { user: "bob", group: "x" })).status, 400);
    assert.equal((await share(tokens.alice, "alice", "gpu", {})).status, 400);
    assert.equal((await share(tokens.alice, "alice", "nosuch", { user: "bob" })).status, 404);
    assert.equal((await share(tokens.alice, "alice", "gpu", { user: "bob", extra: 1 })).status, 400);
    // reading someone else's shares
    assert.equal((await call(sharesOwner.GET, "GET", "/api/shares/alice", { token: tokens.carol, params: { owner: "alice" } })).status, 403);
    assert.equal((await call(userShared.GET, "GET", "/api/users/bob/shared", { token: tokens.carol, params: { name: "bob" } })).status, 403);
    // no credentials
    assert.equal((await share("", "alice", "gpu", { user: "bob" })).status, 401);
    assert.equal(await hub.db.share.count(), 1);
  });

  test("tokens: shares is needed to share, read:shares only reads; shares!server= covers that one server, shares!user= all of the owner's", async () => {
    const readOnly = (await createApiToken(hub.db, ids.alice, { scopes: ["read:shares"] })).token;
    assert.equal((await call(sharesOwner.GET, "GET", "/api/shares/alice", { token: readOnly, params: { owner: "alice" } })).status, 200);
    const refused = await share(readOnly, "alice", "gpu", { user: "carol" });
    assert.equal(refused.status, 403);
    assert.match(refused.json!.message!, /lacks the scope "shares"/);
    const oneServer = (await createApiToken(hub.db, ids.alice, { scopes: ["shares!server=alice/gpu"] })).token;
    assert.equal((await share(oneServer, "alice", "gpu", { user: "carol" })).status, 200);
    assert.equal((await share(oneServer, "alice", "_default_", { user: "carol" })).status, 403);
    const allMine = (await createApiToken(hub.db, ids.alice, { scopes: ["shares!user=alice"] })).token;
    assert.equal((await share(allMine, "alice", "_default_", { user: "carol" })).status, 200);
    // a filter naming alice does not let carol share alice's servers
    const carolsFilter = (await createApiToken(hub.db, ids.carol, { scopes: ["shares!user=alice"] })).token;
    assert.equal((await share(carolsFilter, "alice", "gpu", { user: "dave" })).status, 403);
    // an admin shares anyone's server
    assert.equal((await share(tokens.root, "alice", "gpu", { user: "dave" })).status, 200);
    assert.deepEqual(users(hub.routes.shareMap), { ["alice/"]: [ids.bob, ids.carol], ["alice/gpu"]: [ids.carol, ids.dave] });
  });

  test("PATCH revokes (the answer is {} once nothing remains), the grantee leaves, DELETE ends every share; each change reaches the proxies", async () => {
    const r = await share(tokens.alice, "alice", "gpu", { user: "dave" }, "PATCH");
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {});
    assert.deepEqual(users(hub.routes.shareMap)["alice/gpu"], [ids.carol]);
    // revoking what is not held is no error
    assert.deepEqual((await share(tokens.alice, "alice", "gpu", { user: "dave" }, "PATCH")).json, {});
    const left = await call(userSharedOne.DELETE, "DELETE", "/api/users/carol/shared/alice/_default_", {
      token: tokens.carol,
      params: { name: "carol", owner: "alice", server: "_default_" },
    });
    assert.equal(left.status, 204);
    assert.deepEqual(users(hub.routes.shareMap)["alice/"], [ids.bob]);
    // someone else cannot make bob leave
    const notYours = await call(userSharedOne.DELETE, "DELETE", "/api/users/bob/shared/alice/_default_", {
      token: tokens.carol,
      params: { name: "bob", owner: "alice", server: "_default_" },
    });
    assert.equal(notYours.status, 403);
    const all = await call(sharesServer.DELETE, "DELETE", "/api/shares/alice/gpu", { token: tokens.alice, params: { owner: "alice", server: "gpu" } });
    assert.equal(all.status, 204);
    assert.deepEqual(users(hub.routes.shareMap), { ["alice/"]: [ids.bob] });
    assert.equal(
      (await call(sharesServer.DELETE, "DELETE", "/api/shares/alice/gpu", { token: tokens.bob, params: { owner: "alice", server: "gpu" } })).status,
      403,
    );
  });

  test("a group share reaches the group's members as they are now; members read it, only admins end it", async () => {
    await createGroup(hub.db, "team");
    await addMembers(hub.db, "team", ["carol"]);
    assert.equal((await share(tokens.alice, "alice", "gpu", { group: "team" })).status, 200);
    assert.deepEqual(users(await loadShareMap(hub.db))["alice/gpu"], [ids.carol]);
    await addMembers(hub.db, "team", ["dave", "alice"]);
    // the owner needs no share
    assert.deepEqual(users(await loadShareMap(hub.db))["alice/gpu"], [ids.carol, ids.dave]);
    await removeMembers(hub.db, "team", ["carol"]);
    assert.deepEqual(users(await loadShareMap(hub.db))["alice/gpu"], [ids.dave]);
    const list = await call(groupShared.GET, "GET", "/api/groups/team/shared", { token: tokens.dave, params: { name: "team" } });
    assert.equal(list.status, 200);
    assert.equal(list.json!.items![0].group && (list.json!.items![0].group as { name: string }).name, "team");
    assert.equal((await call(groupShared.GET, "GET", "/api/groups/team/shared", { token: tokens.bob, params: { name: "team" } })).status, 403);
    const p = { name: "team", owner: "alice", server: "gpu" };
    assert.equal((await call(groupSharedOne.DELETE, "DELETE", "/api/groups/team/shared/alice/gpu", { token: tokens.dave, params: p })).status, 403);
    assert.equal((await call(groupSharedOne.DELETE, "DELETE", "/api/groups/team/shared/alice/gpu", { token: tokens.root, params: p })).status, 204);
    assert.equal(users(hub.routes.shareMap)["alice/gpu"], undefined);
  });
});

describe("share codes", () => {
  const issue = (token: string, body: unknown, server = "gpu") =>
    call(codesServer.POST, "POST", `/api/share-codes/alice/${server}`, { token, body, params: { owner: "alice", server } });

  test("the owner issues a code (shown once, stored hashed); another user accepts it and gets the share", async () => {
    const r = await issue(tokens.alice, { expires_in: 3600 });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const code = r.json!.code as string;
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(r.json!.accept_url, `/hub/accept-share?code=${code}`);
    assert.equal(r.json!.full_accept_url, `https://hub.example.org/hub/accept-share?code=${code}`);
    assert.deepEqual(r.json!.scopes, ["access:servers!server=alice/gpu"]);
    assert.match(r.json!.id as string, /^sc_\d+$/);
    const stored = await hub.db.shareCode.findFirstOrThrow({ where: { id: Number((r.json!.id as string).slice(3)) } });
    assert.notEqual(stored.hash, code);
    assert.ok(!JSON.stringify(stored).includes(code));
    const listed = await call(codesServer.GET, "GET", "/api/share-codes/alice/gpu", { token: tokens.alice, params: { owner: "alice", server: "gpu" } });
    assert.equal(listed.json!.items!.length, 1);
    assert.equal(listed.json!.items![0].code, undefined);
    const got = await acceptShareCode({ db: hub.db, proxy: hub.routes }, { id: ids.bob, name: "bob" }, code, new Date());
    assert.deepEqual(got, { owner: "alice", server: "gpu", url: "/user/alice/gpu/" });
    assert.deepEqual(users(hub.routes.shareMap)["alice/gpu"], [ids.bob]);
    const after = await hub.db.shareCode.findFirstOrThrow({ where: { id: stored.id } });
    assert.equal(after.exchangeCount, 1);
  });

  test("refusals: an expired code, a used-up code, the owner accepting their own, a forged code, a revoked code; non-owners cannot issue", async () => {
    const accept = (code: string, who: string, at = new Date()) => acceptShareCode({ db: hub.db, proxy: hub.routes }, { id: ids[who], name: who }, code, at);
    const once = (await issue(tokens.alice, { max_exchanges: 1 })).json!.code as string;
    await accept(once, "carol");
    await assert.rejects(accept(once, "dave"), /used as many times as its owner allowed/);
    const soon = (await issue(tokens.alice, { expires_in: 60 })).json!.code as string;
    await assert.rejects(accept(soon, "dave", new Date(Date.now() + 61_000)), /has expired/);
    await assert.rejects(accept(soon, "alice"), /for your own server/);
    await assert.rejects(accept("x".repeat(43), "dave"), /not valid/);
    await assert.rejects(accept("", "dave"), /not valid/);
    const revoked = await issue(tokens.alice, {});
    const del = await call(codesServer.DELETE, "DELETE", `/api/share-codes/alice/gpu?id=${revoked.json!.id as string}`, {
      token: tokens.alice,
      params: { owner: "alice", server: "gpu" },
    });
    assert.equal(del.status, 204);
    await assert.rejects(accept(revoked.json!.code as string, "dave"), /not valid/);
    assert.deepEqual(users(hub.routes.shareMap)["alice/gpu"], [ids.bob, ids.carol]);
    assert.equal((await issue(tokens.bob, {})).status, 403);
    assert.equal((await issue(tokens.alice, { scopes: ["admin:users"] })).status, 403);
    assert.equal((await issue(tokens.alice, { expires_in: 10 * 365 * 86400 })).status, 400);
    assert.equal(
      (await call(codesServer.GET, "GET", "/api/share-codes/alice/gpu", { token: tokens.bob, params: { owner: "alice", server: "gpu" } })).status,
      403,
    );
  });
});

describe("per-user origins", () => {
  test("a user with a share of one of alice's servers (directly or through a group) may sign in on alice's origin; others may not", async () => {
    const viewer = (name: string) => ({ id: ids[name], name, admin: name === "root" });
    // bob and carol hold shares of alice's servers by now (code acceptances above)
    assert.equal(await decideOriginAccess(hub.db, viewer("bob"), "alice"), "shared");
    assert.equal(await decideOriginAccess(hub.db, viewer("alice"), "alice"), "owner");
    assert.equal(await decideOriginAccess(hub.db, viewer("root"), "alice"), "admin");
    const eve = await hub.addUser("eve");
    ids.eve = eve.id;
    assert.equal(await decideOriginAccess(hub.db, viewer("eve"), "alice"), "forbidden");
    assert.equal(await decideOriginAccess(hub.db, viewer("bob"), "carol"), "forbidden");
    // through a group
    await addMembers(hub.db, "team", ["eve"]);
    assert.equal((await share(tokens.alice, "alice", "_default_", { group: "team" })).status, 200);
    assert.equal(await decideOriginAccess(hub.db, viewer("eve"), "alice"), "shared");
  });
});
