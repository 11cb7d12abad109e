import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { RouteTable } from "@/proxy/routing/route-table";
import { InMemoryHub } from "@/proxy/testing/in-memory-hub";
import { HubSync } from "./sync";

test("catchUp: concurrent callers share one sync, and at most one starts per gap", async () => {
  const hub = new InMemoryHub("x".repeat(40));
  hub.state.routes = { "/user/a/": { target: "http://127.0.0.1:1", user: "a", server_name: "", spawn_id: "s" } };
  const table = new RouteTable(() => "tok");
  const sync = new HubSync({ hub, table, log: pino({ level: "silent" }), fullSyncSeconds: 60, authSyncSeconds: 60, activityFlushSeconds: 60 });
  const [one, two] = await Promise.all([sync.catchUp(200), sync.catchUp(200)]);
  assert.deepEqual([one, two], [true, true]);
  assert.equal(hub.state.routeFetches, 1, "shared");
  assert.ok(table.get("/user/a"));
  assert.equal(await sync.catchUp(200), false, "too soon after the last one");
  assert.equal(hub.state.routeFetches, 1);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(await sync.catchUp(200), true);
  assert.equal(hub.state.routeFetches, 2);
});

test("a full sync keeps a route pushed shortly before it began that the hub's table does not list yet; a later one drops it", async () => {
  // The hub pushes a ready server's route, then marks it running: a table read in between lacks it.
  const hub = new InMemoryHub("x".repeat(40));
  const table = new RouteTable(() => "tok");
  const opts = { hub, table, log: pino({ level: "silent" }), fullSyncSeconds: 60, authSyncSeconds: 60, activityFlushSeconds: 60 };
  const sync = new HubSync({ ...opts, pushGraceMs: 300 });
  table.add("/user/pushed", { target: "http://127.0.0.1:1", user: "pushed", server_name: "", spawn_id: "p" }, Date.now());
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await sync.syncRoutes(), true);
  assert.ok(table.get("/user/pushed"), "pushed 50 ms before the sync: kept");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await sync.syncRoutes(), true);
  assert.equal(table.get("/user/pushed"), undefined, "pushed more than the grace before: the hub's table decides");
  // without a grace, as before: only routes pushed while the sync ran are kept
  table.add("/user/pushed", { target: "http://127.0.0.1:1", user: "pushed", server_name: "", spawn_id: "p" }, Date.now());
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await new HubSync({ ...opts, pushGraceMs: 0 }).syncRoutes(), true);
  assert.equal(table.get("/user/pushed"), undefined);
});
