import { test } from "node:test";
import assert from "node:assert/strict";
import {
  allowsServerAccess,
  expandScopes,
  hasAnyScope,
  hasScope,
  mayGrant,
  parseServerAccessScope,
  requiredScopes,
  serverAccessScope,
  unknownScopes,
  userScope,
  baseScope,
  parseScope,
  requestTarget,
  scopesFor,
  listFilters,
  needsUserGroups,
  type ScopeTarget,
  type TokenScope,
} from "./scopes";

/** Whether a token with these stored scopes passes the gate for `method path` (the target's groups given). */
function covers(stored: string[], method: string, path: string, userGroups?: string[]): boolean {
  const target: ScopeTarget = { ...requestTarget(path), ...(userGroups ? { userGroups } : {}) };
  const needed = requiredScopes(method, path);
  const here = scopesFor(expandScopes(stored), target);
  return hasAnyScope(here, needed);
}

test("the scopes each REST request needs, any one of them (table-driven, JupyterHub's per endpoint)", () => {
  const READ_USER = "read:users read:users:name read:users:activity read:users:groups read:servers";
  const cases: Array<[method: string, path: string, anyOf: string]> = [
    ["GET", "/hub/api", ""],
    ["GET", "/hub/api/", ""],
    ["GET", "/hub/api/user", ""],
    ["GET", "/hub/api/info", "read:hub"],
    ["GET", "/hub/api/users", "list:users"],
    ["POST", "/hub/api/users", "admin:users"],
    ["GET", "/hub/api/users/alice", READ_USER],
    ["POST", "/hub/api/users/alice", "admin:users"],
    ["PATCH", "/hub/api/users/alice", "admin:users"],
    ["DELETE", "/hub/api/users/alice", "delete:users"],
    ["POST", "/hub/api/users/alice/server", "servers"],
    ["DELETE", "/hub/api/users/alice/server", "delete:servers"],
    ["POST", "/hub/api/users/alice/servers/", "servers"],
    ["DELETE", "/hub/api/users/alice/servers/", "delete:servers"],
    ["GET", "/hub/api/users/alice/server/progress", "read:servers"],
    ["GET", "/hub/api/users/alice/server/log", "read:servers"],
    ["POST", "/hub/api/users/alice/server/progress", "inherit"],
    ["POST", "/hub/api/users/alice/servers/gpu", "servers"],
    ["DELETE", "/hub/api/users/alice/servers/gpu", "delete:servers"],
    ["GET", "/hub/api/users/alice/servers/gpu", "read:servers"],
    ["GET", "/hub/api/users/alice/server", "read:servers"],
    ["GET", "/hub/api/users/alice/servers/gpu/progress", "read:servers"],
    ["GET", "/hub/api/users/alice/tokens", "read:tokens"],
    ["GET", "/hub/api/users/alice/tokens/a3", "read:tokens"],
    ["POST", "/hub/api/users/alice/tokens", "tokens"],
    ["DELETE", "/hub/api/users/alice/tokens/a3", "tokens"],
    ["DELETE", "/hub/api/users/alice/sessions", "admin:users"],
    ["GET", "/hub/api/something-new", "inherit"],
    ["POST", "/hub/api", "inherit"],
    ["GET", "/api/users/alice/", READ_USER],
    ["GET", "/hub/api/services", "list:services"],
    ["GET", "/hub/api/services/whoami", "read:services"],
    ["POST", "/hub/api/services/whoami", "inherit"],
  ];
  for (const [m, p, s] of cases) assert.deepEqual(requiredScopes(m, p), s ? s.split(" ") : [], `${m} ${p}`);
});

