// JupyterHub's own clients against a real Gyre (hub + proxy + real Jupyter servers):
// - Debian's jupyterhub package's HubAuth (jupyterhub.services.auth) identifies users by token.
// - jupyterhub-idle-culler is not packaged here, so a stand-in makes its exact sequence of REST
//   calls (read from jupyterhub_idle_culler/__init__.py, release 2.0.0: version, paginated user
//   lists by state, DELETE of default and named servers with {"remove": true}, DELETE of users),
//   with the scopes its README asks for.
// - JupyterHub's REST paths with trailing slashes (GET /hub/api/, the default server as the named
//   server "") answer directly, never with a redirect.
import { test, expect } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { ADMIN, createUser, startGyre, startServerViaApi, type Gyre } from "./harness";

let g: Gyre;
test.beforeAll(async () => {
  g = await startGyre({ basePort: 7890 });
  for (const n of ["alice", "bob", "carol"]) await createUser(g, n, `${n}-password-123`);
  await createUser(g, "culler", "culler-password-123", true);
});
test.afterAll(async () => {
  await g?.stop();
});

/** A token for `owner` with these scopes, created through the REST API by the admin (JupyterHub's POST /users/{name}/tokens). */
async function scopedToken(owner: string, scopes: string[]): Promise<string> {
  const r = await g.api(ADMIN.name, `/hub/api/users/${owner}/tokens`, { method: "POST", body: JSON.stringify({ scopes, note: "e2e" }) });
  expect(r.status, await r.clone().text()).toBe(201);
  return ((await r.json()) as { token: string }).token;
}

async function waitReady(user: string, server: string): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    const m = (await (await g.api(ADMIN.name, `/hub/api/users/${user}`)).json()) as {
      servers: Record<string, { ready: boolean; state: string; message: string }>;
    };
    const s = m.servers[server];
    if (s?.ready) return;
    if (s?.state === "failed") throw new Error(`spawn failed: ${s.message}`);
    if (Date.now() > end) throw new Error(`${user}/${server} did not become ready`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("JupyterHub paths with trailing slashes: GET /hub/api/ is the version, POST/DELETE …/servers/ (empty name) is the default server — no redirects", async () => {
  for (const path of ["/hub/api/", "/hub/api"]) {
    const r = await fetch(`${g.url}${path}`, { redirect: "manual" });
    expect(r.status, path).toBe(200);
    const v = (await r.json()) as { version: string; gyre_version: string };
    expect(v.version).toMatch(/^5\.\d+\.\d+$/);
    expect(v.gyre_version).toBeTruthy();
  }
  const start = await g.api("alice", "/hub/api/users/alice/servers/", { method: "POST", body: "{}" });
  expect(start.status).toBe(202);
  await waitReady("alice", "");
  const stop = await g.api("alice", "/hub/api/users/alice/servers/", { method: "DELETE" });
  expect(stop.status).toBe(204); // the local spawner stops well within hub.slowStopTimeoutSeconds
  const after = (await (await g.api("alice", "/hub/api/users/alice/")).json()) as { servers: object };
  expect(after.servers).toEqual({});
  // refusals keep their codes through the rewrite
  expect((await g.api("alice", "/hub/api/users/bob/servers/", { method: "POST", body: "{}" })).status).toBe(403);
  expect((await g.api("alice", "/hub/api/users/alice/servers/", { method: "DELETE", body: JSON.stringify({ remove: true }) })).status).toBe(400);
  const missing = await fetch(`${g.url}/hub/api/nope/`, { redirect: "manual" });
  expect(missing.status).toBe(404);
  expect(missing.headers.get("content-type")).toMatch(/application\/json/);
  // a method a REST path does not have: JSON 405 with Allow (the route file's methods), nothing done;
  // OPTIONS lists the same; the Express fast path's routes (users, a user, start/stop) too
  for (const [method, path, allow] of [
    ["PUT", "/hub/api/user", "GET, HEAD, OPTIONS"],
    ["POST", "/hub/api/", "GET, HEAD, OPTIONS"],
    ["POST", "/hub/api/info", "GET, HEAD, OPTIONS"],
    ["PUT", "/hub/api/proxy", "GET, HEAD, OPTIONS, POST"],
    ["PATCH", "/hub/api/proxy", "GET, HEAD, OPTIONS, POST"],
    ["PUT", "/hub/api/users", "GET, HEAD, OPTIONS, POST"],
    ["PUT", "/hub/api/users/alice", "DELETE, GET, HEAD, OPTIONS, PATCH, POST"],
    ["PUT", "/hub/api/users/alice/servers/", "DELETE, GET, HEAD, OPTIONS, POST"],
    ["PATCH", "/hub/api/users/alice/server", "DELETE, GET, HEAD, OPTIONS, POST"],
  ] as const) {
    const r = await g.api(ADMIN.name, path, { method, body: "{}" });
    expect(r.status, `${method} ${path}`).toBe(405);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.headers.get("allow"), `${method} ${path}`).toBe(allow);
    expect(((await r.json()) as { message: string }).message).toContain(`${method} is not allowed`);
    const options = await g.api(ADMIN.name, path, { method: "OPTIONS" });
    expect(options.status, `OPTIONS ${path}`).toBe(204);
    expect(options.headers.get("allow"), `OPTIONS ${path}`).toBe(allow);
  }
  expect(((await (await g.api(ADMIN.name, "/hub/api/users/alice")).json()) as { servers: object }).servers).toEqual({});
});

