// Launch of an already-prepared repository → notebook usable, on the local spawner (target ≤ 3 s;
// BinderHub's best case, an image already built, is tens of seconds), with a real hub, proxy and
// Jupyter server, the agent as the user's OS account, git over smart HTTP on loopback and the
// GitHub API stand-in of the e2e fixtures. "Usable": the notebook file is served through the proxy
// and a kernel of the launch's environment printed `1+1` over its WebSocket. Also measured: the
// fetch of the repository at a new commit (the environment reused), reported separately.
//   npm run bench:launch [-- rounds=5]
import { performance } from "node:perf_hooks";
import { createUser, startGyre, type Gyre } from "../e2e/harness";
import { startLaunchFixtures } from "../e2e/launch-fixtures";
import { runCellOverWebSocket } from "../spawners/testing/kernel-cell";

const USER = "benchlaunch";
const ROUNDS = Number(process.argv.find((a) => a.startsWith("rounds="))?.split("=")[1] ?? 5);
const TARGET_MS = 3000;

interface Timing {
  /** POST /hub/api/launches answered (the ref resolved, the start requested) */
  resolvedMs: number;
  /** first event of the fetch step, first event after it, ready */
  fetchStartMs: number | null;
  fetchEndMs: number | null;
  readyMs: number;
  /** the notebook file served and a kernel answered 1+1 */
  usableMs: number;
  /** what the agent said about its fetch ("Fetched … in 0.3 s" / "Using the files already in …") */
  fetchMessage: string;
}

async function launch(g: Gyre, link: string, notebookPath: string): Promise<Timing> {
  const t0 = performance.now();
  const r = await g.api(USER, "/hub/api/launches", { method: "POST", body: JSON.stringify({ link, query: `urlpath=${notebookPath}` }) });
  if (r.status !== 202 && r.status !== 200) throw new Error(`launch: ${r.status} ${await r.text()}`);
  const model = (await r.json()) as { url: string; progress_url: string; state: string };
  const resolvedMs = performance.now() - t0;
  let fetchStartMs: number | null = null;
  let fetchEndMs: number | null = null;
  let fetchMessage = "";
  if (model.state !== "running") {
    const res = await fetch(`${g.url}${model.progress_url}`, { headers: { authorization: `token ${g.token(USER)}`, accept: "text/event-stream" } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (let done = false; !done;) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error("progress stream ended before ready");
      buf += dec.decode(chunk.value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const line = buf
          .slice(0, i)
          .split("\n")
          .find((l) => l.startsWith("data: "));
        buf = buf.slice(i + 2);
        if (!line) continue;
        const ev = JSON.parse(line.slice(6)) as { phase?: string; message?: string; ready?: boolean; failed?: boolean };
        const now = performance.now() - t0;
        if (ev.phase === "fetching") {
          fetchStartMs ??= now;
          if (/^(Fetched|Using the files)/.test(ev.message ?? "")) fetchMessage = ev.message ?? "";
        } else if (ev.phase && fetchStartMs !== null) fetchEndMs ??= now;
        if (ev.failed) throw new Error(`launch failed: ${ev.message}`);
        if (ev.ready) done = true;
      }
    }
    await reader.cancel();
  }
  const readyMs = performance.now() - t0;
  await useNotebook(g, model.url, notebookPath.replace(/^notebooks\//, ""));
  return { resolvedMs, fetchStartMs, fetchEndMs, readyMs, usableMs: performance.now() - t0, fetchMessage };
}

/** The notebook file through the proxy, then a kernel that computes 1+1. */
async function useNotebook(g: Gyre, serverPath: string, file: string): Promise<void> {
  const auth = { authorization: `token ${g.token(USER)}` };
  const nb = await fetch(`${g.url}${serverPath}api/contents/${file}`, { headers: auth });
  if (nb.status !== 200) throw new Error(`notebook: ${nb.status}`);
  await nb.arrayBuffer();
  const k = await fetch(`${g.url}${serverPath}api/kernels`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ name: "python3" }),
  });
  const kernel = (await k.json()) as { id: string };
  const out = await runCellOverWebSocket(`${g.url.replace(/^http/, "ws")}${serverPath}api/kernels/${kernel.id}/channels`, "print(1+1)", {
    headers: auth,
    username: USER,
  });
  if (out.trim() !== "2") throw new Error(`kernel: ${JSON.stringify(out)}`);
  await fetch(`${g.url}${serverPath}api/kernels/${kernel.id}`, { method: "DELETE", headers: auth });
}

async function stopServer(g: Gyre, server: string): Promise<void> {
  await g.api(USER, `/hub/api/users/${USER}/servers/${server}`, { method: "DELETE" });
  for (;;) {
    const m = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, { state: string }> };
    if (m.servers[server]?.state === "stopped") return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fmt = (ms: number | null) => (ms === null ? "    –" : `${(ms / 1000).toFixed(2).padStart(5)} s`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const fx = await startLaunchFixtures();
  const g = await startGyre({ basePort: 7870, env: { ...fx.env, GYRE_HUB__LOG_LEVEL: "warn" } });
  try {
    await createUser(g, USER, "bench-password-1");
    const repo = fx.repos.withreqs;
    const server = () => `withreqs-${repo.head().slice(0, 8)}`;
    const first = server();
    const cold = await launch(g, "gh/org/withreqs/HEAD", "notebooks/check.ipynb");
    console.log(`first launch (fetch + venv build from the wheelhouse): ${fmt(cold.usableMs)} to a usable notebook`);
    await stopServer(g, first);

    console.log(`\nlaunch of an already-prepared repository (folder and environment there, server stopped) → notebook usable, ${ROUNDS} rounds`);
    console.log("round  resolved  agent(fetch)   ready   usable");
    const totals: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const t = await launch(g, "gh/org/withreqs/HEAD", "notebooks/check.ipynb");
      totals.push(t.usableMs);
      console.log(
        `${String(i).padStart(5)}  ${fmt(t.resolvedMs)}  ${fmt(t.fetchEndMs !== null && t.fetchStartMs !== null ? t.fetchEndMs - t.fetchStartMs : null)}     ${fmt(t.readyMs)}  ${fmt(t.usableMs)}   ${t.fetchMessage}`,
      );
      await stopServer(g, first);
    }

    // a new commit (named in the link: HEAD stays cached for launch.github.refCacheSeconds): the
    // repository is fetched again into a new folder, the environment reused
    const commit = repo.commit({ "README.md": `# with requirements\nchanged ${Date.now()}\n` }, "readme");
    const fresh = await launch(g, `gh/org/withreqs/${commit}`, "notebooks/check.ipynb");
    const fetchMs = fresh.fetchEndMs !== null && fresh.fetchStartMs !== null ? fresh.fetchEndMs - fresh.fetchStartMs : NaN;
    await stopServer(g, server());

    const med = median(totals);
    console.log(
      `\nprepared launch → notebook usable: median ${fmt(med)} (min ${fmt(Math.min(...totals))}, max ${fmt(Math.max(...totals))}); target ≤ ${TARGET_MS / 1000} s; ratio ${(med / TARGET_MS).toFixed(2)} (≤ 1.00 meets it)`,
    );
    console.log(
      `fetch of the repository at a new commit (hub's view, first fetch event → next step): ${fmt(fetchMs)}; agent: "${fresh.fetchMessage}"; that launch → usable: ${fmt(fresh.usableMs)}`,
    );
  } finally {
    await g.stop();
    await fx.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
