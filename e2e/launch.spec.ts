// Launch links in Chromium, on the local spawner with real Jupyter servers: the agent fetches and
// builds as the user's OS account, pip installs from a wheelhouse the test writes, git serves over
// smart HTTP. GitHub's API is a stand-in (e2e/launch-fixtures.ts says which parts are).
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createUser, login, startGyre, type Gyre } from "./harness";
import { activeSequence, recordLaunchPage, startLaunchFixtures, type LaunchFixtures } from "./launch-fixtures";

const USER = "launcher";
const PASSWORD = "launcher-password-1";

let g: Gyre;
let fx: LaunchFixtures;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  fx = await startLaunchFixtures();
  g = await startGyre({ basePort: 7860, env: fx.env });
  await createUser(g, USER, PASSWORD);
});

test.afterAll(async () => {
  await g?.stop();
  await fx?.close();
});

test("a /v2/gh link: live phases, a venv built from the wheelhouse, the repository's notebook opens and its kernel imports the package (GitHub API stand-in)", async ({
  page,
}) => {
  await login(page, g, USER, PASSWORD);
  const seen = await recordLaunchPage(page);
  const t0 = Date.now();
  await page.goto(`${g.url}/v2/gh/org/withreqs/HEAD?urlpath=notebooks/check.ipynb`);
  const server = `withreqs-${fx.repos.withreqs.head().slice(0, 8)}`;
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 120_000 });
  // the page went through the phases live: resolving first, then fetching, then the build (its
  // log naming the package), then the start, and the last state before the notebook: all done
  expect(activeSequence(seen)).toEqual(["resolving", "fetching", "building", "starting"]);
  expect(seen.some((s) => s.phases.building?.state === "active" && s.buildLog.includes("gyredemo"))).toBe(true);
  const last = seen.at(-1)!;
  expect(last.outcome).toBe("ready");
  expect(Object.keys(last.phases)).toEqual(["resolving", "fetching", "building", "starting", "ready"]);
  for (const p of Object.values(last.phases)) expect(p.state).toBe("done");
  expect(last.phases.building.environment).toBe("built");
  expect(last.server).toBe(server);
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 60_000 });
  console.log(`launch with a venv build → notebook page: ${Date.now() - t0} ms`);
  await expect(page.locator("#kernel_indicator_icon.kernel_idle_icon")).toBeAttached({ timeout: 60_000 });
  await page.locator(".CodeMirror").first().click();
  await page.keyboard.press("Shift+Enter");
  await expect(page.locator(".output_area .output_subarea").first()).toHaveText("from the wheelhouse True", { timeout: 60_000 });

  // its own named server; the default server was never started
  const model = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, { state: string }> };
  expect(Object.keys(model.servers)).toEqual([server]);
  expect(model.servers[server].state).toBe("running");
});

test("a second launch of the same commit skips the environment step (after the server was stopped)", async ({ page }) => {
  const server = `withreqs-${fx.repos.withreqs.head().slice(0, 8)}`;
  const stop = await g.api(USER, `/hub/api/users/${USER}/servers/${server}`, { method: "DELETE" });
  expect([202, 204]).toContain(stop.status);
  await expect
    .poll(
      async () =>
        ((await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, { state: string }> }).servers[server]
          .state,
      { timeout: 30_000 },
    )
    .toBe("stopped");

  await login(page, g, USER, PASSWORD);
  const seen = await recordLaunchPage(page);
  const t0 = Date.now();
  await page.goto(`${g.url}/v2/gh/org/withreqs/HEAD?urlpath=notebooks/check.ipynb`);
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 60_000 });
  const last = seen.at(-1)!;
  expect(last.outcome).toBe("ready");
  expect(last.phases.building.environment).toBe("reused");
  expect(seen.every((s) => !s.buildLog.includes("gyredemo"))).toBe(true);
  console.log(`second launch (environment reused) → notebook page: ${Date.now() - t0} ms`);
});

test("a bad ref, a private repository, a repository not on the allow-list and a failing build each end with the reason on the page", async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  const before = fx.gh.requests.length;

  await page.goto(`${g.url}/v2/gh/org/withreqs/no-such-branch`);
  await expect(page.getByTestId("launch-status")).toHaveAttribute("data-outcome", "failed", { timeout: 30_000 });
  await expect(page.getByTestId("launch-phase-resolving")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("launch-failed")).toContainText("no-such-branch");

  await page.goto(`${g.url}/v2/gh/org/private/HEAD`);
  await expect(page.getByTestId("launch-failed")).toContainText(/private/i, { timeout: 30_000 });

  // not on the allow-list: refused by /v2 itself, before GitHub (or git) is asked anything
  const denied = await page.goto(`${g.url}/v2/gh/elsewhere/demo/HEAD`);
  expect(denied!.status()).toBe(403);
  await expect(page.locator("body")).toContainText("launch.allow.githubOwners");
  expect(fx.gh.requests.slice(before).some((r) => r.includes("elsewhere"))).toBe(false);
  expect(fx.srv.requests.some((r) => r.includes("elsewhere"))).toBe(false);

  await page.goto(`${g.url}/v2/gh/org/badbuild/HEAD`);
  await expect(page.getByTestId("launch-status")).toHaveAttribute("data-outcome", "failed", { timeout: 90_000 });
  await expect(page.getByTestId("launch-phase-building")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("launch-failed")).toContainText(/no-such-package-gyre|pip/);
  await expect(page.getByTestId("launch-log")).toContainText("no-such-package-gyre");
});

test("a git-pull link clones into the user's folder, then merges upstream changes without losing the user's edit", async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  const link = `${g.url}/hub/user-redirect/git-pull?repo=${encodeURIComponent(`${fx.srv.url}/org/course`)}&urlpath=tree/course`;
  const home = execFileSync("getent", ["passwd", USER], { encoding: "utf8" }).split(":")[5];
  const folder = join(home, "course");
  execFileSync("rm", ["-rf", "--", folder]);

  await page.goto(link);
  await expect(page.getByTestId("git-pull-target")).toHaveText("~/course");
  await page.waitForURL(new RegExp(`/user/${USER}/tree/course`), { timeout: 90_000 });
  await expect(page.locator("body")).toContainText("notes.md");
  expect(readFileSync(join(folder, "notes.md"), "utf8")).toBe("line A\nline B\nline C\n");
  // the files are the user's own
  expect(execFileSync("stat", ["-c", "%U", join(folder, "notes.md")], { encoding: "utf8" }).trim()).toBe(USER);

  // the user edits a line; upstream changes another line and adds a file
  execFileSync("runuser", [
    "-u",
    USER,
    "--",
    "/usr/bin/python3",
    "-c",
    "import sys; open(sys.argv[1], 'w').write('line A, edited by me\\nline B\\nline C\\n')",
    join(folder, "notes.md"),
  ]);
  fx.repos.course.commit({ "notes.md": "line A\nline B\nline C, changed upstream\n", "week2.md": "# week 2\n" }, "week 2");

  await page.goto(link);
  await page.waitForURL(new RegExp(`/user/${USER}/tree/course`), { timeout: 90_000 });
  expect(readFileSync(join(folder, "notes.md"), "utf8")).toBe("line A, edited by me\nline B\nline C, changed upstream\n");
  expect(existsSync(join(folder, "week2.md"))).toBe(true);
  await expect(page.locator("body")).toContainText("week2.md");
});
