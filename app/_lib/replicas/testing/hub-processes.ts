// Real hub processes for the replica tests (replicas.processes.int.test.ts,
// replicas.storm.int.test.ts): each hub is app/server.ts on one shared PostgreSQL with the local
// spawner, reached by the proxies through a TCP balancer; API tokens are written as the hub stores
// them (sha256) so a test can act as any user.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { ProxyProcessOptions } from "@/proxy/testing/processes";

const REPO = resolve(import.meta.dirname, "../../../..");

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

/** Hub processes by port, and the functions to start, stop and call them. */
export function replicaCluster(o: ReplicaClusterOptions) {
  const { proxyA: PROXY_A, proxyB: PROXY_B, ports: PORTS } = o;
  const hubs = new Map<number, ChildProcess>();
  const tokens = new Map<string, string>();

  function hubEnv(port: number): Record<string, string> {
    const dataDir = mkdtempSync(join(tmpdir(), `gyre-replica-${port}-`));
    const config = join(dataDir, "gyre.config.yaml");
    writeFileSync(config, "{}\n");
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
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

  return { hubs, hubEnv, hubLog, hubUrl, startHub, killHub, proxyOptions, token, api, startServer };
}
