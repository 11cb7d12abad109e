// A batch job cancelled outside the hub (scancel / qdel), and the user's browser asking for the
// notebook before the hub's own poll: the proxy's 503 page says the server stopped and why, in the
// scheduler's words, with a link to start it again. Real hub and proxy (e2e/harness), real Slurm
// and Grid Engine, a non-root user; the hub's poll interval is an hour and the batch poller's 30 s,
// so only the proxy's question (POST /hub/api/proxy/server-check, a fresh scheduler query) can tell.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { createUser, startGyre, type Gyre } from "@/e2e/harness";

const USER = process.env.TEST_USER ?? "hpctest";
type Sched = "slurm" | "sge";

async function userJobs(s: Sched): Promise<string[]> {
  const r = s === "slurm" ? await execa("squeue", ["-h", "-u", USER, "-o", "%i %j"], { reject: false }) : await execa("qstat", ["-u", USER], { reject: false });
  return r.stdout
    .split("\n")
    .filter((l) => /gyre-/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const sched of ["slurm", "sge"] as const) {
  describe(`the proxy's page after a job is cancelled outside the hub, on real ${sched === "slurm" ? "Slurm" : "Grid Engine"}`, () => {
    let g: Gyre;
    before(async () => {
      g = await startGyre({
        basePort: sched === "slurm" ? 7812 : 7815,
        env: {
          GYRE_SPAWNER__KIND: "batch",
          GYRE_SPAWNER__BATCH__SCHEDULER: sched,
          GYRE_SPAWNER__BATCH__PORT_RANGE: sched === "slurm" ? "7050-7069" : "7070-7089",
          GYRE_SPAWNER__BATCH__POLL_INTERVAL_SECONDS: "30",
          GYRE_HUB__POLL_INTERVAL_SECONDS: "3600",
        },
      });
      await createUser(g, USER, "hpctest-password-1");
    });
    after(async () => {
      for (const id of await userJobs(sched)) await execa(sched === "slurm" ? "scancel" : "qdel", [id], { reject: false });
      await g?.stop();
    });

    test("the page says the job ended and why, and links to the spawn page; the hub has marked it stopped", async (t) => {
      const r = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "POST", body: "{}" });
      assert.equal(r.status, 202, await r.text());
      const page = (accept: string) =>
        fetch(`${g.url}/user/${USER}/api/status`, { headers: { authorization: `token ${g.token(USER)}`, accept }, redirect: "manual" });
      await waitFor("the notebook through the proxy", async () => (await page("application/json")).status === 200);
      const [jobId] = await userJobs(sched);
      assert.ok(jobId, "a job");

      await execa(sched === "slurm" ? "scancel" : "qdel", [jobId]);
      const cancelledAt = Date.now();
      // until the server has exited the proxy still reaches it (200); the first refused request asks the hub
      const down = await waitFor("the server to refuse connections", async () => {
        const res = await page("text/html");
        return res.status === 200 ? null : res;
      });
      const html = await down.text();
      t.diagnostic(`cancelled → page after ${Date.now() - cancelledAt} ms: ${/<p>(.*?)<\/p>/.exec(html)?.[1]}`);
      assert.equal(down.status, 503, html);
      assert.match(
        html,
        new RegExp(`${USER}&#39;s server has stopped\\. The server stopped: .*${sched === "slurm" ? "cancelled" : "deleted|no longer known"}`),
      );
      // on the hub's origin: a path, or the hub's URL when the page is on the user's own origin
      assert.match(html, new RegExp(`<a class="button" href="(http://localhost:\\d+)?/hub/spawn/${USER}">Start it again</a>`));
      assert.doesNotMatch(html, /may be starting or stopped/);

      const model = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as {
        servers: Record<string, { state: string; message: string }>;
      };
      assert.equal(model.servers[""]?.state, "stopped", "marked stopped by the proxy's question, long before the hourly poll");
    });
  });
}
