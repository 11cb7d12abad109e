// Starts a real Gyre (hub + proxy as separate processes, fresh data directory, local spawner with
// real Jupyter servers) for one spec file, and offers the helpers the specs share.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { request as httpRequest } from "node:http";
import { mkdtempSync, openSync, readFileSync, existsSync, rmSync, closeSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes, createHash } from "node:crypto";
import dns from "node:dns";
import Database from "better-sqlite3";
import { expect, type Page } from "@playwright/test";
import { hubCommand } from "../app/hub-command";
import { runCellOverWebSocket } from "../spawners/testing/kernel-cell";

// Node clients in this process (Playwright's request contexts, fetch) resolve <name>.localhost as
// browsers do, to the loopback address (RFC 6761 §6.3): the system resolver only knows "localhost".
// The same answer Chromium gives itself, so API calls reach the same proxy the browser does.
const asLocalhost = (host: string) => (host.toLowerCase().endsWith(".localhost") ? "localhost" : host);
const lookupPromise = dns.promises.lookup.bind(dns.promises);
const lookupCallback = dns.lookup.bind(dns);
(dns.promises as { lookup: unknown }).lookup = (host: string, options?: unknown) => lookupPromise(asLocalhost(host), options as dns.LookupAllOptions);
(dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => (lookupCallback as (...a: unknown[]) => void)(asLocalhost(host), ...rest);

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
// `node --import tsx` (not the tsx CLI, which runs the program in a child process): signals such
// as the SIGKILL of the restart tests must reach the hub itself.
const NODE_TSX = [process.execPath, "--import", "tsx"] as const;

/**
 * A hub host one *site* with its users' <name>.gyre.localhost, like hub.example.org and its users'
 * <name>.hub.example.org: SameSite cookies do not separate them, so the Origin checks must
 * (GyreOptions.hubHost). The default, localhost, is a public suffix of its own: each
 * <name>.localhost is a site apart.
 */
export const SAME_SITE_HUB_HOST = "gyre.localhost";

export const ADMIN = { name: "admin", password: "admin-password-e2e" };

export interface Gyre {
  /** the hub's origin (the proxy): http://localhost:7700 by default, http://127.0.0.1:7700 single-origin */
  url: string;
  /** whether each user's servers are on their own origin, <name>.<hub host> (the default; GyreOptions.singleOrigin opts out) */
  perUserOrigins: boolean;
  /** `path` ("tree", "files/x.html") of `user`'s default server, on the user's own origin with per-user origins */
  userUrl(user: string, path?: string): string;
  hubUrl: string;
  proxyApiUrl: string;
  dataDir: string;
  env: Record<string, string>;
  /** combined stdout/stderr of hub and proxy so far */
  logs(): string;
  startHub(): Promise<void>;
  startProxy(): Promise<void>;
  /** SIGKILL (default) or SIGTERM the hub / proxy process */
  killHub(signal?: NodeJS.Signals): Promise<void>;
  killProxy(signal?: NodeJS.Signals): Promise<void>;
  /** an API token for `user`, written straight into the database (test shortcut) */
  token(user: string): string;
  /** fetch against the public URL with the user's API token */
  api(user: string, path: string, init?: RequestInit): Promise<Response>;
  /** stops every server through the API, then hub and proxy, and removes the data directory */
  stop(): Promise<void>;
}

export interface GyreOptions {
  /** proxy port; hub = +1, proxy API = +2 */
  basePort: number;
  env?: Record<string, string>;
  /** create the initial admin from env (default true); false → first-run setup link */
  initialAdmin?: boolean;
  /**
   * Single-origin mode on purpose (hub.userDomain "", hub.publicUrl http://127.0.0.1:<port>).
   * Default: no origin options at all, as the quick start — the hub on http://localhost:<port>,
   * each user's servers on http://<name>.localhost:<port> (per-user origins, the automatic
   * hub.userDomain). Chromium resolves *.localhost itself; Node clients keep using 127.0.0.1 with
   * an API token, which works on any host.
   */
  singleOrigin?: boolean;
  /**
   * Per-user origins under another localhost name: only hub.publicUrl http://<hubHost>:<port> is
   * set, hub.userDomain stays automatic (SAME_SITE_HUB_HOST puts hub and users on one site).
   */
  hubHost?: string;
  /** gyre.config.yaml's settings: written (as JSON, which is YAML) into the data dir, which GYRE_CONFIG then names */
  config?: object;
}

async function waitHttp(url: string, ms: number, proc: () => ChildProcess | undefined, what: string, logs: () => string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const p = proc();
    if (p && p.exitCode !== null) throw new Error(`${what} exited with ${p.exitCode}:\n${logs().slice(-3000)}`);
    try {
      const r = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`${what} did not come up at ${url}:\n${logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const children = new Set<ChildProcess>();
// Children must not outlive the test worker (a stale hub on a test port would answer for the next run).
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", () =>
      reject(new Error(`port ${port} is busy: a Gyre from an earlier run may still be running (find it with: ss -ltnp 'sport = :${port}')`)),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

export async function startGyre(opts: GyreOptions): Promise<Gyre> {
  for (const p of [opts.basePort, opts.basePort + 1, opts.basePort + 2]) await assertPortFree(p);
  const dataDir = mkdtempSync(join(tmpdir(), "gyre-e2e-"));
  const port = opts.basePort;
  const configFile = join(dataDir, "gyre.config.yaml");
  if (opts.config) writeFileSync(configFile, JSON.stringify(opts.config));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    GYRE_HUB__DATA_DIR: dataDir,
    GYRE_HUB__PORT: String(port + 1),
    GYRE_PROXY__PORT: String(port),
    GYRE_PROXY__API_PORT: String(port + 2),
    GYRE_PROXY__HUB_URL: `http://127.0.0.1:${port + 1}`,
    GYRE_PROXY__AUTH_SYNC_SECONDS: "1",
    GYRE_HUB__LOG_LEVEL: "info",
    GYRE_SPAWNER__LOCAL__CREATE_OS_USERS: "true",
    ...(opts.singleOrigin
      ? { GYRE_HUB__PUBLIC_URL: `http://127.0.0.1:${port}`, GYRE_HUB__USER_DOMAIN: "" }
      : opts.hubHost
        ? { GYRE_HUB__PUBLIC_URL: `http://${opts.hubHost}:${port}` }
        : {}),
    ...(opts.initialAdmin === false ? {} : { GYRE_AUTH__INITIAL_ADMIN__NAME: ADMIN.name, GYRE_AUTH__INITIAL_ADMIN__PASSWORD: ADMIN.password }),
    ...(opts.config ? { GYRE_CONFIG: configFile } : {}),
    ...opts.env,
  };
  const logFile = join(dataDir, "gyre.log");
  const out = openSync(logFile, "a");
  let hub: ChildProcess | undefined;
  let proxy: ChildProcess | undefined;
  const logs = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  // Node's own clients (readiness, API calls) go to the address: Node does not resolve *.localhost.
  const direct = `http://127.0.0.1:${port}`;
  const hubHost = opts.hubHost ?? "localhost";
  const perUserOrigins = !opts.singleOrigin;
  const url = perUserOrigins ? `http://${hubHost}:${port}` : direct;
  const hubUrl = `http://127.0.0.1:${port + 1}`;
  const tokens = new Map<string, string>();

  const g: Gyre = {
    url,
    perUserOrigins,
    userUrl(user, path = "") {
      // Names in these tests are DNS labels already, so the origin's label is the name itself.
      return `${perUserOrigins ? `http://${user}.${hubHost}:${port}` : url}/user/${user}/${path}`;
    },
    hubUrl,
    proxyApiUrl: `http://127.0.0.1:${port + 2}`,
    dataDir,
    env,
    logs,
    async startHub() {
      // the bundle production runs (npm run build), unless sources changed since (then through tsx)
      const cmd = hubCommand({ root: ROOT, tsxImport: "tsx" });
      const child = spawn(cmd.file, cmd.args, {
        cwd: ROOT,
        env: { ...cmd.env, ...env } as NodeJS.ProcessEnv,
        stdio: ["ignore", out, out],
      });
      children.add(child);
      hub = child;
      await waitHttp(`${hubUrl}/hub/api`, 90_000, () => hub, "hub", logs);
    },
    async startProxy() {
      const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), join(ROOT, "proxy/main.ts")], {
        cwd: ROOT,
        env: env as NodeJS.ProcessEnv,
        stdio: ["ignore", out, out],
      });
      children.add(child);
      proxy = child;
      await waitHttp(`${direct}/_chp_healthz`, 30_000, () => proxy, "proxy", logs);
    },
    async killHub(signal = "SIGKILL") {
      await kill(hub, signal);
    },
    async killProxy(signal = "SIGKILL") {
      await kill(proxy, signal);
    },
    token(user: string) {
      const known = tokens.get(user);
      if (known) return known;
      const db = new Database(join(dataDir, "gyre.db"));
      try {
        const row = db.prepare("SELECT id FROM User WHERE name = ?").get(user) as { id: number } | undefined;
        if (!row) throw new Error(`no user ${user} yet`);
        const token = randomBytes(32).toString("base64url");
        db.prepare("INSERT INTO ApiToken (userId, prefix, hash, note, scopes, createdAt) VALUES (?, ?, ?, 'e2e', '', ?)").run(
          row.id,
          token.slice(0, 8),
          createHash("sha256").update(token).digest("hex"),
          new Date().toISOString(),
        );
        tokens.set(user, token);
        return token;
      } finally {
        db.close();
      }
    },
    api(user, path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `token ${g.token(user)}`);
      if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
      return fetch(`${direct}${path}`, { ...init, headers, redirect: "manual" });
    },
    async stop() {
      try {
        // Without an "admin" (first-run tests name their own) there is nothing to stop through the API.
        if (hub && hub.exitCode === null && proxy && proxy.exitCode === null && hasUser(ADMIN.name)) {
          const users = (await (await g.api(ADMIN.name, "/hub/api/users")).json()) as { name: string; servers: Record<string, unknown> }[];
          for (const u of users)
            for (const s of Object.keys(u.servers)) await g.api(ADMIN.name, `/hub/api/users/${u.name}/${s ? `servers/${s}` : "server"}`, { method: "DELETE" });
          const end = Date.now() + 30_000;
          while (Date.now() < end) {
            const left = (await (await g.api(ADMIN.name, "/hub/api/users?state=active")).json()) as unknown[];
            if (!left.length) break;
            await new Promise((r) => setTimeout(r, 300));
          }
        }
      } finally {
        await kill(proxy, "SIGTERM");
        await kill(hub, "SIGTERM");
        removeDataDir();
      }
    },
  };
  /**
   * The data directory goes with the processes: no spec prints its path, failure messages carry
   * the log's tail (g.logs()) instead.
   */
  let removed = false;
  function removeDataDir(): void {
    if (removed) return;
    removed = true;
    closeSync(out);
    rmSync(dataDir, { recursive: true, force: true });
  }
  function hasUser(name: string): boolean {
    const db = new Database(join(dataDir, "gyre.db"), { readonly: true });
    try {
      return !!db.prepare("SELECT 1 FROM User WHERE name = ?").get(name);
    } finally {
      db.close();
    }
  }
  try {
    await g.startHub();
    await g.startProxy();
  } catch (e) {
    // no Gyre to stop() for the caller: its error carries the log's tail
    await kill(proxy, "SIGKILL");
    await kill(hub, "SIGKILL");
    removeDataDir();
    throw e;
  }
  return g;
}

