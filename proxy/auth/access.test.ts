import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decideAccess,
  isOriginAllowed,
  parseShareMap,
  parseRoleAccessMap,
  parseServiceAccessMap,
  grantOf,
  roleAllows,
  isBrowserRequest,
  readApiToken,
  takeQueryToken,
  tokenAllowsServerAccess,
  tokenServerLimits,
  type Identity,
} from "./access";

test("owner and admins are allowed, others forbidden, nobody anonymous", () => {
  assert.equal(decideAccess({ user: "alice", admin: false, via: "cookie" }, "alice"), "allow");
  assert.equal(decideAccess({ user: "root", admin: true, via: "cookie" }, "alice"), "allow");
  assert.equal(decideAccess({ user: "bob", admin: false, via: "token" }, "alice"), "forbidden");
  assert.equal(decideAccess(null, "alice"), "anonymous");
  assert.equal(decideAccess({ user: "alice", admin: false, via: "token", serverAccess: false }, "alice"), "missing-scope");
  assert.equal(decideAccess({ user: "root", admin: true, via: "token", serverAccess: false }, "alice"), "missing-scope");
  assert.equal(decideAccess({ user: "alice", admin: false, via: "token", serverAccess: true }, "alice"), "allow");
  // the route names its owner's account: the name alone is not enough
  assert.equal(decideAccess({ user: "alice", userId: 7, admin: false, via: "cookie" }, "alice", "", 7), "allow");
  assert.equal(decideAccess({ user: "alice", userId: 3, admin: false, via: "cookie" }, "alice", "", 7), "forbidden");
  assert.equal(decideAccess({ user: "alice", admin: false, via: "token", serverAccess: true }, "alice", "", 7), "forbidden");
  assert.equal(decideAccess({ user: "root", userId: 1, admin: true, via: "cookie" }, "alice", "", 7), "allow");
});

test("origin check (table-driven): every method, a WebSocket too", () => {
  const host = "hub.example.org:8000";
  const cases: Array<[origin: string | undefined, ok: boolean]> = [
    [undefined, true],
    ["http://hub.example.org:8000", true],
    ["https://HUB.example.org:8000", true],
    ["https://evil.example", false],
    ["http://hub.example.org", false],
    ["null", false],
    ["https://hub.example.org.evil:8000", false],
    ["http://alice.hub.example.org:8000", false],
  ];
  for (const [origin, ok] of cases) assert.equal(isOriginAllowed(origin, host), ok, String(origin));
  assert.equal(isOriginAllowed("http://x", undefined), false);
});

test("browser vs API requests", () => {
  assert.equal(isBrowserRequest("GET", "text/html,application/xhtml+xml", "api/status"), true);
  assert.equal(isBrowserRequest("GET", "*/*", "tree"), true);
  assert.equal(isBrowserRequest("GET", "*/*", "api/contents"), false);
  assert.equal(isBrowserRequest("GET", undefined, "gpu/api/kernels"), false);
  assert.equal(isBrowserRequest("POST", "text/html", "tree"), false);
});

test("API tokens come from the Authorization header only", () => {
  assert.equal(readApiToken("token abc"), "abc");
  assert.equal(readApiToken("Bearer abc"), "abc");
  assert.equal(readApiToken("bearer  abc "), "abc");
  assert.equal(readApiToken("Basic abc"), null);
  assert.equal(readApiToken(undefined), null);
});

test("API token scopes that reach user servers (table-driven)", () => {
  const cases: Array<[scopes: string[] | undefined, ok: boolean]> = [
    [undefined, true],
    [["inherit"], true],
    [["access:servers"], true],
    [["servers", "access:servers"], true],
    [["servers"], false],
    [["read:users", "tokens"], false],
    [[], false],
  ];
  for (const [scopes, ok] of cases) assert.equal(tokenAllowsServerAccess(scopes), ok, JSON.stringify(scopes));
});