test("Debian's jupyterhub HubAuth (jupyterhub.services.auth) identifies users by their tokens through Gyre's /hub/api/user", async () => {
  const aliceToken = await scopedToken("alice", ["read:users:name"]);
  const revoked = await scopedToken("bob", []);
  const id = ((await (await g.api(ADMIN.name, "/hub/api/users/bob/tokens")).json()) as { api_tokens: { id: string }[] }).api_tokens[0].id;
  expect((await g.api(ADMIN.name, `/hub/api/users/bob/tokens/${id}`, { method: "DELETE" })).status).toBe(204);
  const script = [
    "import json, sys",
    "from jupyterhub.services.auth import HubAuth",
    "auth = HubAuth(api_url=sys.argv[1], api_token=sys.argv[2], cache_max_age=0)",
    "out = {t: auth.user_for_token(t, use_cache=False) for t in sys.argv[3:]}",
    "print(json.dumps(out))",
  ].join("\n");
  const bogus = "x".repeat(43);
  const r = spawnSync("/usr/bin/python3", ["-c", script, `${g.url}/hub/api`, g.token("culler"), aliceToken, g.token("carol"), revoked, bogus], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as Record<string, { name: string; admin: boolean; scopes: string[]; kind: string } | null>;
  expect(out[aliceToken]).toMatchObject({ kind: "user", name: "alice", admin: false, scopes: ["read:users:name"] });
  // a token without a scope list: inherit plus the owner's own scopes expanded, as JupyterHub's /user
  // (jupyterhub-singleuser looks for access:servers!user=<name>), and nothing of another user's
  const carol = out[g.token("carol")]!;
  expect(carol.name).toBe("carol");
  expect(carol.scopes).toEqual(expect.arrayContaining(["inherit", "access:servers!user=carol", "read:users!user=carol"]));
  expect(carol.scopes.filter((s) => s.includes("!user=") && !s.endsWith("!user=carol"))).toEqual([]);
  expect(out[revoked]).toBeNull();
  expect(out[bogus]).toBeNull();
});

test("jupyterhub-idle-culler's calls (stand-in for release 2.0.0, which is not packaged): cull a default and a named server with remove, refuse what its scopes do not cover", async () => {
  await startServerViaApi(g, "bob");
  const named = await g.api("carol", "/hub/api/users/carol/servers/gpu", { method: "POST", body: "{}" });
  expect(named.status).toBe(202);
  await waitReady("carol", "gpu");
  // the culler's scopes (its README's role), on an admin account of its own, as a JupyterHub admin would set it up
  const token = await scopedToken("culler", ["list:users", "read:users:activity", "read:servers", "delete:servers"]);
  const auth = { authorization: `token ${token}` };
  const api = `${g.url}/hub/api`;

  // 1. the version decides whether the state filter is used (≥ 1.3.0)
  const version = ((await (await fetch(`${api}/`, { headers: auth })).json()) as { version: string }).version;
  const [maj, min] = version.split(".").map(Number);
  const stateFilter = maj > 1 || (maj === 1 && min >= 3);
  expect(stateFilter).toBe(true);

  // 2. users with ready servers, one per page (--api-page-size=1), following _pagination.next.url
  type Server = { name: string; ready: boolean; pending: string | null; url: string; started: string; last_activity: string | null };
  type User = { name: string; admin?: boolean; created?: string; last_activity: string | null; servers: Record<string, Server> };
  const users: User[] = [];
  let url: string | null = `${api}/users?limit=1&state=ready`;
  let pages = 0;
  while (url) {
    const r = await fetch(url, { headers: { ...auth, accept: "application/jupyterhub-pagination+json" } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { items: User[]; _pagination: { next: { url: string } | null } };
    users.push(...body.items);
    url = body._pagination.next?.url ?? null;
    pages++;
  }
  expect(users.map((u) => u.name).sort()).toEqual(["bob", "carol"]);
  expect(pages).toBe(2);

  // 3. handle_server: skip pending, require ready, measure inactivity; then DELETE (the culler ignores 204 bodies, treats 202 as slow)
  const codes: Record<string, number> = {};
  for (const user of users) {
    for (const [serverName, server] of Object.entries(user.servers)) {
      expect(server.pending).toBeNull();
      expect(server.ready ?? !!server.url).toBe(true);
      expect(Date.parse(server.started)).not.toBeNaN();
      const inactiveSince = Date.parse(server.last_activity ?? server.started);
      expect(inactiveSince).not.toBeNaN();
      const deleteUrl = serverName
        ? `${api}/users/${encodeURIComponent(user.name)}/servers/${encodeURIComponent(server.name)}`
        : `${api}/users/${encodeURIComponent(user.name)}/server`;
      const r = await fetch(deleteUrl, { method: "DELETE", headers: auth, body: serverName ? JSON.stringify({ remove: true }) : undefined });
      codes[`${user.name}/${serverName}`] = r.status;
    }
  }
  expect(codes).toEqual({ "bob/": 204, "carol/gpu": 204 });
  const carol = (await (await g.api(ADMIN.name, "/hub/api/users/carol?include_stopped_servers")).json()) as { servers: object };
  expect(carol.servers).toEqual({}); // removed, not merely stopped
  const bob = (await (await g.api(ADMIN.name, "/hub/api/users/bob?include_stopped_servers")).json()) as { servers: Record<string, { stopped: boolean }> };
  expect(bob.servers[""].stopped).toBe(true);

  // 4. with --cull-users the culler lists inactive users and deletes them: that needs delete:users (part of admin:users), which this token lacks
  const inactive = await fetch(`${api}/users?state=inactive&limit=1`, { headers: { ...auth, accept: "application/jupyterhub-pagination+json" } });
  expect(inactive.status).toBe(200);
  for (const name of ["bob", "culler", ADMIN.name]) {
    const r = await fetch(`${api}/users/${name}`, { method: "DELETE", headers: auth });
    expect(r.status, name).toBe(403);
    expect(((await r.json()) as { message: string }).message).toContain('"delete:users"');
  }
  expect((await g.api(ADMIN.name, "/hub/api/users/culler")).status).toBe(200);
  // nor may it start servers or mint tokens
  expect((await fetch(`${api}/users/bob/server`, { method: "POST", headers: auth, body: "{}" })).status).toBe(403);
  expect((await fetch(`${api}/users/culler/tokens`, { method: "POST", headers: auth, body: "{}" })).status).toBe(403);
});
