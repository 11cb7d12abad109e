// Dashboards on a shared host, in Chromium against a real hub, proxy and local Jupyter servers of
// two real OS accounts: a user's dashboard route reaches only that user's own listeners. The attack
// from the security review: A listens on an allowed port with a page carrying a script and sends B
// the link; B's browser opens B's own route, which must not serve A's page.
import { test, expect } from "@playwright/test";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createUser, login, startGyre, startServerViaApi, type Gyre } from "./harness";

const PORT = 8795;
const A = { name: "e2e-dash-a", password: "dash-a-password-1" };
const B = { name: "e2e-dash-b", password: "dash-b-password-1" };
const PAGE = `<!doctype html><title>A's page</title><p id="owner">served by A</p>
<script>document.title = "script ran"; fetch("/user/${B.name}/api/contents").then((r) => (document.title = "read " + r.status));</script>`;

let g: Gyre;
let site: string;
let listener: ChildProcess | undefined;

test.beforeAll(async () => {
  g = await startGyre({ basePort: 7740, env: { GYRE_PROXY__DASHBOARD_PORTS: JSON.stringify([PORT]) } });
  for (const u of [A, B]) {
    await createUser(g, u.name, u.password);
    // the OS accounts are created by the local spawner at first start
    await startServerViaApi(g, u.name);
  }
  site = mkdtempSync(join(tmpdir(), "gyre-e2e-dash-"));
  chmodSync(site, 0o755);
  writeFileSync(join(site, "x.html"), PAGE, { mode: 0o644 });
  const [uid, gid] = ["-u", "-g"].map((f) => execFileSync("id", [f, A.name], { encoding: "utf8" }).trim());
  // A's own listener, as A's account (setpriv execs: killing it kills the listener)
  listener = spawn(
    "setpriv",
    [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      "--clear-groups",
      "--",
      "/usr/bin/python3",
      "-m",
      "http.server",
      String(PORT),
      "--bind",
      "127.0.0.1",
      "--directory",
      site,
    ],
    { stdio: "ignore" },
  );
  const end = Date.now() + 10_000;
  while ((await fetch(`http://127.0.0.1:${PORT}/x.html`).catch(() => null))?.status !== 200) {
    if (Date.now() > end) throw new Error("A's listener did not come up");
    await new Promise((r) => setTimeout(r, 100));
  }
});

test.afterAll(async () => {
  listener?.kill("SIGKILL");
  if (site) rmSync(site, { recursive: true, force: true });
  await g?.stop();
});

test("A's own dashboard page is served on A's route, through A's server on its unix socket", async ({ page }) => {
  await login(page, g, A.name, A.password);
  const r = await page.goto(`${g.url}/hub/user-redirect/proxy/${PORT}/x.html`);
  expect(r?.status()).toBe(200);
  await expect(page).toHaveURL(g.userUrl(A.name, `proxy/${PORT}/x.html`)); // on A's own origin
  await expect(page.locator("#owner")).toHaveText("served by A");
  // the route's target is the server's socket, not a port any account on the host could reach
  const db = new Database(join(g.dataDir, "gyre.db"), { readonly: true });
  const row = db.prepare("SELECT s.url FROM Server s JOIN User u ON u.id = s.userId WHERE u.name = ? AND s.name = ''").get(A.name) as { url: string };
  db.close();
  expect(row.url).toMatch(/^http\+unix:\/\/%2Ftmp%2Fgyre-rt-e2e-dash-a-[A-Za-z0-9]{6}%2Fjupyter\.sock$/);
});

test("B opening A's link gets B's own route refused: A's page and script never reach B's browser", async ({ page }) => {
  await login(page, g, B.name, B.password);
  const r = await page.goto(`${g.url}/hub/user-redirect/proxy/${PORT}/x.html`);
  await expect(page).toHaveURL(g.userUrl(B.name, `proxy/${PORT}/x.html`));
  expect(r?.status()).toBe(403);
  await expect(page.locator("body")).toContainText("belongs to another account");
  await expect(page.locator("#owner")).toHaveCount(0);
  expect(await page.title()).not.toMatch(/script ran|read/);
  // and B's cookie does not open A's route either (the proxy's owner check)
  const other = await page.request.get(g.userUrl(A.name, `proxy/${PORT}/x.html`), { maxRedirects: 0 });
  expect([302, 403, 404]).toContain(other.status());
  expect(await other.text()).not.toContain("served by A");
});
