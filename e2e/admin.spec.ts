// The control panel in a real Chromium against a real hub and proxy with 5,000 users seeded
// straight into its database: search, sort and page through them from the keyboard alone, act on
// many at once, groups, blocking (refused at login and at the proxy), and a user's own named
// server (created, opened through the proxy, deleted) and password.
import { test, expect, type Page } from "@playwright/test";
import { join } from "node:path";
import { ADMIN, createUser, login, startGyre, type Gyre } from "./harness";
import { openDatabase } from "../app/_lib/db/open";
import { seedUsers, seededName } from "../app/_lib/testing/seed-users";

const SEEDED = 5000;
/** Screenshots of the pages, copied into docs/screenshots/ for the README when they change. */
const SHOTS = join(process.cwd(), "test-results", "screenshots");
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
let g: Gyre;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  g = await startGyre({ basePort: 7760 });
  const { db } = await openDatabase(`file:${join(g.dataDir, "gyre.db")}`);
  try {
    const t0 = Date.now();
    await seedUsers(db, { count: SEEDED, now: new Date(), groups: 10, activeServers: false });
    console.log(`seeded ${SEEDED} users in ${Date.now() - t0} ms`);
  } finally {
    await db.$disconnect();
  }
});
test.afterAll(async () => {
  await g?.stop();
});

/** Presses Tab until `selector` has the focus (at most `max` times): keyboard-only navigation. */
async function tabTo(page: Page, testIdOrLabel: { testId?: string; id?: string }, max = 400): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const hit = await page.evaluate((t) => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return false;
      return (t.testId !== undefined && el.dataset.testid === t.testId) || (t.id !== undefined && el.id === t.id);
    }, testIdOrLabel);
    if (hit) return;
  }
  throw new Error(`Tab never reached ${JSON.stringify(testIdOrLabel)}`);
}

test("keyboard only: search 5,000 users, sort by a column, page on; the whole view is in the URL", async ({ page }) => {
  await login(page, g, ADMIN.name, ADMIN.password);
  await page.goto(`${g.url}/hub/admin`);
  await expect(page.getByTestId("users-count")).toContainText(`${(SEEDED + 1).toLocaleString("en")} users match`);

  // search: Tab to the name field, type, Enter
  await tabTo(page, { id: "users-q" });
  await page.keyboard.type("chen");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/hub\/admin\?q=chen$/);
  const expected = Array.from({ length: SEEDED }, (_, i) => seededName(i))
    .filter((n) => n.includes("chen"))
    .sort();
  await expect(page.getByTestId("users-count")).toContainText(`${expected.length.toLocaleString("en")} users match`);
  await expect(page.locator("[data-testid^=user-row-]").first()).toHaveAttribute("data-testid", `user-row-${expected[0]}`);

  // sort by name, descending: Tab to the column's link, Enter (twice: the first press sorts ascending → it is already, so descending)
  await tabTo(page, { testId: "sort-User" });
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\?q=chen&dir=desc$/);
  await expect(page.locator("[data-testid^=user-row-]").first()).toHaveAttribute("data-testid", `user-row-${expected.at(-1)}`);
  await expect(page.locator("th[aria-sort=descending]")).toHaveCount(1);
  await shot(page, "admin-users");

  // next page
  await tabTo(page, { testId: "page-next" });
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\?q=chen&dir=desc&page=2$/);
  const desc = [...expected].reverse();
  await expect(page.locator("[data-testid^=user-row-]").first()).toHaveAttribute("data-testid", `user-row-${desc[50]}`);
  await expect(page.getByTestId("users-page-status")).toHaveText(`Page 2 of ${Math.ceil(expected.length / 50)}`);

  // the URL is the view: opened afresh it shows the same page
  const shared = page.url();
  const again = await page.context().newPage();
  await again.goto(shared);
  await expect(again.locator("[data-testid^=user-row-]").first()).toHaveAttribute("data-testid", `user-row-${desc[50]}`);
  await again.close();
});

