// Launch links in Chromium, on the local spawner with real Jupyter servers. Real parts: git's
// smart HTTP server (git http-backend on loopback) holding the test repositories, the agent
// fetching and building as the user's OS account, pip installing from a wheelhouse the test
// writes. Stand-in: GitHub's REST API (GET /repos/{owner}/{repo}/commits/{ref}), built from its
// documented answers (app/_lib/launch/testing/provider-api-stand-ins.ts) — github.com cannot be
// reached from here.
import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, login, startGyre, type Gyre } from "./harness";
import { startGitHttpServer, type GitHttpServer } from "../app/_lib/launch/testing/git-http-server";
import { git, makeRepo, type TestRepo } from "../app/_lib/launch/testing/git-repos";
import { startGitHubStandIn, type ApiStandIn } from "../app/_lib/launch/testing/provider-api-stand-ins";
import { writeWheel } from "../app/_lib/launch/testing/wheelhouse";

const USER = "launcher";
const PASSWORD = "launcher-password-1";

/** A notebook whose first cell is `source` (classic UI: notebooks/<name>). */
function notebook(source: string): string {
  return JSON.stringify({
    cells: [{ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: [source] }],
    metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" }, language_info: { name: "python" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

let g: Gyre;
let srv: GitHttpServer;
let gh: ApiStandIn;
let root: string;
const repos: Record<string, TestRepo> = {};

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "gyre-launch-e2e-"));
  chmodSync(root, 0o755);
  const gitRoot = join(root, "git");
  mkdirSync(gitRoot);
  repos.withreqs = makeRepo(gitRoot, "org/withreqs", {
    "requirements.txt": "gyredemo==1.0\n",
    "check.ipynb": notebook("import gyredemo, sys\nprint(gyredemo.VALUE, sys.prefix.startswith('" + join(root, "envs") + "'))"),
    "README.md": "# with requirements\n",
  });
  repos.course = makeRepo(gitRoot, "org/course", { "notes.md": "line A\nline B\nline C\n", "intro.ipynb": notebook("print('intro')") });
  repos.badbuild = makeRepo(gitRoot, "org/badbuild", { "requirements.txt": "no-such-package-gyre==9.9\n", "index.ipynb": notebook("1+1") });
  srv = await startGitHttpServer({ root: gitRoot });
  const resolveIn = (r: TestRepo) => (ref: string) => {
    try {
      return git(r.bare, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    } catch {
      return null;
    }
  };
  gh = await startGitHubStandIn({
    repos: {
      "org/withreqs": { resolve: resolveIn(repos.withreqs) },
      "org/badbuild": { resolve: resolveIn(repos.badbuild) },
      "org/private": { resolve: () => "f".repeat(40), private: true },
    },
    rateLimit: 1000,
  });
  const wheelhouse = join(root, "wheels");
  writeWheel(wheelhouse, "gyredemo", "1.0", "VALUE = 'from the wheelhouse'\n");
  chmodSync(wheelhouse, 0o755);
  // environments of this run only, so the first launch really builds (users' entries are private)
  const envs = join(root, "envs");
  mkdirSync(envs, { mode: 0o1777 });
  chmodSync(envs, 0o1777);
  g = await startGyre({
    basePort: 7860,
    env: {
      GYRE_LAUNCH__ENABLED: "true",
      GYRE_LAUNCH__ALLOW__GITHUB_OWNERS: '["org"]',
      GYRE_LAUNCH__ALLOW__HTTP_HOSTS: JSON.stringify([srv.host]),
      GYRE_LAUNCH__GITHUB__URL: srv.url,
      GYRE_LAUNCH__GITHUB__API_URL: gh.url,
      GYRE_LAUNCH__ENVIRONMENT__WHEELHOUSE: wheelhouse,
      GYRE_LAUNCH__ENVIRONMENT__CACHE_DIR: envs,
      GYRE_LAUNCH__REPO_DIR: `~/launches-${Date.now()}`,
    },
  });
  await createUser(g, USER, PASSWORD);
});

test.afterAll(async () => {
  await g?.stop();
  await srv?.close();
  await gh?.close();
});

