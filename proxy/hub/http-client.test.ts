// The proxy's client of the hub against a local HTTP server that plays a hub restarted behind a
// keep-alive connection: the connection the client pooled is closed when it is used again.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HubHttpClient } from "./http-client";

let server: http.Server;
let url: string;
/** requests answered, and connections seen */
const seen = { requests: 0, connections: 0 };
/** close each connection when its second request arrives (what a restarted hub leaves in the pool) */
let dropReused = true;
const perSocket = new WeakMap<object, number>();

before(async () => {
  server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (dropReused && n > 1) {
      req.socket.destroy();
      return;
    }
    seen.requests++;
    req.resume();
    req.on("end", () => {
      if (req.url?.endsWith("/token-owner"))
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ user: "alice", user_id: 7, admin: false, scopes: ["inherit"], expires_at: null }));
      else res.writeHead(201).end("{}");
    });
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test("a GET on a pooled connection the hub side closed is sent again on a new one: the token lookup succeeds", async () => {
  const client = new HubHttpClient(url, "proxy-token");
  try {
    assert.equal((await client.fetchTokenOwner("t1"))?.user, "alice");
    const before = { ...seen };
    // the pooled connection is reused and dropped: the lookup goes through on a fresh connection
    assert.equal((await client.fetchTokenOwner("t1"))?.user, "alice");
    assert.equal(seen.requests - before.requests, 1, "answered once");
    assert.equal(seen.connections - before.connections, 1, "on a new connection");
  } finally {
    client.close();
  }
});

test("a POST on such a connection is not sent twice: the caller gets the error", async () => {
  const client = new HubHttpClient(url, "proxy-token");
  try {
    await client.saveExtraRoute("/services/a", { target: "http://127.0.0.1:1" });
    const before = { ...seen };
    await assert.rejects(client.saveExtraRoute("/services/b", { target: "http://127.0.0.1:1" }), (e: NodeJS.ErrnoException) => e.code === "ECONNRESET");
    assert.equal(seen.requests, before.requests, "nothing re-sent");
  } finally {
    client.close();
  }
});

test("a hub that keeps its connections: one connection for many calls, no retries", async () => {
  dropReused = false;
  const client = new HubHttpClient(url, "proxy-token");
  try {
    const before = { ...seen };
    for (let i = 0; i < 5; i++) assert.equal((await client.fetchTokenOwner(`t${i}`))?.user, "alice");
    assert.equal(seen.requests - before.requests, 5);
    assert.equal(seen.connections - before.connections, 1);
  } finally {
    client.close();
    dropReused = true;
  }
});
