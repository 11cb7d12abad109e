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
  parseUserScope,
  userScope,
  userScopeCovers,
  baseScope,
  groupScopeCovers,
  parseGroupScope,
  type TokenScope,
} from "./scopes";

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
  assert.deepEqual(parseUserScope("users:activity!user=alice"), { scope: "users:activity", user: "alice" });
  for (const s of ["users:activity!user=", "users:activity!user=Alice", "read:users!user=alice", "users:activity!server=alice/x", "users:activity!user=a/b"])
    assert.equal(parseUserScope(s), null, s);
  const scopes = expandScopes(["users:activity!user=alice"]);
  assert.deepEqual([...scopes], ["users:activity!user=alice"], "not inherit, not the unlimited scope");
  assert.ok(!hasScope(scopes, "users:activity"));
  assert.ok(userScopeCovers(scopes, ["users:activity"], "/hub/api/users/alice/activity"));
  assert.ok(userScopeCovers(scopes, ["users:activity"], "/api/users/alice/activity"));
  assert.ok(!userScopeCovers(scopes, ["users:activity"], "/hub/api/users/alicex/activity"), "a name that starts the same");
  assert.ok(!userScopeCovers(scopes, ["users:activity"], "/hub/api/users/bob/activity"));
  assert.ok(!userScopeCovers(scopes, ["servers"], "/hub/api/users/alice/server"), "only the scope it names");
  assert.ok(!userScopeCovers(scopes, ["users:activity"], "/hub/api/user"));
  assert.deepEqual(unknownScopes(["users:activity!user=alice", "servers!user=alice"]), ["servers!user=alice"]);
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

  assert.deepEqual(parseGroupScope("groups!group=pangeo:core"), { scope: "groups", group: "pangeo:core" });
  assert.equal(parseGroupScope("admin:groups!group=x"), null, "only the scopes JupyterHub filters by group");
  assert.equal(parseGroupScope("groups!group="), null);
  assert.deepEqual(unknownScopes(["groups!group=ops", "read:groups!group=ops", "delete:groups!group=ops"]), ["delete:groups!group=ops"]);
  const ops = expandScopes(["groups!group=ops"]);
  assert.ok(!hasAnyScope(ops, ["groups"]), "never the unlimited scope");
  assert.ok(groupScopeCovers(ops, ["groups"], "/hub/api/groups/ops/users"));
  assert.ok(groupScopeCovers(ops, ["read:groups"], "/hub/api/groups/ops"), "groups includes read:groups there");
  assert.ok(!groupScopeCovers(ops, ["groups"], "/hub/api/groups/opsx/users"));
  assert.ok(!groupScopeCovers(ops, ["list:groups"], "/hub/api/groups"));
  assert.ok(!groupScopeCovers(ops, ["delete:groups"], "/hub/api/groups/ops"));
  assert.ok(!groupScopeCovers(expandScopes(["read:groups!group=ops"]), ["groups"], "/hub/api/groups/ops/users"), "read does not write");
  assert.ok(mayGrant(expandScopes(["groups"]), ["groups!group=ops"]));
  assert.ok(!mayGrant(expandScopes(["read:groups"]), ["groups!group=ops"]));
  assert.equal(baseScope("groups!group=ops"), "groups");
  assert.equal(baseScope("users:activity!user=a"), "users:activity");
});