test("JupyterHub's scope hierarchy: what each scope includes, and what it does not", () => {
  const has = (stored: string[], needed: string) => hasScope(expandScopes(stored), needed as TokenScope);
  assert.ok(has(["admin:users"], "list:users") && has(["admin:users"], "users") && has(["admin:users"], "read:users:activity"));
  assert.ok(!has(["admin:users"], "read:servers"), "admin:users reads no servers (JupyterHub: admin:servers does)");
  assert.ok(!has(["admin:users"], "delete:servers") && !has(["admin:users"], "tokens"));
  assert.ok(has(["admin:users"], "delete:users") && !has(["users"], "delete:users"));
  assert.ok(has(["tokens"], "read:tokens") && !has(["read:tokens"], "tokens"));
  assert.ok(has(["users"], "list:users") && has(["users"], "read:users") && !has(["users"], "admin:users"));
  assert.ok(has(["read:users"], "read:users:activity") && !has(["read:users"], "list:users") && !has(["read:users"], "read:servers"));
  assert.ok(has(["servers"], "read:servers") && has(["servers"], "delete:servers") && !has(["servers"], "access:servers"));
  assert.ok(!has(["delete:servers"], "servers") && !has(["read:servers"], "delete:servers"));
  assert.ok(!has(["list:users"], "read:users:name"), "listing gives names through the list, not user models");
  // the culler's token: it can list, read activity and servers, stop servers; nothing else
  const culler = expandScopes(["list:users", "read:users:activity", "read:servers", "delete:servers"]);
  assert.ok(hasAnyScope(culler, requiredScopes("GET", "/hub/api/users")));
  assert.ok(hasAnyScope(culler, requiredScopes("GET", "/hub/api/users/bob")));
  assert.ok(hasAnyScope(culler, requiredScopes("DELETE", "/hub/api/users/bob/server")));
  assert.ok(hasAnyScope(culler, requiredScopes("DELETE", "/hub/api/users/bob/servers/gpu")));
  for (const [m, p] of [
    ["DELETE", "/hub/api/users/admin"],
    ["POST", "/hub/api/users/bob/server"],
    ["POST", "/hub/api/users/admin/tokens"],
    ["GET", "/hub/api/info"],
    ["PATCH", "/hub/api/users/bob"],
  ])
    assert.ok(!hasAnyScope(culler, requiredScopes(m, p)), `the culler's token must not ${m} ${p}`);
  assert.ok(hasAnyScope(culler, requiredScopes("GET", "/hub/api/user")), "any token may say who it is");
});

test("stored scopes expand; empty means inherit; unknown names are dropped", () => {
  assert.deepEqual([...expandScopes([])], ["inherit"]);
  assert.deepEqual([...expandScopes(["read:users"])].sort(), ["read:users", "read:users:activity", "read:users:groups", "read:users:name"]);
  assert.deepEqual([...expandScopes(["admin:users"])].sort(), [
    "admin:users",
    "delete:users",
    "list:users",
    "read:roles:users",
    "read:users",
    "read:users:activity",
    "read:users:groups",
    "read:users:name",
    "users",
    "users:activity",
  ]);
  assert.deepEqual([...expandScopes(["bogus", "servers"])].sort(), ["delete:servers", "read:servers", "read:users:name", "servers"]);
  assert.equal(hasScope(expandScopes([]), "tokens"), true);
  assert.equal(hasScope(expandScopes(["servers"]), "tokens"), false);
  assert.deepEqual(unknownScopes(["servers", "nope"]), ["nope"]);
});

test("server access through the proxy and granting", () => {
  assert.equal(allowsServerAccess([]), true);
  assert.equal(allowsServerAccess(["access:servers"]), true);
  assert.equal(allowsServerAccess(["servers"]), false);
  assert.equal(mayGrant(new Set(["inherit"]), ["admin:users"]), true);
  assert.equal(mayGrant(expandScopes(["tokens", "servers"]), ["servers"]), true);
  assert.equal(mayGrant(expandScopes(["tokens", "servers"]), ["delete:servers"]), true, "a part of what it has");
  assert.equal(mayGrant(expandScopes(["tokens", "delete:servers"]), ["servers"]), false, "not more than it has");
  assert.equal(mayGrant(expandScopes(["tokens", "servers"]), []), false, "an empty list is inherit");
  assert.equal(mayGrant(expandScopes(["tokens"]), ["access:servers"]), false);
  assert.equal(mayGrant(expandScopes(["read:users"]), ["list:users"]), false);
});

