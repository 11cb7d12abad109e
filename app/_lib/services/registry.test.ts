import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpError } from "@/app/_lib/http/errors";
import { buildServiceRegistry, deprecatedServiceOptions, serviceIdentityModel, serviceScopes, toServiceModel, type ResolvedService } from "./registry";
import { listServiceModels, readServiceModel } from "./access";

const base = {
  environment: {},
  admin: false,
  scopes: [] as string[],
  oauthNoConfirm: false,
  oauthClientAllowedScopes: [] as string[],
  oauthRoles: [] as string[],
  display: true,
  info: {},
};
const services: ResolvedService[] = [
  { ...base, name: "culler", scopes: ["list:users", "servers"], apiToken: "c".repeat(43) },
  {
    ...base,
    name: "whoami",
    url: "http://127.0.0.1:10101",
    command: ["/usr/bin/python3", "w.py"],
    user: "svc",
    info: { description: "who am I", icon: "/services/whoami/logo.png" },
    apiToken: "w".repeat(43),
  },
  { ...base, name: "boss", admin: true, display: false, apiToken: "b".repeat(43) },
];
const reg = buildServiceRegistry(services);

test("a service is found by its token, never by another string; its scopes are its own (none: none, admin: inherit)", () => {
  assert.equal(reg.byToken("c".repeat(43))?.name, "culler");
  assert.equal(reg.byToken("w".repeat(43))?.name, "whoami");
  assert.equal(reg.byToken("c".repeat(42)), undefined);
  assert.equal(reg.byToken(""), undefined);
  assert.deepEqual([...serviceScopes(reg.byName("culler")!)].sort(), ["delete:servers", "list:users", "read:servers", "read:users:name", "servers"]);
  assert.deepEqual([...serviceScopes(reg.byName("whoami")!)], []);
  assert.deepEqual([...serviceScopes(reg.byName("boss")!)], ["inherit"]);
});

test("JupyterHub's service model with the configured display and info; the identify answer says kind service", () => {
  assert.deepEqual(toServiceModel(reg.byName("whoami")!, 42), {
    kind: "service",
    name: "whoami",
    admin: false,
    roles: [],
    url: "http://127.0.0.1:10101",
    prefix: "/services/whoami/",
    command: ["/usr/bin/python3", "w.py"],
    pid: 42,
    info: { description: "who am I", icon: "/services/whoami/logo.png" },
    display: true,
  });
  assert.deepEqual(toServiceModel(reg.byName("boss")!), {
    kind: "service",
    name: "boss",
    admin: true,
    roles: ["admin"],
    url: "",
    prefix: "",
    command: [],
    pid: 0,
    info: {},
    display: false,
  });
  assert.deepEqual(serviceIdentityModel(reg.byName("culler")!, new Set(["servers", "list:users"])), {
    kind: "service",
    name: "culler",
    admin: false,
    roles: [],
    token_id: null,
    session_id: null,
    scopes: ["list:users", "servers"],
  });
});

test("the service list: admins and services see it (names only with list:services alone); other users are refused; an unknown name is a 404", () => {
  const pid = () => 0;
  const admin = { user: { admin: true }, scopes: new Set(["inherit"]) };
  assert.deepEqual(Object.keys(listServiceModels(reg, admin, pid)), ["culler", "whoami", "boss"]);
  const lister = { user: { admin: false }, service: { name: "culler" }, scopes: new Set(["list:services"]) };
  assert.deepEqual(listServiceModels(reg, lister, pid).whoami, { kind: "service", name: "whoami" });
  const user = { user: { admin: false }, scopes: new Set(["inherit"]) };
  assert.throws(
    () => listServiceModels(reg, user, pid),
    (e) => e instanceof HttpError && e.status === 403,
  );
  assert.throws(
    () => readServiceModel(reg, user, "whoami", pid),
    (e) => e instanceof HttpError && e.status === 403,
  );
  assert.throws(
    () => readServiceModel(reg, admin, "nope", pid),
    (e) => e instanceof HttpError && e.status === 404,
  );
  assert.equal(readServiceModel(reg, admin, "whoami", () => 7).pid, 7);
});

test("a service's OAuth client: its allowed scopes are oauthClientAllowedScopes, then the scopes of its deprecated oauthRoles (user: self); none by default; the deprecation is warned about", () => {
  const roles = [{ name: "viewer", description: "", scopes: ["read:users", "read:groups"], users: [], groups: [], services: [] }];
  const r = buildServiceRegistry(
    [
      { ...base, name: "dash", url: "http://h:1", oauthClientAllowedScopes: ["read:users!user", "read:groups"], apiToken: "d".repeat(43) },
      { ...base, name: "old", url: "http://h:2", oauthRoles: ["viewer", "user"], apiToken: "o".repeat(43) },
      { ...base, name: "plain", url: "http://h:3", apiToken: "p".repeat(43) },
    ],
    roles,
  );
  assert.deepEqual(r.byName("dash")!.oauth!.allowedScopes, ["read:users!user", "read:groups"]);
  assert.deepEqual(r.byName("old")!.oauth!.allowedScopes, ["read:users", "read:groups", "self"]);
  assert.deepEqual(r.byName("plain")!.oauth!.allowedScopes, []);
  assert.deepEqual(
    deprecatedServiceOptions([
      { name: "dash", oauthRoles: [] },
      { name: "old", oauthRoles: ["viewer"] },
    ]),
    [
      "services: old: oauthRoles is deprecated (JupyterHub's oauth_roles); its roles' scopes are used as oauthClientAllowedScopes — name the scopes there instead",
    ],
  );
});
