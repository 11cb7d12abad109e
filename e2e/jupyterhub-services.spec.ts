// JupyterHub-style services against a real Gyre (hub + proxy): a managed service — a tornado app
// using Debian's jupyterhub 3.0 HubAuth (e2e/fixtures/hub-auth-service.py) — started by the hub as
// its own OS account and kept running, reached through the proxy under /services/<name>/, which
// identifies users by their API tokens; services' own tokens and what they are refused.
import { test, expect } from "@playwright/test";
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ADMIN, createUser, startGyre, type Gyre } from "./harness";
import { testAccount } from "@/spawners/testing/os-account";

const SERVICE_PORT = 7934;
const ACCOUNT = "gyre-e2e-svc";
const WHOAMI_TOKEN = "w".repeat(20) + "-whoami-service-token";
const READER_TOKEN = "r".repeat(20) + "-reader-service-token";

let g: Gyre;
let uid: number;
test.beforeAll(async () => {
  uid = testAccount(ACCOUNT).uid;
  // the script must be readable by the service's account
  const dir = mkdtempSync(join(tmpdir(), "gyre-e2e-svc-"));
  chmodSync(dir, 0o755);
  const script = join(dir, "hub-auth-service.py");
  copyFileSync(fileURLToPath(new URL("fixtures/hub-auth-service.py", import.meta.url)), script);
  chmodSync(script, 0o644);
  const config = join(dir, "gyre.config.yaml");
  writeFileSync(
    config,
    JSON.stringify({
      services: [
        {
          name: "whoami",
          url: `http://127.0.0.1:${SERVICE_PORT}`,
          command: ["/usr/bin/python3", script],
          user: ACCOUNT,
          apiToken: WHOAMI_TOKEN,
        },
        { name: "reader", scopes: ["list:users", "read:users:name", "list:services"], apiToken: READER_TOKEN },
      ],
    }),
  );
  g = await startGyre({ basePort: 7930, env: { GYRE_CONFIG: config } });
  await createUser(g, "alice", "alice-password-123");
});
test.afterAll(async () => {
  await g?.stop();
});

const direct = () => g.url.replace("localhost", "127.0.0.1");

/** GET through the proxy; resolves once the service answers (it starts with the hub). */
async function viaProxy(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await fetch(`${direct()}${path}`, { headers, redirect: "manual" }).catch(() => null);
    if (r && r.status !== 502 && r.status !== 503) return r;
    if (Date.now() > end) throw new Error(`${path} did not answer:\n${g.logs().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

test("a managed service runs as its account with JupyterHub's environment, behind the proxy, and HubAuth identifies users' tokens", async () => {
  const env = (await (await viaProxy("/services/whoami/env", { cookie: "gyre-session=stolen; theirs=1" })).json()) as {
    uid: number;
    names: string[];
    cookie: string;
    pid: number;
  };
  expect(env.uid).toBe(uid);
  expect(env.uid).not.toBe(0);
  expect(env.names).toEqual(
    expect.arrayContaining(["JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL", "JUPYTERHUB_SERVICE_NAME", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_SERVICE_URL"]),
  );
  // the hub's session cookie never reaches a service; its own cookies do
  expect(env.cookie).toBe("theirs=1");

  const alice = await viaProxy("/services/whoami/", { authorization: `token ${g.token("alice")}` });
  expect(alice.status).toBe(200);
  expect(await alice.json()).toEqual({ name: "alice", kind: "user", admin: false });
  expect((await viaProxy("/services/whoami/")).status).toBe(403);
  expect((await viaProxy("/services/whoami/", { authorization: `token ${"x".repeat(43)}` })).status).toBe(403);

  // the service's own token: GET /hub/api/user says it is the service
  const self = (await (await viaProxy("/services/whoami/self")).json()) as { kind: string; name: string; scopes: string[] };
  expect(self).toMatchObject({ kind: "service", name: "whoami", scopes: [] });

  // JupyterHub's service model, with the managed process's pid
  const model = (await (await g.api(ADMIN.name, "/hub/api/services/whoami")).json()) as { pid: number; prefix: string; url: string };
  expect(model).toMatchObject({ prefix: "/services/whoami/", url: `http://127.0.0.1:${SERVICE_PORT}`, pid: env.pid });
  const list = (await (await g.api(ADMIN.name, "/hub/api/services")).json()) as Record<string, { name: string }>;
  expect(Object.keys(list).sort()).toEqual(["reader", "whoami"]);
});

test("a managed service that exits is started again", async () => {
  const before = ((await (await viaProxy("/services/whoami/env")).json()) as { pid: number }).pid;
  process.kill(before, "SIGKILL");
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await fetch(`${direct()}/services/whoami/env`).catch(() => null);
    if (r?.status === 200) {
      const pid = ((await r.json()) as { pid: number }).pid;
      if (pid !== before) break;
    }
    if (Date.now() > end) throw new Error(`the service was not restarted:\n${g.logs().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  expect(g.logs()).toContain("managed service exited; restarting it");
});

test("refusals: unknown services, a service token outside its scopes, users reading services, services on the caller's-own endpoints", async () => {
  const unknown = await fetch(`${direct()}/services/nope/`);
  expect(unknown.status).toBe(404);
  const api = `${g.hubUrl}/hub/api`;
  const reader = { authorization: `token ${READER_TOKEN}` };
  // within its scopes
  const users = await fetch(`${api}/users`, { headers: reader });
  expect(users.status).toBe(200);
  expect(((await users.json()) as { name: string }[]).map((u) => u.name)).toContain("alice");
  expect((await fetch(`${api}/services`, { headers: reader })).status).toBe(200);
  const me = (await (await fetch(`${api}/user`, { headers: reader })).json()) as { kind: string; name: string };
  expect(me).toMatchObject({ kind: "service", name: "reader" });
  // outside them: 403 naming the scope, nothing done
  for (const [method, path, scope] of [
    ["DELETE", "/users/alice", "delete:users"],
    ["POST", "/users/alice/server", "servers"],
    ["GET", "/info", "read:hub"],
    ["GET", "/services/whoami", "read:services"],
    ["POST", "/users/alice/tokens", "tokens"],
  ] as const) {
    const r = await fetch(`${api}${path}`, { method, headers: reader, body: method === "GET" ? undefined : "{}" });
    expect(r.status, `${method} ${path}`).toBe(403);
    expect(((await r.json()) as { message: string }).message).toContain(`"${scope}"`);
  }
  expect((await g.api("alice", "/hub/api/users/alice")).status).toBe(200);
  // the whoami service has no scopes: admin routes and other users are closed to it
  const whoami = { authorization: `token ${WHOAMI_TOKEN}` };
  for (const path of ["/users", "/users/alice", "/groups", "/info"]) expect((await fetch(`${api}${path}`, { headers: whoami })).status, path).toBe(403);
  // a service owns no account: launches and the control panel's endpoints are not for it
  expect((await fetch(`${api}/launches`, { method: "POST", headers: { ...whoami, "content-type": "application/json" }, body: "{}" })).status).toBe(403);
  expect((await fetch(`${api}/admin/users`, { headers: { authorization: `token ${READER_TOKEN}` } })).status).toBe(403);
  // a user (not an admin) may not read the services
  expect((await g.api("alice", "/hub/api/services")).status).toBe(403);
  expect((await g.api("alice", "/hub/api/services/whoami")).status).toBe(403);
});