test("a scope limited to one server: kept by expandScopes, never the unlimited scope, grantable from access:servers", () => {
  const one = serverAccessScope("alice", "repo-1a2b3c4d");
  assert.equal(one, "access:servers!server=alice/repo-1a2b3c4d");
  assert.deepEqual(parseServerAccessScope(one), { user: "alice", server: "repo-1a2b3c4d" });
  assert.deepEqual(parseServerAccessScope("access:servers!server=alice/"), { user: "alice", server: "" });
  for (const bad of [
    "access:servers!server=Alice/x",
    "access:servers!server=alice",
    "access:servers!user=alice",
    "access:servers!server=alice/x/y",
    "servers!server=alice/x",
  ])
    assert.equal(parseServerAccessScope(bad), null, bad);
  assert.deepEqual([...expandScopes([one])], [one]);
  assert.equal(hasScope(expandScopes([one]), "access:servers"), false);
  assert.equal(allowsServerAccess([one]), false);
  assert.deepEqual(unknownScopes([one, "access:servers!server=x"]), ["access:servers!server=x"]);
  assert.equal(mayGrant(expandScopes(["access:servers"]), [one]), true);
  assert.equal(mayGrant(expandScopes(["servers"]), [one]), false);
  assert.deepEqual(requiredScopes("GET", "/build/gh/org/repo/HEAD"), ["servers"]);
  assert.deepEqual(requiredScopes("POST", "/hub/api/launches"), ["servers"]);
});

test("a scope limited to one user (!user=): reported activity of that user only; kept by expandScopes; grantable from the unlimited scope", () => {
  assert.deepEqual(requiredScopes("POST", "/hub/api/users/alice/activity"), ["users:activity"]);
  assert.deepEqual(requiredScopes("GET", "/hub/api/users/alice/activity"), ["inherit"]);
  assert.equal(userScope("users:activity", "alice"), "users:activity!user=alice");
  assert.deepEqual(parseScope("users:activity!user=alice"), { scope: "users:activity", filter: { kind: "user", value: "alice" } });
  for (const s of [
    "users:activity!user=",
    "users:activity!user=Alice",
    "users:activity!server=alice/x",
    "users:activity!user=a/b",
    "users:activity!user=a!user=b",
  ])
    assert.equal(parseScope(s), null, s);
  const scopes = expandScopes(["users:activity!user=alice"]);
  assert.deepEqual([...scopes], ["users:activity!user=alice"], "not inherit, not the unlimited scope (users:activity includes nothing in Gyre)");
  assert.ok(!hasScope(scopes, "users:activity"));
  assert.ok(covers(["users:activity!user=alice"], "POST", "/hub/api/users/alice/activity"));
  assert.ok(covers(["users:activity!user=alice"], "POST", "/api/users/alice/activity"));
  assert.ok(covers(["users:activity!user=alice"], "POST", "/hub/api/users/Alice/activity"), "the handler lower-cases the name too");
  assert.ok(!covers(["users:activity!user=alice"], "POST", "/hub/api/users/alicex/activity"), "a name that starts the same");
  assert.ok(!covers(["users:activity!user=alice"], "POST", "/hub/api/users/bob/activity"));
  assert.ok(!covers(["users:activity!user=alice"], "POST", "/hub/api/users/alice/server"), "only the scope it names");
  assert.ok(!covers(["users:activity!user=alice"], "GET", "/hub/api/users"));
  assert.deepEqual(unknownScopes(["users:activity!user=alice", "servers!user=alice", "read:hub!user=alice"]), ["read:hub!user=alice"]);
  assert.ok(mayGrant(expandScopes(["users:activity"]), ["users:activity!user=alice"]));
  assert.ok(mayGrant(expandScopes(["users"]), ["users:activity!user=alice"]), "users includes users:activity");
  assert.ok(!mayGrant(expandScopes(["read:users"]), ["users:activity!user=alice"]));
});