test("a token limited to one server reaches that server only (table-driven)", () => {
  const limited: Identity = { user: "alice", admin: false, via: "token", serverAccess: false, servers: ["alice/demo-1a2b3c4d"] };
  const cases: Array<[identity: Identity, owner: string, server: string, want: string]> = [
    [limited, "alice", "demo-1a2b3c4d", "allow"],
    [limited, "alice", "", "other-server"],
    [limited, "alice", "gpu", "other-server"],
    [limited, "bob", "demo-1a2b3c4d", "other-server"],
    // the limit narrows, it never widens: a token naming someone else's server still is not theirs
    [{ ...limited, servers: ["bob/x"] }, "bob", "x", "forbidden"],
    [{ ...limited, admin: true, servers: ["bob/x"] }, "bob", "x", "allow"],
    [{ user: "alice", admin: false, via: "token", serverAccess: true }, "alice", "anything", "allow"],
  ];
  for (const [identity, owner, server, want] of cases)
    assert.equal(decideAccess(identity, owner, server), want, `${JSON.stringify(identity.servers)} → ${owner}/${server}`);
  assert.deepEqual(tokenServerLimits(["access:servers!server=alice/demo", "access:servers!server=alice/"]), { servers: ["alice/demo", "alice/"], users: [] });
  assert.deepEqual(tokenServerLimits(["access:servers!user=bob", "access:servers!group=ocean", "access:servers!server=alice/"]), {
    servers: ["alice/"],
    users: ["bob"],
  });
  assert.equal(tokenServerLimits(["access:servers!group=ocean"]), null, "a group the hub did not resolve reaches nothing: serverAccess false");
  assert.equal(tokenAllowsServerAccess(["access:servers!group=ocean"]), false);
  for (const crafted of ["access:servers!user=bob/x", "access:servers!server=bob", "access:servers!server=a/b/c", "access:servers!user=a!user=b"])
    assert.equal(tokenServerLimits([crafted]), null, crafted);
  assert.equal(tokenServerLimits(["access:servers", "access:servers!server=alice/demo"]), null, "unlimited wins");
  assert.equal(tokenServerLimits(["servers"]), null, "no server at all: serverAccess false says so");
  assert.equal(tokenServerLimits(undefined), null);
});

test("a token limited to some users' servers (access:servers!user=, and !group= as the hub resolves it) reaches those users' servers only", () => {
  const admin: Identity = { user: "root", admin: true, via: "token", serverAccess: false, users: ["bob", "carol"] };
  const cases: Array<[identity: Identity, owner: string, server: string, want: string]> = [
    [admin, "bob", "", "allow"],
    [admin, "bob", "gpu", "allow"],
    [admin, "carol", "x", "allow"],
    [admin, "dave", "", "other-server"],
    [admin, "bo", "", "other-server"],
    [admin, "bobby", "", "other-server"],
    [{ ...admin, servers: ["dave/"] }, "dave", "", "allow"],
    [{ ...admin, servers: ["dave/"] }, "dave", "gpu", "other-server"],
    // the limit narrows, it never widens: a user's token naming bob's servers does not open them
    [{ user: "alice", admin: false, via: "token", serverAccess: false, users: ["bob"] }, "bob", "", "forbidden"],
    [{ user: "alice", admin: false, via: "token", serverAccess: false, users: ["alice"] }, "alice", "x", "allow"],
    [{ user: "alice", admin: false, via: "token", serverAccess: false, users: [] }, "alice", "x", "other-server"],
  ];
  for (const [identity, owner, server, want] of cases)
    assert.equal(decideAccess(identity, owner, server), want, `${JSON.stringify(identity.users)} → ${owner}/${server}`);
});

test("a WebSocket URL's ?token= is taken out of the URL the server sees", () => {
  assert.deepEqual(takeQueryToken("/user/a/api/kernels/k/channels?session_id=s&token=abc%2Bd"), {
    url: "/user/a/api/kernels/k/channels?session_id=s",
    token: "abc+d",
  });
  assert.deepEqual(takeQueryToken("/user/a/api/kernels/k/channels?token=abc"), { url: "/user/a/api/kernels/k/channels", token: "abc" });
  assert.deepEqual(takeQueryToken("/user/a/x?token=one&token=two&a=1"), { url: "/user/a/x?a=1", token: "one" });
  assert.deepEqual(takeQueryToken("/user/a/x?mytoken=1"), { url: "/user/a/x?mytoken=1", token: null });
  assert.deepEqual(takeQueryToken("/user/a/x"), { url: "/user/a/x", token: null });
  assert.deepEqual(takeQueryToken("/user/a/x?token="), { url: "/user/a/x", token: null });
});

