// What the launch specs share. Real parts: git's smart HTTP server (git http-backend on loopback)
// holding test repositories, a wheelhouse of real wheels. Stand-in: GitHub's REST API (GET
// /repos/{owner}/{repo}/commits/{ref}), built from its documented answers
// (app/_lib/launch/testing/provider-api-stand-ins.ts) — github.com cannot be reached from here.
import type { Page } from "@playwright/test";
import { chmodSync, mkdtempSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGitHttpServer, type GitHttpServer } from "../app/_lib/launch/testing/git-http-server";
import { git, makeRepo, type TestRepo } from "../app/_lib/launch/testing/git-repos";
import { startGitHubStandIn, type ApiStandIn } from "../app/_lib/launch/testing/provider-api-stand-ins";
import { writeWheel } from "../app/_lib/launch/testing/wheelhouse";

/** A notebook whose first cell is `source` (classic UI: notebooks/<name>). */
export function notebook(source: string): string {
  return JSON.stringify({
    cells: [{ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: [source] }],
    metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" }, language_info: { name: "python" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

export interface LaunchFixtures {
  root: string;
  srv: GitHttpServer;
  gh: ApiStandIn;
  /** org/withreqs (requirements.txt → gyredemo from the wheelhouse, check.ipynb), org/course, org/badbuild, org/demo */
  repos: Record<string, TestRepo>;
  /** environment cache of this run only (mode 1777; entries are private to their users) */
  envs: string;
  wheelhouse: string;
  /** the hub's environment for these fixtures */
  env: Record<string, string>;
  /** stops the servers and removes `root` (with the environments the users' launches built in it) */
  close(): Promise<void>;
}

export async function startLaunchFixtures(): Promise<LaunchFixtures> {
  const root = mkdtempSync(join(tmpdir(), "gyre-launch-e2e-"));
  chmodSync(root, 0o755);
  const gitRoot = join(root, "git");
  mkdirSync(gitRoot);
  const envs = join(root, "envs");
  mkdirSync(envs, { mode: 0o1777 });
  chmodSync(envs, 0o1777);
  const repos: Record<string, TestRepo> = {
    withreqs: makeRepo(gitRoot, "org/withreqs", {
      "requirements.txt": "gyredemo==1.0\n",
      "check.ipynb": notebook(`import gyredemo, sys\nprint(gyredemo.VALUE, sys.prefix.startswith('${envs}'))`),
      "README.md": "# with requirements\n",
    }),
    demo: makeRepo(gitRoot, "org/demo", { "index.ipynb": notebook("print('hello from demo')"), "data.txt": "42\n" }),
    course: makeRepo(gitRoot, "org/course", { "notes.md": "line A\nline B\nline C\n", "intro.ipynb": notebook("print('intro')") }),
    badbuild: makeRepo(gitRoot, "org/badbuild", { "requirements.txt": "no-such-package-gyre==9.9\n", "index.ipynb": notebook("1+1") }),
  };
  const srv = await startGitHttpServer({ root: gitRoot });
  const resolveIn = (r: TestRepo) => (ref: string) => {
    try {
      return git(r.bare, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    } catch {
      return null;
    }
  };
  const gh = await startGitHubStandIn({
    repos: {
      ...Object.fromEntries(Object.entries(repos).map(([name, r]) => [`org/${name}`, { resolve: resolveIn(r) }])),
      "org/private": { resolve: () => "f".repeat(40), private: true },
    },
    rateLimit: 1000,
  });
  // the launches' folder in each user's home, new for each run; close() removes it from every home
  const repoDir = `launches-${Date.now()}`;
  const wheelhouse = join(root, "wheels");
  writeWheel(wheelhouse, "gyredemo", "1.0", "VALUE = 'from the wheelhouse'\n");
  chmodSync(wheelhouse, 0o755);
  return {
    root,
    srv,
    gh,
    repos,
    envs,
    wheelhouse,
    env: {
      GYRE_LAUNCH__ENABLED: "true",
      GYRE_LAUNCH__ALLOW__GITHUB_OWNERS: '["org"]',
      GYRE_LAUNCH__ALLOW__HTTP_HOSTS: JSON.stringify([srv.host]),
      GYRE_LAUNCH__GITHUB__URL: srv.url,
      GYRE_LAUNCH__GITHUB__API_URL: gh.url,
      GYRE_LAUNCH__ENVIRONMENT__WHEELHOUSE: wheelhouse,
      GYRE_LAUNCH__ENVIRONMENT__CACHE_DIR: envs,
      GYRE_LAUNCH__REPO_DIR: `~/${repoDir}`,
    },
    async close() {
      await srv.close();
      await gh.close();
      rmSync(root, { recursive: true, force: true });
      // the test accounts' homes (useradd's default /home/<name>)
      for (const home of readdirSync("/home")) rmSync(join("/home", home, repoDir), { recursive: true, force: true });
    },
  };
}

export interface LaunchSnapshot {
  outcome: string;
  phases: Record<string, { state: string; environment: string | null }>;
  buildLog: string;
  server: string;
  failed: string;
}

/**
 * Records every state the launch page shows (a MutationObserver reports each change to the test),
 * because a launch that is ready navigates away at once: the sequence proves the phases were live.
 */
export async function recordLaunchPage(page: Page): Promise<LaunchSnapshot[]> {
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
        failed: document.querySelector("[data-testid=launch-failed]")?.textContent ?? "",
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

/** The phases that were active, in the order they first were. */
export function activeSequence(seen: LaunchSnapshot[]): string[] {
  const active = seen.map((s) => Object.entries(s.phases).find(([, p]) => p.state === "active")?.[0]).filter((p): p is string => !!p);
  return [...new Set(active)];
}
