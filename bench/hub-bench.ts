// Side-by-side benchmark of the hub: Gyre (hub + bundled proxy, SQLite in a temp dir or PostgreSQL, the local
// spawner) vs the reference JupyterHub (Debian's `jupyterhub` package with its
// configurable-http-proxy, SQLite, LocalProcessSpawner), both on loopback, both as root switching
// servers to per-user OS accounts, both spawning the same tiny server (bench/tiny-server.py), both
// driven through their REST APIs by the same client code with an admin token. Rounds alternate
// the hubs; the table shows medians and Gyre ÷ JupyterHub.
//   npm run bench:hub
// Env: BENCH_GYRE_DIR (another built checkout of Gyre to measure, default this one), BENCH_SERVERS (servers in the storms, default 100), BENCH_ROUNDS (default 3),
// BENCH_GYRE_DB (sqlite, or postgres: Gyre's hub on a throwaway PostgreSQL server), BENCH_SECONDS (per request-rate phase, default 5), BENCH_CONCURRENCY (request-rate clients,
// default 16), BENCH_START_DELAY_S (seconds the spawned server waits before it listens, default 0; a real Jupyter
// server takes 1–3 s: what the hubs do while they wait shows in their CPU per start), BENCH_IDLE_SECONDS (each of the two windows
// in which the hub's CPU is measured while idle with the servers running — started again after the stop storm — default 30), BENCH_HUBS (default "gyre,jupyterhub"), BENCH_PROFILE=1 (CPU profiles of Gyre's hub during the list phase, the storms and the idle time
// over the inspector; top self-time functions printed per phase; BENCH_PROFILE_DIR: also the raw profiles, as files).
// Hub CPU is utime+stime of the hub process from /proc/<pid>/stat (children excluded: not the
// proxy, not the servers), per operation; for Gyre plus its process launcher's (the small child
// that forks servers and removes runtime dirs for the hub, spawners/local/launcher/), so work moved
// out of the hub still counts; each round's line also prints the launcher's part of the storms'
// CPU per server. On a shared machine trust the ratios and CPU figures.
// The list rows: "list" asks for 200 users at a random offset with nothing changing between the
// requests (Gyre answers from its list cache once the pages were seen, app/_lib/users/list-cache.ts;
// JupyterHub computes each); "list after a change" asks for such a page right after the bench
// wrote a random user's last activity into the hub's database (another process, as the CLI or a
// second hub: the write costs the hub nothing), so Gyre's cache never answers it.
// Each round first starts the same servers without any hub ("floor": as the hubs run them, each as
// its account, until each answers): no hub can start them faster on this machine.
// The memory floor: node, with the hub's flags, running Next's production server over the same
// build and having rendered one page (its not-found page: no database, no hub runtime), after a
// full GC. Any hub whose pages Next serves in its process holds at least that much.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, openSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { startTestPostgres } from "@/app/_lib/testing/postgres";
import { openDatabase } from "@/app/_lib/db/open";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import WebSocket from "ws";
import { fileAppearance } from "@/spawners/local/file-appears";

const REPO = resolve(import.meta.dirname, "..");
/** The Gyre tree to run (built: .next and dist/proxy); another checkout measures a before/after pair. */
const GYRE_DIR = resolve(process.env.BENCH_GYRE_DIR ?? REPO);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** seconds the hub's CPU is measured while idle with the servers running (after the start storm) */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
if (!(IDLE_SECONDS > 0)) throw new Error(`BENCH_IDLE_SECONDS must be a positive number, not ${JSON.stringify(process.env.BENCH_IDLE_SECONDS)}`);
const PROFILE = process.env.BENCH_PROFILE === "1";
/** with BENCH_PROFILE=1: where the raw profiles go (.cpuprofile, for Chrome's DevTools or speedscope) */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** BENCH_HEAP_DIR: heap snapshots of Gyre's hub there (fresh, and at the end of each round after a full GC), summarised by bench/heap-summary.ts */
const HEAP_DIR = process.env.BENCH_HEAP_DIR;
/** BENCH_SMAPS_DIR: copies of Gyre's hub's /proc/<pid>/smaps there (with 1,001 users, and at the end of each round after a full GC) */
const SMAPS_DIR = process.env.BENCH_SMAPS_DIR;
/** BENCH_MALLOC_TRIM=1: at the end of each round, after the full GC, glibc's malloc_trim(0) in Gyre's hub through gdb; prints the RSS it gives back (memory malloc held free) */
const MALLOC_TRIM = process.env.BENCH_MALLOC_TRIM === "1";
const START_DELAY_S = Number(process.env.BENCH_START_DELAY_S ?? 0);
/** BENCH_GYRE_DB=postgres: Gyre's hub on a real PostgreSQL (a throwaway server per hub start, port 7404) instead of SQLite; JupyterHub stays on SQLite */
const GYRE_DB = process.env.BENCH_GYRE_DB ?? "sqlite";
if (GYRE_DB !== "sqlite" && GYRE_DB !== "postgres") throw new Error(`BENCH_GYRE_DB must be sqlite or postgres, not ${JSON.stringify(GYRE_DB)}`);
/** BENCH_HUBS=gyre measures Gyre alone (before/after pairs of a change); the ratios need both. */
const HUBS = (process.env.BENCH_HUBS ?? "gyre,jupyterhub").split(",");
/** Node flags and environment of a bundled Gyre hub: the tree's own (app/node-flags.ts), or BENCH_HUB_FLAGS / BENCH_HUB_ENV (space-separated, "-" for none) to compare. */
const treeFlags = existsSync(join(GYRE_DIR, "app/node-flags.ts"))
  ? ((await import(join(GYRE_DIR, "app/node-flags.ts"))) as { HUB_NODE_FLAGS: string[]; HUB_ENV: Record<string, string> })
  : null;
