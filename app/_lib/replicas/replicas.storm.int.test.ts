// Two real hub processes (app/server.ts on the production build, as the e2e harness starts it) and
// two real proxy processes (the bundle under plain node, as in production) on one real
// PostgreSQL, with the local spawner running a cheap real server per user: bench/tiny-server.py as
// the user's OS account, told (a start-delay file beside it) to take 2 s to come up so that spawns are under
// way when a hub dies (real Jupyter ×50 is too heavy for a 2-core CI machine; the in-process
// storm with the scripted spawner is replicas.int.test.ts). The proxies reach the hubs through a
// TCP balancer standing in for the Kubernetes Service in front of the hub pods
// (app/_lib/testing/tcp-balancer.ts); the hubs push routes to both proxies (proxy.replicaApiUrls).
// Ports (apart from replicas.processes.int.test.ts's 7463–7470): PostgreSQL 7481, hubs 7482 and
// 7483, the balancer 7484, proxy A 7485 (API 7486), proxy B 7487 (API 7488).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { startTcpBalancer, type TcpBalancer } from "@/app/_lib/testing/tcp-balancer";
import { testAccount } from "@/spawners/testing/os-account";
import { replicaCluster } from "./testing/hub-processes";
import { buildProxyBundle, startProxyProcess, stopChild, type Child } from "@/proxy/testing/processes";

const REPO = resolve(import.meta.dirname, "../../..");
/** spawns in the storm */
const N = Number(process.env.GYRE_STORM_SPAWNS ?? 50);
/** users who start servers during the rolling restart */
const N_ROLLING = 6;
const LEASE_S = 4;
const BEAT_S = 1;
/** how long each tiny server takes to listen: the storm is still under way when a hub dies */
const SERVER_DELAY_S = 2;
const PORTS = { pg: 7481, hubA: 7482, hubB: 7483, balancer: 7484 };
const PROXY_A = { port: 7485, apiPort: 7486 };
const PROXY_B = { port: 7487, apiPort: 7488 };
const SECRET = "replica-processes-secret-".padEnd(48, "s");
const PROXY_TOKEN = "replica-processes-proxy-token-0123456789";
const ADMIN = { name: "admin", password: "replica-processes-admin" };
const stormUser = (i: number) => `gst${String(i).padStart(2, "0")}`;
const rollingUser = (i: number) => `gsr${i}`;

