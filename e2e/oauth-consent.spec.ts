// The OAuth provider's consent page in Chromium, for a non-trusted client: a service whose
// registered redirect URI is on another origin (a real HTTP listener in this process, as a
// Grafana or a dashboard elsewhere would be). Authorize sends the browser to the callback with a
// code and the same state, and the code exchanges for a token that works; Deny sends it back with
// error=access_denied and makes nothing. What is refused in the browser: the consent form posted
// from another origin's page (same site, so the session cookie goes with it: only the Origin
// check stands in the way — even with the right CSRF token), from another site's page, and the
// hub's own form with a missing or wrong CSRF token. Nothing reaches the callback then.
import { test, expect, type Page } from "@playwright/test";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SAME_SITE_HUB_HOST, createUser, login, startGyre, type Gyre } from "./harness";

const PORT = 7970;
/** the client's own site: its callback, and the pages of "another origin" */
const SITE_PORT = 7974;
const CLIENT = "service-dash";
const SECRET = "d".repeat(24) + "-dash-service-secret";
const CALLBACK = `http://127.0.0.1:${SITE_PORT}/cb`;

let g: Gyre;
let site: Server;
/** every request the callback received, in order */
const callbacks: URL[] = [];
/** the body of the page /evil serves next (a form posting to the hub) */
let evilPage = "";

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // no host: both address families, as Chromium may reach *.localhost over ::1 or 127.0.0.1
    server.listen(port, () => resolve());
  });
}

test.beforeAll(async () => {
  site = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    if (url.pathname === "/cb") {
      callbacks.push(url);
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>callback</title><h1>callback reached</h1>");
    } else if (url.pathname === "/evil") res.writeHead(200, { "content-type": "text/html" }).end(evilPage);
    else res.writeHead(404).end();
  });
  await listen(site, SITE_PORT);
  // hub and users' origins on one site (gyre.localhost): a page on evil.gyre.localhost is same-site
  g = await startGyre({
    basePort: PORT,
    hubHost: SAME_SITE_HUB_HOST,
    config: { services: [{ name: "dash", url: `http://127.0.0.1:${SITE_PORT}`, oauthRedirectUri: CALLBACK, apiToken: SECRET }] },
  });
  await createUser(g, "alice", "alice-password-123");
});
test.afterAll(async () => {
  await g?.stop();
  await new Promise((r) => site?.close(r));
});

const authorizeUrl = (state: string) =>
  `${g.url}/hub/api/oauth2/authorize?${new URLSearchParams({ client_id: CLIENT, redirect_uri: CALLBACK, response_type: "code", state })}`;

/** OAuth codes and OAuth access tokens stored for alice */
function stored(): { codes: number; tokens: number } {
  const db = new Database(join(g.dataDir, "gyre.db"), { readonly: true });
  try {
    const codes = (db.prepare("SELECT count(*) AS n FROM OAuthCode").get() as { n: number }).n;
    const tokens = (db.prepare("SELECT count(*) AS n FROM ApiToken WHERE oauthClient IS NOT NULL").get() as { n: number }).n;
    return { codes, tokens };
  } finally {
    db.close();
  }
}

async function openConsent(page: Page, state: string): Promise<void> {
  await page.goto(authorizeUrl(state));
  await expect(page.locator("main p").first()).toContainText(`dash (OAuth client ${CLIENT}) asks to identify you as alice`);
  await expect(page.locator("ul.scopes li")).toHaveText(["access:services!service=dash"]);
}

/** the callback's next request, once the browser has been sent there */
async function nextCallback(page: Page, before: number): Promise<URL> {
  // a form-action that leaves out the client's origin stops the redirect with only a console message
  const console: string[] = [];
  page.on("console", (m) => console.push(m.text()));
  await page
    .waitForURL((u) => u.href.startsWith(CALLBACK), { timeout: 30_000 })
    .catch((e: Error) => {
      throw new Error(`${e.message}\nconsole: ${console.join("\n")}`);
    });
  await expect(page.locator("h1")).toHaveText("callback reached");
  expect(callbacks).toHaveLength(before + 1);
  return callbacks[before];
}