test("fail closed: a token whose stored scopes are all unknown has no scope at all, never inherit", () => {
  const scopes = expandScopes(["bogus", "read:everything"]);
  assert.deepEqual([...scopes], []);
  assert.ok(!hasScope(scopes, "read:users:name") && !hasScope(scopes, "servers"));
  assert.ok(!allowsServerAccess(["bogus"]));
  assert.ok(hasAnyScope(scopes, requiredScopes("GET", "/hub/api/user")), "it may still ask who it is");
  assert.ok(!hasAnyScope(scopes, requiredScopes("GET", "/hub/api/users/alice")));
});

test("groups: admin:groups ⊃ groups ⊃ read:groups, list:groups; group writes need JupyterHub's scopes; !group= limits to one group", () => {
  const admin = expandScopes(["admin:groups"]);
  for (const s of ["groups", "delete:groups", "read:groups", "list:groups"]) assert.ok(admin.has(s), s);
  const groups = expandScopes(["groups"]);
  assert.ok(groups.has("read:groups") && groups.has("list:groups"));
  assert.ok(!groups.has("delete:groups") && !groups.has("admin:groups"), "groups neither creates nor deletes");
  assert.deepEqual(requiredScopes("POST", "/hub/api/groups"), ["admin:groups"]);
  assert.deepEqual(requiredScopes("POST", "/hub/api/groups/x"), ["admin:groups"]);
  assert.deepEqual(requiredScopes("DELETE", "/hub/api/groups/x"), ["delete:groups"]);
  assert.deepEqual(requiredScopes("POST", "/hub/api/groups/x/users"), ["groups"]);
  assert.deepEqual(requiredScopes("DELETE", "/hub/api/groups/x/users"), ["groups"]);
  assert.deepEqual(requiredScopes("PUT", "/hub/api/groups/x/properties"), ["groups"]);
  assert.deepEqual(requiredScopes("PATCH", "/hub/api/groups/x"), ["inherit"], "not an endpoint: closed to narrow tokens");
  assert.deepEqual(requiredScopes("GET", "/hub/metrics"), ["read:metrics"]);
  assert.deepEqual(requiredScopes("GET", "/hub/api/metrics"), ["read:metrics"]);

  assert.deepEqual(parseScope("groups!group=pangeo:core"), { scope: "groups", filter: { kind: "group", value: "pangeo:core" } });
  assert.equal(parseScope("groups!group="), null);
  assert.equal(parseScope("groups!user=alice"), null, "a group scope takes no user filter");
  assert.deepEqual(unknownScopes(["groups!group=ops", "read:groups!group=ops", "delete:groups!group=ops", "groups!server=a/b"]), ["groups!server=a/b"]);
  const ops = expandScopes(["groups!group=ops"]);
  assert.ok(!hasAnyScope(ops, ["groups"]), "never the unlimited scope");
  assert.ok(covers(["groups!group=ops"], "POST", "/hub/api/groups/ops/users"));
  assert.ok(covers(["groups!group=ops"], "GET", "/hub/api/groups/ops"), "groups includes read:groups there");
  assert.ok(!covers(["groups!group=ops"], "POST", "/hub/api/groups/opsx/users"));
  assert.ok(!covers(["groups!group=ops"], "DELETE", "/hub/api/groups/ops"), "groups does not delete");
  assert.ok(covers(["delete:groups!group=ops"], "DELETE", "/hub/api/groups/ops"));
  assert.ok(!covers(["read:groups!group=ops"], "POST", "/hub/api/groups/ops/users"), "read does not write");
  assert.ok(mayGrant(expandScopes(["groups"]), ["groups!group=ops"]));
  assert.ok(!mayGrant(expandScopes(["read:groups"]), ["groups!group=ops"]));
  assert.equal(baseScope("groups!group=ops"), "groups");
  assert.equal(baseScope("users:activity!user=a"), "users:activity");
});

