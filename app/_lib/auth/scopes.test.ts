import { test } from "node:test";
import assert from "node:assert/strict";
import { allowsServerAccess, expandScopes, hasScope, mayGrant, parseServerAccessScope, requiredScope, serverAccessScope, unknownScopes } from "./scopes";

test("the scope each REST request needs (table-driven)", () => {
  const cases: Array<[method: string, path: string, scope: string]> = [
    ["GET", "/hub/api", "read:users:name"],
    ["GET", "/hub/api/user", "read:users:name"],
    ["GET", "/hub/api/users", "read:users"],
    ["POST", "/hub/api/users", "admin:users"],
    ["GET", "/hub/api/users/alice", "read:users"],
    ["PATCH", "/hub/api/users/alice", "admin:users"],
    ["DELETE", "/hub/api/users/alice", "admin:users"],
    ["POST", "/hub/api/users/alice/server", "servers"],
    ["DELETE", "/hub/api/users/alice/server", "servers"],
    ["GET", "/hub/api/users/alice/server/progress", "servers"],
    ["GET", "/hub/api/users/alice/server/log", "servers"],
    ["POST", "/hub/api/users/alice/servers/gpu", "servers"],
    ["GET", "/hub/api/users/alice/servers/gpu/progress", "servers"],
    ["GET", "/hub/api/users/alice/tokens", "tokens"],
    ["POST", "/hub/api/users/alice/tokens", "tokens"],
    ["DELETE", "/hub/api/users/alice/tokens/a3", "tokens"],
    ["DELETE", "/hub/api/users/alice/sessions", "admin:users"],
    ["GET", "/hub/api/something-new", "inherit"],
    ["GET", "/api/users/alice/", "read:users"],
  ];
  for (const [m, p, s] of cases) assert.equal(requiredScope(m, p), s, `${m} ${p}`);
});

test("stored scopes expand; empty means inherit; unknown names are dropped", () => {
  assert.deepEqual([...expandScopes([])], ["inherit"]);
  assert.deepEqual([...expandScopes(["read:users"])].sort(), ["read:users", "read:users:name"]);
  assert.deepEqual([...expandScopes(["admin:users"])].sort(), ["admin:users", "read:users", "read:users:name"]);
  assert.deepEqual([...expandScopes(["bogus", "servers"])], ["servers"]);
  assert.equal(hasScope(expandScopes([]), "tokens"), true);
  assert.equal(hasScope(expandScopes(["servers"]), "tokens"), false);
  assert.deepEqual(unknownScopes(["servers", "nope"]), ["nope"]);
});

test("server access through the proxy and granting", () => {
  assert.equal(allowsServerAccess([]), true);
  assert.equal(allowsServerAccess(["access:servers"]), true);
  assert.equal(allowsServerAccess(["servers"]), false);
  assert.equal(mayGrant(new Set(["inherit"]), ["admin:users"]), true);
  assert.equal(mayGrant(new Set(["tokens", "servers"]), ["servers"]), true);
  assert.equal(mayGrant(new Set(["tokens", "servers"]), []), false, "an empty list is inherit");
  assert.equal(mayGrant(new Set(["tokens"]), ["access:servers"]), false);
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
  assert.equal(requiredScope("GET", "/build/gh/org/repo/HEAD"), "servers");
  assert.equal(requiredScope("POST", "/hub/api/launches"), "servers");
});
