// A launch link on real Slurm, in Chromium: the job waits in the queue (the partition is held),
// then runs the agent's prepare on the node (fetch + a venv from the wheelhouse, as the user)
// before the launcher starts Jupyter in the launch's folder; the page shows each phase live and
// the notebook's kernel imports the package. Needs scripts/setup-slurm.sh (CI runs it before
// npm run e2e); run with the hpc lock. The GitHub API is a stand-in (e2e/launch-fixtures.ts).
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { makeJobName } from "../spawners/batch/job-name";
import { createUser, login, startGyre, type Gyre } from "./harness";
import { activeSequence, recordLaunchPage, startLaunchFixtures, type LaunchFixtures } from "./launch-fixtures";

const PHASES = ["resolving", "waiting", "fetching", "building", "starting"];
const USER = "hpctest"; // the non-root account scripts/setup-slurm.sh creates
const PASSWORD = "hpctest-password-1";

function holdPartition(hold: boolean): void {
  execFileSync("scontrol", ["update", "PartitionName=debug", `State=${hold ? "DOWN" : "UP"}`], { stdio: "ignore" });
}

let g: Gyre;
let fx: LaunchFixtures;

test.beforeAll(async () => {
  for (const cmd of ["sbatch", "squeue", "scontrol"]) execFileSync("which", [cmd], { stdio: "ignore" });
  fx = await startLaunchFixtures();
  g = await startGyre({
    basePort: 7866,
    env: {
      ...fx.env,
      GYRE_SPAWNER__KIND: "batch",
      GYRE_SPAWNER__BATCH__SCHEDULER: "slurm",
      GYRE_SPAWNER__BATCH__PORT_RANGE: "7050-7069",
      GYRE_SPAWNER__BATCH__POLL_INTERVAL_SECONDS: "1",
      GYRE_SPAWNER__BATCH__PROFILES: JSON.stringify([
        { name: "small", display: "1 core, 10 min", walltimeSeconds: 600 },
        { name: "launch", display: "launches: 1 core, 20 min", walltimeSeconds: 1200 },
      ]),
      // an admin's choice of profile for launches, checked at hub start
      GYRE_LAUNCH__PROFILE: "launch",
    },
  });
  await createUser(g, USER, PASSWORD);
});

test.afterAll(async () => {
  try {
    holdPartition(false);
  } catch {
    /* best effort */
  }
  await g?.stop();
  await fx?.close();
});

test("a /v2/gh link on Slurm: waiting in the queue, then fetch and venv build in the job on the node, then the notebook (GitHub API stand-in)", async ({
  page,
}) => {
  await login(page, g, USER, PASSWORD);
  const seen = await recordLaunchPage(page);
  const server = `withreqs-${fx.repos.withreqs.head().slice(0, 8)}`;
  holdPartition(true);
  const t0 = Date.now();
  try {
    await page.goto(`${g.url}/v2/gh/org/withreqs/HEAD?urlpath=notebooks/check.ipynb`);
    await expect(page.getByTestId("launch-phase-waiting")).toHaveAttribute("data-state", "active", { timeout: 60_000 });
    // the job carries the launch profile's walltime
    const job = execFileSync("squeue", ["-h", "-u", USER, "-n", makeJobName(USER, server), "-o", "%i %l"], { encoding: "utf8" }).trim();
    expect(job).toMatch(/^\d+ 20:00$/);
  } finally {
    holdPartition(false);
  }
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 180_000 });
  console.log(`Slurm launch (queue held a while) → notebook page: ${Date.now() - t0} ms`);
  const last = seen.at(-1)!;
  // The page lists phases in the order their events arrived (a phase never heard of goes to the
  // end), so this order proves the job fetched before it built, even when the fetch's and the
  // build's first events reach the page in one render and "fetching" is never drawn as active.
  expect(Object.keys(last.phases)).toEqual(["resolving", "waiting", "fetching", "building", "starting", "ready"]);
  const active = activeSequence(seen);
  expect(active).toEqual(PHASES.filter((p) => active.includes(p)));
  expect(active).toEqual(expect.arrayContaining(["resolving", "waiting", "building"]));
  expect(last.outcome).toBe("ready");
  expect(last.phases.building.environment).toBe("built");
  expect(seen.some((s) => s.buildLog.includes("gyredemo"))).toBe(true);

  await expect(page.locator("#kernel_indicator_icon.kernel_idle_icon")).toBeAttached({ timeout: 60_000 });
  await page.locator(".CodeMirror").first().click();
  await page.keyboard.press("Shift+Enter");
  await expect(page.locator(".output_area .output_subarea").first()).toHaveText("from the wheelhouse True", { timeout: 60_000 });

  const stop = await g.api(USER, `/hub/api/users/${USER}/servers/${server}`, { method: "DELETE" });
  expect([202, 204]).toContain(stop.status);
});