test("JupyterHub 5's other scopes: admin:servers ⊃ servers + admin:server_state; read:roles ⊃ read:roles:*; name scopes", () => {
  const admin = expandScopes(["admin:servers"]);
  for (const s of ["servers", "read:servers", "delete:servers", "admin:server_state", "read:users:name"]) assert.ok(admin.has(s), s);
  assert.ok(!admin.has("access:servers"), "starting a server is not reaching it");
  assert.deepEqual([...expandScopes(["read:roles"])].sort(), ["read:roles", "read:roles:groups", "read:roles:services", "read:roles:users"]);
  assert.ok(expandScopes(["admin:users"]).has("read:roles:users") && expandScopes(["admin:groups"]).has("read:roles:groups"));
  assert.ok(expandScopes(["list:groups"]).has("read:groups:name") && expandScopes(["read:services"]).has("read:services:name"));
  assert.ok(covers(["admin:servers"], "POST", "/hub/api/users/bob/servers/gpu"));
  assert.ok(covers(["admin:servers"], "GET", "/hub/api/users/bob/server/progress"));
  assert.deepEqual(unknownScopes(["access:services", "access:services!service=grafana", "read:roles!user=a", "admin:server_state!server=a/"]), []);
});

test("filters pass to the scopes a filtered scope includes, when those take them", () => {
  assert.deepEqual([...expandScopes(["servers!user=alice"])].sort(), [
    "delete:servers!user=alice",
    "read:servers!user=alice",
    "read:users:name!user=alice",
    "servers!user=alice",
  ]);
  assert.deepEqual(
    [...expandScopes(["servers!server=alice/gpu"])].sort(),
    ["delete:servers!server=alice/gpu", "read:servers!server=alice/gpu", "servers!server=alice/gpu"],
    "read:users:name is about users: a server filter is not passed to it",
  );
  assert.deepEqual(
    [...expandScopes(["read:roles!group=ops"])],
    ["read:roles!group=ops", "read:roles:users!group=ops", "read:roles:groups!group=ops"],
    "the group's members' roles and the group's own; services take no group filter",
  );
  assert.deepEqual([...expandScopes(["read:roles!service=grafana"])], ["read:roles!service=grafana", "read:roles:services!service=grafana"]);
  assert.deepEqual([...expandScopes(["admin:groups!group=ops"])].sort(), [
    "admin:groups!group=ops",
    "delete:groups!group=ops",
    "groups!group=ops",
    "list:groups!group=ops",
    "read:groups!group=ops",
    "read:groups:name!group=ops",
    "read:roles:groups!group=ops",
  ]);
});

test("filter values: no crafted name widens a filter or turns it into another", () => {
  for (const bad of [
    "read:servers!user=alice/gpu", // a slash in a user name
    "read:servers!user=alice!group=ops", // two filters
    "read:servers!user=alice=x",
    "read:servers!server=alice", // a server filter needs user/server
    "read:servers!server=alice/gpu/x",
    "read:servers!server=/gpu",
    "read:servers!user=*",
    "read:servers!user=",
    "read:servers!group=",
    "read:servers!group=a b",
    "read:servers!group=o/ps",
    "read:servers!owner=alice",
    "read:servers!user",
    "read:servers!",
    "access:services!service=a/b",
    "access:services!user=alice", // services take service filters only
    "inherit!user=alice",
    "proxy!user=alice",
    "bogus!user=alice",
    "read:servers!user=ALICE",
    "read:servers!user=al\u212Ace",
  ])
    assert.equal(parseScope(bad), null, bad);
  // JupyterHub's longer names with dots: a dot is never a separator, ".." is no name
  assert.deepEqual(parseScope("servers!server=alice.smith/gpu.1"), { scope: "servers", filter: { kind: "server", value: "alice.smith/gpu.1" } });
  for (const bad of ["servers!user=a..b", "servers!user=..", "servers!server=../x", "servers!user=.alice", `servers!user=${"a".repeat(256)}`])
    assert.equal(parseScope(bad), null, bad);
  assert.ok(covers(["servers!server=alice.smith/"], "POST", "/hub/api/users/alice.smith/server"));
  assert.ok(!covers(["servers!user=alice"], "POST", "/hub/api/users/alice.smith/server"), "a name that starts the same, then a dot");
  assert.deepEqual(requestTarget("/hub/api/users/..%2Falice/server"), {});
  // names that are paths: a user segment that decodes to "alice/gpu" is no target at all
  assert.deepEqual(requestTarget("/hub/api/users/alice%2Fgpu/server"), {});
  assert.deepEqual(requestTarget("/hub/api/users/al%21ice"), {});
  assert.deepEqual(requestTarget("/hub/api/users/alice/servers/gp%2Fu"), { user: "alice", server: undefined });
  assert.ok(!covers(["read:servers!server=alice/gpu"], "GET", "/hub/api/users/alice%2Fgpu/server/progress"));
  assert.ok(!covers(["read:servers!server=alice/"], "GET", "/hub/api/users/alice%2F/server/progress"));
  assert.ok(!covers(["servers!server=alice/gpu"], "POST", "/hub/api/users/alice/servers/gpu%2F..%2Fx"));
  // "!group=" on a user scope matches a user in that group, never a user named like the group
  assert.ok(!covers(["read:users!group=ops"], "GET", "/hub/api/users/ops"));
  assert.ok(covers(["read:users!group=ops"], "GET", "/hub/api/users/bob", ["ops"]));
  assert.ok(!covers(["read:users!group=ops"], "GET", "/hub/api/users/bob", ["opsx", "o"]));
  // "!user=" on a group scope is refused, and a group named like a user is not that user
  assert.ok(!covers(["read:groups!group=alice"], "GET", "/hub/api/users/alice"));
});