const spaced = (v: string) => (v === "-" ? [] : v.split(" ").filter(Boolean));
const HUB_FLAGS = process.env.BENCH_HUB_FLAGS !== undefined ? spaced(process.env.BENCH_HUB_FLAGS) : (treeFlags?.HUB_NODE_FLAGS ?? []);
const HUB_ENV: Record<string, string> =
  process.env.BENCH_HUB_ENV !== undefined
    ? Object.fromEntries(spaced(process.env.BENCH_HUB_ENV).map((kv) => kv.split("=", 2) as [string, string]))
    : (treeFlags?.HUB_ENV ?? {});
const USERS = 1000;
const LIST_LIMIT = 200;
/** Hub users "hbu0001"…; the first BENCH_SERVERS also get OS accounts of the same name (both hubs map user → account by name). */
const userName = (i: number) => `hbu${String(i).padStart(4, "0")}`;
const PORTS = { gyreProxy: 7400, gyreHub: 7401, gyreProxyApi: 7402, gyreInspect: 7403, gyrePg: 7404, jhProxy: 7405, jhHub: 7406, jhProxyApi: 7407 };
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim() || 100);
const JUPYTERHUB = "/usr/bin/jupyterhub";
const PYTHON = "/usr/bin/python3";
/** the floor's two ways to start the servers: all at once (as the storm asks), one per core at a time */
const FLOOR_PARALLEL = [Number.MAX_SAFE_INTEGER, availableParallelism()];

type HubName = "gyre" | "jupyterhub";

interface Hub {
  name: HubName;
  /** base of the REST API, e.g. http://127.0.0.1:7401/hub/api */
  api: string;
  token: string;
  pid: number;
  /** a connection of the bench's own to the hub's database, writing a user's last activity (as the CLI or a second hub would) */
  openToucher(): Promise<Toucher>;
  /** CDP session on Gyre's hub (heap after GC, profiles) */
  inspector?: Inspector;
  stop(): Promise<void>;
}

interface Toucher {
  touch(user: string): Promise<void>;
  close(): Promise<void>;
}

/** `sql` (one `?`: the user's name) on the SQLite file, from this process. */
function sqliteToucher(file: string, sql: string): Toucher {
  const db = new Database(file);
  db.pragma("busy_timeout = 5000");
  const touch = db.prepare(sql);
  return {
    touch: async (user) => void touch.run(user),
    close: async () => void db.close(),
  };
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const parts = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(parts[11]) + Number(parts[12])) * TICK_MS;
}

/**
 * CPU of the hub and of its process launcher (Gyre's child running launcher.mjs or launcher/main.ts;
 * JupyterHub has none): what the hub spends on its servers wherever it spends it.
 */
function hubCpuMs(pid: number): number {
  return cpuMs(pid) + launcherCpuMs(pid);
}

/** CPU of the hub's process launcher alone (0 without one): printed per storm beside the sum. */
function launcherCpuMs(hubPid: number): number {
  return launcherPids(hubPid).reduce((sum, p) => sum + cpuMs(p), 0);
}

function launcherPids(hubPid: number): number[] {
  let children: number[];
  try {
    children = readdirSync(`/proc/${hubPid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${hubPid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
  return children.filter((c) => {
    try {
      return /launcher(\.mjs|\/main\.ts)/.test(readFileSync(`/proc/${c}/cmdline`, "utf8"));
    } catch {
      return false;
    }
  });
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}

/** A process's private resident memory (MB): pages no other process maps (/proc/<pid>/smaps_rollup). */
function privateMb(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return (kb("Private_Clean") + kb("Private_Dirty")) / 1024;
}

/**
 * What a process's resident memory is made of (/proc/<pid>/smaps), in MB: anonymous memory
 * (V8's heap, WebAssembly memories, malloc), and file-backed pages grouped by file — the node
 * binary, native addons (better-sqlite3, …), shared libraries. The largest file groups are named.
 */
function rssBreakdown(pid: number): { anon: number; files: [string, number][] } {
  let anon = 0;
  const files = new Map<string, number>();
  let file = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      file = head[1].startsWith("/") ? head[1] : "";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const mb = Number(rss[1]) / 1024;
    if (file) files.set(file, (files.get(file) ?? 0) + mb);
    else anon += mb;
  }
  return { anon, files: [...files].sort((a, b) => b[1] - a[1]) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitHttp(url: string, proc: ChildProcess, what: string, logFile: string): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`${what} did not come up at ${url}:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
    await sleep(200);
  }
}

function startProcess(file: string, args: string[], env: Record<string, string>, logFile: string, cwd = REPO): ChildProcess {
  const out = openSync(logFile, "a");
  const p = spawn(file, args, { cwd, env: env as NodeJS.ProcessEnv, stdio: ["ignore", out, out] });
  children.add(p);
  return p;
}

async function killProcess(p: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once("exit", r));
  p.kill(signal);
  await Promise.race([gone, sleep(15_000)]);
  if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}

// --- the spawned server and the accounts ---------------------------------------------------------

/** The tiny server, copied where every account can read it. */
function installTinyServer(dir: string): string {
  const file = join(dir, "tiny-server.py");
  copyFileSync(join(REPO, "bench/tiny-server.py"), file);
  if (START_DELAY_S > 0) writeFileSync(join(dir, "start-delay"), String(START_DELAY_S), { mode: 0o644 });
  chmodSync(dir, 0o755);
  chmodSync(file, 0o755);
  return file;
}

/** OS accounts hbu0001… for the spawned servers (created once; kept for the next run). */
function ensureAccounts(n: number): void {
  for (let i = 1; i <= n; i++) {
    try {
      execFileSync("id", ["-u", userName(i)], { stdio: "ignore" });
    } catch {
      execFileSync("useradd", ["-m", "-s", "/bin/sh", userName(i)], { stdio: "ignore" });
    }
  }
}

