// Issue 4 in a real Chromium: GitHub login against a local GitHub Enterprise stand-in
// (e2e/fixtures/fake-github.ts), org/team rules, refusals with a clear page, logout, session
// revocation honoured by the proxy, API tokens with scopes, security headers.
import { test, expect, type Page } from "@playwright/test";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ADMIN, login, startGyre, startServerViaApi, type Gyre } from "./harness";
import { startFakeGitHub, type FakeGitHub } from "./fixtures/fake-github";

const BASE_PORT = 7740;
const GITHUB_PORT = 7749;
const CLIENT = { id: "gyre-e2e-client", secret: "gyre-e2e-client-secret-0123456789" };

let g: Gyre;
let gh: FakeGitHub;

test.beforeAll(async () => {
  gh = await startFakeGitHub({
    port: GITHUB_PORT,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    users: [
      { id: 101, login: "Alice", orgs: [], teams: [] },
      { id: 102, login: "bob", orgs: ["Pangeo-Data"], teams: [] },
      { id: 103, login: "carol", orgs: ["science"], teams: ["science:hub-users", "science:ocean"] },
      { id: 104, login: "erin", orgs: ["science"], teams: ["science:admins"] },
      { id: 105, login: "mallory", orgs: ["elsewhere"], teams: ["elsewhere:all"] },
    ],
  });
  g = await startGyre({
    basePort: BASE_PORT,
    env: {
      GYRE_AUTH__GITHUB__ENABLED: "true",
      GYRE_AUTH__GITHUB__CLIENT_ID: CLIENT.id,
      GYRE_AUTH__GITHUB__CLIENT_SECRET: CLIENT.secret,
      GYRE_AUTH__GITHUB__ENTERPRISE_URL: gh.url,
      GYRE_AUTH__GITHUB__ALLOWED_USERS: '["alice"]',
      GYRE_AUTH__GITHUB__ALLOWED_ORGANIZATIONS: '["pangeo-data"]',
      GYRE_AUTH__GITHUB__ALLOWED_TEAMS: '["science:hub-users"]',
      GYRE_AUTH__GITHUB__ADMIN_TEAMS: '["science:admins"]',
    },
  });
});
test.afterAll(async () => {
  await g?.stop();
  await gh?.close();
});

/** Starts the GitHub flow from the login page and stops on the stand-in's consent page. */
async function toConsent(page: Page, who: string): Promise<void> {
  gh.signIn(who);
  await page.goto(`${g.url}/hub/login`);
  await page.getByTestId("login-github").click();
  await expect(page.locator("#gh-login")).toHaveText(who);
}

async function githubLogin(page: Page, who: string): Promise<void> {
  await toConsent(page, who);
  await page.locator("#js-oauth-authorize-btn").click();
}

/** Starts the user's default server unless it is already running (tests may run on their own). */
async function ensureServer(user: string): Promise<void> {
  const m = (await (await g.api(user, `/hub/api/users/${user}`)).json()) as { servers: Record<string, { ready: boolean }> };
  if (!m.servers[""]?.ready) await startServerViaApi(g, user);
}

