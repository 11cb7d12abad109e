// JupyterHub-style services against a real Gyre (hub + proxy): a managed service — a tornado app
// using Debian's jupyterhub 3.0 HubAuth (e2e/fixtures/hub-auth-service.py) — started by the hub as
// its own OS account and kept running, reached through the proxy under /services/<name>/, which
// identifies users by their API tokens; services' own tokens and what they are refused. And the
// hub's OAuth provider: JupyterHub's whoami-oauth example (HubOAuth, e2e/fixtures/hub-oauth-service.py)
// logs a user in through the hub in Chromium, with the consent page, and what the provider refuses.
import { test, expect } from "@playwright/test";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ADMIN, createUser, login, startGyre, type Gyre } from "./harness";
import { testAccount } from "@/spawners/testing/os-account";

const SERVICE_PORT = 7934;
const OAUTH_SERVICE_PORT = 7935;
const OAUTH_TOKEN = "o".repeat(20) + "-oauth-service-token";
const ACCOUNT = "gyre-e2e-svc";
const WHOAMI_TOKEN = "w".repeat(20) + "-whoami-service-token";
const READER_TOKEN = "r".repeat(20) + "-reader-service-token";

let g: Gyre;
let uid: number;
/** the services' scripts and the config */
let dir: string | undefined;
test.beforeAll(async () => {
  uid = testAccount(ACCOUNT).uid;
  // the script must be readable by the service's account
  dir = mkdtempSync(join(tmpdir(), "gyre-e2e-svc-"));
  chmodSync(dir, 0o755);
  const script = join(dir, "hub-auth-service.py");
  const oauthScript = join(dir, "hub-oauth-service.py");
  for (const [name, to] of [
    ["hub-auth-service.py", script],
    ["hub-oauth-service.py", oauthScript],
  ]) {
    copyFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), to);
    chmodSync(to, 0o644);
  }
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
        {
          name: "whoami-oauth",
          url: `http://127.0.0.1:${OAUTH_SERVICE_PORT}`,
          command: ["/usr/bin/python3", oauthScript],
          user: ACCOUNT,
          apiToken: OAUTH_TOKEN,
        },
      ],
    }),
  );
  g = await startGyre({ basePort: 7930, env: { GYRE_CONFIG: config } });
  await createUser(g, "alice", "alice-password-123");
});
test.afterAll(async () => {
  await g?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
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
  expect(Object.keys(list).sort()).toEqual(["reader", "whoami", "whoami-oauth"]);
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

test("OAuth: JupyterHub's whoami-oauth (HubOAuth) logs a user in through the hub: login, consent, callback; the token is the user's, for that service only, and revocable", async ({
  page,
}) => {
  await viaProxy("/services/whoami-oauth/", { accept: "application/json" }); // the service is up
  await login(page, g, "alice", "alice-password-123");
  await page.goto(`${g.url}/services/whoami-oauth/`);
  // the consent page of the hub, for this service
  await expect(page).toHaveURL(/\/hub\/api\/oauth2\/authorize\?/);
  await expect(page.locator("main p").first()).toContainText("whoami-oauth (OAuth client service-whoami-oauth) asks to identify you as alice");
  await expect(page.locator("ul.scopes li")).toHaveText(["access:services!service=whoami-oauth"]);
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page).toHaveURL(`${g.url}/services/whoami-oauth/`);
  const who = JSON.parse((await page.locator("body").innerText()).trim()) as { name: string; kind: string; scopes: string[] };
  expect(who).toEqual({ name: "alice", kind: "user", scopes: ["access:services!service=whoami-oauth"] });
  // listed as an OAuth token of alice, and revocable
  const tokens = (await (await g.api("alice", "/hub/api/users/alice/tokens")).json()) as {
    api_tokens: { oauth_client: string | null }[];
    oauth_tokens: { id: string; oauth_client: string; scopes: string[] }[];
  };
  expect(tokens.oauth_tokens).toHaveLength(1);
  expect(tokens.oauth_tokens[0]).toMatchObject({ oauth_client: "service-whoami-oauth", scopes: ["access:services!service=whoami-oauth"] });
  expect(tokens.api_tokens.every((t) => t.oauth_client === null)).toBe(true);
  expect((await g.api("alice", `/hub/api/users/alice/tokens/${tokens.oauth_tokens[0].id}`, { method: "DELETE" })).status).toBe(204);
  expect(((await (await g.api("alice", "/hub/api/users/alice/tokens")).json()) as { oauth_tokens: unknown[] }).oauth_tokens).toHaveLength(0);
});

test("OAuth refusals: consent without the CSRF token or from another site, a redirect URI that is not the registered one, an unknown client, code reuse, a wrong client secret", async ({
  page,
}) => {
  await login(page, g, "alice", "alice-password-123");
  const authorize = `${g.url}/hub/api/oauth2/authorize`;
  const q = (o: Record<string, string>) =>
    new URLSearchParams({ client_id: "service-whoami-oauth", redirect_uri: "/services/whoami-oauth/oauth_callback", response_type: "code", state: "st", ...o });
  // redirect URI and client are checked before anything else, with no redirect
  const bads: Record<string, string>[] = [
    { redirect_uri: "https://evil.example/cb" },
    { redirect_uri: "/services/whoami-oauth/oauth_callback/x" },
    { client_id: "service-nope" },
  ];
  for (const bad of bads) {
    const r = await page.request.get(`${authorize}?${q(bad)}`, { maxRedirects: 0 });
    expect(r.status(), JSON.stringify(bad)).toBe(400);
  }
  // the consent page carries the session's CSRF token
  const consent = await page.request.get(`${authorize}?${q({})}`, { maxRedirects: 0 });
  expect(consent.status()).toBe(200);
  const csrf = /name="_xsrf" value="([^"]+)"/.exec(await consent.text())![1];
  const fields = Object.fromEntries(q({}));
  const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    page.request.post(authorize, { form, headers: { origin: g.url, ...headers }, maxRedirects: 0 });
  expect((await post(fields)).status()).toBe(403);
  expect((await post({ ...fields, _xsrf: "wrong" })).status()).toBe(403);
  expect((await post({ ...fields, _xsrf: csrf }, { origin: "http://evil.example" })).status()).toBe(403);
  // with both: back to the registered redirect URI with a code and the state
  const ok = await post({ ...fields, _xsrf: csrf });
  expect(ok.status()).toBe(303);
  const back = new URL(ok.headers().location, g.url);
  expect(back.pathname).toBe("/services/whoami-oauth/oauth_callback");
  expect(back.searchParams.get("state")).toBe("st");
  const code = back.searchParams.get("code")!;
  // the token endpoint, as HubOAuth calls it (a form, from the service's server: no Origin)
  const exchange = (secret: string) =>
    fetch(`${g.hubUrl}/hub/api/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: "service-whoami-oauth",
        client_secret: secret,
        code,
        redirect_uri: "/services/whoami-oauth/oauth_callback",
      }),
    });
  const wrong = await exchange(WHOAMI_TOKEN); // another service's secret
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as { error: string }).error).toBe("invalid_client");
  const first = await exchange(OAUTH_TOKEN);
  expect(first.status).toBe(200);
  const token = ((await first.json()) as { access_token: string; token_type: string }).access_token;
  const again = await exchange(OAUTH_TOKEN);
  expect(again.status).toBe(400);
  expect(((await again.json()) as { error: string }).error).toBe("invalid_grant");
  // the access token identifies alice with only this service's access scope: it reaches no server and no other API
  const me = (await (await fetch(`${g.hubUrl}/hub/api/user`, { headers: { authorization: `Bearer ${token}` } })).json()) as { name: string; scopes: string[] };
  expect(me).toMatchObject({ name: "alice", scopes: ["access:services!service=whoami-oauth"] });
  expect((await fetch(`${g.hubUrl}/hub/api/users/alice`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
  // no session: the authorize page sends the browser to log in first, the consent POST is refused
  const anon = await fetch(`${direct()}/hub/api/oauth2/authorize?${q({})}`, { redirect: "manual" });
  expect(anon.status).toBe(302);
  expect(anon.headers.get("location")).toMatch(/^\/hub\/login\?next=%2Fhub%2Fapi%2Foauth2%2Fauthorize/);
});
