// jupyterhub-singleuser as the batch server command (spawner.batch.command) on real Slurm and Grid
// Engine: hub + proxy processes (e2e/harness), a non-root user (hpctest), a start through the REST
// API. The job's launcher runs Debian's jupyterhub-singleuser (JupyterHub 3.0) on the port it
// bound; the hub marks the server ready (its readiness check identifies itself with the server's
// API token), the owner's API token reaches the server through the proxy, which passes it on and
// the server checks it with the hub, Gyre's extension (dashboard relay) is loaded into it; another
// user and no credentials are refused; stop ends the job.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { createUser, startGyre, type Gyre } from "@/e2e/harness";

const USER = process.env.TEST_USER ?? "hpctest";
const OTHER = "hpcother";

type Sched = "slurm" | "sge";
const DASHBOARD_PORT: Record<Sched, number> = { slurm: 7118, sge: 7119 };
const NAME: Record<Sched, string> = { slurm: "Slurm", sge: "Grid Engine" };

async function userJobs(s: Sched): Promise<string[]> {
  if (s === "slurm") {
    const r = await execa("squeue", ["-h", "-u", USER, "-o", "%i %j"], { reject: false });
    return r.stdout
      .split("\n")
      .filter((l) => / gyre-/.test(l))
      .map((l) => l.split(" ")[0]);
  }
  const r = await execa("qstat", ["-u", USER], { reject: false });
  return r.stdout
    .split("\n")
    .filter((l) => /gyre-/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type ServerModel = { state: string; ready: boolean; message: string | null };
async function serverModel(g: Gyre): Promise<ServerModel | undefined> {
  const m = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, ServerModel> };
  return m.servers[""];
}

/**
 * A token of `user` with `access:servers!user=<user>`, as JupyterHub's clients ask for: a token
 * without a scope list shows as ["inherit"] in GET /hub/api/user (docs/jupyterhub-compat.md), and
 * jupyterhub-singleuser then refuses it for missing access scopes.
 */
async function accessToken(g: Gyre, user: string): Promise<string> {
  const r = await g.api(user, `/hub/api/users/${user}/tokens`, {
    method: "POST",
    body: JSON.stringify({ scopes: [`access:servers!user=${user}`], note: "singleuser test" }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { token: string }).token;
}

for (const sched of ["slurm", "sge"] as const) {
  describe(`jupyterhub-singleuser as the batch command on real ${NAME[sched]} (user ${USER})`, () => {
    let g: Gyre;
    before(async () => {
      for (const cmd of sched === "slurm" ? ["sbatch", "squeue"] : ["qsub", "qstat"]) {
        const r = await execa("which", [cmd], { reject: false });
        assert.equal(r.exitCode, 0, `${cmd} is missing: run scripts/setup-${sched}.sh first (npm run test:hpc does)`);
      }
      g = await startGyre({
        basePort: sched === "slurm" ? 7830 : 7836,
        singleOrigin: true,
        env: {
          GYRE_SPAWNER__KIND: "batch",
          GYRE_SPAWNER__BATCH__SCHEDULER: sched,
          GYRE_SPAWNER__BATCH__COMMAND: JSON.stringify(["/usr/bin/jupyterhub-singleuser"]),
          GYRE_SPAWNER__BATCH__PORT_RANGE: sched === "slurm" ? "7090-7099" : "7100-7109",
          GYRE_SPAWNER__BATCH__POLL_INTERVAL_SECONDS: "1",
          GYRE_SPAWNER__BATCH__PROFILES: JSON.stringify([{ name: "small", display: "1 core, 10 min", walltimeSeconds: 600 }]),
          GYRE_HUB__POLL_INTERVAL_SECONDS: "2",
          // a port nothing listens on: Gyre's extension in the job answers 503 for it
          GYRE_PROXY__DASHBOARD_PORTS: JSON.stringify([DASHBOARD_PORT[sched]]),
        },
      });
      await createUser(g, USER, "hpctest-password-1");
      await createUser(g, OTHER, "hpcother-password-1");
    });
    after(async () => {
      for (const id of await userJobs(sched)) await execa(sched === "slurm" ? "scancel" : "qdel", [id], { reject: false });
      await g?.stop();
    });

    test("the job's jupyterhub-singleuser comes up and is marked ready; the owner's token reaches it through the proxy; another user and no credentials are refused; stop ends the job", async (t) => {
      const t0 = Date.now();
      const r = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "POST", body: JSON.stringify({ profile: "small" }) });
      assert.equal(r.status, 202, await r.text());
      const ready = await waitFor(
        "server ready",
        async () => {
          const m = await serverModel(g);
          if (m?.state === "failed" || m?.state === "stopped") throw new Error(`spawn ended: ${m.message}\n${g.logs().slice(-3000)}`);
          return m?.ready ? m : undefined;
        },
        180_000,
      );
      t.diagnostic(`ready in ${Date.now() - t0} ms (state ${ready.state})`);
      assert.equal((await userJobs(sched)).length, 1, "one job");

      // the owner's API token: the proxy passes it on, jupyterhub-singleuser asks the hub who it is
      const headers = { authorization: `token ${await accessToken(g, USER)}`, "content-type": "application/json" };
      const own = await fetch(`${g.url}/user/${USER}/api/status`, { headers });
      assert.equal(own.status, 200, await own.clone().text());
      // jupyterhub-singleuser's own header: this is JupyterHub's server, not jupyter_server alone
      assert.equal(own.headers.get("x-jupyterhub-version"), "3.0.0");
      await own.arrayBuffer();
      const created = await fetch(`${g.url}/user/${USER}/api/contents`, { method: "POST", headers, body: JSON.stringify({ type: "notebook" }) });
      assert.equal(created.status, 201, "the owner writes through the server");
      const { path } = (await created.json()) as { path: string };
      assert.equal((await fetch(`${g.url}/user/${USER}/api/contents/${path}`, { method: "DELETE", headers })).status, 204);

      // Gyre's extension is loaded into jupyterhub-singleuser: its dashboard relay answers (503:
      // nothing listens on the port; without the extension the server itself would say 404)
      const relay = await fetch(`${g.url}/user/${USER}/proxy/${DASHBOARD_PORT[sched]}/`, { headers });
      assert.equal(relay.status, 503, await relay.clone().text());
      await relay.arrayBuffer();

      const other = await fetch(`${g.url}/user/${USER}/api/status`, { headers: { authorization: `token ${await accessToken(g, OTHER)}` } });
      assert.equal(other.status, 403, "another user's token is refused at the proxy");
      await other.arrayBuffer();
      const anonymous = await fetch(`${g.url}/user/${USER}/api/status`, { redirect: "manual" });
      assert.ok([302, 401, 403].includes(anonymous.status), `no credentials: ${anonymous.status}`);
      await anonymous.arrayBuffer();

      const stop = await g.api(USER, `/hub/api/users/${USER}/server`, { method: "DELETE" });
      assert.ok([202, 204].includes(stop.status), String(stop.status));
      await waitFor("server stopped", async () => ["stopped", undefined].includes((await serverModel(g))?.state), 60_000);
      await waitFor("job gone from the scheduler", async () => (await userJobs(sched)).length === 0, 30_000);
    });
  });
}
