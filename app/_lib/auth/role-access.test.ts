import { test } from "node:test";
import assert from "node:assert/strict";
import type { RoleConfig } from "@/config/roles-section";
import { resolveRoleAccess, resolveServiceAccess, rolesGrantServerAccess, servicesGrantServerAccess } from "./role-access";
import { buildServiceRegistry } from "@/app/_lib/services/registry";

const role = (name: string, scopes: string[], who: Partial<Pick<RoleConfig, "users" | "groups">> = {}): RoleConfig => ({
  name,
  description: "",
  scopes,
  users: who.users ?? [],
  groups: who.groups ?? [],
  services: [],
});
const users = new Map(
  Object.entries({ tess: 3, pete: 4, alice: 7, bob: 8, nina: 9, root: 1, tom: 5, class: 6 }).map(([n, id]) => [n, { id, admin: n === "root" }]),
);
const members = new Map([
  ["class", [7, 8]],
  ["teachers", [5, 1]],
]);

test("role access: !group= resolves to the members' ids, !user= and !server= by name to ids, unfiltered to every server; holders through groups", () => {
  const roles = [
    role("ta", ["access:servers!group=class", "read:users!group=class"], { users: ["tess"], groups: ["teachers"] }),
    role("peek", ["access:servers!server=nina/", "access:servers!user=bob"], { users: ["pete"] }),
    role("ops", ["access:servers"], { users: ["tom"] }),
    role("reader", ["read:servers"], { users: ["nina"] }),
  ];
  assert.deepEqual(resolveRoleAccess(roles, { users, members }), {
    "3": { user_ids: [7, 8], servers: [] },
    "4": { user_ids: [8], servers: ["9/"] },
    "5": { all: true, user_ids: [7, 8], servers: [] },
  });
});

test("role access: admins, holders without access:servers, unknown names and groups resolve to nothing; the user named like a group is no member", () => {
  const roles = [
    role("ta", ["access:servers!group=class"], { users: ["root", "ghost"], groups: ["nobody"] }),
    role("bad", ["access:servers!user=ghost", "access:servers!group=nope", "access:servers!server=ghost/"], { users: ["pete"] }),
  ];
  assert.deepEqual(resolveRoleAccess(roles, { users, members }), {});
  const named = resolveRoleAccess([role("ta", ["access:servers!group=class"], { users: ["tess"] })], { users, members });
  assert.ok(!named["3"].user_ids.includes(6), "user 'class' (id 6) is not in group class");
});

test("role access: a bare !user filter and self are the holder's own servers", () => {
  const roles = [role("own", ["access:servers!user", "self"], { users: ["tess"] })];
  assert.deepEqual(resolveRoleAccess(roles, { users, members }), { "3": { user_ids: [3], servers: [] } });
  assert.equal(rolesGrantServerAccess([role("r", ["read:servers"])]), false);
  assert.equal(rolesGrantServerAccess([role("r", ["access:servers!user"])]), true);
});

test("service access: a service's own scopes and its roles' access:servers resolve to ids; an admin service reaches every server; others nothing", () => {
  const token = (n: string) => `${n}-token-`.padEnd(40, "x");
  const svc = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    admin: false,
    scopes: [],
    apiToken: token(name),
    oauthNoConfirm: false,
    display: true,
    info: {},
    ...extra,
  });
  const roles: RoleConfig[] = [
    { ...role("grading", ["access:servers!group=class", "read:users"]), services: ["grader"] },
    { ...role("peek", ["access:servers!server=nina/"]), services: ["watch"] },
  ];
  const registry = buildServiceRegistry(
    [
      svc("grader"),
      svc("watch", { scopes: ["access:servers!user=bob", "access:servers!user=ghost"] }),
      svc("ops", { admin: true }),
      svc("culler", { scopes: ["list:users", "read:servers"] }),
    ] as never,
    roles,
  );
  assert.deepEqual(resolveServiceAccess(registry.list, { users, members }), {
    grader: { user_ids: [7, 8], servers: [] },
    ops: { all: true, user_ids: [], servers: [] },
    watch: { user_ids: [8], servers: ["9/"] },
  });
  assert.equal(servicesGrantServerAccess(registry.list), true);
  assert.equal(servicesGrantServerAccess(registry.list.filter((s) => s.name === "culler")), false);
  // users holding a role a service holds get nothing from the service's assignment
  assert.deepEqual(resolveRoleAccess(roles, { users, members }), {});
});