let pgServer: TestPostgres;
let db: pg.Pool;
let balancer: TcpBalancer;
let tiny: string;
let logDir: string;
let proxyB: Child;
const { hubs, startHub, killHub, proxyOptions, api, startServer, throughProxy, serverRows, replicaIdOf, waitFor, tinyProcesses, assertRunningOnce, tearDown } =
  replicaCluster({
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

type Ev = { progress?: number; message?: string; ready?: boolean; failed?: boolean };
/** The spawn's progress stream (GET …/server/progress) read to its end. */
async function progress(port: number, user: string): Promise<Ev[]> {
  const r = await api(port, user, `/hub/api/users/${user}/server/progress`);
  assert.equal(r.status, 200, `progress of ${user}`);
  const text = await r.text();
  return text
    .split("\n\n")
    .map((block) => block.split("\n").find((l) => l.startsWith("data: ")))
    .filter((l): l is string => !!l)
    .map((l) => JSON.parse(l.slice(6)) as Ev);
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-replica-procs-"));
  logDir = dir;
  chmodSync(dir, 0o755);
  tiny = join(dir, "tiny-server.py");
  copyFileSync(join(REPO, "bench/tiny-server.py"), tiny);
  // the script's own delay knob (a file beside it): it listens SERVER_DELAY_S after it starts
  writeFileSync(join(dir, "start-delay"), String(SERVER_DELAY_S));
  chmodSync(tiny, 0o755);
  for (let i = 0; i < N; i++) testAccount(stormUser(i));
  for (let i = 0; i < N_ROLLING; i++) testAccount(rollingUser(i));
  pgServer = await startTestPostgres(PORTS.pg);
  db = new pg.Pool({ connectionString: pgServer.url, max: 4 });
  // an idle connection ended by the server (its shutdown at the end) is not a failure: without a
  // listener, the pool's 'error' ended this file's process after its tests
  db.on("error", () => undefined);
  buildProxyBundle();
  // one after the other: the first applies the migrations
  await startHub(PORTS.hubA);
  await startHub(PORTS.hubB);
  balancer = await startTcpBalancer(PORTS.balancer, [PORTS.hubA, PORTS.hubB]);
  // proxy A stays up (tearDown() ends it); proxy B is killed and started again in the storm
  proxyB = (await Promise.all([startProxyProcess(proxyOptions(PROXY_A)), startProxyProcess(proxyOptions(PROXY_B))]))[1];
  for (const name of [...Array.from({ length: N }, (_, i) => stormUser(i)), ...Array.from({ length: N_ROLLING }, (_, i) => rollingUser(i))]) {
    const r = await api(PORTS.hubA, ADMIN.name, `/hub/api/users/${name}`, { method: "POST", body: JSON.stringify({ password: `pw-${name}-0123456789` }) });
    assert.equal(r.status, 201, `create ${name}: ${await r.text()}`);
  }
});

after(() => tearDown({ balancer, pgServer, logDir }));

test(`two hub processes and two proxy processes on PostgreSQL: ${N} spawns across both hubs, one hub and one proxy killed -9 mid-storm, every server running exactly once`, async (t) => {
  const names = Array.from({ length: N }, (_, i) => stormUser(i));
  const replicaA = await replicaIdOf(PORTS.hubA);
  // alternate the hubs, as a load balancer would
  await Promise.all(names.map((name, i) => startServer(i % 2 ? PORTS.hubB : PORTS.hubA, name)));
  // hub A dies while it follows spawns it claimed
  await waitFor("hub A following spawns", async () => (await serverRows(names)).some((r) => r.state === "starting" && r.ownerReplica === replicaA), 30_000);
  await sleep(300);
  const ofA = (await serverRows(names)).filter((r) => r.ownerReplica === replicaA);
  const inFlight = ofA.filter((r) => r.state === "starting" || r.state === "pending").length;
  await killHub(PORTS.hubA, "SIGKILL");
  const died = Date.now();
  t.diagnostic(`hub A killed -9 owning ${ofA.length} servers, ${inFlight} of them still starting`);
  assert.ok(inFlight > 0, "hub A died in the middle of its spawns");
  // then proxy B, while the spawns go on (the hub's pushes to it fail until it is back)
  await stopChild(proxyB, "SIGKILL");
  await sleep(500);
  proxyB = await startProxyProcess(proxyOptions(PROXY_B));

  await waitFor(
    "hub A's servers taken over",
    async () => (await serverRows(names)).every((r) => r.ownerReplica !== replicaA),
    (LEASE_S + 4 * BEAT_S) * 1000 + 5000,
    async () => (await serverRows(names)).map((r) => `${r.name}:${r.state}/${r.ownerReplica}`).join(" "),
  );
  const tookMs = Date.now() - died;
  t.diagnostic(`take-over of the dead hub's ${ofA.length} servers: ${tookMs} ms after kill -9 (lease ${LEASE_S} s, heartbeat ${BEAT_S} s)`);
  await waitFor(
    "every server running or ended",
    async () => (await serverRows(names)).every((r) => !["pending", "starting", "stopping"].includes(r.state)),
    60_000,
    async () => (await serverRows(names)).map((r) => `${r.name}:${r.state}`).join(" "),
  );
  t.diagnostic(`all ${N} servers settled ${Date.now() - died} ms after the kill`);
  const rows = await serverRows(names);
  assert.deepEqual(
    rows.filter((r) => r.state !== "running").map((r) => `${r.name}:${r.state}`),
    [],
    "nothing failed, nothing stuck in pending or starting",
  );
  await assertRunningOnce(names);

  const bad: string[] = [];
  for (const name of names)
    for (const [label, port] of [
      ["A", PROXY_A.port],
      ["B", PROXY_B.port],
    ] as const) {
      const status = await throughProxy(port, name);
      if (status !== 200) bad.push(`${name} via proxy ${label}: ${status}`);
    }
  assert.deepEqual(bad, [], "every route answers through both proxies");

  // the progress of every spawn the dead hub had claimed, read through the surviving hub
  for (const r of ofA) {
    const evs = await progress(PORTS.hubB, r.name);
    assert.ok(evs.at(-1)?.ready, `${r.name}: ${evs.map((e) => e.message).join(" | ")}`);
  }
  // a user's request to the survivor for another user's server is refused
  const r = await api(PORTS.hubB, names[0], `/hub/api/users/${names[1]}/server/progress`);
  assert.ok([403, 404].includes(r.status), `another user's progress: ${r.status}`);
  await r.body?.cancel();
});

test("a spawn taken over from a hub that died after forking its server but before saving the pid: that process is killed, the server runs once", async (t) => {
  // What a hub killed -9 between fork and its first state write leaves (the storm hits it in about
  // one run of two): the row starting, owned by a replica that is gone, no pid, the process running.
  const name = stormUser(N - 1);
  const [before] = await serverRows([name]);
  assert.equal(before.state, "running");
  const orphan = tinyProcesses().get(name) ?? [];
  assert.equal(orphan.length, 1, `${name} runs one process before`);
  await db.query(`UPDATE "Server" SET state = 'starting', "spawnerState" = '{}', url = NULL, "ownerReplica" = 'dead-replica-of-the-test' WHERE id = $1`, [
    before.id,
  ]);
  const t0 = Date.now();
  await waitFor(
    `${name} taken over and running again`,
    async () => {
      const [r] = await serverRows([name]);
      return r.state === "running" && r.ownerReplica !== "dead-replica-of-the-test";
    },
    30_000,
    async () => JSON.stringify(await serverRows([name])),
  );
  t.diagnostic(`taken over and started again in ${Date.now() - t0} ms`);
  assert.ok(
    !tinyProcesses()
      .get(name)
      ?.some((p) => p.pid === orphan[0].pid),
    `the orphaned process (pid ${orphan[0].pid}) was killed`,
  );
  await assertRunningOnce([name]);
  for (const port of [PROXY_A.port, PROXY_B.port]) assert.equal(await throughProxy(port, name), 200, `${name} via ${port}`);
});

test("a rolling restart of both hub processes while a client uses the running servers through both proxies: no failed request, every new spawn running once", async (t) => {
  const running = Array.from({ length: N }, (_, i) => stormUser(i));
  const rolling = Array.from({ length: N_ROLLING }, (_, i) => rollingUser(i));
  // hub A, killed in the storm, comes back first
  if (hubs.get(PORTS.hubA)?.exitCode !== null || hubs.get(PORTS.hubA)?.signalCode !== null) await startHub(PORTS.hubA);
  let requests = 0;
  const failures: string[] = [];
  let stop = false;
  const client = (async () => {
    for (let i = 0; !stop; i++) {
      const user = running[i % running.length];
      const port = i % 2 ? PROXY_B.port : PROXY_A.port;
      const status = await throughProxy(port, user);
      requests++;
      if (status !== 200) failures.push(`${user} via ${port}: ${status}`);
    }
  })();

  const restart = async (port: number) => {
    balancer.remove(port); // the Service stops sending it requests as it terminates
    await killHub(port, "SIGTERM");
    await sleep(500);
    await startHub(port);
    balancer.add(port);
  };
  const t0 = Date.now();
  try {
    await startServer(PORTS.hubA, rolling[0]);
    await startServer(PORTS.hubB, rolling[1]);
    await restart(PORTS.hubA);
    await startServer(PORTS.hubA, rolling[2]);
    await startServer(PORTS.hubB, rolling[3]);
    // B goes down while A's new process follows spawns and B's own are under way
    await restart(PORTS.hubB);
    await startServer(PORTS.hubB, rolling[4]);
    await startServer(PORTS.hubA, rolling[5]);
    await waitFor(
      "every spawn of the restart running",
      async () => {
        const rows = await serverRows(rolling);
        return rows.length === rolling.length && rows.every((r) => r.state === "running");
      },
      60_000,
      async () => (await serverRows(rolling)).map((r) => `${r.name}:${r.state}`).join(" "),
    );
    await sleep(1000); // the client goes on a moment after the last restart
  } finally {
    // the client stops even when a step above fails (else the test process never ends)
    stop = true;
    await client;
  }
  t.diagnostic(`rolling restart of both hubs in ${Date.now() - t0} ms: ${requests} requests to running servers through the proxies, ${failures.length} failed`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${requests} requests failed`);
  assert.ok(requests > 100, `the client kept requesting (${requests})`);
  await assertRunningOnce([...running, ...rolling]);
  // Each new server answers 200 through both proxies (within 5 s). The 403s once seen here and in
  // the client's requests were token lookups that failed on a pooled connection to a restarted
  // hub (the proxy treated the caller as anonymous); the proxy now sends such a GET again
  // (proxy/hub/http-client.ts).
  for (const name of rolling)
    for (const port of [PROXY_A.port, PROXY_B.port]) {
      let last = 0;
      await waitFor(
        `${name} answering 200 through ${port}`,
        async () => (last = await throughProxy(port, name)) === 200,
        5000,
        async () => `last status ${last}`,
      );
    }
});