test("a share lets in the users it names, by account id, and only on the account it was made for", () => {
  const share = parseShareMap({ "alice/": { owner_id: 1, user_ids: [2, 3] } })!.get("alice/");
  const bob = { user: "bob", userId: 2, admin: false, via: "cookie" as const };
  assert.equal(decideAccess(bob, "alice", "", 1, share), "allow");
  assert.equal(decideAccess(bob, "alice", "", undefined, share), "allow");
  // another account named alice (the one shared was deleted): the share does not carry over
  assert.equal(decideAccess(bob, "alice", "", 7, share), "forbidden");
  // a bob whose account id the share does not name, and nobody at all
  assert.equal(decideAccess({ ...bob, userId: 9 }, "alice", "", 1, share), "forbidden");
  assert.equal(decideAccess({ ...bob, userId: undefined }, "alice", "", 1, share), "forbidden");
  assert.equal(decideAccess(bob, "alice", "", 1, undefined), "forbidden");
  assert.equal(decideAccess(null, "alice", "", 1, share), "anonymous");
  // tokens: limited to other servers, or without access:servers, a share does not help
  assert.equal(decideAccess({ ...bob, via: "token", servers: ["bob/"] }, "alice", "", 1, share), "other-server");
  assert.equal(decideAccess({ ...bob, via: "token", servers: ["alice/"] }, "alice", "", 1, share), "allow");
  assert.equal(decideAccess({ ...bob, via: "token", serverAccess: false }, "alice", "", 1, share), "missing-scope");
});

test("share maps from the hub: the right shape is taken whole, anything else refused", () => {
  assert.equal(parseShareMap({})!.size, 0);
  assert.deepEqual([...parseShareMap({ "alice/gpu": { owner_id: 1, user_ids: [4] } })!.get("alice/gpu")!.userIds], [4]);
  for (const bad of [
    null,
    [],
    "x",
    { alice: { owner_id: 1, user_ids: [] } },
    { "alice/": { owner_id: "1", user_ids: [] } },
    { "alice/": { owner_id: 1, user_ids: ["2"] } },
    { "alice/": null },
  ])
    assert.equal(parseShareMap(bad), null, JSON.stringify(bad));
});

test("a role grant opens every server, an account's servers or one server, by the owner's account id; a token narrows it", () => {
  const ta = { all: false, ownerIds: new Set([7]), servers: new Set(["9/gpu"]) };
  const tess: Identity = { user: "tess", userId: 3, admin: false, via: "cookie" };
  assert.equal(decideAccess(tess, "alice", "", 7, undefined, ta), "allow");
  assert.equal(decideAccess(tess, "alice", "other", 7, undefined, ta), "allow", "all of alice's servers");
  assert.equal(decideAccess(tess, "nina", "gpu", 9, undefined, ta), "allow");
  assert.equal(decideAccess(tess, "nina", "", 9, undefined, ta), "forbidden", "only nina's gpu server");
  assert.equal(decideAccess(tess, "alice", "", 8, undefined, ta), "forbidden", "another account named alice");
  assert.equal(decideAccess(tess, "alice", "", undefined, undefined, ta), "forbidden", "a route without its owner's id");
  assert.equal(decideAccess(tess, "alice", "", undefined, undefined, { all: true, ownerIds: new Set(), servers: new Set() }), "allow");
  assert.equal(decideAccess(tess, "alice", "", 7), "forbidden", "no grant");
  // tokens: limited to bob's servers, or without access:servers, reach nothing more through the role
  assert.equal(decideAccess({ ...tess, via: "token", users: ["bob"] }, "alice", "", 7, undefined, ta), "other-server");
  assert.equal(decideAccess({ ...tess, via: "token", users: ["alice"] }, "alice", "", 7, undefined, ta), "allow");
  assert.equal(decideAccess({ ...tess, via: "token", serverAccess: false }, "alice", "", 7, undefined, ta), "missing-scope");
  assert.equal(roleAllows(undefined, 7, ""), false);
});

