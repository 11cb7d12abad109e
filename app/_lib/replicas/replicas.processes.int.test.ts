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
import { chmodSync, copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { startTcpBalancer, type TcpBalancer } from "@/app/_lib/testing/tcp-balancer";
import { testAccount } from "@/spawners/testing/os-account";
import { replicaCluster } from "./testing/hub-processes";
import { buildProxyBundle, startProxyProcess } from "@/proxy/testing/processes";

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
const { startHub, proxyOptions, api, startServer, throughProxy, serverRows, replicaIdOf, waitFor, assertRunningOnce, tearDown } = replicaCluster({
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

after(() => tearDown({ balancer, pgServer, logDir }));

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

test("each hub's users list shows a change made through the other hub, or straight in the database, at the next request (each caches its list)", async () => {
  type Listed = { name: string; admin: boolean };
  const list = async (port: number) => {
    const r = await api(port, ADMIN.name, "/hub/api/users?limit=200");
    assert.equal(r.status, 200);
    return ((await r.json()) as Listed[]).map((u) => `${u.name}${u.admin ? " (admin)" : ""}`);
  };
  // each hub has answered the same list (from its cache the second time: list-cache.test.ts counts that)
  for (const port of [PORTS.hubA, PORTS.hubB]) assert.deepEqual(await list(port), await list(port));
  const before = await list(PORTS.hubA);
  assert.ok(!before.some((u) => u.startsWith("listed")));

  // a user created through hub B is in hub A's list, and the other way round
  let r = await api(PORTS.hubB, ADMIN.name, "/hub/api/users/listed-b", { method: "POST", body: JSON.stringify({ password: "pw-listed-b-0123456789" }) });
  assert.equal(r.status, 201);
  assert.ok((await list(PORTS.hubA)).includes("listed-b"), "hub A lists the user hub B created");
  r = await api(PORTS.hubA, ADMIN.name, "/hub/api/users/listed-a", { method: "POST", body: JSON.stringify({ password: "pw-listed-a-0123456789" }) });
  assert.equal(r.status, 201);
  assert.ok((await list(PORTS.hubB)).includes("listed-a"), "hub B lists the user hub A created");

  // made an admin through hub A: both lists say so at once
  r = await api(PORTS.hubA, ADMIN.name, "/hub/api/users/listed-b", { method: "PATCH", body: JSON.stringify({ admin: true }) });
  assert.equal(r.status, 200);
  for (const port of [PORTS.hubA, PORTS.hubB]) assert.ok((await list(port)).includes("listed-b (admin)"), `hub ${port}`);

  // a write to the database by neither hub (the CLI, an operator's SQL), inside a transaction that
  // stays open while both hubs list: not seen until its commit, seen at the first request after it
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    await client.query(`UPDATE "User" SET "admin" = false WHERE "name" = 'listed-b'`);
    for (const port of [PORTS.hubA, PORTS.hubB]) assert.ok((await list(port)).includes("listed-b (admin)"), `hub ${port}: not committed yet`);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
  for (const port of [PORTS.hubA, PORTS.hubB]) {
    const after = await list(port);
    assert.ok(after.includes("listed-b") && !after.includes("listed-b (admin)"), `hub ${port} after the commit: ${after.join(", ")}`);
  }
});
