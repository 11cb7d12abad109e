// Starting and stopping the real processes integration tests need: the proxy (proxy/main.ts),
// a Jupyter server and a Dask scheduler. Every child is tracked and killed by stopAll(); the
// directory each one gets in /tmp is removed when it exits.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PROXY_NODE_FLAGS, PROXY_ENV } from "../node-flags";

const REPO = resolve(import.meta.dirname, "../..");
/** The folder holding the gyre_agent package (Gyre's Jupyter extension). */
const AGENT_DIR = join(REPO, "spawners/agent");

/** A started child with its recent output (for failure messages). */
export interface Child {
  proc: ChildProcess;
  output: () => string;
}

const children = new Set<ChildProcess>();

/**
 * Tracks a child; `dir`, its own directory, is removed when it exits: nothing reads it afterwards
 * (failure messages carry the child's output, kept here), and each start makes a new one.
 */
function track(proc: ChildProcess, dir: string): Child {
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  children.add(proc);
  proc.once("exit", () => {
    children.delete(proc);
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a Jupyter kernel that outlived its server may still write there: not worth failing a test for
    }
  });
  return { proc, output: () => out };
}

/** Polls a URL until it answers (any status below 500) or the deadline passes. */
export async function waitForHttp(url: string, timeoutMs = 20_000, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(2000), redirect: "manual" });
      await r.body?.cancel();
      if (r.status < 500) return;
      last = String(r.status);
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`${url} did not come up in ${timeoutMs} ms (${last})`);
}

export interface ProxyProcessOptions {
  port: number;
  apiPort: number;
  hubUrl: string;
  secretKey: string;
  authToken: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** run dist/proxy/main.mjs with plain node (as production does; see buildProxyBundle) instead of tsx */
  bundled?: boolean;
  /** node flags for the bundled proxy (default: proxy/node-flags.ts, as production) */
  nodeArgs?: string[];
}

/** Builds dist/proxy/main.mjs from the current sources (scripts/build-proxy.ts; well under a second). */
export function buildProxyBundle(): void {
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-proxy.ts"], { cwd: REPO, stdio: "ignore" });
}

/** Starts `node --import tsx proxy/main.ts` (or the bundle) and waits for /_chp_healthz. */
export async function startProxyProcess(o: ProxyProcessOptions): Promise<Child> {
  const child = spawnProxyProcess(o);
  try {
    await waitForHttp(`http://127.0.0.1:${o.port}/_chp_healthz`, 20_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${child.output()}`, { cause: e });
  }
  return child;
}

/** Spawns the proxy process without waiting for it (tests that time its start). */
export function spawnProxyProcess(o: ProxyProcessOptions): Child {
  const dataDir = mkdtempSync(join(tmpdir(), "gyre-proxy-"));
  // An empty config file of our own, so a gyre.config.yaml in the checkout cannot leak in.
  writeFileSync(join(dataDir, "gyre.config.yaml"), "{}\n");
  const proc = spawn(
    process.execPath,
    [
      ...(o.bundled ? [...(o.nodeArgs ?? PROXY_NODE_FLAGS), "dist/proxy/main.mjs"] : ["--import", "tsx", "proxy/main.ts"]),
      "--port",
      String(o.port),
      "--api-port",
      String(o.apiPort),
      "--hub-url",
      o.hubUrl,
      ...(o.extraArgs ?? []),
    ],
    {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        GYRE_CONFIG: join(dataDir, "gyre.config.yaml"),
        GYRE_HUB__DATA_DIR: dataDir,
        GYRE_HUB__SECRET_KEY: o.secretKey,
        GYRE_PROXY__AUTH_TOKEN: o.authToken,
        GYRE_HUB__LOG_LEVEL: "warn",
        // Single-origin on purpose: these tests speak to the proxy on 127.0.0.1 with hub cookies. Per-user
        // origins (the default on localhost) are tested in proxy/routing/resolve.test.ts and e2e/.
        GYRE_HUB__USER_DOMAIN: "",
        ...(o.bundled ? PROXY_ENV : {}),
        ...o.env,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return track(proc, dataDir);
}

/** Starts Debian's Jupyter server as the local spawner would (spawners/local/command.ts), with base_url /user/<user>/. */
/**
 * A real jupyter_server as Gyre's spawners run it, with Gyre's extension (the dashboard relay,
 * spawners/agent/gyre_agent) loaded from this checkout; `dashboardPorts` is what the relay allows.
 */
export async function startJupyter(port: number, user: string, token: string, baseUrl = `/user/${user}/`, dashboardPorts = "8787"): Promise<Child> {
  const root = mkdtempSync(join(tmpdir(), "gyre-jupyter-"));
  const proc = spawn(
    "/usr/bin/jupyter",
    [
      "server",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.base_url=${baseUrl}`,
      `--ServerApp.root_dir=${root}`,
      "--ServerApp.default_url=/tree",
      "--ServerApp.open_browser=False",
      "--ServerApp.allow_remote_access=True",
      "--ServerApp.jpserver_extensions",
      "gyre_agent.jupyter_ext=True",
      "--allow-root",
    ],
    {
      env: {
        PATH: "/usr/bin:/bin",
        HOME: root,
        JUPYTER_TOKEN: token,
        JUPYTER_RUNTIME_DIR: join(root, ".rt"),
        PYTHONPATH: AGENT_DIR,
        PYTHONDONTWRITEBYTECODE: "1",
        GYRE_DASHBOARD_PORTS: dashboardPorts,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const child = track(proc, root);
  try {
    await waitForHttp(`http://127.0.0.1:${port}${baseUrl}api`, 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${child.output()}`, { cause: e });
  }
  return child;
}

/** Starts a Dask scheduler on 127.0.0.1 with its dashboard on `dashboardPort`. */
export async function startDaskScheduler(port: number, dashboardPort: number): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), "gyre-dask-"));
  const proc = spawn("/usr/bin/dask", ["scheduler", "--host", "127.0.0.1", "--port", String(port), "--dashboard-address", `127.0.0.1:${dashboardPort}`], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: dir } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child = track(proc, dir);
  try {
    await waitForHttp(`http://127.0.0.1:${dashboardPort}/health`, 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${child.output()}`, { cause: e });
  }
  return child;
}

/** Kills one child (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
export async function stopChild(c: Child | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.proc.once("exit", () => r()));
  c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

/** Kills every child started through this module. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((proc) => stopChild({ proc, output: () => "" })));
}