test("request targets: users, servers, shares, groups and services from the path", () => {
  const cases: Array<[string, ScopeTarget]> = [
    ["/hub/api/users/alice", { user: "alice" }],
    ["/api/users/alice/tokens/a3", { user: "alice" }],
    ["/hub/api/users/alice/server", { user: "alice", server: { user: "alice", name: "" } }],
    ["/hub/api/users/alice/server/progress", { user: "alice", server: { user: "alice", name: "" } }],
    ["/hub/api/users/alice/servers/", { user: "alice", server: { user: "alice", name: "" } }],
    ["/hub/api/users/alice/servers/gpu/progress", { user: "alice", server: { user: "alice", name: "gpu" } }],
    ["/hub/api/users/alice/servers", { user: "alice" }],
    ["/hub/api/shares/alice", { user: "alice" }],
    ["/hub/api/shares/alice/_default_", { user: "alice", server: { user: "alice", name: "" } }],
    ["/hub/api/share-codes/alice/gpu", { user: "alice", server: { user: "alice", name: "gpu" } }],
    ["/hub/api/groups/pangeo%3Acore/users", { group: "pangeo:core" }],
    ["/hub/api/services/grafana", { service: "grafana" }],
    ["/hub/api/users", {}],
    ["/hub/api/info", {}],
  ];
  for (const [path, want] of cases) assert.deepEqual(requestTarget(path), want, path);
});