interface LaunchSnapshot {
  outcome: string;
  phases: Record<string, { state: string; environment: string | null }>;
  buildLog: string;
  server: string;
}

/**
 * Records every state the launch page shows (a MutationObserver reports each change to the test),
 * because a launch that is ready navigates away at once: the sequence proves the phases were live.
 */
async function recordLaunchPage(page: Page): Promise<LaunchSnapshot[]> {
  const seen: LaunchSnapshot[] = [];
  await page.exposeBinding("gyreRecordLaunch", (_source, snap: LaunchSnapshot) => void seen.push(snap));
  await page.addInitScript(() => {
    if (!location.pathname.startsWith("/hub/launch/v2/")) return;
    let last = "";
    const snap = () => {
      const phases: Record<string, { state: string; environment: string | null }> = {};
      for (const li of document.querySelectorAll<HTMLElement>("[data-testid^=launch-phase-]"))
        phases[li.dataset.testid!.slice("launch-phase-".length)] = { state: li.dataset.state ?? "", environment: li.dataset.environment ?? null };
      const s = {
        outcome: document.querySelector<HTMLElement>("[data-testid=launch-status]")?.dataset.outcome ?? "",
        phases,
        buildLog: document.querySelector("[data-testid=launch-build-log]")?.textContent ?? "",
        server: document.querySelector("[data-testid=launch-server]")?.textContent ?? "",
      };
      const key = JSON.stringify(s);
      if (key !== last && s.outcome) {
        last = key;
        (window as unknown as { gyreRecordLaunch: (x: unknown) => void }).gyreRecordLaunch(s);
      }
    };
    new MutationObserver(snap).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  return seen;
}

test("a /v2/gh link: live phases, a venv built from the wheelhouse, the repository's notebook opens and its kernel imports the package (GitHub API stand-in)", async ({
  page,
}) => {
  await login(page, g, USER, PASSWORD);
  const seen = await recordLaunchPage(page);
  const t0 = Date.now();
  await page.goto(`${g.url}/v2/gh/org/withreqs/HEAD?urlpath=notebooks/check.ipynb`);
  const server = `withreqs-${repos.withreqs.head().slice(0, 8)}`;
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 120_000 });
  // the page went through the phases live: resolving first, then fetching, then the build (its
  // log naming the package), then the start, and the last state before the notebook: all done
  const active = seen.map((s) => Object.entries(s.phases).find(([, p]) => p.state === "active")?.[0]).filter(Boolean);
  expect([...new Set(active)]).toEqual(["resolving", "fetching", "building", "starting"]);
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
  const server = `withreqs-${repos.withreqs.head().slice(0, 8)}`;
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
  const before = gh.requests.length;

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
  expect(gh.requests.slice(before).some((r) => r.includes("elsewhere"))).toBe(false);
  expect(srv.requests.some((r) => r.includes("elsewhere"))).toBe(false);

  await page.goto(`${g.url}/v2/gh/org/badbuild/HEAD`);
  await expect(page.getByTestId("launch-status")).toHaveAttribute("data-outcome", "failed", { timeout: 90_000 });
  await expect(page.getByTestId("launch-phase-building")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("launch-failed")).toContainText(/no-such-package-gyre|pip/);
  await expect(page.getByTestId("launch-log")).toContainText("no-such-package-gyre");
});

test("a git-pull link clones into the user's folder, then merges upstream changes without losing the user's edit", async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  const link = `${g.url}/hub/user-redirect/git-pull?repo=${encodeURIComponent(`${srv.url}/org/course`)}&urlpath=tree/course`;
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
  repos.course.commit({ "notes.md": "line A\nline B\nline C, changed upstream\n", "week2.md": "# week 2\n" }, "week 2");

  await page.goto(link);
  await page.waitForURL(new RegExp(`/user/${USER}/tree/course`), { timeout: 90_000 });
  expect(readFileSync(join(folder, "notes.md"), "utf8")).toBe("line A, edited by me\nline B\nline C, changed upstream\n");
  expect(existsSync(join(folder, "week2.md"))).toBe(true);
  await expect(page.locator("body")).toContainText("week2.md");
});