function dbRows<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(join(g.dataDir, "gyre.db"), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

test("the login page offers both a password and GitHub; an allowed user gets in with the minimal scope", async ({ page }) => {
  await page.goto(`${g.url}/hub/login`);
  await expect(page.getByTestId("login-submit")).toBeVisible();
  await expect(page.getByTestId("login-github")).toBeVisible();
  await githubLogin(page, "Alice");
  await expect(page.getByTestId("current-user")).toHaveText("alice");
  expect(gh.lastScopes).toBe("read:org"); // org/team rules are configured
  const [u] = dbRows<{ authSource: string; githubId: string; admin: number }>("SELECT authSource, githubId, admin FROM User WHERE name = 'alice'");
  expect(u).toEqual({ authSource: "github", githubId: "101", admin: 0 });
});

test("a person outside every rule sees why and gets no account", async ({ page }) => {
  await githubLogin(page, "mallory");
  await expect(page).toHaveURL(/\/hub\/login\?/);
  await expect(page.getByTestId("login-error")).toContainText("GitHub user mallory is not allowed on this hub");
  expect(dbRows("SELECT id FROM User WHERE name = 'mallory'")).toHaveLength(0);
});

test("allowed by organisation", async ({ page }) => {
  await githubLogin(page, "bob");
  await expect(page.getByTestId("current-user")).toHaveText("bob");
});

test("allowed by team; teams become hub groups, refreshed at the next login", async ({ page, context }) => {
  await githubLogin(page, "carol");
  await expect(page.getByTestId("current-user")).toHaveText("carol");
  const groups = () =>
    dbRows<{ name: string }>(
      "SELECT g.name FROM \"Group\" g JOIN GroupMember m ON m.groupId = g.id JOIN User u ON u.id = m.userId WHERE u.name = 'carol' ORDER BY g.name",
    ).map((r) => r.name);
  expect(groups()).toEqual(["science:hub-users", "science:ocean"]);
  expect(dbRows("SELECT id FROM User WHERE name = 'carol' AND admin = 1")).toHaveLength(0);
  await context.clearCookies();
  // carol leaves science:ocean on GitHub (the stand-in is restarted with the new membership).
  await gh.close();
  gh = await startFakeGitHub({
    port: GITHUB_PORT,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    users: [{ id: 103, login: "carol", orgs: ["science"], teams: ["science:hub-users"] }],
  });
  await githubLogin(page, "carol");
  await expect(page.getByTestId("current-user")).toHaveText("carol");
  expect(groups()).toEqual(["science:hub-users"]);
  await gh.close();
  gh = await startFakeGitHub({
    port: GITHUB_PORT,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    users: [
      { id: 101, login: "Alice" },
      { id: 104, login: "erin", orgs: ["science"], teams: ["science:admins"] },
      { id: 105, login: "mallory", orgs: ["elsewhere"] },
    ],
  });
});

test("admin by team", async ({ page }) => {
  await githubLogin(page, "erin");
  await expect(page.getByTestId("current-user")).toHaveText("erin");
  await page.goto(`${g.url}/hub/admin`);
  await expect(page.getByTestId("users-table")).toBeVisible();
});

test("a state that does not match this browser is refused", async ({ page, context }) => {
  await toConsent(page, "Alice");
  await context.clearCookies({ name: "gyre-oauth-state" });
  await page.locator("#js-oauth-authorize-btn").click();
  await expect(page.getByTestId("login-error")).toContainText("state did not match");
  await expect(page.getByTestId("current-user")).toHaveCount(0);
  // A forged callback (code and state made up) is refused the same way.
  await page.goto(`${g.url}/hub/oauth_callback?code=abc&state=forged`);
  await expect(page.getByTestId("login-error")).toContainText("state did not match");
});

test("a user who denies consent sees that they declined", async ({ page }) => {
  await toConsent(page, "Alice");
  await page.locator("#js-oauth-deny-btn").click();
  await expect(page.getByTestId("login-error")).toContainText("You declined to authorize this hub on GitHub");
});

test("a failing token exchange ends on a clear error page (error answer and server error)", async ({ page }) => {
  for (const mode of ["bad_verification_code", "http-500"] as const) {
    gh.tokenExchange = mode;
    try {
      await githubLogin(page, "Alice");
      await expect(page.getByTestId("login-error")).toContainText("exchanging the authorization code for a token failed");
    } finally {
      gh.tokenExchange = "ok";
    }
  }
  expect(g.logs()).not.toContain(CLIENT.secret);
});

test("logout revokes the session", async ({ page }) => {
  await githubLogin(page, "Alice");
  await expect(page.getByTestId("current-user")).toHaveText("alice");
  await page.getByTestId("logout-link").click();
  await expect(page.getByTestId("login-info")).toBeVisible();
  await page.goto(`${g.url}/hub/home`);
  await expect(page).toHaveURL(/\/hub\/login/);
});

test("revoking a user's sessions cuts their access to their server through the proxy within seconds", async ({ page, browser }) => {
  await githubLogin(page, "Alice");
  await expect(page.getByTestId("current-user")).toHaveText("alice");
  await ensureServer("alice");
  const ok = await page.goto(`${g.url}/user/alice/api/status`);
  expect(ok?.status()).toBe(200);

  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await login(admin, g, ADMIN.name, ADMIN.password); // local accounts keep working beside GitHub
  await admin.goto(`${g.url}/hub/admin/users/alice`);
  admin.once("dialog", (d) => void d.accept());
  await admin.getByTestId("revoke-sessions-alice").click();
  await expect(admin.getByTestId("admin-info")).toContainText("Revoked all sessions of alice");
  const t0 = Date.now();
  await expect
    .poll(
      async () => {
        await page.goto(`${g.url}/user/alice/api/status`);
        return page.url();
      },
      { timeout: 10_000, intervals: [250] },
    )
    .toMatch(/\/hub\/login\?next=/);
  console.log(`revocation honoured by the proxy after ${Date.now() - t0} ms`);
  await adminCtx.close();
});

test("API tokens: created on /hub/token with scopes, shown once, enforced by the REST API and the proxy, revocable", async ({ page }) => {
  await githubLogin(page, "Alice");
  await ensureServer("alice");
  await page.goto(`${g.url}/hub/token`);
  const create = async (note: string, scopes: string[]) => {
    await page.getByLabel("Note", { exact: true }).fill(note);
    for (const box of await page.locator('input[name="scopes"]').all()) await box.setChecked(scopes.includes((await box.getAttribute("value"))!));
    await page.getByTestId("token-create").click();
    const token = (await page.getByTestId("token-value").textContent())!.trim();
    expect(token.length).toBeGreaterThan(30);
    return token;
  };
  const reach = await create("notebook script", ["access:servers"]);
  const narrow = await create("start/stop only", ["servers"]);
  await expect(page.getByTestId("tokens-table")).toContainText("notebook script");
  await expect(page.getByTestId("tokens-table")).toContainText("start/stop only");
  await page.reload();
  await expect(page.getByTestId("token-value")).toHaveCount(0); // shown once
  expect(dbRows<{ hash: string }>("SELECT hash FROM ApiToken").some((r) => r.hash === reach)).toBe(false); // stored hashed

  const get = (path: string, token: string) => fetch(`${g.url}${path}`, { headers: { authorization: `token ${token}` }, redirect: "manual" });
  expect((await get("/user/alice/api/status", reach)).status).toBe(200);
  const noAccess = await get("/user/alice/api/status", narrow);
  expect(noAccess.status).toBe(403);
  expect(((await noAccess.json()) as { message: string }).message).toContain("lacks the access:servers scope"); // the proxy says why
  expect((await get("/hub/api/users/alice", reach)).status).toBe(403); // no read:users
  const denied = await get("/hub/api/users/alice/tokens", narrow);
  expect(denied.status).toBe(403);
  expect(((await denied.json()) as { message: string }).message).toContain('lacks the scope "read:tokens"');
  expect((await get("/hub/api/users/alice/server/progress", narrow)).status).not.toBe(403);

  // The list shows last use; revoking in the page stops the REST API at once.
  await page.reload();
  const row = page.locator("tr", { hasText: "notebook script" });
  await expect(row).not.toContainText("never");
  page.once("dialog", (d) => void d.accept());
  await page
    .locator("tr", { hasText: "start/stop only" })
    .getByRole("button", { name: /Revoke/ })
    .click();
  await expect(page.getByTestId("tokens-table")).not.toContainText("start/stop only");
  expect((await get("/hub/api/users/alice/server/progress", narrow)).status).toBe(403);
});

test("security headers are on Next pages, static files, the API, Express routes and 404s", async ({ request }) => {
  const page = await request.get(`${g.url}/hub/login`);
  const html = await page.text();
  const asset = /\/hub\/_next\/static\/[^"]+\.js/.exec(html)?.[0];
  expect(asset).toBeTruthy();
  for (const path of ["/hub/login", asset!, "/hub/api", "/hub/no-such-page", "/hub/oauth_login"]) {
    const r = await request.get(`${g.url}${path}`, { maxRedirects: 0 });
    const h = r.headers();
    expect(h["content-security-policy"], path).toContain("frame-ancestors 'self'");
    expect(h["x-content-type-options"], path).toBe("nosniff");
    expect(h["referrer-policy"], path).toBe("same-origin");
  }
});
