// Control-panel pages in a real Chromium against a real hub and proxy (local spawner, real
// Jupyter): the announcement an admin sets is on a user's pages, the running-servers view says
// where each server runs (host and pid, from the server's details), and the usage page shows what
// a CPU-burning cell used (sampled from /proc by the hub).
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN, createUser, login, runCell, startGyre, startServerViaApi, type Gyre } from "./harness";

let g: Gyre;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  // usage sampled every 5 s (the shortest allowed), so a burst of CPU shows within seconds
  g = await startGyre({ basePort: 7774, env: { GYRE_USAGE__SAMPLE_SECONDS: "5" } });
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

test("usage: a cell that burnt CPU in a real Jupyter kernel shows CPU time and peak memory (from /proc) on the usage page, sorts first by CPU, and is in the CSV", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await createUser(g, "e2e-burn", "burn-password-1");
  await startServerViaApi(g, "e2e-burn");
  // 3 s of CPU (process time: a busy machine makes it slower, not smaller) holding 200 MiB
  const out = await runCell(
    g,
    "e2e-burn",
    "import time\nheld = b'x' * (200 * 2**20)\nt0 = time.process_time()\nwhile time.process_time() - t0 < 3: pass\nprint('burnt', round(time.process_time() - t0, 1))",
  );
  expect(out).toContain("burnt 3");
  // the next samples of the server's process tree (every 5 s) carry the figures
  let row: { cpuHours: number; peakMemoryBytes: number | null } | undefined;
  await expect(async () => {
    const r = await g.api(ADMIN.name, "/hub/api/admin/usage");
    const body = (await r.json()) as { users: { key: string; cpuHours: number; peakMemoryBytes: number | null }[] };
    row = body.users.find((u) => u.key === "e2e-burn");
    expect(row?.cpuHours ?? 0).toBeGreaterThanOrEqual(3 / 3600);
    expect(row?.peakMemoryBytes ?? 0).toBeGreaterThanOrEqual(200 * 2 ** 20);
  }).toPass({ timeout: 60_000 });

  await login(page, g, ADMIN.name, ADMIN.password);
  await page.goto(`${g.url}/hub/admin/usage`);
  const burnRow = page.getByTestId("usage-row-e2e-burn");
  await expect(burnRow).toBeVisible();
  const cpuText = (await page.getByTestId("usage-cpu-e2e-burn").textContent())!.trim();
  expect(Number(cpuText), `CPU hours shown: ${cpuText}`).toBeGreaterThanOrEqual(3 / 3600);
  // cells: runs, server hours, CPU hours, peak memory, …
  await expect(burnRow.locator("td").nth(3)).toHaveText(/^(2\d\d|[3-9]\d\d)(\.\d)? MiB$|GiB$/);
  await expect(burnRow).toContainText("proc");
  await expect(page.getByTestId("usage-chart")).toBeVisible();

  // sorted by CPU (largest first): the user who burnt it comes first
  await page.getByTestId("usage-sort-cpuHours").click();
  await expect(page).toHaveURL(/sort=cpuHours/);
  await expect(page.locator('[data-testid^="usage-row-"]').first()).toHaveAttribute("data-testid", "usage-row-e2e-burn");
  await expect(page.locator("th[aria-sort=descending]")).toContainText("CPU hours");
  // copied into docs/screenshots/ for the README when it changes
  await page.screenshot({ path: join(process.cwd(), "test-results", "screenshots", "admin-usage-cpu.png"), fullPage: true });

  // the CSV download has the run, with its CPU hours and peak memory
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("usage-csv").click()]);
  const csv = readFileSync(await download.path(), "utf8").split("\n");
  const header = csv[0].split(",");
  const line = csv.find((l) => l.startsWith("e2e-burn,"))?.split(",");
  expect(line, csv.join("\n")).toBeTruthy();
  expect(Number(line![header.indexOf("cpu_hours_in_period")])).toBeGreaterThanOrEqual(0.0008);
  expect(Number(line![header.indexOf("peak_memory_bytes")])).toBeGreaterThanOrEqual(200 * 2 ** 20);
  expect(line![header.indexOf("source")]).toBe("proc");
});