test("bulk action from the keyboard: select users, add them to a new group; progress and per-user results; a profile-free group shows its members", async ({
  page,
}) => {
  await login(page, g, ADMIN.name, ADMIN.password);
  // a group made in the groups page
  await page.goto(`${g.url}/hub/admin/groups`);
  await page.getByLabel("New group").fill("ocean");
  await page.getByTestId("create-group-submit").click();
  await expect(page.getByTestId("group-name")).toHaveText("ocean");
  await expect(page.getByTestId("group-source")).toHaveText("made on this hub");

  const prefix = seededName(3).slice(0, 9); // "dana-more…"
  await page.goto(`${g.url}/hub/admin?q=${prefix}&match=prefix&size=25`);
  const rows = page.locator("[data-testid^=user-row-]");
  await expect(rows.first()).toBeVisible();
  const names = (await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.testid!.slice("user-row-".length)))).slice(0, 3);
  // select three rows with the keyboard (Space on each checkbox)
  for (const n of names) {
    await tabTo(page, { testId: `select-${n}` });
    await page.keyboard.press("Space");
  }
  await expect(page.getByTestId("bulk-selection")).toHaveText("3 users selected");
  await tabTo(page, { testId: "bulk-action" });
  await page.keyboard.press("End"); // not a group action yet: pick it explicitly below
  await page.getByTestId("bulk-action").selectOption("add-to-group");
  await page.getByTestId("bulk-group").selectOption("ocean");
  await tabTo(page, { testId: "bulk-apply" });
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("bulk-confirm")).toBeVisible();
  await tabTo(page, { testId: "bulk-confirm-submit" });
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("bulk-progress")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(page.getByTestId("bulk-counts")).toContainText("3");
  for (const n of names) await expect(page.getByTestId(`bulk-item-${n}`)).toHaveAttribute("data-status", "ok");
  await shot(page, "admin-bulk-action");

  await page.goto(`${g.url}/hub/admin/groups?open=ocean`);
  for (const n of names) await expect(page.getByTestId("group-members")).toContainText(n);
  await shot(page, "admin-groups");
  await page.goto(`${g.url}/hub/admin?group=ocean`);
  await expect(page.getByTestId("users-count")).toContainText("3 users match");
});

test("a blocked user is refused at login and at the proxy; their session ends at once", async ({ page, browser }) => {
  await createUser(g, "e2e-bob", "bob-password-1");
  const bobCtx = await browser.newContext();
  const bob = await bobCtx.newPage();
  await login(bob, g, "e2e-bob", "bob-password-1");
  // bob on his own origin: the proxy lets his session through to his own (not running) server's address
  await bob.goto(g.userUrl("e2e-bob", "tree"));
  const before = await bob.request.get(g.userUrl("e2e-bob", "api/status"), { maxRedirects: 0 });
  expect(before.status()).not.toBe(403);

  await login(page, g, ADMIN.name, ADMIN.password);
  await page.goto(`${g.url}/hub/admin/users/e2e-bob`);
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("edit-blocked").check();
  await page.getByTestId("edit-user-submit").click();
  await expect(page.getByTestId("user-blocked")).toBeVisible();
  await shot(page, "admin-user");

  // his session is over: the hub sends him to the login page, the proxy no longer lets him in
  await bob.goto(`${g.url}/hub/home`);
  await expect(bob).toHaveURL(/\/hub\/login/);
  await expect.poll(async () => (await bob.request.get(g.userUrl("e2e-bob", "api/status"), { maxRedirects: 0 })).status(), { timeout: 10_000 }).toBe(403);
  // and the right password is refused with the reason
  await bob.getByLabel(/user ?name/i).fill("e2e-bob");
  await bob.getByLabel(/password/i).fill("bob-password-1");
  await bob.getByTestId("login-submit").click();
  await expect(bob.getByText("This account is blocked")).toBeVisible();
  await expect(bob.getByTestId("current-user")).toHaveCount(0);
  await bobCtx.close();
});

