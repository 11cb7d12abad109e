// GET /hub/metrics: JupyterHub's metric names with real values after starts, a failed start, stops
// and polls carried out by the spawn worker (the scripted spawner kind, a real SQLite database);
// request durations timed by the Express middleware on a real HTTP server; and what it refuses.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import express from "express";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { ScriptedServers } from "@/spawners/testing/scripted";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { startBackgroundServices, type BackgroundServices } from "@/app/_lib/servers/background";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { timeRequests } from "@/app/_lib/http/request-timing";
import * as serverRoute from "@/app/api/users/[name]/server/route";
import * as metricsRoute from "./route";

const scripted = new ScriptedServers();
const catalog = { ...SPAWNER_KINDS, scripted: scripted.kind() };
let hub: TestHub;
let services: BackgroundServices;
let adminToken: string;

before(async () => {
  hub = await startTestHub({
    catalog,
    config: {
      hub: { startTimeoutSeconds: 2, httpProbeIntervalMs: 10, pollIntervalSeconds: 3600, stopTimeoutSeconds: 5, slowStopTimeoutSeconds: 2 },
      spawner: { kind: "scripted" },
    },
  });
  services = await startBackgroundServices(hub.rt, { probe: scripted.probe });
  const admin = await hub.addUser("root1", true);
  adminToken = (await createApiToken(hub.db, admin.id, { scopes: ["read:metrics", "servers"] })).token;
});
after(async () => {
  await services.close();
  await hub.close();
});

