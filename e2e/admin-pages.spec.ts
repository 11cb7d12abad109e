// Control-panel pages in a real Chromium against a real hub and proxy (local spawner, real
// Jupyter): the announcement an admin sets is on a user's pages, and the running-servers view says
// where each server runs (host and pid, from the server's details).
import { test, expect } from "@playwright/test";
import { ADMIN, createUser, login, startGyre, startServerViaApi, type Gyre } from "./harness";

let g: Gyre;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  g = await startGyre({ basePort: 7774 });
  await createUser(g, "e2e-ann", "ann-password-1");
});
test.afterAll(async () => {
  await g?.stop();
});

test("an admin's announcement is shown on a user's pages until removed; a user's crafted PUT is refused", async ({ page, browser }) => {
  await login(page, g, ADMIN.name, ADMIN.password);
  await page.goto(`${g.url}/hub/admin/announcement`);
  await page.getByLabel("Text").fill("Maintenance on Saturday 08:00–12:00 UTC");
  await page.getByTestId("announcement-save").click();
  await expect(page.getByTestId("announcement-form")).toContainText("The banner is shown on every page.");

  const context = await browser.newContext();
  const user = await context.newPage();
  await login(user, g, "e2e-ann", "ann-password-1");
  // pages read the banner through a 2-second cache
  await expect(async () => {
    await user.goto(`${g.url}/hub/home`);
    await expect(user.getByTestId("announcement")).toContainText("Maintenance on Saturday", { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  const crafted = await user.request.put(`${g.url}/hub/api/admin/announcement`, {
    data: { text: "pwned", expiresAt: null },
    headers: { "x-gyre-csrf": "whatever" },
  });
  expect(crafted.status(), "a session request with a wrong CSRF token").toBe(403);
  // with the user's own API token no CSRF token is needed: refused because the user is not an admin
  const withToken = await g.api("e2e-ann", "/hub/api/admin/announcement", { method: "PUT", body: JSON.stringify({ text: "pwned", expiresAt: null }) });
  expect(withToken.status, "the user's API token").toBe(403);

  await page.getByTestId("announcement-remove").click();
  await expect(page.getByTestId("announcement-form")).toContainText("The banner is removed.");
  await expect(async () => {
    await user.goto(`${g.url}/hub/home`);
    await expect(user.getByTestId("announcement")).toHaveCount(0, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await context.close();
});

test("the running-servers view shows a local server's host and pid", async ({ page }) => {
  test.setTimeout(120_000);
  await startServerViaApi(g, "e2e-ann");
  const model = (await (await g.api("e2e-ann", "/hub/api/users/e2e-ann")).json()) as {
    servers: Record<string, { details: { host?: string; pid?: number } | null }>;
  };
  const details = model.servers[""].details;
  expect(details?.pid).toBeGreaterThan(1);
  await login(page, g, ADMIN.name, ADMIN.password);
  await page.goto(`${g.url}/hub/admin/servers`);
  await expect(page.getByTestId("servers-row-e2e-ann-default")).toContainText(`host ${details!.host} · pid ${details!.pid}`);
});
