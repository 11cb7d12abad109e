// Two real hub processes (app/server.ts on the production build, as the e2e harness starts it) and
// two real proxy processes (the bundle under plain node, as in production) on one real
// PostgreSQL, with the local spawner running a cheap real server per user (bench/tiny-server.py
// as the user's OS account; real Jupyter servers are what the e2e tests start). The proxies reach
// the hubs through a TCP balancer standing in for the Kubernetes Service in front of the hub pods
// (app/_lib/testing/tcp-balancer.ts); the hubs push routes to both proxies (proxy.replicaApiUrls).
// Ports: PostgreSQL 7463, hubs 7464 and 7465, the balancer 7466, proxy A 7467 (API 7468),
// proxy B 7469 (API 7470).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { startTcpBalancer, type TcpBalancer } from "@/app/_lib/testing/tcp-balancer";
import { testAccount } from "@/spawners/testing/os-account";
import { replicaCluster } from "./testing/hub-processes";
import { buildProxyBundle, startProxyProcess, stopAll } from "@/proxy/testing/processes";

const REPO = resolve(import.meta.dirname, "../../..");
/** spawns in the storm */
const N = 6;
const LEASE_S = 4;
const BEAT_S = 1;
const PORTS = { pg: 7463, hubA: 7464, hubB: 7465, balancer: 7466 };
const PROXY_A = { port: 7467, apiPort: 7468 };
const PROXY_B = { port: 7469, apiPort: 7470 };
const SECRET = "replica-processes-secret-".padEnd(48, "s");
const PROXY_TOKEN = "replica-processes-proxy-token-0123456789";
const ADMIN = { name: "admin", password: "replica-processes-admin" };
const stormUser = (i: number) => `gst${String(i).padStart(2, "0")}`;

let pgServer: TestPostgres;
let db: pg.Pool;
let balancer: TcpBalancer;
let tiny: string;
let logDir: string;
const { hubs, startHub, killHub, proxyOptions, token, api, startServer } = replicaCluster({
  ports: PORTS,
  proxyA: PROXY_A,
  proxyB: PROXY_B,
  secret: SECRET,
  proxyToken: PROXY_TOKEN,
  admin: ADMIN,
  leaseSeconds: LEASE_S,
  beatSeconds: BEAT_S,
  live: () => ({ pgUrl: pgServer.url, db, tiny, logDir }),
});

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

interface Row {
  id: number;
  name: string;
  state: string;
  ownerReplica: string | null;
  spawnerState: string;
  spawnId: string | null;
}
async function serverRows(names: string[]): Promise<Row[]> {
  const r = await db.query<Row>(
    `SELECT s.id, u.name, s.state, s."ownerReplica", s."spawnerState", s."spawnId" FROM "Server" s JOIN "User" u ON u.id = s."userId" WHERE u.name = ANY($1) ORDER BY u.name`,
    [names],
  );
  return r.rows;
}

async function replicaIdOf(port: number): Promise<string> {
  const pid = hubs.get(port)!.pid!;
  const r = await db.query<{ id: string }>(`SELECT id FROM "HubReplica" WHERE id LIKE $1`, [`%-${pid}-%`]);
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
      if (argv[1] !== tiny) continue;
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

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-replica-procs-"));
  logDir = dir;
  chmodSync(dir, 0o755);
  tiny = join(dir, "tiny-server.py");
  copyFileSync(join(REPO, "bench/tiny-server.py"), tiny);
  chmodSync(tiny, 0o755);
  for (let i = 0; i < N; i++) testAccount(stormUser(i));
  pgServer = await startTestPostgres(PORTS.pg);
  db = new pg.Pool({ connectionString: pgServer.url, max: 4 });
  // an idle connection ended by the server's shutdown at the end is not a failure
  db.on("error", () => undefined);
  buildProxyBundle();
  // one after the other: the first applies the migrations
  await startHub(PORTS.hubA);
  await startHub(PORTS.hubB);
  balancer = await startTcpBalancer(PORTS.balancer, [PORTS.hubA, PORTS.hubB]);
  await Promise.all([startProxyProcess(proxyOptions(PROXY_A)), startProxyProcess(proxyOptions(PROXY_B))]);
  for (const name of Array.from({ length: N }, (_, i) => stormUser(i))) {
    const r = await api(PORTS.hubA, ADMIN.name, `/hub/api/users/${name}`, { method: "POST", body: JSON.stringify({ password: `pw-${name}-0123456789` }) });
    assert.equal(r.status, 201, `create ${name}: ${await r.text()}`);
  }
});

