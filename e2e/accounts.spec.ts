// Local accounts: first-run setup link (no default password), failed-login rate limit, user-name
// rules, and the REST API's JupyterHub-compatible contract and error handling.
import { test, expect } from "@playwright/test";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ADMIN, createUser, login, startGyre, type Gyre } from "./harness";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

test.describe("first run", () => {
  let g: Gyre;
  test.beforeAll(async () => {
    g = await startGyre({ basePort: 7710, initialAdmin: false });
  });
  test.afterAll(async () => {
    await g?.stop();
  });

  test("without configured admin the terminal shows a one-time setup link that creates the admin", async ({ page }) => {
    const link = /(http:\/\/\S+\/hub\/setup\?token=[A-Za-z0-9_-]+)/.exec(g.logs())?.[1];
    expect(link, g.logs().slice(-2000)).toBeTruthy();
    // The same link is kept in the data directory for `npm start`'s final banner.
    expect(readFileSync(join(g.dataDir, "setup-link"), "utf8").trim()).toBe(link);
    // Nobody can log in with a guessable default, and the login page says where the way in is.
    await page.goto(`${g.url}/hub/login`);
    await expect(page.getByTestId("login-setup-hint")).toContainText(/setup link/i);
    await page.getByLabel(/user ?name/i).fill("admin");
    await page.getByLabel(/password/i).fill("admin");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toBeVisible();

    // A mistake keeps what was typed in the name field.
    await page.goto(link!);
    await page.getByLabel(/user ?name/i).fill("Chief");
    await page.getByLabel(/^password$/i).fill("chief-password-1");
    await page.getByLabel(/repeat|again|confirm/i).fill("chief-password-2");
    await page.getByTestId("setup-submit").click();
    await expect(page.getByTestId("setup-error")).toContainText(/do not match/);
    await expect(page.getByLabel(/user ?name/i)).toHaveValue("Chief");
    await page.getByLabel(/^password$/i).fill("chief-password-1");
    await page.getByLabel(/repeat|again|confirm/i).fill("chief-password-1");
    await page.getByTestId("setup-submit").click();
    await expect(page).toHaveURL(/\/hub\/admin/);
    await expect(page.getByTestId("current-user")).toContainText("chief");
    expect(existsSync(join(g.dataDir, "setup-link"))).toBe(false);
    // The link works once; afterwards it says setup is done and how to recover a lost password.
    await page.context().clearCookies();
    await page.goto(link!);
    await expect(page.getByTestId("setup-error")).toContainText(/Setup is complete/);
    await expect(page.getByTestId("setup-error")).toContainText("npm run reset-password");
    await expect(page.getByTestId("setup-submit")).toHaveCount(0);
    // A token the database never held (mistyped, cut short) is an invalid link, not "setup is complete".
    await page.goto(`${g.url}/hub/setup?token=not-a-token-this-hub-made`);
    await expect(page.getByTestId("setup-error")).toContainText(/invalid, already used or expired/);
    await expect(page.getByTestId("setup-error")).not.toContainText(/Setup is complete/);
    await expect(page.getByTestId("setup-submit")).toHaveCount(0);
    await page.goto(`${g.url}/hub/login`);
    await expect(page.getByTestId("login-setup-hint")).toHaveCount(0);
    // A form posted from the old page is refused the same way (nothing created).
    const r = await page.request.post(`${g.url}/hub/setup`, {
      form: { token: new URL(link!).searchParams.get("token")!, username: "second", password: "second-password-1", password2: "second-password-1" },
      maxRedirects: 0,
      headers: { origin: g.url },
    });
    expect(r.status()).toBe(303);
    expect(r.headers().location).toContain("error=done");
  });

  test("npm run reset-password prints a one-time link that sets a new password and ends other sessions", async ({ page, browser }) => {
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await login(otherPage, g, "chief", "chief-password-1");
    const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/gyre-up.ts", "reset-password", "chief"], {
      cwd: ROOT,
      env: g.env as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    const link = /(http:\/\/\S+\/hub\/setup\?token=[A-Za-z0-9_-]+)/.exec(out)?.[1];
    expect(link, out).toBeTruthy();
    await page.goto(link!);
    await expect(page.getByRole("heading", { name: "Set a new password" })).toBeVisible();
    await expect(page.getByLabel(/user ?name/i)).toHaveValue("chief");
    await page.getByLabel(/^password$/i).fill("chief-password-new");
    await page.getByLabel(/repeat|again|confirm/i).fill("chief-password-new");
    await page.getByTestId("setup-submit").click();
    await expect(page.getByTestId("current-user")).toContainText("chief");
    // The session elsewhere ended; the old password no longer works, the new one does.
    await otherPage.goto(`${g.url}/hub/home`);
    await expect(otherPage).toHaveURL(/\/hub\/login/);
    await otherPage.getByLabel(/user ?name/i).fill("chief");
    await otherPage.getByLabel(/password/i).fill("chief-password-1");
    await otherPage.getByTestId("login-submit").click();
    await expect(otherPage.getByTestId("login-error")).toContainText(/wrong/i);
    await login(otherPage, g, "chief", "chief-password-new");
    await other.close();
    // Used once: the link now explains itself.
    await page.goto(link!);
    await expect(page.getByTestId("setup-error")).toContainText(/already used or expired/);
    // Unknown users get a clear error and no link.
    const bad = spawnSync(process.execPath, ["--import", "tsx", "scripts/gyre-up.ts", "reset-password", "nobody"], {
      cwd: ROOT,
      env: g.env as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("There is no user named nobody");
  });
});

test.describe("accounts and API", () => {
  let g: Gyre;
  test.beforeAll(async () => {
    g = await startGyre({ basePort: 7735 });
    await createUser(g, "dora", "dora-password-12");
  });
  test.afterAll(async () => {
    await g?.stop();
  });

  test("failed logins are rate-limited per user name, and the message says so", async ({ page }) => {
    for (let i = 0; i < 5; i++) {
      await page.goto(`${g.url}/hub/login`);
      await page.getByLabel(/user ?name/i).fill("dora");
      await page.getByLabel(/password/i).fill(`wrong-${i}`);
      await page.getByTestId("login-submit").click();
      await expect(page.getByTestId("login-error")).toContainText(/wrong/i);
    }
    // Now even the right password is refused for a while.
    await page.getByLabel(/user ?name/i).fill("dora");
    await page.getByLabel(/password/i).fill("dora-password-12");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toContainText(/too many/i);
    // Other users from the same address are not affected (the per-address limit is higher).
    await login(page, g, ADMIN.name, ADMIN.password);
  });

  test("user names are normalised and validated with a clear message", async () => {
    let r = await g.api(ADMIN.name, "/hub/api/users/Eve", { method: "POST", body: JSON.stringify({ password: "eve-password-12" }) });
    expect(r.status).toBe(201);
    expect(((await r.json()) as { name: string }).name).toBe("eve");
    r = await g.api(ADMIN.name, "/hub/api/users/bad%20name", { method: "POST", body: JSON.stringify({}) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/letter or digit first/);
    r = await g.api(ADMIN.name, "/hub/api/users/eve", { method: "POST", body: JSON.stringify({}) });
    expect(r.status).toBe(409);
  });

  test("the REST API follows JupyterHub's shapes, pagination and status codes", async () => {
    for (const n of ["p1", "p2", "p3"]) await createUser(g, n, "pagepassword1");
    expect(((await (await g.api(ADMIN.name, "/hub/api")).json()) as { version: string }).version).toBeTruthy();
    const plain = (await (await g.api(ADMIN.name, "/hub/api/users")).json()) as { name: string; kind: string }[];
    expect(Array.isArray(plain)).toBe(true);
    expect(plain.map((u) => u.name)).toEqual(expect.arrayContaining(["admin", "dora", "p1", "p2", "p3"]));
    const page1 = (await (await g.api(ADMIN.name, "/hub/api/users?limit=2", { headers: { accept: "application/jupyterhub-pagination+json" } })).json()) as {
      items: { name: string }[];
      _pagination: { offset: number; limit: number; total: number; next: { url: string; offset: number } | null };
    };
    expect(page1.items).toHaveLength(2);
    expect(page1._pagination).toMatchObject({ offset: 0, limit: 2 });
    expect(page1._pagination.total).toBeGreaterThanOrEqual(5);
    // on the origin the client used (g.api goes to the proxy's address, which serves tokens on any host)
    expect(page1._pagination.next!.url).toMatch(/^http:\/\/127\.0\.0\.1:7735\/hub\/api\/users\?.*offset=2/);
    const ready = (await (await g.api(ADMIN.name, "/hub/api/users?state=ready")).json()) as unknown[];
    expect(ready).toEqual([]);
    expect((await g.api(ADMIN.name, "/hub/api/users?state=bogus")).status).toBe(400);
    expect((await g.api(ADMIN.name, "/hub/api/users/nobody")).status).toBe(404);
    // Permissions: a user sees themselves, not the list; anonymous gets 401.
    expect((await g.api("dora", "/hub/api/users")).status).toBe(403);
    expect((await g.api("dora", "/hub/api/users/dora")).status).toBe(200);
    expect((await g.api("dora", "/hub/api/users/p1")).status).toBe(403);
    expect((await fetch(`${g.url}/hub/api/users/dora`)).status).toBe(401);
    // Malformed input: a clear 4xx, nothing changed.
    const bad = await g.api(ADMIN.name, "/hub/api/users/dora/server", { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/not valid JSON/);
    expect((await g.api(ADMIN.name, "/hub/api/users/dora/servers/proxy", { method: "POST", body: "{}" })).status).toBe(400);
    const dora = (await (await g.api(ADMIN.name, "/hub/api/users/dora")).json()) as { servers: object };
    expect(dora.servers).toEqual({});
  });

  test("unknown API paths answer JSON 404 for every method; pages carry the favicon; refusals are styled pages", async ({ page }) => {
    for (const [method, path] of [
      ["GET", "/hub/api/nope"],
      ["POST", "/hub/api/users/dora/nope"],
      ["DELETE", "/hub/api/a/b/c"],
      ["PATCH", "/hub/api/proxy/nope"],
    ] as const) {
      const r = await g.api(ADMIN.name, path, { method, ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }) });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/application\/json/);
      expect(((await r.json()) as { message: string }).message).toContain(path);
    }
    // Known paths still reach their handlers (the catch-all does not shadow them).
    expect((await g.api(ADMIN.name, "/hub/api/users/dora")).status).toBe(200);
    const icon = await fetch(`${g.url}/hub/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toContain("image/svg+xml");
    await page.goto(`${g.url}/hub/login`);
    await expect(page.locator('link[rel="icon"]')).toHaveAttribute("href", /\/hub\/favicon\.svg/);
    // Another user's server: the proxy's 403 page looks like the hub's, with its own title.
    await createUser(g, "fay", "fay-password-12");
    await login(page, g, "fay", "fay-password-12");
    // (per-user origins: the hub will not hand fay a session on dora's origin)
    await page.goto(`${g.url}/user/dora/tree`);
    await expect(page.getByTestId("origin-login-forbidden")).toBeVisible();
    // the proxy's own refusal there (a request from another origin) is the styled page too
    const res = await page.request.get(g.userUrl("dora", "tree"), { headers: { origin: "http://evil.example", accept: "text/html" }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    const html = await res.text();
    expect(html).toContain("<h1>Access denied</h1>");
    expect(html).toMatch(/<title>403 Access denied · Gyre<\/title>/);
    // A cross-site form post to the hub is refused with the same styled page, not raw JSON.
    const cross = await page.request.post(`${g.url}/hub/logout`, { headers: { origin: "http://evil.example", accept: "text/html" }, form: {} });
    expect(cross.status()).toBe(403);
    expect(await cross.text()).toContain("<h1>Access denied</h1>");
  });

  test("/hub/user-redirect/ sends whoever is signed in to their own server, and anonymous users to the login page first", async ({ page }) => {
    const anon = await fetch(`${g.url}/hub/user-redirect/tree/data?x=1`, { redirect: "manual" });
    expect(anon.status).toBe(302);
    expect(anon.headers.get("location")).toBe(`${g.url}/hub/login?next=${encodeURIComponent("/hub/user-redirect/tree/data?x=1")}`);
    await login(page, g, "eve", "eve-password-12");
    const r = await page.request.get(`${g.url}/hub/user-redirect/tree/data?x=1`, { maxRedirects: 0 });
    expect(r.status()).toBe(302);
    expect(r.headers()["location"]).toBe(g.userUrl("eve", "tree/data?x=1")); // on eve's own origin
  });

  test("cookie-authenticated state changes need the CSRF token and a same-origin request", async ({ page }) => {
    await login(page, g, "eve", "eve-password-12"); // dora is locked out by the rate-limit test
    // Same origin, but without X-Gyre-CSRF: refused.
    const noToken = await page.request.post(`${g.url}/hub/api/users/eve/server`, { data: {}, headers: { origin: g.url } });
    expect(noToken.status()).toBe(403);
    // Cross-site: refused by the Origin check before anything else.
    const cross = await page.request.post(`${g.url}/hub/api/users/eve/server`, { data: {}, headers: { origin: "http://evil.example" } });
    expect(cross.status()).toBe(403);
    const after = (await (await g.api(ADMIN.name, "/hub/api/users/eve")).json()) as { servers: object };
    expect(after.servers).toEqual({});
  });
});