// --- the floor: the same servers started without a hub ------------------------------------------

/** One GET over a unix socket; true on any HTTP answer. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ socketPath, path: "/", method: "GET", timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(true));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * What no hub can beat on this machine: SERVERS copies of the tiny server started by the bench
 * itself, each as its own account through setpriv (as both hubs run them) on a unix socket in a
 * 0700 directory of that account, and the wall time until every one has answered a GET — no API
 * request, database, readiness bookkeeping or proxy route. `parallel` at a time, the next when one
 * answers: all at once is the storm's shape; one per core can be quicker on a quiet machine (100
 * bare interpreters importing http.server on 2 cores: ~7.3 s all at once, ~6.5 s two at a time),
 * but slower beside other load (fewer runnable processes get less of the CPU). The floor is the
 * quicker of the two; a hub's storm minus it is the time the hub adds.
 */
async function floorStorm(tiny: string, parallel: number): Promise<number> {
  const serverEnv: Record<string, string> = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" };
  const dir = mkdtempSync(join(tmpdir(), "hub-bench-floor-"));
  chmodSync(dir, 0o755);
  const procs: ChildProcess[] = [];
  try {
    const servers = Array.from({ length: SERVERS }, (_, i) => {
      const user = userName(i + 1);
      const [uid, gid] = ["-u", "-g"].map((flag) => Number(execFileSync("id", [flag, user]).toString().trim()));
      const own = join(dir, user);
      mkdirSync(own, { mode: 0o700 });
      chownSync(own, uid, gid);
      return { uid, gid, socket: join(own, "server.sock") };
    });
    const t0 = performance.now();
    const end = Date.now() + 600_000;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < servers.length; i = next++) {
        const s = servers[i];
        // the socket's creation wakes the wait (inotify, as the local spawner's; polling 100 sockets would take CPU from the servers)
        const appearance = fileAppearance(s.socket);
        const p = spawn("/usr/bin/setpriv", [`--reuid=${s.uid}`, `--regid=${s.gid}`, "--init-groups", "--", PYTHON, tiny, `--ServerApp.sock=${s.socket}`], {
          stdio: "ignore",
          env: serverEnv as NodeJS.ProcessEnv,
        });
        children.add(p);
        procs.push(p);
        try {
          while (!(existsSync(s.socket) && (await answers(s.socket)))) {
            if (p.exitCode !== null) throw new Error(`floor: the server of ${userName(i + 1)} exited with ${p.exitCode}`);
            if (Date.now() > end) throw new Error("floor: the servers did not all answer in 10 minutes");
            await appearance.raceWith(sleep(existsSync(s.socket) ? 5 : 500));
          }
        } finally {
          appearance.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, servers.length) }, worker));
    return (performance.now() - t0) / 1000;
  } finally {
    await Promise.all(procs.map((p) => killProcess(p)));
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- Gyre ----------------------------------------------------------------------------------------

async function startGyre(tiny: string): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), "gyre-hub-bench-"));
  const logFile = join(dir, "gyre.log");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    NODE_ENV: "production",
    GYRE_CONFIG: join(REPO, "bench/empty.config.yaml"),
    GYRE_HUB__DATA_DIR: dir,
    GYRE_HUB__PORT: String(PORTS.gyreHub),
    GYRE_HUB__LOG_LEVEL: "warn",
    GYRE_PROXY__PORT: String(PORTS.gyreProxy),
    GYRE_PROXY__API_PORT: String(PORTS.gyreProxyApi),
    GYRE_PROXY__HUB_URL: `http://127.0.0.1:${PORTS.gyreHub}`,
    GYRE_SPAWNER__KIND: "local",
    GYRE_SPAWNER__LOCAL__COMMAND: JSON.stringify([PYTHON, tiny]),
    GYRE_AUTH__INITIAL_ADMIN__NAME: "admin",
    GYRE_AUTH__INITIAL_ADMIN__PASSWORD: "bench-admin-password",
  };
  // BENCH_GYRE_DB=postgres: a PostgreSQL server of this hub's own, started and removed with it
  const pg = GYRE_DB === "postgres" ? await startTestPostgres(PORTS.gyrePg) : null;
  if (pg) env.GYRE_HUB__DATABASE_URL = pg.url;
  // the bundled hub (npm run build) when the tree has one, else the entry through tsx (older trees)
  const hubBundle = join(GYRE_DIR, "dist/hub/server.mjs");
  const hubEntry = existsSync(hubBundle) ? [...HUB_FLAGS, hubBundle] : ["--import", "tsx", join(GYRE_DIR, "app/server.ts")];
  const hubArgs = [`--inspect=127.0.0.1:${PORTS.gyreInspect}`, ...hubEntry];
  const hub = startProcess(process.execPath, hubArgs, { ...HUB_ENV, ...env }, logFile, GYRE_DIR);
  let proxy: ChildProcess | undefined;
  try {
    await waitHttp(`http://127.0.0.1:${PORTS.gyreHub}/hub/api`, hub, "Gyre's hub", logFile);
    const bundled = join(GYRE_DIR, "dist/proxy/main.mjs");
    const proxyArgs = existsSync(bundled) ? [bundled] : ["--import", "tsx", join(GYRE_DIR, "proxy/main.ts")];
    proxy = startProcess(process.execPath, proxyArgs, env, logFile, GYRE_DIR);
    await waitHttp(`http://127.0.0.1:${PORTS.gyreProxy}/_chp_healthz`, proxy, "Gyre's proxy", logFile);
  } catch (err) {
    // the error carries the log's tail; nothing of a hub that did not come up stays
    if (proxy) await killProcess(proxy);
    await killProcess(hub);
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const token = await insertGyreToken(pg ? pg.url : `file:${join(dir, "gyre.db")}`, "admin");
  const inspector = await Inspector.connect(PORTS.gyreInspect);
  return {
    name: "gyre",
    api: `http://127.0.0.1:${PORTS.gyreHub}/hub/api`,
    token,
    pid: hub.pid!,
    openToucher: async () =>
      pg
        ? postgresToucher(pg.url)
        : // the text Prisma stores for a DateTime on SQLite
          sqliteToucher(join(dir, "gyre.db"), `UPDATE "User" SET "lastActivity" = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') WHERE "name" = ?`),
    inspector,
    async stop() {
      inspector.close();
      await killProcess(proxy);
      await killProcess(hub);
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An API token of `user`, made by the hub's own code (createApiToken) on its database (SQLite or PostgreSQL). */
async function insertGyreToken(databaseUrl: string, user: string): Promise<string> {
  const { db } = await openDatabase(databaseUrl);
  try {
    const row = await db.user.findUnique({ where: { name: user }, select: { id: true } });
    if (!row) throw new Error(`Gyre has no user ${user}`);
    return (await createApiToken(db, row.id, { note: "bench" })).token;
  } finally {
    await db.$disconnect();
  }
}

/** A user's last activity written on Gyre's PostgreSQL database (UTC, as Prisma writes it), on connections of the bench's (one per client). */
async function postgresToucher(url: string): Promise<Toucher> {
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  return {
    touch: async (user) => void (await pool.query(`UPDATE "User" SET "lastActivity" = now() AT TIME ZONE 'UTC' WHERE "name" = $1`, [user])),
    close: () => pool.end(),
  };
}

// --- JupyterHub ----------------------------------------------------------------------------------

function jupyterHubVersion(): string {
  return `JupyterHub ${execFileSync(JUPYTERHUB, ["--version"], { encoding: "utf8" }).trim()}`;
}

async function startJupyterHub(tiny: string): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), "jupyterhub-bench-"));
  const logFile = join(dir, "jupyterhub.log");
  const token = randomBytes(32).toString("hex");
  const config = `
c.JupyterHub.bind_url = "http://127.0.0.1:${PORTS.jhProxy}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:${PORTS.jhHub}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:${PORTS.jhProxyApi}"
c.ConfigurableHTTPProxy.auth_token = "${randomBytes(24).toString("hex")}"
c.JupyterHub.db_url = "sqlite:///${dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "${dir}/jupyterhub_cookie_secret"
c.JupyterHub.log_level = "WARN"
c.JupyterHub.services = [{"name": "bench", "api_token": "${token}"}]
c.JupyterHub.load_roles = [{"name": "bench-admin", "scopes": ["admin:users", "admin:servers"], "services": ["bench"]}]
# not PAM: a LocalAuthenticator refuses hub users without an OS account (only the spawned ones have one)
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.admin_users = {"admin"}
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.JupyterHub.cleanup_servers = True
c.Spawner.cmd = ["${PYTHON}", "${tiny}"]
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
`;
  writeFileSync(join(dir, "jupyterhub_config.py"), config);
  const hub = startProcess(
    JUPYTERHUB,
    ["-f", join(dir, "jupyterhub_config.py")], // Debian's configurable-http-proxy finds its modules (commander…) in /usr/share/nodejs
    { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", HOME: "/root", LANG: "C.UTF-8", NODE_PATH: "/usr/share/nodejs" },
    logFile,
    dir,
  );
  await waitHttp(`http://127.0.0.1:${PORTS.jhHub}/hub/api`, hub, "JupyterHub", logFile);
  const hubApi = `http://127.0.0.1:${PORTS.jhHub}/hub/api`;
  // 1,001 users like Gyre: the admin exists as a user once it is in admin_users
  return {
    name: "jupyterhub",
    api: hubApi,
    token,
    pid: hub.pid!,
    // SQLAlchemy's DateTime text on SQLite (naive UTC, as JupyterHub stores it)
    openToucher: async () =>
      sqliteToucher(join(dir, "jupyterhub.sqlite"), `UPDATE users SET last_activity = strftime('%Y-%m-%d %H:%M:%f', 'now') || '000' WHERE name = ?`),
    async stop() {
      await killProcess(hub);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- the client (the same for both hubs) ---------------------------------------------------------

async function call(hub: Hub, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `token ${hub.token}`);
  if (init.body) headers.set("content-type", "application/json");
  return fetch(`${hub.api}${path}`, { ...init, headers });
}

async function expectOk(r: Response, what: string): Promise<unknown> {
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** Users matching `state` (ready / active), read as one paginated item plus the total. */
async function countUsers(hub: Hub, state: "ready" | "active"): Promise<number> {
  const r = await call(hub, `/users?state=${state}&limit=1`, { headers: { accept: "application/jupyterhub-pagination+json" } });
  const body = (await expectOk(r, `count ${state}`)) as { _pagination: { total: number } };
  return body._pagination.total;
}

interface Rate {
  reqPerSec: number;
  cpuMsPerReq: number;
}

/** CONCURRENCY clients sending `path()` back to back for SECONDS. */
async function requestRate(hub: Hub, path: () => string): Promise<Rate> {
  return opRate(hub, async () => void (await expectOk(await call(hub, path()), "GET")));
}

/** CONCURRENCY clients doing `op` back to back for SECONDS; per op. */
async function opRate(hub: Hub, op: () => Promise<void>): Promise<Rate> {
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  const c0 = hubCpuMs(hub.pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await op();
        n++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { reqPerSec: n / seconds, cpuMsPerReq: (hubCpuMs(hub.pid) - c0) / n };
}

/**
 * CONCURRENCY clients each writing a random user's last activity into the hub's database
 * from this process (as the CLI or a second hub would: no hub CPU for the write), then asking
 * for `path()`: every request follows a change. Per request.
 */
async function afterChangeRate(hub: Hub, user: () => string, path: () => string): Promise<Rate> {
  const toucher = await hub.openToucher();
  try {
    return await opRate(hub, async () => {
      await toucher.touch(user());
      await expectOk(await call(hub, path()), "GET after a change");
    });
  } finally {
    await toucher.close();
  }
}

interface Storm {
  wallS: number;
  /** hub CPU per server, its launcher's included */
  cpuMsPerOp: number;
  /** Gyre only: the process launcher's part of cpuMsPerOp */
  launcherMsPerOp?: number;
}

/** `op` for every server at once, then polls until `done()`; wall time and hub CPU per server. */
async function storm(hub: Hub, op: (user: string) => Promise<void>, done: () => Promise<boolean>): Promise<Storm> {
  const c0 = hubCpuMs(hub.pid);
  const l0 = launcherCpuMs(hub.pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: SERVERS }, (_, i) => op(userName(i + 1))));
  const end = Date.now() + 600_000;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`${hub.name}: the storm did not finish in 10 minutes`);
    await sleep(100);
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpuMsPerOp = (hubCpuMs(hub.pid) - c0) / SERVERS;
  return { wallS, cpuMsPerOp, ...(hub.name === "gyre" ? { launcherMsPerOp: (launcherCpuMs(hub.pid) - l0) / SERVERS } : {}) };
}

interface RoundResult {
  /** GET a page of 200 users at a random offset, nothing changing between requests (Gyre: from its list cache once filled) */
  list: Rate;
  /** GET a random page right after the bench wrote a user's last activity into the hub's database (Gyre: never from its cache) */
  listAfterChange: Rate;
  single: Rate;
  createS: number;
  start: Storm;
  stop: Storm;
  rssFresh: number;
  rssUsers: number;
  rssServers: number;
  /** the hub's CPU while nothing is asked of it but what its own proxy and timers ask (ms per s), the servers running (started again after the stop storm): the first BENCH_IDLE_SECONDS after their start… */
  idleAfterStormMsPerS: number;
  /** …and the next BENCH_IDLE_SECONDS */
  idleCpuMsPerS: number;
  rssEnd: number;
  /** Gyre only: live heap after a full GC, at the end */
  heapAfterGc?: number;
  /** Gyre only: RSS right after that GC (MB) */
  rssAfterGc?: number;
  /** Gyre only: RSS of the hub's process launcher with the servers running (MB; not in the hub's RSS) */
  launcherRss?: number;
  /** Gyre only: the launcher's private memory (MB: its own pages, not the node binary's it shares with the hub) */
  launcherPrivate?: number;
  /** Gyre only, at the end after the GC: what RSS is made of */
  memory?: string;
  profiles?: Record<string, string>;
}

async function runRound(hub: Hub): Promise<RoundResult> {
  await sleep(2000);
  const rssFresh = rssMb(hub.pid);
  if (HEAP_DIR && hub.inspector) await heapSnapshot(hub.inspector, join(HEAP_DIR, `gyre-fresh-${Date.now()}.heapsnapshot`));
  const profiles: Record<string, string> = {};
  const profiled = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    if (!PROFILE || !hub.inspector) return fn();
    await hub.inspector.send("Profiler.start");
    try {
      return await fn();
    } finally {
      const { profile } = (await hub.inspector.send("Profiler.stop")) as { profile: CpuProfile };
      profiles[phase] = summariseProfile(profile);
      if (PROFILE_DIR) writeFileSync(join(PROFILE_DIR, `gyre-${phase.replace(/[^A-Za-z0-9]+/g, "-")}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    }
  };

  const names = Array.from({ length: USERS }, (_, i) => userName(i + 1));
  const t0 = performance.now();
  await expectOk(await call(hub, "/users", { method: "POST", body: JSON.stringify({ usernames: names }) }), "create users");
  const createS = (performance.now() - t0) / 1000;

  const randomUser = () => userName(1 + Math.floor(Math.random() * USERS));
  const randomPage = () => `/users?offset=${Math.floor(Math.random() * (USERS + 1 - LIST_LIMIT))}&limit=${LIST_LIMIT}`;
  const list = await profiled("list 200 of 1,001 users", () => requestRate(hub, randomPage));
  const listAfterChange = await profiled("list after a change", () => afterChangeRate(hub, randomUser, randomPage));
  const single = await requestRate(hub, () => `/users/${randomUser()}`);
  const rssUsers = rssMb(hub.pid);
  if (SMAPS_DIR && hub.name === "gyre") writeFileSync(join(SMAPS_DIR, `gyre-users-${Date.now()}.smaps`), readFileSync(`/proc/${hub.pid}/smaps`));

  const startAll = () =>
    storm(
      hub,
      async (u) => void (await expectOk(await call(hub, `/users/${u}/server`, { method: "POST", body: "{}" }), `start ${u}`)),
      async () => (await countUsers(hub, "ready")) >= SERVERS,
    );
  const stopAll = () =>
    storm(
      hub,
      async (u) => void (await expectOk(await call(hub, `/users/${u}/server`, { method: "DELETE" }), `stop ${u}`)),
      async () => (await countUsers(hub, "active")) === 0,
    );
  const start = await profiled(`${SERVERS} concurrent starts`, startAll);
  await sleep(2000);
  const rssServers = rssMb(hub.pid);
  const launcher = launcherPids(hub.pid)[0];
  const launcherRss = launcher ? rssMb(launcher) : undefined;
  const launcherPrivate = launcher ? privateMb(launcher) : undefined;
  const stop = await profiled(`${SERVERS} concurrent stops`, stopAll);
  const rssEnd = rssMb(hub.pid);
  // Idle: the servers run again (started as before, not measured), no client asks anything; what
  // the hub does is its own (timers, its proxy's polls). Two windows: right after their start (its
  // garbage collected, code settling), then the steady state. After the storms, so that their
  // figures are taken as before: a minute of idle first let V8 drop code the stops then compiled
  // again (Gyre's CPU per stop 1.8 → 2.5–5 ms).
  await startAll();
  await sleep(2000);
  const idleWindow = async (phase: string) => {
    const c0 = hubCpuMs(hub.pid);
    await profiled(`idle ${phase}, ${SERVERS} servers running`, () => sleep(IDLE_SECONDS * 1000));
    return (hubCpuMs(hub.pid) - c0) / IDLE_SECONDS;
  };
  const idleAfterStormMsPerS = await idleWindow("after the starts");
  const idleCpuMsPerS = await idleWindow("steady");
  await stopAll();
  let heapAfterGc: number | undefined;
  let rssAfterGc: number | undefined;
  let memory: string | undefined;
  if (hub.inspector) {
    await hub.inspector.send("HeapProfiler.collectGarbage");
    const usage = (await hub.inspector.send("Runtime.getHeapUsage")) as { usedSize: number };
    heapAfterGc = usage.usedSize / 2 ** 20;
    rssAfterGc = rssMb(hub.pid);
    memory = await describeMemory(hub);
    if (SMAPS_DIR) writeFileSync(join(SMAPS_DIR, `gyre-end-${Date.now()}.smaps`), readFileSync(`/proc/${hub.pid}/smaps`));
    if (MALLOC_TRIM) {
      const before = rssMb(hub.pid);
      execFileSync("gdb", ["-p", String(hub.pid), "-batch", "-ex", "call (int) malloc_trim(0)"], { stdio: "ignore" });
      memory += `; malloc_trim(0): RSS ${before.toFixed(0)} -> ${rssMb(hub.pid).toFixed(0)} MB`;
    }
    if (HEAP_DIR) await heapSnapshot(hub.inspector, join(HEAP_DIR, `gyre-end-${Date.now()}.heapsnapshot`));
  }
  return {
    list,
    listAfterChange,
    single,
    createS,
    start,
    stop,
    rssFresh,
    rssUsers,
    rssServers,
    idleAfterStormMsPerS,
    idleCpuMsPerS,
    rssEnd,
    heapAfterGc,
    rssAfterGc,
    launcherRss,
    launcherPrivate,
    memory,
    profiles: PROFILE ? profiles : undefined,
  };
}

/** RSS of Gyre's hub split: V8's heap (committed), its external and array buffers, other anonymous memory, files. */
async function describeMemory(hub: Hub): Promise<string> {
  const { result } = (await hub.inspector!.send("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true })) as {
    result: { value: string };
  };
  const u = JSON.parse(result.value) as { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  const { anon, files } = rssBreakdown(hub.pid);
  const M = (b: number) => (b / 2 ** 20).toFixed(0);
  const fileTotal = files.reduce((t, [, mb]) => t + mb, 0);
  const top = files
    .slice(0, 5)
    .map(([f, mb]) => `${f.split("/").slice(-1)[0]} ${mb.toFixed(0)}`)
    .join(", ");
  return (
    `RSS ${M(u.rss)} MB = anonymous ${anon.toFixed(0)} (V8 heap committed ${M(u.heapTotal)}, used ${M(u.heapUsed)}; external ${M(u.external)}, ` +
    `of which array buffers ${M(u.arrayBuffers)}) + files ${fileTotal.toFixed(0)} (${top})`
  );
}

// --- the inspector (Gyre's hub only) -------------------------------------------------------------

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** A Chrome DevTools Protocol session over the hub's --inspect port. */
class Inspector {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** listeners of the session's events, by method */
  readonly events = new Map<string, (params: unknown) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const m = JSON.parse(data.toString("utf8")) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
      if (m.method) this.events.get(m.method)?.(m.params);
      const w = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id!);
      if (m.error) w.reject(new Error(m.error.message));
      else w.resolve(m.result);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const inspector = new Inspector(ws);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 500 });
    return inspector;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  close(): void {
    this.ws.close();
  }
}

/** A heap snapshot of the hub (V8 collects garbage first) written to `file`. */
async function heapSnapshot(inspector: Inspector, file: string): Promise<void> {
  const chunks: string[] = [];
  inspector.events.set("HeapProfiler.addHeapSnapshotChunk", (p) => chunks.push((p as { chunk: string }).chunk));
  await inspector.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  inspector.events.delete("HeapProfiler.addHeapSnapshotChunk");
  writeFileSync(file, chunks.join(""));
  console.log(`heap snapshot: ${file}`);
}

/** Where a function lives: its npm package, "node" (Node's own JS), "native" (C++ builtins, syscalls), "gc", or the repo's top folder. */
function areaOf(functionName: string, file: string): string {
  if (functionName === "(garbage collector)") return "gc";
  if (!file) return "native";
  if (file.startsWith("node:")) return "node";
  if (file.startsWith("wasm:")) return "wasm (Prisma's query compiler)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (file.includes(".next/")) return "next (build output)";
  return file.split("/")[0];
}

/** Top self-time functions of a profile (idle excluded): "share% function (file:line)". */
function summariseProfile(profile: CpuProfile, top = 12): string {
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits || n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)") continue;
    const file = n.callFrame.url.replace(/^file:\/\//, "").replace(REPO + "/", "");
    const key = `${n.callFrame.functionName || "(anonymous)"} ${file ? `(${file.replace(/.*node_modules\//, "")}:${n.callFrame.lineNumber + 1})` : ""}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    areas.set(areaOf(n.callFrame.functionName, file), (areas.get(areaOf(n.callFrame.functionName, file)) ?? 0) + hits);
    busy += hits;
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const areaShares = [...areas.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => `${k} ${((100 * v) / busy).toFixed(0)}%`)
    .join(", ");
  return `  by area: ${areaShares}\n` + rows.map(([k, v]) => `  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`).join("\n");
}

// --- the table -----------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function printTable(results: Record<HubName, RoundResult[]>, version: string, floors: number[], memFloor?: MemoryFloor): void {
  const m = (hub: HubName, f: (r: RoundResult) => number) => (results[hub].length ? median(results[hub].map(f)) : NaN);
  const row = (label: string, f: (r: RoundResult) => number, fmt: (v: number) => string, target?: string) => {
    const g = m("gyre", f);
    const j = m("jupyterhub", f);
    const show = (v: number) => (Number.isNaN(v) ? "–" : fmt(v));
    console.log(`| ${label} | ${show(g)} | ${show(j)} | ${show(g / j) === "–" ? "–" : (g / j).toFixed(2)} | ${target ?? ""} |`);
  };
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const s = (v: number) => `${v.toFixed(2)} s`;
  const mb = (v: number) => `${v.toFixed(0)} MB`;
  const rps = (v: number) => `${v.toFixed(1)}/s`;
  const delay = START_DELAY_S ? `, each server listening ${START_DELAY_S} s after it starts` : "";
  console.log(
    `\nGyre${GYRE_DB === "postgres" ? " on PostgreSQL" : ""} vs ${version} (Debian), ${SERVERS} servers${delay}, medians of ${ROUNDS} alternating rounds; ratio = Gyre ÷ JupyterHub\n`,
  );
  console.log("| | Gyre | JupyterHub | ratio | target |");
  console.log("|---|---|---|---|---|");
  row(`list ${LIST_LIMIT} of ${USERS + 1} users, ${CONCURRENCY} concurrent: req/s`, (r) => r.list.reqPerSec, rps);
  row("  hub CPU per list request", (r) => r.list.cpuMsPerReq, ms, "≤ 0.10");
  row(
    `list after a change (a user's last activity written to the database before each), ${CONCURRENCY} concurrent: req/s`,
    (r) => r.listAfterChange.reqPerSec,
    rps,
  );
  row("  hub CPU per list request after a change", (r) => r.listAfterChange.cpuMsPerReq, ms);
  row(`single-user GET, ${CONCURRENCY} concurrent: hub CPU per request`, (r) => r.single.cpuMsPerReq, ms, "≤ 0.50");
  row(`create ${USERS} users in one bulk POST`, (r) => r.createS, s);
  row(`${SERVERS} concurrent starts, all ready`, (r) => r.start.wallS, s, "≤ 0.50");
  row("  hub CPU per start", (r) => r.start.cpuMsPerOp, ms, "≤ 0.25");
  row(`${SERVERS} concurrent stops, none active`, (r) => r.stop.wallS, s, "≤ 0.50");
  row("  hub CPU per stop", (r) => r.stop.cpuMsPerOp, ms, "≤ 0.25");
  row(`hub CPU per second while idle, ${SERVERS} servers running: the first ${IDLE_SECONDS} s after the starts`, (r) => r.idleAfterStormMsPerS, ms);
  row(`  the next ${IDLE_SECONDS} s`, (r) => r.idleCpuMsPerS, ms);
  row("hub RSS fresh", (r) => r.rssFresh, mb);
  row(`hub RSS with ${USERS + 1} users`, (r) => r.rssUsers, mb, "≤ 1");
  row(`hub RSS with ${SERVERS} servers running`, (r) => r.rssServers, mb, "≤ 1");
  row("hub RSS at the end (after the stops)", (r) => r.rssEnd, mb);
  const floor = median(floors);
  const above = (hub: HubName) => m(hub, (r) => r.start.wallS) - floor;
  console.log(
    `\nFloor: the same ${SERVERS} servers started without a hub (each as its account through setpriv, until each answers a GET on its socket; the quicker of all at once and ${FLOOR_PARALLEL[1]} at a time): ` +
      `${floor.toFixed(2)} s (rounds: ${floors.map((f) => f.toFixed(2)).join(" ")}). ` +
      `Time a hub adds to it in the start storm: Gyre ${above("gyre").toFixed(2)} s, JupyterHub ${above("jupyterhub").toFixed(2)} s (ratio ${(above("gyre") / above("jupyterhub")).toFixed(2)}); ` +
      `half of JupyterHub's storm is ${(m("jupyterhub", (r) => r.start.wallS) / 2).toFixed(2)} s.`,
  );
  const g = results.gyre;
  const heap = median(g.map((r) => r.heapAfterGc ?? NaN));
  const end = median(g.map((r) => r.rssEnd));
  console.log(
    `\nGyre's hub at the end: RSS ${end.toFixed(0)} MB, live heap after a full GC ${heap.toFixed(0)} MB (RSS ÷ live heap ${(end / heap).toFixed(1)})`,
  );
  if (memFloor) {
    const afterGc = median(g.map((r) => r.rssAfterGc ?? NaN));
    console.log(
      `Memory floor (RSS after a full GC): node with the hub's flags, having loaded nothing, ${memFloor.node.toFixed(0)} MB; with Next's production server prepared over this build, ` +
        `${memFloor.prepared.toFixed(0)} MB before any request and ${memFloor.page.toFixed(0)} MB after one page (its not-found page). ` +
        `Gyre's hub after the full GC at the end: ${afterGc.toFixed(0)} MB; JupyterHub's RSS with ${USERS + 1} users: ${m("jupyterhub", (r) => r.rssUsers).toFixed(0)} MB.`,
    );
  }
  console.log(
    "per round (gyre | jupyterhub): start s",
    g.map((r) => r.start.wallS.toFixed(2)).join(" "),
    "|",
    results.jupyterhub.map((r) => r.start.wallS.toFixed(2)).join(" "),
  );
  console.log(
    "                               stop s ",
    g.map((r) => r.stop.wallS.toFixed(2)).join(" "),
    "|",
    results.jupyterhub.map((r) => r.stop.wallS.toFixed(2)).join(" "),
  );
  for (const [i, r] of g.entries()) if (r.memory) console.log(`Gyre's hub memory, round ${i + 1}, at the end: ${r.memory}`);
  if (PROFILE)
    for (const [i, r] of g.entries())
      for (const [phase, text] of Object.entries(r.profiles ?? {})) console.log(`\nGyre's hub, round ${i + 1}, ${phase}: top self time\n${text}`);
}

/** " (launcher 1.9)": the launcher's part of a storm's CPU per server, when the hub has one */
const launcherPart = (s: Storm) => (s.launcherMsPerOp === undefined ? "" : ` (launcher ${s.launcherMsPerOp.toFixed(1)})`);

// --- the memory floor: node running Next's server over this build, nothing else ----------------

/** The memory floor's RSS at its three points (MB, each after a full GC) */
interface MemoryFloor {
  /** before it loads anything */
  node: number;
  /** Next's server prepared over the build, before any request */
  prepared: number;
  /** after it rendered one page */
  page: number;
}

/**
 * RSS (MB, each after a full GC) of a node process with the hub's flags that loads Next from
 * GYRE_DIR, prepares its production server over GYRE_DIR's build and renders one page, the
 * not-found page of a path no route has (no database, no hub runtime: Next's server and React's
 * renderer, as any page needs).
 */
function memoryFloor(work: string): MemoryFloor {
  const script = join(work, "memory-floor.mjs");
  writeFileSync(
    script,
    `import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
const rss = () => { globalThis.gc(); globalThis.gc(); return Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]) / 1024; };
const node = rss();
const dir = ${JSON.stringify(GYRE_DIR)};
const { default: next } = await import(pathToFileURL(createRequire(dir + "/package.json").resolve("next")).href);
const app = next({ dev: false, dir, hostname: "127.0.0.1", port: 0 });
await app.prepare();
const prepared = rss();
const handle = app.getRequestHandler();
const server = createServer((q, r) => handle(q, r)).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const res = await fetch("http://127.0.0.1:" + server.address().port + "/hub/no-such-page-" + Date.now());
await res.text();
if (res.status !== 404) throw new Error("the not-found page answered " + res.status);
process.stdout.write(JSON.stringify({ node, prepared, page: rss() }));
process.exit(0);
`,
  );
  const out = execFileSync(process.execPath, ["--expose-gc", ...HUB_FLAGS, script], {
    cwd: GYRE_DIR,
    env: { ...process.env, ...HUB_ENV, NODE_ENV: "production" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 120_000,
  });
  return JSON.parse(out.slice(out.lastIndexOf("{"))) as MemoryFloor;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root: both hubs switch servers to per-user OS accounts");
  const version = jupyterHubVersion();
  const work = mkdtempSync(join(tmpdir(), "hub-bench-"));
  const tiny = installTinyServer(work);
  ensureAccounts(SERVERS);
  const results: Record<HubName, RoundResult[]> = { gyre: [], jupyterhub: [] };
  const floors: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const [together, paced] = [await floorStorm(tiny, FLOOR_PARALLEL[0]), await floorStorm(tiny, FLOOR_PARALLEL[1])];
      floors.push(Math.min(together, paced));
      console.log(
        `round ${round} floor      ${SERVERS} servers started without a hub, all answering: ${together.toFixed(2)} s all at once, ${paced.toFixed(2)} s ${FLOOR_PARALLEL[1]} at a time`,
      );
      const order: HubName[] = round % 2 ? ["gyre", "jupyterhub"] : ["jupyterhub", "gyre"];
      for (const name of order.filter((h) => HUBS.includes(h))) {
        const hub = name === "gyre" ? await startGyre(tiny) : await startJupyterHub(tiny);
        try {
          const r = await runRound(hub);
          results[name].push(r);
          console.log(
            `round ${round} ${name.padEnd(10)} list ${r.list.reqPerSec.toFixed(1)}/s ${r.list.cpuMsPerReq.toFixed(1)} ms · after a change ${r.listAfterChange.reqPerSec.toFixed(1)}/s ${r.listAfterChange.cpuMsPerReq.toFixed(1)} ms · GET ${r.single.cpuMsPerReq.toFixed(2)} ms · create ${r.createS.toFixed(2)} s · start ${r.start.wallS.toFixed(2)} s ${r.start.cpuMsPerOp.toFixed(1)} ms${launcherPart(r.start)} · stop ${r.stop.wallS.toFixed(2)} s ${r.stop.cpuMsPerOp.toFixed(1)} ms${launcherPart(r.stop)} · idle ${r.idleAfterStormMsPerS.toFixed(1)}/${r.idleCpuMsPerS.toFixed(1)} ms/s · RSS ${r.rssFresh.toFixed(0)}/${r.rssUsers.toFixed(0)}/${r.rssServers.toFixed(0)}/${r.rssEnd.toFixed(0)} MB${r.heapAfterGc ? ` heap ${r.heapAfterGc.toFixed(0)} MB` : ""}${r.launcherRss ? ` launcher RSS ${r.launcherRss.toFixed(0)} MB (private ${r.launcherPrivate?.toFixed(0)})` : ""}`,
          );
        } finally {
          await hub.stop();
        }
      }
    }
    printTable(results, version, floors, HUBS.includes("gyre") ? memoryFloor(work) : undefined);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