async function kill(p: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once("exit", r));
  p.kill(signal);
  await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
  if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}

/** Logs in through the login page. */
export async function login(page: Page, g: Gyre, name: string, password: string): Promise<void> {
  await page.goto(`${g.url}/hub/login`);
  await page.getByLabel(/user ?name/i).fill(name);
  await page.getByLabel(/password/i).fill(password);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("current-user")).toContainText(name);
}

/** Starts `user`'s default server through the API and waits until it is ready. */
export async function startServerViaApi(g: Gyre, user: string, body: object = {}): Promise<void> {
  const r = await g.api(user, `/hub/api/users/${user}/server`, { method: "POST", body: JSON.stringify(body) });
  if (r.status !== 202 && r.status !== 201) throw new Error(`start failed: ${r.status} ${await r.text()}`);
  const end = Date.now() + 120_000;
  for (;;) {
    const m = (await (await g.api(user, `/hub/api/users/${user}`)).json()) as {
      servers: Record<string, { ready: boolean; state: string; message: string | null }>;
    };
    const s = m.servers[""];
    if (s?.ready) return;
    if (s && s.state === "failed") throw new Error(`spawn failed: ${s.message}`);
    if (Date.now() > end) throw new Error("server did not become ready");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Creates a local user through the REST API as admin. */
export async function createUser(g: Gyre, name: string, password: string, admin = false): Promise<void> {
  const r = await g.api(ADMIN.name, `/hub/api/users/${name}`, { method: "POST", body: JSON.stringify({ password, admin }) });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${await r.text()}`);
}

/**
 * Status of a GET straight to a user server at the URL the hub stored for it (`http://host:port`,
 * or `http+unix://<%-encoded socket path>` for local servers), bypassing the proxy.
 */
export function directServerStatus(serverUrl: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const unix = /^http\+unix:\/\/([^/]+)$/.exec(serverUrl);
  const u = unix ? null : new URL(serverUrl);
  const where = unix ? { socketPath: decodeURIComponent(unix[1]) } : { host: u!.hostname, port: Number(u!.port) };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...where, path, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs `code` in a new kernel of `user`'s default server (REST + the kernel's WebSocket through the proxy, with the user's API token); returns its output. */
export async function runCell(g: Gyre, user: string, code: string): Promise<string> {
  const r = await g.api(user, `/user/${user}/api/kernels`, { method: "POST", body: "{}" });
  expect(r.status).toBe(201);
  const kernelId = ((await r.json()) as { id: string }).id;
  const channels = `${g.url.replace(/^http/, "ws").replace("localhost", "127.0.0.1")}/user/${user}/api/kernels/${kernelId}/channels`;
  return runCellOverWebSocket(channels, code, { headers: { authorization: `token ${g.token(user)}` }, username: user });
}