async function scrape(headers: Record<string, string> = {}) {
  const res = await metricsRoute.GET(new Request("http://127.0.0.1/metrics", { headers }), { params: Promise.resolve({}) });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one sample line, e.g. value(text, 'jupyterhub_active_users{period="24h"}'). */
function value(text: string, sample: string): number {
  const line = text.split("\n").find((l) => l.startsWith(sample + " "));
  assert.ok(
    line,
    `no sample ${sample} in:\n${text
      .split("\n")
      .filter((l) => l.startsWith(sample.split("{")[0]))
      .join("\n")}`,
  );
  return Number(line.slice(sample.length + 1));
}

async function waitState(user: string, states: string[]) {
  const end = Date.now() + 5000;
  for (;;) {
    const s = await hub.db.server.findFirst({ where: { user: { name: user }, name: "" } });
    if (s && states.includes(s.state)) return s;
    if (Date.now() > end) throw new Error(`${user} never reached ${states.join("/")} (is ${s?.state})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function serverCall(method: "POST" | "DELETE", user: string) {
  const req = new Request(`http://127.0.0.1/api/users/${user}/server`, {
    method,
    headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
    body: method === "POST" ? "{}" : undefined,
  });
  return (await serverRoute[method](req, { params: Promise.resolve({ name: user }) })).status;
}

describe("GET /hub/metrics", () => {
  test("JupyterHub's metrics with the values of real starts, a failed start, stops and polls", async () => {
    for (const u of ["m1", "m2", "m3"]) await hub.addUser(u);
    await hub.db.user.update({ where: { name: "m1" }, data: { lastActivity: new Date(Date.now() - 3600_000) } });
    await hub.db.user.update({ where: { name: "m2" }, data: { lastActivity: new Date(Date.now() - 3 * 24 * 3600_000) } });

    const before = await scrape({ authorization: `token ${adminToken}` });
    assert.equal(before.status, 200);
    assert.match(before.type ?? "", /^text\/plain; version=0\.0\.4/);
    // every status exists from the start, as in JupyterHub
    assert.equal(value(before.text, 'jupyterhub_server_spawn_duration_seconds_count{status="failure"}'), 0);
    assert.equal(value(before.text, 'jupyterhub_server_stop_seconds_count{status="success"}'), 0);
    assert.equal(value(before.text, "jupyterhub_running_servers"), 0);

    assert.equal(await serverCall("POST", "m1"), 202);
    assert.equal(await serverCall("POST", "m2"), 202);
    await waitState("m1", ["running"]);
    await waitState("m2", ["running"]);
    scripted.starts.push({ kind: "fails", reason: "no quota" });
    assert.equal(await serverCall("POST", "m3"), 202);
    await waitState("m3", ["failed"]);
    assert.equal(await serverCall("DELETE", "m2"), 204);
    await services.worker.pollRunning();

    const t = (await scrape({ authorization: `token ${adminToken}` })).text;
    assert.equal(value(t, 'jupyterhub_server_spawn_duration_seconds_count{status="success"}'), 2);
    assert.equal(value(t, 'jupyterhub_server_spawn_duration_seconds_count{status="failure"}'), 1);
    const spawnSeconds = value(t, 'jupyterhub_server_spawn_duration_seconds_sum{status="success"}');
    assert.ok(spawnSeconds > 0 && spawnSeconds < 10, `spawn seconds ${spawnSeconds}`);
    assert.equal(value(t, 'jupyterhub_server_spawn_duration_seconds_bucket{le="600",status="success"}'), 2);
    assert.equal(value(t, 'jupyterhub_server_stop_seconds_count{status="success"}'), 1);
    assert.equal(value(t, 'jupyterhub_server_stop_seconds_count{status="failure"}'), 0);
    assert.equal(value(t, 'jupyterhub_server_poll_duration_seconds_count{status="running"}'), 1, "m1 polled, running");
    assert.equal(value(t, "jupyterhub_running_servers"), 1);
    assert.equal(value(t, "jupyterhub_total_users"), 4);
    assert.equal(value(t, 'jupyterhub_active_users{period="24h"}'), 1, "m1 only");
    assert.equal(value(t, 'jupyterhub_active_users{period="7d"}'), 2, "m1 and m2");
    assert.equal(value(t, 'jupyterhub_active_users{period="30d"}'), 2);
    // this hub's replica holds the singleton leases
    assert.equal(value(t, `gyre_hub_lease_holder{lease="culler",replica="${services.replica.id}"}`), 1);
    assert.equal(value(t, "gyre_hub_replicas"), 1);
    assert.match(t, /^# TYPE gyre_hub_batch_queue_wait_seconds histogram$/m);
    assert.match(t, /^gyre_hub_process_resident_memory_bytes \d+/m);

    // a server found gone by a poll
    const m1 = await waitState("m1", ["running"]);
    scripted.crash(m1.spawnId!);
    await services.worker.pollRunning();
    await waitState("m1", ["stopped"]);
    const t2 = (await scrape({ authorization: `token ${adminToken}` })).text;
    assert.equal(value(t2, 'jupyterhub_server_poll_duration_seconds_count{status="stopped"}'), 1);
    assert.equal(value(t2, "jupyterhub_running_servers"), 0);
  });

  test("refusals: no credentials 401, a token without read:metrics 403, a non-admin's token 403, an unknown token 403", async () => {
    const none = await scrape();
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.text, /jupyterhub_/);
    const admin = await hub.db.user.findUniqueOrThrow({ where: { name: "root1" } });
    const narrow = (await createApiToken(hub.db, admin.id, { scopes: ["read:hub"] })).token;
    const r = await scrape({ authorization: `token ${narrow}` });
    assert.equal(r.status, 403);
    assert.match(r.text, /read:metrics/);
    const user = await hub.addUser("plain1");
    const inherit = (await createApiToken(hub.db, user.id, {})).token;
    assert.equal((await scrape({ authorization: `token ${inherit}` })).status, 403, "a user's token (inherit) is not an admin's");
    assert.equal((await scrape({ authorization: "token not-a-real-token" })).status, 403);
  });

  test("hub.authenticatePrometheus false: anyone may scrape (JupyterHub's authenticate_prometheus)", async () => {
    const cfg = hub.rt.config.hub as { authenticatePrometheus: boolean };
    cfg.authenticatePrometheus = false;
    try {
      const r = await scrape();
      assert.equal(r.status, 200);
      assert.match(r.text, /^jupyterhub_total_users \d+$/m);
    } finally {
      cfg.authenticatePrometheus = true;
    }
    assert.equal((await scrape()).status, 401);
  });

  test("request durations: method, route template (no user names) and status code of each request", async () => {
    const app = express();
    app.use(timeRequests(hub.rt.metrics));
    app.get("/hub/api/users/:name", (_req, res) => void res.status(404).json({}));
    app.get("/hub/home", (_req, res) => void res.send("ok"));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const p of ["/hub/api/users/alice", "/hub/api/users/bob?x=1", "/hub/home", "/hub/no-such-page-4711"]) await (await fetch(base + p)).arrayBuffer();
    } finally {
      server.close();
    }
    const t = (await scrape({ authorization: `token ${adminToken}` })).text;
    assert.equal(value(t, 'jupyterhub_request_duration_seconds_count{method="GET",handler="/hub/api/users/[name]",code="404"}'), 2);
    assert.equal(value(t, 'jupyterhub_request_duration_seconds_count{method="GET",handler="/hub/home",code="200"}'), 1);
    assert.equal(value(t, 'jupyterhub_request_duration_seconds_count{method="GET",handler="other",code="404"}'), 1);
    // in no metric's name or labels; a sample's value may hold the digits (an event-loop lag of 0.014711904 s failed a CI run)
    const namesAndLabels = t.split("\n").map((line) => (line.startsWith("#") ? line : line.slice(0, line.lastIndexOf(" "))));
    assert.doesNotMatch(namesAndLabels.join("\n"), /alice|bob|4711/);
  });
});