test("filtered scopes on REST requests: read:servers!user=a reads only a's servers; servers!server= one server; !group= its members", () => {
  const a = ["read:servers!user=alice"];
  assert.ok(covers(a, "GET", "/hub/api/users/alice/server/progress"));
  assert.ok(covers(a, "GET", "/hub/api/users/alice/servers/gpu/progress"));
  assert.ok(covers(a, "GET", "/hub/api/users/alice"), "read:servers reads the user model's servers");
  assert.ok(!covers(a, "GET", "/hub/api/users/bob/server/progress"));
  assert.ok(!covers(a, "GET", "/hub/api/users/bob"));
  assert.ok(!covers(a, "DELETE", "/hub/api/users/alice/server"), "reading is not stopping");
  const one = ["servers!server=alice/gpu"];
  assert.ok(covers(one, "POST", "/hub/api/users/alice/servers/gpu"));
  assert.ok(covers(one, "DELETE", "/hub/api/users/alice/servers/gpu"));
  assert.ok(!covers(one, "POST", "/hub/api/users/alice/server"), "not the default server");
  assert.ok(!covers(one, "POST", "/hub/api/users/alice/servers/gpu2"));
  assert.ok(!covers(one, "GET", "/hub/api/users/alice"), "one server's scope reads no user model");
  const def = ["delete:servers!server=alice/"];
  assert.ok(covers(def, "DELETE", "/hub/api/users/alice/server") && covers(def, "DELETE", "/hub/api/users/alice/servers/"));
  assert.ok(!covers(def, "DELETE", "/hub/api/users/alice/servers/gpu"));
  const ocean = ["servers!group=ocean"];
  assert.ok(covers(ocean, "POST", "/hub/api/users/bob/server", ["ocean"]));
  assert.ok(!covers(ocean, "POST", "/hub/api/users/carol/server", ["land"]));
  assert.ok(!covers(ocean, "POST", "/hub/api/users/carol/server"), "no groups known: no match");
  assert.ok(needsUserGroups(expandScopes(ocean)) && !needsUserGroups(expandScopes(["groups!group=ocean"])));
  assert.ok(covers(["tokens!user=alice"], "POST", "/hub/api/users/alice/tokens") && !covers(["tokens!user=alice"], "POST", "/hub/api/users/bob/tokens"));
  assert.ok(covers(["read:services!service=grafana"], "GET", "/hub/api/services/grafana"));
  assert.ok(!covers(["read:services!service=grafana"], "GET", "/hub/api/services/grafana2"));
  assert.ok(covers(["shares!user=alice"], "POST", "/hub/api/shares/alice/gpu") && !covers(["shares!user=alice"], "POST", "/hub/api/shares/bob/gpu"));
  assert.ok(covers(["shares!server=alice/"], "GET", "/hub/api/shares/alice/_default_") && !covers(["shares!server=alice/"], "GET", "/hub/api/shares/alice"));
});

test("list filters: what a filtered list scope cuts a list to; the unlimited scope wins", () => {
  assert.equal(listFilters(expandScopes([]), "list:users"), null);
  assert.equal(listFilters(expandScopes(["list:users", "list:users!group=ocean"]), "list:users"), null);
  assert.deepEqual(listFilters(expandScopes(["list:users!group=ocean", "list:users!user=alice"]), "list:users"), [
    { kind: "group", value: "ocean" },
    { kind: "user", value: "alice" },
  ]);
  assert.deepEqual(listFilters(expandScopes(["users!group=ocean"]), "list:users"), [{ kind: "group", value: "ocean" }], "users includes list:users");
  assert.deepEqual(listFilters(expandScopes(["read:users"]), "list:users"), []);
  assert.deepEqual(listFilters(expandScopes(["groups!group=ops"]), "list:groups"), [{ kind: "group", value: "ops" }]);
  // per listed user, the fields: read:users!group=ocean shows ocean's members' fields only
  const s = expandScopes(["list:users", "read:users!group=ocean"]);
  assert.ok(hasScope(scopesFor(s, { user: "bob", userGroups: ["ocean"] }), "read:users"));
  assert.ok(!hasScope(scopesFor(s, { user: "carol", userGroups: [] }), "read:users"));
});

test("granting filtered scopes: from the same scope unfiltered, the same filter, or one server from its user's filter", () => {
  assert.ok(mayGrant(expandScopes(["servers"]), ["read:servers!user=alice"]));
  assert.ok(mayGrant(expandScopes(["servers!user=alice"]), ["read:servers!user=alice"]));
  assert.ok(mayGrant(expandScopes(["servers!user=alice"]), ["servers!server=alice/gpu"]));
  assert.ok(!mayGrant(expandScopes(["servers!user=alice"]), ["servers!server=bob/gpu"]));
  assert.ok(!mayGrant(expandScopes(["servers!user=alice"]), ["servers!user=bob"]));
  assert.ok(!mayGrant(expandScopes(["servers!user=alice"]), ["servers"]), "a filtered scope never grants the unlimited one");
  assert.ok(!mayGrant(expandScopes(["servers!server=alice/gpu"]), ["servers!user=alice"]), "one server never grants all of the user's");
  assert.ok(!mayGrant(expandScopes(["servers!group=ocean"]), ["servers!user=bob"]), "membership is not known here: refused");
  assert.equal(baseScope("servers!group=ocean"), "servers");
});
