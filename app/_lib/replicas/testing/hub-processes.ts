// Real hub processes for the replica tests (replicas.processes.int.test.ts,
// replicas.storm.int.test.ts): each hub is app/server.ts on one shared PostgreSQL with the local
// spawner, reached by the proxies through a TCP balancer; API tokens are written as the hub stores
// them (sha256) so a test can act as any user.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { stopAll, type ProxyProcessOptions } from "@/proxy/testing/processes";
import type { TcpBalancer } from "@/app/_lib/testing/tcp-balancer";
import type { TestPostgres } from "@/app/_lib/testing/postgres";
import { testAccount } from "@/spawners/testing/os-account";
import { runtimeDirPrefix } from "@/spawners/local/command";

const REPO = resolve(import.meta.dirname, "../../../..");

/** A server row as the tests read it. */
export interface Row {
  id: number;
  name: string;
  state: string;
  ownerReplica: string | null;
  spawnerState: string;
  spawnId: string | null;
}

/** What a test's hubs and proxies share. */
export interface ReplicaClusterOptions {
  ports: { balancer: number };
  proxyA: { port: number; apiPort: number };
  proxyB: { port: number; apiPort: number };
  secret: string;
  proxyToken: string;
  admin: { name: string; password: string };
  leaseSeconds: number;
  beatSeconds: number;
  /** known once the test's before() has run: PostgreSQL, the server script, where hub logs go */
  live: () => { pgUrl: string; db: pg.Pool; tiny: string; logDir: string };
}

/**
 * Removes the runtime dirs (gyre-rt-<user>-XXXXXX) of `users`' servers left in `dir`: those of
 * spawns a hub killed -9 made but never recorded (the storm's kill, the test of a pid never
 * saved), which no hub can find again to remove. Called once the servers are gone; as root, so
 * also the dirs the users' servers own.
 */
