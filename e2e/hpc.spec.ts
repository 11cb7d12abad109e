// Issue 5 in Chromium: a hub configured for Slurm / Grid Engine; the user picks an HPC profile on
// the spawn form, watches the queue state on the progress page, lands in the notebook, and stops.
// Needs the single-host schedulers of scripts/setup-slurm.sh and scripts/setup-sge.sh (CI runs them
// before `npm run e2e`); without them this spec fails, it does not skip.
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { createUser, login, startGyre, type Gyre } from "./harness";

const USER = "hpctest"; // a non-root OS account the setup scripts create
const PASSWORD = "hpctest-password-1";

type Sched = "slurm" | "sge";

function have(cmd: string): boolean {
  try {
    execFileSync("which", [cmd], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function holdQueue(s: Sched, hold: boolean): void {
  if (s === "sge") execFileSync("qmod", [hold ? "-d" : "-e", "all.q"], { stdio: "ignore" });
  else execFileSync("scontrol", ["update", "PartitionName=debug", `State=${hold ? "DOWN" : "UP"}`], { stdio: "ignore" });
}

function userJobs(s: Sched): string[] {
  const out =
    s === "slurm" ? execFileSync("squeue", ["-h", "-u", USER, "-o", "%i %j"], { encoding: "utf8" }) : execFileSync("qstat", ["-u", USER], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => /gyre-/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
}

for (const sched of ["slurm", "sge"] as const) {
  const name = sched === "slurm" ? "Slurm" : "Grid Engine";
  test.describe(`HPC on ${name}`, () => {
    let g: Gyre;
    test.beforeAll(async () => {
      for (const cmd of sched === "slurm" ? ["sbatch", "squeue", "scontrol"] : ["qsub", "qstat", "qmod"]) {
        if (!have(cmd)) throw new Error(`${cmd} not found: e2e/hpc.spec.ts needs ${name}; run "bash scripts/setup-${sched}.sh" (as root) before npm run e2e`);
      }
      g = await startGyre({
        basePort: sched === "slurm" ? 7820 : 7826,
        env: {
          GYRE_SPAWNER__KIND: "batch",
          GYRE_SPAWNER__BATCH__SCHEDULER: sched,
          GYRE_SPAWNER__BATCH__PORT_RANGE: sched === "slurm" ? "7050-7069" : "7070-7089",
          GYRE_SPAWNER__BATCH__POLL_INTERVAL_SECONDS: "1",
          GYRE_SPAWNER__BATCH__PROFILES: JSON.stringify([
            { name: "small", display: "1 core, 10 min", walltimeSeconds: 600 },
            { name: "two", display: "2 cores, 20 min", cores: 2, walltimeSeconds: 1200 },
          ]),
          GYRE_SPAWNER__BATCH__BOUNDS: JSON.stringify({ walltimeSeconds: { min: 600, max: 3600 } }),
        },
      });
      await createUser(g, USER, PASSWORD);
    });
    test.afterAll(async () => {
      try {
        holdQueue(sched, false);
      } catch {
        /* best effort */
      }
      await g?.stop();
    });

    test(`choose a profile → queue state while pending → notebook opens → stop (${name})`, async ({ page }) => {
      await login(page, g, USER, PASSWORD);
      await page.goto(`${g.url}/hub/home`);
      await page.getByTestId("start-server").click();
      await expect(page).toHaveURL(/\/hub\/spawn\/hpctest/);
      await expect(page.getByTestId("spawn-form")).toBeVisible();
      await expect(page.getByTestId("profile-small")).toContainText("1 core, 10 min");
      await page.getByTestId("profile-two").click();
      await page.getByTestId("option-walltimeSeconds").fill("15");

      // take the queue down so the job waits, with a reason, where the user can see it
      holdQueue(sched, true);
      try {
        const t0 = Date.now();
        await page.getByTestId("start-server").click();
        await expect(page).toHaveURL(/\/hub\/spawn-pending\/hpctest/);
        await expect(page.getByTestId("spawn-events")).toContainText(
          sched === "slurm" ? /queued in Slurm \(PENDING: the partition is down\)/ : /queued in Grid Engine \(qw/,
          { timeout: 60_000 },
        );
        await expect(page.getByTestId("cancel-spawn")).toBeVisible();
        expect(userJobs(sched)).toHaveLength(1);
        // the job as the scheduler sees it: its id, its state code and the scheduler's own reason
        const jobId = userJobs(sched)[0];
        await expect(page.getByTestId("job-details")).toContainText(
          sched === "slurm"
            ? `Slurm job ${jobId} is waiting in the queue (PENDING): the partition is down`
            : new RegExp(`Grid Engine job ${jobId} is waiting in the queue \\(qw\\): .*all\\.q@\\S+.* disabled`),
          { timeout: 60_000 },
        );
        // the home page says the same while it waits
        const home = await page.context().newPage();
        await home.goto(`${g.url}/hub/home`);
        await expect(home.getByTestId("job-details")).toHaveAttribute("data-phase", "queued");
        await expect(home.getByTestId("job-details")).toContainText(`job ${jobId} is waiting in the queue`);
        await home.close();
        holdQueue(sched, false);
        await page.waitForURL(/\/user\/hpctest\/tree/, { timeout: 120_000 });
        console.log(`${name}: start click → notebook tree ${Date.now() - t0} ms (queue held meanwhile)`);
      } finally {
        holdQueue(sched, false);
      }
      // the notebook answers through the proxy with the browser's session
      const status = await page.request.get(`${g.url}/user/${USER}/api/status`);
      expect(status.status()).toBe(200);
      // the job got the chosen profile and walltime
      const jobs = userJobs(sched);
      expect(jobs).toHaveLength(1);
      if (sched === "slurm") expect(execFileSync("squeue", ["-h", "-j", jobs[0], "-o", "%C %l"], { encoding: "utf8" }).trim()).toBe("2 15:00");

      await page.goto(`${g.url}/hub/home`);
      // running: the node and when the walltime (15 min) ends
      await expect(page.getByTestId("job-details")).toHaveAttribute("data-phase", "running");
      await expect(page.getByTestId("job-details")).toContainText(
        new RegExp(`job ${jobs[0]} is running on \\S+; its walltime ends .* UTC \\((14|15) min left\\)`),
      );
      await page.getByTestId("stop-server").click();
      await expect(page.getByTestId("server-status")).toHaveAttribute("data-state", "stopped", { timeout: 60_000 });
      await expect.poll(() => userJobs(sched).length, { timeout: 30_000 }).toBe(0);
    });
  });
}
