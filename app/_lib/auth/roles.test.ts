import { test } from "node:test";
import assert from "node:assert/strict";
import type { RoleConfig } from "@/config/roles-section";
import { configuredRolesOfService, isRoleScope, roleScopesFor, roleScopesOfUser, rolesOfGroup, rolesOfUser, scopesOfTokenRoles, selfScopes } from "./roles";
import { hasScope, scopesFor } from "./scopes";

const role = (name: string, scopes: string[], who: Partial<Pick<RoleConfig, "users" | "groups" | "services">> = {}): RoleConfig => ({
  name,
  description: "",
  scopes,
  users: who.users ?? [],
  groups: who.groups ?? [],
  services: who.services ?? [],
});
const ROLES = [
  role("teacher", ["servers!group=class", "list:users!group=class", "read:users!group=class"], { groups: ["teachers"], users: ["tina"] }),
  role("culler", ["list:users", "read:users:activity", "read:servers", "delete:servers"], { services: ["culler"], users: ["ops"] }),
];
const alice = { name: "alice", admin: false, groups: ["class"] };
const tom = { name: "tom", admin: false, groups: ["teachers"] };

test("who has which role: user for everyone, admin for admins, configured roles by user and by group", () => {
  assert.deepEqual(rolesOfUser(ROLES, alice), ["user"]);
  assert.deepEqual(rolesOfUser(ROLES, tom), ["user", "teacher"], "through the group teachers");
  assert.deepEqual(rolesOfUser(ROLES, { name: "tina", admin: true, groups: [] }), ["user", "admin", "teacher"]);
  assert.deepEqual(rolesOfUser(ROLES, { name: "teachers", admin: false, groups: [] }), ["user"], "a user named like the group is not in it");
  assert.deepEqual(rolesOfGroup(ROLES, "teachers"), ["teacher"]);
  assert.deepEqual(rolesOfGroup(ROLES, "class"), []);
  assert.deepEqual(
    configuredRolesOfService(ROLES, "culler").map((r) => r.name),
    ["culler"],
  );
});

test("a role's scopes: what its holders may do beyond their own; admins need none", () => {
  const t = roleScopesOfUser(ROLES, tom);
  assert.ok(hasScope(scopesFor(t, { user: "alice", userGroups: ["class"] }), "servers"));
  assert.ok(hasScope(scopesFor(t, { user: "alice", userGroups: ["class"] }), "delete:servers"), "servers includes delete:servers, filter kept");
  assert.ok(!hasScope(scopesFor(t, { user: "bob", userGroups: ["other"] }), "servers"));
  assert.ok(!hasScope(t, "servers"), "never the unfiltered scope");
  assert.equal(roleScopesOfUser(ROLES, alice).size, 0);
  assert.equal(roleScopesOfUser(ROLES, { name: "tina", admin: true, groups: [] }).size, 0);
});

test("tokens made with roles: token is inherit, user the owner's own resources, admin only for admins, configured roles only their holders', server refused", () => {
  assert.deepEqual(scopesOfTokenRoles(ROLES, alice, ["token"]), [], "inherit: stored as no scopes");
  assert.deepEqual(scopesOfTokenRoles(ROLES, alice, ["user"]), selfScopes("alice"));
  assert.ok(selfScopes("alice").every((s) => s.endsWith("!user=alice")));
  assert.ok(selfScopes("alice").includes("access:servers!user=alice"));
  assert.deepEqual(scopesOfTokenRoles(ROLES, tom, ["teacher"]), ["servers!group=class", "list:users!group=class", "read:users!group=class"]);
  assert.deepEqual(scopesOfTokenRoles(ROLES, tom, ["user", "token"]), [], "with token it is inherit");
  assert.throws(() => scopesOfTokenRoles(ROLES, alice, ["teacher"]), { status: 403 });
  assert.throws(() => scopesOfTokenRoles(ROLES, alice, ["admin"]), { status: 403 });
  assert.deepEqual(scopesOfTokenRoles(ROLES, { name: "root", admin: true, groups: [] }, ["admin"]), []);
  assert.throws(() => scopesOfTokenRoles(ROLES, alice, ["server"]), { status: 400 });
  assert.throws(() => scopesOfTokenRoles(ROLES, alice, ["nope"]), { status: 400 });
});

test("self and bare filters in a role's scopes are the holder's own, as JupyterHub's expand_scopes with an owner", () => {
  const own = role("own", ["self", "access:servers!user", "read:servers!server", "read:services!service", "list:users"]);
  assert.deepEqual(
    roleScopesFor(own, "alice"),
    [...selfScopes("alice"), "access:servers!user=alice", "list:users"],
    "a user: !server and !service name nothing",
  );
  assert.deepEqual(roleScopesFor(own, { kind: "service", name: "grafana" }), ["read:services!service=grafana", "list:users"], "a service: no self, no !user");
  // through roleScopesOfUser: a TA's own servers by a bare filter, never another user's
  const ta = role("ta", ["access:servers!user", "read:users!group=class"], { users: ["tess"] });
  const tess = roleScopesOfUser([ta], { name: "tess", admin: false, groups: [] });
  assert.ok(hasScope(scopesFor(tess, { user: "tess", server: { user: "tess", name: "" } }), "access:servers"));
  assert.ok(!hasScope(scopesFor(tess, { user: "bob", server: { user: "bob", name: "" } }), "access:servers"));
  // a token made with the role gets the holder's expansion
  assert.deepEqual(scopesOfTokenRoles([ta], { name: "tess", admin: false, groups: [] }, ["ta"]), ["access:servers!user=tess", "read:users!group=class"]);
  for (const [s, ok] of [
    ["self", true],
    ["access:servers!user", true],
    ["access:servers!server", true],
    ["read:services!service", true],
    ["access:servers!group", false],
    ["read:hub!user", false],
    ["access:servers!user=", false],
    ["self!user", false],
  ] as const)
    assert.equal(isRoleScope(s), ok, s);
});
