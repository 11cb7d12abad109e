import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteTable, RouteDataError } from "./route-table";

const tokenFor = (id: string) => "tok-" + id;

test("entries carry precomputed forwarding facts", () => {
  const t = new RouteTable(tokenFor);
  const e = t.add("/user/alice/", { target: "http://127.0.0.1:7350/base/", user: "alice", server_name: "", spawn_id: "s1" }, 1000);
  assert.equal(e.path, "/user/alice");
  assert.equal(e.targetHost, "127.0.0.1");
  assert.equal(e.targetPort, 7350);
  assert.equal(e.targetBasePath, "/base");
  assert.equal(e.owner, "alice");
  assert.equal(e.authHeader, "token tok-s1");
  assert.equal(e.serverAuth, "proxy");
  const singleuser = t.add("/user/erin/", { target: "http://127.0.0.1:7001", user: "erin", spawn_id: "s7", server_auth: "hub" }, 1000);
  assert.equal(singleuser.serverAuth, "hub");
  assert.equal(singleuser.authHeader, null, "a server that logs its users in through the hub gets no token injected");
  const plain = t.add("services/x", { target: "http://h" }, 1000);
  assert.equal(plain.owner, null);
  assert.equal(plain.authHeader, null);
  assert.equal(plain.targetPort, 80);
  const byPath = t.add("/user/bob/gpu", { target: "http://h:1" }, 1000);
  assert.equal(byPath.owner, "bob", "owner falls back to the path");
  assert.equal(byPath.serverName, "gpu");
});

test("bad route data is rejected", () => {
  const t = new RouteTable(tokenFor);
  assert.throws(() => t.add("/x", { target: 5 }, 0), RouteDataError);
  assert.throws(() => t.add("/x", { target: "not a url" }, 0), RouteDataError);
  assert.throws(() => t.add("/x", [], 0), RouteDataError);
  assert.throws(() => t.add("/x", { target: "ftp://h" }, 0), RouteDataError);
});

test("JSON is CHP's shape and inactive_since is a strict <", () => {
  const t = new RouteTable(tokenFor);
  t.add("/user/a", { target: "http://h:1", user: "a", extra: { deep: [1] }, last_activity: "ignored" }, Date.parse("2026-01-01T00:00:00Z"));
  t.add("/user/b", { target: "http://h:2" }, Date.parse("2026-01-02T00:00:00Z"));
  assert.deepEqual(t.toJSON(), {
    "/user/a": { target: "http://h:1", user: "a", extra: { deep: [1] }, last_activity: "2026-01-01T00:00:00.000Z" },
    "/user/b": { target: "http://h:2", last_activity: "2026-01-02T00:00:00.000Z" },
  });
  assert.deepEqual(Object.keys(t.toJSON(Date.parse("2026-01-02T00:00:00Z"))), ["/user/a"]);
  assert.deepEqual(Object.keys(t.toJSON(Date.parse("2026-01-01T00:00:00Z"))), []);
});

test("replaceAll keeps activity of unchanged routes and spares routes pushed during the sync", () => {
  const t = new RouteTable(tokenFor);
  t.add("/user/a", { target: "http://h:1" }, 100);
  t.get("/user/a")!.lastActivity = 500;
  t.add("/user/gone", { target: "http://h:2" }, 100);
  t.add("/user/pushed", { target: "http://h:3" }, 900);
  const r = t.replaceAll({ "/user/a/": { target: "http://h:1" }, "/user/new/": { target: "http://h:4" } }, 1000, 800);
  assert.deepEqual(r, { added: 1, removed: 1 });
  assert.equal(t.get("/user/a")!.lastActivity, 500);
  assert.equal(t.get("/user/gone"), undefined);
  assert.ok(t.get("/user/pushed"));
  assert.equal(t.match("/user/new/tree")?.targetPort, 4);
});

test("replaceAll (the hub's full sync) makes the table the hub's, routes other clients added through the API included (the hub lists them)", () => {
  const t = new RouteTable(tokenFor);
  t.add("/services/announce", { target: "http://h:5" }, 100);
  t.add("/services/gone", { target: "http://h:6" }, 100);
  t.add("/user/hubs", { target: "http://h:7", spawn_id: "s" }, 100);
  const r = t.replaceAll({ "/services/announce/": { target: "http://h:5" } }, 1000, 800);
  assert.deepEqual(r, { added: 0, removed: 2 });
  assert.equal(t.get("/services/announce")?.targetPort, 5);
  assert.equal(t.get("/services/gone"), undefined, "deleted at the hub (through another replica): gone here too");
  assert.equal(t.get("/user/hubs"), undefined);
});

test("validate() refuses what add() refuses and changes nothing", () => {
  const t = new RouteTable(tokenFor);
  assert.throws(() => t.validate("/services/x", { target: "ftp://h" }), RouteDataError);
  assert.throws(() => t.validate("/services/x", []), RouteDataError);
  t.validate("/services/x", { target: "http://h:1" });
  assert.equal(t.size, 0);
});

test("http+unix targets: the socket path is decoded; relative or undecodable paths are refused; dashboards default to the server", () => {
  const t = new RouteTable(() => "tok");
  const e = t.add("/user/dave/", { target: "http+unix://%2Ftmp%2Fgyre-rt-dave-x%2Fjupyter.sock", user: "dave", spawn_id: "s" }, 0);
  assert.equal(e.targetSocketPath, "/tmp/gyre-rt-dave-x/jupyter.sock");
  assert.equal(e.targetProtocol, "http:");
  assert.equal(e.targetBasePath, "");
  assert.equal(e.dashboards, "server");
  assert.equal(t.add("/user/pod/", { target: "http://10.0.0.1:8888", dashboards: "direct" }, 0).dashboards, "direct");
  assert.equal(t.add("/user/tcp/", { target: "http://10.0.0.1:8888" }, 0).targetSocketPath, null);
  for (const target of ["http+unix://relative%2Fsock", "http+unix://%E0%A4%A", "ftp+unix://%2Fx"]) {
    assert.throws(() => t.add("/user/bad/", { target }, 0), RouteDataError, target);
  }
});