test("role access maps from the hub: the right shape is taken whole, anything else refused", () => {
  const m = parseRoleAccessMap({ "3": { user_ids: [7, 8], servers: ["9/gpu", "9/"] }, "4": { all: true, user_ids: [], servers: [] } });
  assert.deepEqual([...m!.keys()], [3, 4]);
  assert.equal(m!.get(3)!.all, false);
  assert.ok(m!.get(3)!.servers.has("9/"));
  assert.equal(m!.get(4)!.all, true);
  assert.deepEqual(parseRoleAccessMap({}), new Map());
  for (const bad of [
    null,
    [],
    "x",
    { tess: { user_ids: [], servers: [] } },
    { "3": { user_ids: ["7"], servers: [] } },
    { "3": { user_ids: [], servers: ["alice/"] } },
    { "3": { user_ids: [], servers: ["9/a/b"] } },
    { "3": { all: "yes", user_ids: [], servers: [] } },
    { "3": { servers: [] } },
  ])
    assert.equal(parseRoleAccessMap(bad), null, JSON.stringify(bad));
});

test("a service's token reaches only what its service grant opens, narrowed by its scopes; it is never an owner or admin", () => {
  const grant = { all: false, ownerIds: new Set([7]), servers: new Set<string>() };
  const svc: Identity = { user: "", service: "grader", via: "token", admin: false, serverAccess: false, users: ["alice"] };
  assert.equal(decideAccess(svc, "alice", "", 7, undefined, grant), "allow");
  assert.equal(decideAccess(svc, "alice", "gpu", 7, undefined, grant), "allow", "all of alice's servers");
  assert.equal(decideAccess(svc, "bob", "", 8, undefined, grant), "other-server", "its scopes name alice only");
  assert.equal(decideAccess({ ...svc, users: ["alice", "bob"] }, "bob", "", 8, undefined, grant), "forbidden", "a scope without the grant opens nothing");
  assert.equal(decideAccess(svc, "alice", "", 8, undefined, grant), "forbidden", "another account named alice");
  assert.equal(decideAccess(svc, "alice", "", 7), "forbidden", "no grant (the service's role was removed)");
  assert.equal(decideAccess({ user: "", service: "x", via: "token", admin: false, serverAccess: false }, "alice", "", 7, undefined, grant), "missing-scope");
  // an admin flag or a share naming no account does not open anything for a service
  assert.equal(decideAccess({ ...svc, admin: true, users: undefined, serverAccess: true }, "bob", "", 8), "forbidden");
  const everything = { all: true, ownerIds: new Set<number>(), servers: new Set<string>() };
  assert.equal(decideAccess({ ...svc, users: undefined, serverAccess: true }, "bob", "", 8, undefined, everything), "allow");
  // the grant is looked up by the service's name, a user's by the account id
  const view = { roleGrantOf: (id: number) => (id === 3 ? everything : undefined), serviceGrantOf: (n: string) => (n === "grader" ? grant : undefined) };
  assert.equal(grantOf(svc, view), grant);
  assert.equal(grantOf({ ...svc, userId: 3 }, view), grant, "a service never takes an account's roles");
  assert.equal(grantOf({ user: "tess", userId: 3, admin: false, via: "token" }, view), everything);
  assert.equal(grantOf({ user: "grader", admin: false, via: "token" }, view), undefined, "a user named like the service gets nothing of it");
  assert.equal(grantOf(null, view), undefined);
});

test("service access maps from the hub: keyed by service names; anything else refused", () => {
  const m = parseServiceAccessMap({ grader: { user_ids: [7], servers: ["9/"] }, "ops-1": { all: true, user_ids: [], servers: [] } });
  assert.deepEqual([...m!.keys()], ["grader", "ops-1"]);
  assert.ok(m!.get("grader")!.ownerIds.has(7));
  assert.equal(m!.get("ops-1")!.all, true);
  for (const bad of [null, [], { "Bad Name": { user_ids: [], servers: [] } }, { grader: { user_ids: ["7"], servers: [] } }, { grader: { user_ids: [] } }])
    assert.equal(parseServiceAccessMap(bad), null, JSON.stringify(bad));
});