function exchange(code: string): Promise<globalThis.Response> {
  return fetch(`${g.hubUrl}/hub/api/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code, redirect_uri: CALLBACK }),
  });
}

test("Authorize: the browser lands on the client's callback with a code and the same state; the code exchanges for alice's token, which works", async ({
  page,
}) => {
  await login(page, g, "alice", "alice-password-123");
  await openConsent(page, "state-authorize-1");
  const before = callbacks.length;
  await page.getByRole("button", { name: "Authorize" }).click();
  const back = await nextCallback(page, before);
  expect(back.searchParams.get("state")).toBe("state-authorize-1");
  expect(back.searchParams.get("error")).toBeNull();
  const code = back.searchParams.get("code");
  expect(code).toMatch(/^\S{20,}$/);

  const r = await exchange(code!);
  expect(r.status).toBe(200);
  const body = (await r.json()) as { access_token: string; token_type: string; scope: string };
  expect(body.token_type).toBe("Bearer");
  const me = await fetch(`${g.hubUrl}/hub/api/user`, { headers: { authorization: `Bearer ${body.access_token}` } });
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ kind: "user", name: "alice", scopes: ["access:services!service=dash"] });
  // used once
  expect((await exchange(code!)).status).toBe(400);
});

test("Deny: the browser lands on the callback with error=access_denied and the state; no code and no token are made", async ({ page }) => {
  await login(page, g, "alice", "alice-password-123");
  await openConsent(page, "state-deny-2");
  const made = stored();
  const before = callbacks.length;
  await page.getByRole("button", { name: "Deny" }).click();
  const back = await nextCallback(page, before);
  expect(Object.fromEntries(back.searchParams)).toEqual({ error: "access_denied", state: "state-deny-2" });
  expect(stored()).toEqual(made);
});

/** Submits the form on `page` and returns the authorize POST's answer; the browser stays off the callback. */
async function submitRefused(page: Page, submit: () => Promise<void>): Promise<{ status: number; text: string }> {
  const before = callbacks.length;
  const made = stored();
  const answer = page.waitForResponse((r) => r.url().startsWith(`${g.url}/hub/api/oauth2/authorize`) && r.request().method() === "POST");
  await submit();
  const r = await answer;
  const text = await r.text();
  await page.waitForLoadState();
  expect(page.url().startsWith(CALLBACK)).toBe(false);
  expect(callbacks).toHaveLength(before);
  expect(stored()).toEqual(made);
  return { status: r.status(), text };
}

test("refused in the browser: the hub's own consent form with a wrong or missing CSRF token", async ({ page }) => {
  await login(page, g, "alice", "alice-password-123");
  await openConsent(page, "state-csrf-3");
  const wrong = await submitRefused(page, async () => {
    await page.locator('input[name="_xsrf"]').evaluate((el: HTMLInputElement) => (el.value = "not-the-session-token"));
    await page.getByRole("button", { name: "Authorize" }).click();
  });
  expect(wrong.status).toBe(403);
  expect(wrong.text).toContain("CSRF");

  await openConsent(page, "state-csrf-4");
  const missing = await submitRefused(page, async () => {
    await page.locator('input[name="_xsrf"]').evaluate((el) => el.remove());
    await page.getByRole("button", { name: "Authorize" }).click();
  });
  expect(missing.status).toBe(403);
  expect(missing.text).toContain("CSRF");
});

/** A page elsewhere whose form posts alice's decision to the hub's authorize endpoint. */
function forgedForm(fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
    .join("");
  return `<!doctype html><title>win a prize</title><form method="post" action="${g.url}/hub/api/oauth2/authorize">${inputs}<button type="submit" name="decision" value="allow">Claim</button></form>`;
}

test("refused in the browser: the consent form posted from another origin of the hub's site and from another site, even with alice's CSRF token", async ({
  page,
}) => {
  await login(page, g, "alice", "alice-password-123");
  await openConsent(page, "state-forged-5");
  // the strongest forgery: the session's real CSRF token, leaked to the other page
  const csrf = await page.locator('input[name="_xsrf"]').inputValue();
  evilPage = forgedForm({ client_id: CLIENT, redirect_uri: CALLBACK, response_type: "code", state: "forged", _xsrf: csrf });
  for (const origin of [`http://evil.${SAME_SITE_HUB_HOST}:${SITE_PORT}`, `http://127.0.0.1:${SITE_PORT}`]) {
    await page.goto(`${origin}/evil`);
    const refused = await submitRefused(page, () => page.getByRole("button", { name: "Claim" }).click());
    expect(refused.status, origin).toBe(403);
    // same site: the session cookie went along, and the Origin check refused it
    if (origin.includes(SAME_SITE_HUB_HOST)) expect(refused.text).toContain("Cross-site request refused");
  }
  // alice's own consent page still works with that token: the refusals were the other pages'
  await openConsent(page, "state-after-6");
  const before = callbacks.length;
  await page.getByRole("button", { name: "Authorize" }).click();
  expect((await nextCallback(page, before)).searchParams.get("state")).toBe("state-after-6");
});
