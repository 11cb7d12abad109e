// The operations of JupyterHub's REST API that Gyre implements, as a table derived by reading
// JupyterHub 5.5.1's docs/source/_static/rest-api.yml (its paths, methods and the oauth2 scopes
// each declares; the spec itself is not copied here). Each row must have a route handler for the
// method, and a token holding exactly the spec's scopes must pass Gyre's scope check for it.
// docs/jupyterhub-compat.md lists the rest, with why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { expandScopes, hasAnyScope, requiredScopes } from "@/app/_lib/auth/scopes";

type Row = { method: string; path: string; scopes: string[]; example: string; module: () => Promise<Record<string, unknown>> };

const ROWS: Row[] = [
  { method: "GET", path: "/", scopes: [], example: "/hub/api", module: () => import("./route") },
  { method: "GET", path: "/info", scopes: ["read:hub"], example: "/hub/api/info", module: () => import("./info/route") },
  { method: "GET", path: "/user", scopes: [], example: "/hub/api/user", module: () => import("./user/route") },
  { method: "GET", path: "/users", scopes: ["list:users"], example: "/hub/api/users", module: () => import("./users/route") },
  { method: "POST", path: "/users", scopes: ["admin:users"], example: "/hub/api/users", module: () => import("./users/route") },
  { method: "GET", path: "/users/{name}", scopes: ["read:users"], example: "/hub/api/users/alice", module: () => import("./users/[name]/route") },
  { method: "POST", path: "/users/{name}", scopes: ["admin:users"], example: "/hub/api/users/alice", module: () => import("./users/[name]/route") },
  { method: "PATCH", path: "/users/{name}", scopes: ["admin:users"], example: "/hub/api/users/alice", module: () => import("./users/[name]/route") },
  { method: "GET", path: "/groups", scopes: ["list:groups"], example: "/hub/api/groups", module: () => import("./groups/route") },
  { method: "GET", path: "/proxy", scopes: ["proxy"], example: "/hub/api/proxy", module: () => import("./proxy/route") },
  { method: "GET", path: "/groups/{name}", scopes: ["read:groups"], example: "/hub/api/groups/climate", module: () => import("./groups/[name]/route") },
  { method: "GET", path: "/services", scopes: ["list:services"], example: "/hub/api/services", module: () => import("./services/route") },
  { method: "GET", path: "/services/{name}", scopes: ["read:services"], example: "/hub/api/services/whoami", module: () => import("./services/[name]/route") },
  { method: "POST", path: "/groups/{name}", scopes: ["admin:groups"], example: "/hub/api/groups/climate", module: () => import("./groups/[name]/route") },
  { method: "DELETE", path: "/groups/{name}", scopes: ["delete:groups"], example: "/hub/api/groups/climate", module: () => import("./groups/[name]/route") },
  {
    method: "POST",
    path: "/groups/{name}/users",
    scopes: ["groups"],
    example: "/hub/api/groups/climate/users",
    module: () => import("./groups/[name]/users/route"),
  },
  {
    method: "DELETE",
    path: "/groups/{name}/users",
    scopes: ["groups"],
    example: "/hub/api/groups/climate/users",
    module: () => import("./groups/[name]/users/route"),
  },
  {
    method: "PUT",
    path: "/groups/{name}/properties",
    scopes: ["groups"],
    example: "/hub/api/groups/climate/properties",
    module: () => import("./groups/[name]/properties/route"),
  },
  {
    method: "POST",
    path: "/users/{name}/activity",
    scopes: ["users:activity"],
    example: "/hub/api/users/alice/activity",
    module: () => import("./users/[name]/activity/route"),
  },
  { method: "DELETE", path: "/users/{name}", scopes: ["delete:users"], example: "/hub/api/users/alice", module: () => import("./users/[name]/route") },
  {
    method: "POST",
    path: "/users/{name}/server",
    scopes: ["servers"],
    example: "/hub/api/users/alice/server",
    module: () => import("./users/[name]/server/route"),
  },
  {
    method: "DELETE",
    path: "/users/{name}/server",
    scopes: ["delete:servers"],
    example: "/hub/api/users/alice/server",
    module: () => import("./users/[name]/server/route"),
  },
  {
    method: "POST",
    path: "/users/{name}/servers/{server_name}",
    scopes: ["servers"],
    example: "/hub/api/users/alice/servers/gpu",
    module: () => import("./users/[name]/servers/[server]/route"),
  },
  {
    method: "DELETE",
    path: "/users/{name}/servers/{server_name}",
    scopes: ["delete:servers"],
    example: "/hub/api/users/alice/servers/gpu",
    module: () => import("./users/[name]/servers/[server]/route"),
  },
  {
    method: "GET",
    path: "/users/{name}/tokens",
    scopes: ["read:tokens"],
    example: "/hub/api/users/alice/tokens",
    module: () => import("./users/[name]/tokens/route"),
  },
  {
    method: "POST",
    path: "/users/{name}/tokens",
    scopes: ["tokens"],
    example: "/hub/api/users/alice/tokens",
    module: () => import("./users/[name]/tokens/route"),
  },
  {
    method: "GET",
    path: "/users/{name}/tokens/{token_id}",
    scopes: ["read:tokens"],
    example: "/hub/api/users/alice/tokens/a1",
    module: () => import("./users/[name]/tokens/[id]/route"),
  },
  {
    method: "DELETE",
    path: "/users/{name}/tokens/{token_id}",
    scopes: ["tokens"],
    example: "/hub/api/users/alice/tokens/a1",
    module: () => import("./users/[name]/tokens/[id]/route"),
  },
  {
    method: "GET",
    path: "/users/{name}/shared",
    scopes: ["read:users:shares"],
    example: "/hub/api/users/bob/shared",
    module: () => import("./users/[name]/shared/route"),
  },
  {
    method: "GET",
    path: "/users/{name}/shared/{owner}/{server_name}",
    scopes: ["read:users:shares"],
    example: "/hub/api/users/bob/shared/alice/_default_",
    module: () => import("./users/[name]/shared/[owner]/[server]/route"),
  },
  {
    method: "DELETE",
    path: "/users/{name}/shared/{owner}/{server_name}",
    scopes: ["users:shares"],
    example: "/hub/api/users/bob/shared/alice/gpu",
    module: () => import("./users/[name]/shared/[owner]/[server]/route"),
  },
  {
    method: "GET",
    path: "/groups/{name}/shared",
    scopes: ["read:groups:shares"],
    example: "/hub/api/groups/climate/shared",
    module: () => import("./groups/[name]/shared/route"),
  },
  {
    method: "GET",
    path: "/groups/{name}/shared/{owner}/{server_name}",
    scopes: ["read:groups:shares"],
    example: "/hub/api/groups/climate/shared/alice/gpu",
    module: () => import("./groups/[name]/shared/[owner]/[server]/route"),
  },
  {
    method: "DELETE",
    path: "/groups/{name}/shared/{owner}/{server_name}",
    scopes: ["groups:shares"],
    example: "/hub/api/groups/climate/shared/alice/gpu",
    module: () => import("./groups/[name]/shared/[owner]/[server]/route"),
  },
  { method: "GET", path: "/shares/{owner}", scopes: ["read:shares"], example: "/hub/api/shares/alice", module: () => import("./shares/[owner]/route") },
  {
    method: "GET",
    path: "/shares/{owner}/{server_name}",
    scopes: ["read:shares"],
    example: "/hub/api/shares/alice/_default_",
    module: () => import("./shares/[owner]/[server]/route"),
  },
  {
    method: "POST",
    path: "/shares/{owner}/{server_name}",
    scopes: ["shares", "read:users:name", "read:groups:name"],
    example: "/hub/api/shares/alice/gpu",
    module: () => import("./shares/[owner]/[server]/route"),
  },
  {
    method: "PATCH",
    path: "/shares/{owner}/{server_name}",
    scopes: ["shares", "read:users:name", "read:groups:name"],
    example: "/hub/api/shares/alice/gpu",
    module: () => import("./shares/[owner]/[server]/route"),
  },
  {
    method: "DELETE",
    path: "/shares/{owner}/{server_name}",
    scopes: ["shares"],
    example: "/hub/api/shares/alice/gpu",
    module: () => import("./shares/[owner]/[server]/route"),
  },
  {
    method: "GET",
    path: "/share-codes/{owner}",
    scopes: ["read:shares"],
    example: "/hub/api/share-codes/alice",
    module: () => import("./share-codes/[owner]/route"),
  },
  {
    method: "GET",
    path: "/share-codes/{owner}/{server_name}",
    scopes: ["read:shares"],
    example: "/hub/api/share-codes/alice/gpu",
    module: () => import("./share-codes/[owner]/[server]/route"),
  },
  {
    method: "POST",
    path: "/share-codes/{owner}/{server_name}",
    scopes: ["shares"],
    example: "/hub/api/share-codes/alice/_default_",
    module: () => import("./share-codes/[owner]/[server]/route"),
  },
  {
    method: "DELETE",
    path: "/share-codes/{owner}/{server_name}",
    scopes: ["shares"],
    example: "/hub/api/share-codes/alice/gpu",
    module: () => import("./share-codes/[owner]/[server]/route"),
  },
];

test("every implemented operation of JupyterHub's REST API has its handler and accepts the spec's scopes", async () => {
  for (const row of ROWS) {
    const what = `${row.method} ${row.path}`;
    const mod = await row.module();
    assert.equal(typeof mod[row.method], "function", `${what}: no ${row.method} handler`);
    const needed = requiredScopes(row.method, row.example);
    if (row.scopes.length === 0) assert.deepEqual(needed, [], `${what} needs no scope`);
    else
      assert.ok(
        hasAnyScope(expandScopes(row.scopes), needed),
        `${what}: a token with ${row.scopes.join(" ")} is refused (Gyre asks for ${needed.join(" | ")})`,
      );
    // and a token without them is refused
    if (row.scopes.length) assert.ok(!hasAnyScope(expandScopes(["access:servers"]), needed), `${what}: access:servers alone passes`);
  }
});