test("a user creates a named server, opens it through the proxy, stops and deletes it; changes their password", async ({ page }) => {
  test.setTimeout(240_000);
  await createUser(g, "e2e-nina", "nina-password-1");
  await login(page, g, "e2e-nina", "nina-password-1");
  await page.goto(`${g.url}/hub/home`);
  await page.getByLabel("New named server").fill("analysis");
  await page.getByTestId("new-named-server-submit").click();
  await page.waitForURL(/\/user\/e2e-nina\/analysis\/tree/, { timeout: 180_000 });

  await page.goto(`${g.url}/hub/home`);
  await expect(page.getByTestId("named-state-analysis")).toHaveAttribute("data-state", "running");
  await shot(page, "home-named-servers");
  const [tree] = await Promise.all([page.waitForEvent("load"), page.getByTestId("open-named-analysis").click()]);
  expect(tree).toBeTruthy();
  await expect(page).toHaveURL(/\/user\/e2e-nina\/analysis\/tree/);
  const status = await page.request.get(g.userUrl("e2e-nina", "analysis/api/status"));
  expect(status.status()).toBe(200);

  await page.goto(`${g.url}/hub/home`);
  await page.getByTestId("stop-named-analysis").click();
  await expect(page.getByTestId("named-state-analysis")).toHaveAttribute("data-state", "stopped", { timeout: 60_000 });
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("delete-named-analysis").click();
  await expect(page.getByTestId("named-server-analysis")).toHaveCount(0);

  // the run was recorded: the admin sees it on the user's page
  const admin = await page.context().browser()!.newContext();
  const ap = await admin.newPage();
  await login(ap, g, ADMIN.name, ADMIN.password);
  await ap.goto(`${g.url}/hub/admin/users/e2e-nina`);
  await expect(ap.getByTestId("user-usage-analysis")).toContainText("proc");
  await ap.goto(`${g.url}/hub/admin/usage`);
  await expect(ap.getByTestId("usage-row-e2e-nina")).toBeVisible();
  await expect(ap.getByTestId("usage-chart")).toBeVisible();
  await shot(ap, "admin-usage");
  const csv = await ap.request.get(`${g.url}/hub/api/admin/usage?format=csv`);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(await csv.text()).toMatch(/^e2e-nina,analysis,local,/m);
  await admin.close();

  // own password: the wrong current one is refused, the right one changes it
  await page.goto(`${g.url}/hub/account`);
  await page.getByLabel("Current password").fill("nope-nope-nope");
  await page.getByLabel(/^New password \(at least/).fill("nina-password-2");
  await page.getByLabel("New password again").fill("nina-password-2");
  await page.getByTestId("password-submit").click();
  await expect(page.getByTestId("password-error")).toContainText("current password is not right");
  await page.getByLabel("Current password").fill("nina-password-1");
  await page.getByTestId("password-submit").click();
  await expect(page.getByTestId("password-info")).toContainText("Password changed");
});

test("non-admins get none of the control panel's pages", async ({ page }) => {
  await createUser(g, "e2e-carl", "carl-password-1");
  await login(page, g, "e2e-carl", "carl-password-1");
  for (const path of ["/hub/admin", "/hub/admin/users/admin", "/hub/admin/groups", "/hub/admin/servers", "/hub/admin/usage", "/hub/admin/announcement"]) {
    await page.goto(`${g.url}${path}`);
    await expect(page, path).toHaveURL(/\/hub\/home\?error=admin-only/);
  }
  // another user's server actions through the API are refused
  const r = await page.request.post(`${g.url}/hub/api/users/e2e-nina/servers/x`, { data: {}, headers: { "x-gyre-csrf": "whatever" } });
  expect(r.status()).toBe(403);
});
