// Local accounts: first-run setup link (no default password), failed-login rate limit, user-name
// rules, and the REST API's JupyterHub-compatible contract and error handling.
import { test, expect } from "@playwright/test";
import { ADMIN, createUser, login, startGyre, type Gyre } from "./harness";

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
    // Nobody can log in with a guessable default.
    await page.goto(`${g.url}/hub/login`);
    await page.getByLabel(/user ?name/i).fill("admin");
    await page.getByLabel(/password/i).fill("admin");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toBeVisible();

    await page.goto(link!);
    await page.getByLabel(/user ?name/i).fill("Chief");
    await page.getByLabel(/^password$/i).fill("chief-password-1");
    await page.getByLabel(/repeat|again|confirm/i).fill("chief-password-1");
    await page.getByTestId("setup-submit").click();
    await expect(page).toHaveURL(/\/hub\/admin/);
    await expect(page.getByTestId("current-user")).toContainText("chief");
    // The link works once.
    await page.context().clearCookies();
    await page.goto(link!);
    await page.getByLabel(/user ?name/i).fill("second");
    await page.getByLabel(/^password$/i).fill("second-password-1");
    await page.getByLabel(/repeat|again|confirm/i).fill("second-password-1");
    await page.getByTestId("setup-submit").click();
    await expect(page.getByTestId("setup-error")).toBeVisible();
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
    expect(((await r.json()) as { message: string }).message).toMatch(/letter first/);
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
    expect(page1._pagination.next!.url).toMatch(new RegExp(`^${g.url}/hub/api/users\\?.*offset=2`));
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

  test("/hub/user-redirect/ sends whoever is signed in to their own server, and anonymous users to the login page first", async ({ page }) => {
    const anon = await fetch(`${g.url}/hub/user-redirect/tree/data?x=1`, { redirect: "manual" });
    expect(anon.status).toBe(302);
    expect(anon.headers.get("location")).toBe(`${g.url}/hub/login?next=${encodeURIComponent("/hub/user-redirect/tree/data?x=1")}`);
    await login(page, g, "eve", "eve-password-12");
    const r = await page.request.get(`${g.url}/hub/user-redirect/tree/data?x=1`, { maxRedirects: 0 });
    expect(r.status()).toBe(302);
    expect(r.headers()["location"]).toBe(`${g.url}/user/eve/tree/data?x=1`);
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