function removeRuntimeDirs(dir: string, users: string[]): void {
  const prefixes = users.map(runtimeDirPrefix);
  for (const name of readdirSync(dir))
    if (prefixes.some((p) => name.startsWith(p) && /^[A-Za-z0-9]{6}$/.test(name.slice(p.length)))) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Hub processes by port, and the functions to start, stop and call them. */
export function replicaCluster(o: ReplicaClusterOptions) {
  const { proxyA: PROXY_A, proxyB: PROXY_B, ports: PORTS } = o;
  const hubs = new Map<number, ChildProcess>();
  const tokens = new Map<string, string>();
  /** every hub start's data dir, removed by tearDown() */
  const dataDirs: string[] = [];

  function hubEnv(port: number): Record<string, string> {
    const dataDir = mkdtempSync(join(tmpdir(), `gyre-replica-${port}-`));
    dataDirs.push(dataDir);
    const config = join(dataDir, "gyre.config.yaml");
    writeFileSync(config, "{}\n");
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      // the servers' runtime dirs in the temp dir tearDown() looks in
      TMPDIR: tmpdir(),
      NODE_ENV: "production",
      GYRE_CONFIG: config,
      GYRE_HUB__DATA_DIR: dataDir,
      GYRE_HUB__PORT: String(port),
      GYRE_HUB__DATABASE_URL: o.live().pgUrl,
      GYRE_HUB__SECRET_KEY: o.secret,
      GYRE_HUB__LOG_LEVEL: "info",
      GYRE_HUB__PUBLIC_URL: `http://127.0.0.1:${PROXY_A.port}`,
      GYRE_HUB__USER_DOMAIN: "",
      GYRE_HUB__REPLICA_LEASE_SECONDS: String(o.leaseSeconds),
      GYRE_HUB__REPLICA_HEARTBEAT_SECONDS: String(o.beatSeconds),
      GYRE_PROXY__AUTH_TOKEN: o.proxyToken,
      GYRE_PROXY__REPLICA_API_URLS: JSON.stringify([`http://127.0.0.1:${PROXY_A.apiPort}`, `http://127.0.0.1:${PROXY_B.apiPort}`]),
      GYRE_SPAWNER__KIND: "local",
      GYRE_SPAWNER__LOCAL__COMMAND: JSON.stringify(["/usr/bin/python3", o.live().tiny]),
      GYRE_SPAWNER__LOCAL__STOP_GRACE_SECONDS: "2",
      GYRE_AUTH__INITIAL_ADMIN__NAME: o.admin.name,
      GYRE_AUTH__INITIAL_ADMIN__PASSWORD: o.admin.password,
    };
  }

  const hubLog = (port: number) => join(o.live().logDir, `hub-${port}.log`);
  const hubUrl = (port: number) => `http://127.0.0.1:${port}`;

  /** Starts the hub on `port` and waits until its API answers. */
  async function startHub(port: number): Promise<ChildProcess> {
    const out = openSync(hubLog(port), "a");
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "app/server.ts")], {
      cwd: REPO,
      env: hubEnv(port) as NodeJS.ProcessEnv,
      stdio: ["ignore", out, out],
    });
    hubs.set(port, child);
    const end = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`hub ${port} exited with ${child.exitCode}:\n${readFileSync(hubLog(port), "utf8").slice(-3000)}`);
      const ok = await fetch(`${hubUrl(port)}/hub/api`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) return child;
      if (Date.now() > end) throw new Error(`hub ${port} did not come up:\n${readFileSync(hubLog(port), "utf8").slice(-3000)}`);
      await sleep(150);
    }
  }

  async function killHub(port: number, signal: NodeJS.Signals): Promise<void> {
    const child = hubs.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await Promise.race([gone, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      throw new Error(`hub ${port} did not exit on ${signal}`);
    }
  }

  const proxyOptions = (p: { port: number; apiPort: number }): ProxyProcessOptions => ({
    ...p,
    hubUrl: `http://127.0.0.1:${PORTS.balancer}`,
    secretKey: o.secret,
    authToken: o.proxyToken,
    bundled: true,
  });

  /** An API token of `user`, stored as the hub stores one (sha256). */
  async function token(user: string): Promise<string> {
    const known = tokens.get(user);
    if (known) return known;
    const t = randomBytes(32).toString("base64url");
    const r = await o
      .live()
      .db.query(
        `INSERT INTO "ApiToken" ("userId", prefix, hash, note, scopes, "createdAt") SELECT id, $2, $3, 'replica test', '', now() FROM "User" WHERE name = $1`,
        [user, t.slice(0, 8), createHash("sha256").update(t).digest("hex")],
      );
    assert.equal(r.rowCount, 1, `no user ${user}`);
    tokens.set(user, t);
    return t;
  }

  async function api(port: number, user: string, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `token ${await token(user)}`);
    if (init.body) headers.set("content-type", "application/json");
    return fetch(`${hubUrl(port)}${path}`, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(10_000) });
  }

  async function startServer(port: number, user: string): Promise<void> {
    const r = await api(port, user, `/hub/api/users/${user}/server`, { method: "POST", body: "{}" });
    assert.equal(r.status, 202, `start ${user} through hub ${port}: ${r.status} ${await r.text()}`);
  }

  /** Status of GET /user/<user>/api/status through a proxy with the token of `as` (0: no answer; 200 only when the tiny server answered). */
  async function throughProxy(proxyPort: number, user: string, as = user): Promise<number> {
    try {
      const r = await fetch(`http://127.0.0.1:${proxyPort}/user/${user}/api/status`, {
        headers: { authorization: `token ${await token(as)}` },
        redirect: "manual",
        signal: AbortSignal.timeout(5000),
      });
      const body = await r.text();
      return r.status === 200 && body.includes('"bench"') ? 200 : r.status || -1;
    } catch {
      return 0;
    }
  }

  async function serverRows(names: string[]): Promise<Row[]> {
    const r = await o
      .live()
      .db.query<Row>(
        `SELECT s.id, u.name, s.state, s."ownerReplica", s."spawnerState", s."spawnId" FROM "Server" s JOIN "User" u ON u.id = s."userId" WHERE u.name = ANY($1) ORDER BY u.name`,
        [names],
      );
    return r.rows;
  }

  async function replicaIdOf(port: number): Promise<string> {
    const pid = hubs.get(port)!.pid!;
    const r = await o.live().db.query<{ id: string }>(`SELECT id FROM "HubReplica" WHERE id LIKE $1`, [`%-${pid}-%`]);
    assert.equal(r.rows.length, 1, `hub ${port} (pid ${pid}) has its replica row`);
    return r.rows[0].id;
  }

  async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms: number, detail?: () => Promise<string>): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `: ${await detail()}` : ""}`);
      await sleep(50);
    }
  }

  /** The tiny servers of this test running now, by hub user (from the base_url in their command line), with their uid and pid. */
  function tinyProcesses(): Map<string, { pid: number; uid: number }[]> {
    const out = new Map<string, { pid: number; uid: number }[]>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let argv: string[];
      let uid: number;
      try {
        argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
        if (argv[1] !== o.live().tiny) continue;
        uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"))![1]);
      } catch {
        continue; // gone meanwhile
      }
      const base = argv.find((a) => a.startsWith("--ServerApp.base_url="));
      const user = /\/user\/([^/]+)\//.exec(base ?? "")?.[1] ?? "?";
      out.set(user, [...(out.get(user) ?? []), { pid: Number(entry), uid }]);
    }
    return out;
  }

  /** The server's pid in its stored spawner state (wrapped in its kind's format version). */
  function storedPid(state: unknown): number | undefined {
    if (!state || typeof state !== "object") return undefined;
    const o = state as Record<string, unknown>;
    if (typeof o.pid === "number") return o.pid;
    for (const v of Object.values(o)) {
      const found = storedPid(v);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Every one of `names` runs exactly one server process, as its own OS account, the one its row names; no other tiny server runs for them. */
  async function assertRunningOnce(names: string[]): Promise<void> {
    const procs = tinyProcesses();
    const rows = await serverRows(names);
    assert.equal(rows.length, names.length, "one server row per user");
    for (const row of rows) {
      assert.equal(row.state, "running", `${row.name}: ${row.state}`);
      const mine = procs.get(row.name) ?? [];
      assert.equal(mine.length, 1, `${row.name}: ${mine.length} server processes (pids ${mine.map((p) => p.pid).join(", ")})`);
      assert.equal(mine[0].uid, testAccount(row.name).uid, `${row.name}: runs as its own account`);
      assert.equal(storedPid(JSON.parse(row.spawnerState)), mine[0].pid, `${row.name}: the process its row follows (${row.spawnerState})`);
    }
  }

  /**
   * After the tests: every server stopped through a live hub (which also removes their runtime
   * directories), a server left over killed, then the hubs, the proxies, the balancer, PostgreSQL;
   * last the directories: the hubs' data dirs, runtime dirs no hub removed, the log dir (failure
   * messages carry the logs' tails, not their paths).
   */
  async function tearDown(rest: { balancer?: TcpBalancer; pgServer?: TestPostgres; logDir?: string }): Promise<void> {
    let serverUsers: string[] = [];
    try {
      const { db } = o.live();
      if (db)
        serverUsers = (await db.query<{ name: string }>(`SELECT DISTINCT u.name FROM "Server" s JOIN "User" u ON u.id = s."userId"`)).rows.map((r) => r.name);
      // stop every server this test started through a live hub (which also removes their runtime
      // directories), then the processes; a server left over is killed
      const live = [...hubs.entries()].find(([, c]) => c.exitCode === null && c.signalCode === null)?.[0];
      if (live && db) {
        const active = (await db.query<{ name: string }>(`SELECT u.name FROM "Server" s JOIN "User" u ON u.id = s."userId" WHERE s.state <> 'stopped'`)).rows;
        for (const { name } of active) await api(live, o.admin.name, `/hub/api/users/${name}/server`, { method: "DELETE" }).catch(() => undefined);
        await waitFor("every server stopped", async () => tinyProcesses().size === 0, 20_000).catch(() => undefined);
      }
      const left = tinyProcesses();
      for (const procs of left.values()) for (const p of procs) process.kill(p.pid, "SIGKILL");
      for (const port of hubs.keys()) await killHub(port, "SIGTERM").catch(() => undefined);
      await stopAll();
      await rest.balancer?.close();
      await db?.end();
      await rest.pgServer?.stop();
    } finally {
      removeRuntimeDirs(tmpdir(), serverUsers);
      for (const dir of [...dataDirs, ...(rest.logDir ? [rest.logDir] : [])]) rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    hubs,
    hubEnv,
    hubLog,
    hubUrl,
    startHub,
    killHub,
    proxyOptions,
    token,
    api,
    startServer,
    throughProxy,
    serverRows,
    replicaIdOf,
    waitFor,
    tinyProcesses,
    storedPid,
    assertRunningOnce,
    tearDown,
  };
}
