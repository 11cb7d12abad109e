// The hub's pushes to the proxies go through Node's own fetch, not the one Next.js puts in its
// place (which wraps each call in a trace span and its data cache), and read each answer to the end.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "../log";
import { ProxyClient } from "./proxy-client";

let server: Server;
let base: string;
const seen: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers["x-gyre-route-owner"])}`);
    res.writeHead(req.method === "DELETE" ? 404 : 201, { "content-type": "application/json" }).end('{"ok": true}');
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("route changes use the original fetch when Next has replaced the global one", async () => {
  const original = globalThis.fetch;
  let patchedCalls = 0;
  const patched = Object.assign(
    (...args: Parameters<typeof fetch>) => {
      patchedCalls++;
      return original(...args);
    },
    { __nextPatched: true, _nextOriginalFetch: original },
  );
  globalThis.fetch = patched;
  try {
    const client = new ProxyClient([base], "secret", createLogger("silent"));
    await client.addRoute("/user/alice/", { target: "http://127.0.0.1:1", user: "alice", user_id: 1, server_name: "", spawn_id: "s" });
    await client.deleteRoute("/user/alice/");
    assert.equal(patchedCalls, 0);
    assert.deepEqual(seen, ["POST /api/routes/user/alice/ hub", "DELETE /api/routes/user/alice/ hub"]);
  } finally {
    globalThis.fetch = original;
  }
  // without Next: the global fetch itself
  seen.length = 0;
  await new ProxyClient([base], "secret", createLogger("silent")).deleteRoute("/user/bob/");
  assert.deepEqual(seen, ["DELETE /api/routes/user/bob/ hub"]);
});