after(async () => {
  // stop every server this test started through a live hub (which also removes their runtime
  // directories), then the processes; a server left over is killed
  const live = [...hubs.entries()].find(([, c]) => c.exitCode === null && c.signalCode === null)?.[0];
  if (live && db) {
    const active = (await db.query<{ name: string }>(`SELECT u.name FROM "Server" s JOIN "User" u ON u.id = s."userId" WHERE s.state <> 'stopped'`)).rows;
    for (const { name } of active) await api(live, ADMIN.name, `/hub/api/users/${name}/server`, { method: "DELETE" }).catch(() => undefined);
    await waitFor("every server stopped", async () => tinyProcesses().size === 0, 20_000).catch(() => undefined);
  }
  const left = tinyProcesses();
  for (const procs of left.values()) for (const p of procs) process.kill(p.pid, "SIGKILL");
  for (const port of hubs.keys()) await killHub(port, "SIGTERM").catch(() => undefined);
  await stopAll();
  await balancer?.close();
  await db?.end();
  await pgServer?.stop();
});

test("a route change made through either hub reaches both proxies within 1 s", async (t) => {
  /** Whether each proxy's route table has the user's route (the proxies' CHP-compatible API). */
  const routed = async (apiPort: number, user: string) => {
    const r = await fetch(`http://127.0.0.1:${apiPort}/api/routes`, { headers: { authorization: `token ${PROXY_TOKEN}` } });
    const table = (await r.json()) as Record<string, unknown>;
    return `/user/${user}/` in table || `/user/${user}` in table;
  };
  const stormUsers = Array.from({ length: N }, (_, i) => stormUser(i));
  await Promise.all(stormUsers.map((name, i) => startServer(i % 2 ? PORTS.hubB : PORTS.hubA, name)));
  await waitFor("every server running", async () => (await serverRows(stormUsers)).every((r) => r.state === "running"), 60_000);
  await assertRunningOnce(stormUsers);
  const times: string[] = [];
  let worst = 0;
  for (const [i, name] of stormUsers.entries()) {
    // through the hub that owns the server, and through the other one (which leaves the stop to the owner)
    const owner = (await serverRows([name]))[0].ownerReplica!;
    const ownerPort = owner === (await replicaIdOf(PORTS.hubA)) ? PORTS.hubA : PORTS.hubB;
    const via = i % 2 ? ownerPort : ownerPort === PORTS.hubA ? PORTS.hubB : PORTS.hubA;
    assert.ok((await routed(PROXY_A.apiPort, name)) && (await routed(PROXY_B.apiPort, name)), `${name} routed on both before`);
    for (const port of [PROXY_A.port, PROXY_B.port]) {
      assert.equal(await throughProxy(port, name), 200, `${name} answers through proxy ${port}`);
      assert.notEqual(await throughProxy(port, name, stormUsers[(i + 1) % N]), 200, `another user's token is refused at proxy ${port}`);
    }
    const t0 = Date.now();
    const r = await api(via, name, `/hub/api/users/${name}/server`, { method: "DELETE" });
    assert.ok([202, 204].includes(r.status), `stop ${name}: ${r.status}`);
    const seen: number[] = [];
    for (const apiPort of [PROXY_A.apiPort, PROXY_B.apiPort]) {
      await waitFor(`${name}'s route gone from proxy ${apiPort}`, async () => !(await routed(apiPort, name)), 10_000);
      seen.push(Date.now() - t0);
    }
    for (const port of [PROXY_A.port, PROXY_B.port]) assert.notEqual(await throughProxy(port, name), 200, `${name} stopped: not served by proxy ${port}`);
    const ms = Math.max(...seen);
    times.push(`${name} via ${via === ownerPort ? "its owner" : "the other hub"}: ${ms} ms`);
    if (via === ownerPort) worst = Math.max(worst, ms);
  }
  t.diagnostic(`stop request → route gone from both proxies: ${times.join("; ")}`);
  assert.ok(worst < 1000, `through the owning hub: ${worst} ms`);
});
