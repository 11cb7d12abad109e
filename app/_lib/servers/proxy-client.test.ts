// The hub's pushes to the proxies go through node:http, not fetch (Next.js puts one in its place
// that wraps each call in a trace span and its data cache), and read each answer to the end.
// Route changes asked for while a push is under way go together in the next one (PATCH), and so do
// revocations (one POST /api/revocations).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "../log";
import { ProxyClient } from "./proxy-client";

let server: Server;
let base: string;
const seen: string[] = [];
/** when each request reached the test proxy (performance.now()), in the order of `seen` */
const arrivals: number[] = [];
const bodies: unknown[] = [];
/** what the test proxy answers a PATCH (a proxy that refuses bulk changes: 400/405) */
let patchStatus = 200;

before(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers["x-gyre-route-owner"])}`);
    arrivals.push(performance.now());
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (body) bodies.push(JSON.parse(body));
      const status = req.method === "DELETE" ? 404 : req.method === "PATCH" ? patchStatus : 201;
      res.writeHead(status, { "content-type": "application/json" }).end('{"ok": true}');
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("route changes go through node:http, never fetch (neither Next's patched one nor Node's own)", async () => {
  const original = globalThis.fetch;
  let fetchCalls = 0;
  const counted = (...args: Parameters<typeof fetch>) => {
    fetchCalls++;
    return original(...args);
  };
  globalThis.fetch = Object.assign(counted, { __nextPatched: true, _nextOriginalFetch: counted });
  try {
    seen.length = 0;
    const client = new ProxyClient([base], "secret", createLogger("silent"));
    await client.addRoute("/user/alice/", { target: "http://127.0.0.1:1", user: "alice", user_id: 1, server_name: "", spawn_id: "s" });
    await client.deleteRoute("/user/alice/");
    assert.equal(fetchCalls, 0);
    assert.deepEqual(seen, ["POST /api/routes/user/alice/ hub", "DELETE /api/routes/user/alice/ hub"]);
  } finally {
    globalThis.fetch = original;
  }
});

/** The route API URL of a port nothing listens on. */
async function closedProxy(): Promise<string> {
  const closed = createServer();
  closed.listen(0, "127.0.0.1");
  await new Promise((r) => closed.once("listening", r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  return `http://127.0.0.1:${port}`;
}

test("an unreachable proxy is logged and the push resolves", async () => {
  const warnings: string[] = [];
  const log = createLogger("silent");
  log.warn = ((_o: unknown, msg: string) => void warnings.push(msg)) as typeof log.warn;
  await new ProxyClient([await closedProxy()], "secret", log).deleteRoute("/user/bob/");
  assert.deepEqual(warnings, ["proxy unreachable; it will load routes from the hub when it starts"]);
});

const route = (user: string, id: number) => ({ target: `http://127.0.0.1:${id}`, user, user_id: id, server_name: "", spawn_id: `s${id}` });

test("addRoute tells whether every proxy took the route: false when one is unreachable, refuses the PATCH, or the proxies cannot be found", async () => {
  patchStatus = 200;
  const silent = createLogger("silent");
  const closed = await closedProxy();
  assert.equal(await new ProxyClient([base], "secret", silent).addRoute("/user/a/", route("a", 1)), true, "one proxy, one route");
  assert.equal(await new ProxyClient([base, closed], "secret", silent).addRoute("/user/a/", route("a", 1)), false, "one of two unreachable");
  const both = new ProxyClient([base, closed], "secret", silent);
  assert.deepEqual(await Promise.all([both.addRoute("/user/a/", route("a", 1)), both.addRoute("/user/b/", route("b", 2))]), [false, false], "a PATCH");
  const one = new ProxyClient([base], "secret", silent);
  assert.deepEqual(await Promise.all([one.addRoute("/user/a/", route("a", 1)), one.addRoute("/user/b/", route("b", 2))]), [true, true], "a PATCH taken");
  patchStatus = 500;
  try {
    assert.deepEqual(await Promise.all([one.addRoute("/user/a/", route("a", 1)), one.addRoute("/user/b/", route("b", 2))]), [false, false], "a PATCH refused");
  } finally {
    patchStatus = 200;
  }
  const lost = new ProxyClient(() => Promise.reject(new Error("ENOTFOUND gyre-proxy-api")), "secret", silent);
  assert.equal(await lost.addRoute("/user/a/", route("a", 1)), false, "no address for the proxies' API");
});

test("route changes asked for together go in one PATCH; the last change of a path wins", async () => {
  seen.length = 0;
  bodies.length = 0;
  patchStatus = 200;
  const client = new ProxyClient([base], "secret", createLogger("silent"));
  await Promise.all([
    client.addRoute("/user/a/", route("a", 1)),
    client.addRoute("/user/b/", route("b", 2)),
    client.deleteRoute("/user/c/"),
    client.deleteRoute("/user/b/"),
    client.deleteRoute("/user/d/"),
    client.addRoute("/user/d/", route("d", 4)),
  ]);
  assert.deepEqual(seen, ["PATCH /api/routes hub"]);
  assert.deepEqual(bodies, [{ add: { "/user/a/": route("a", 1), "/user/d/": route("d", 4) }, remove: ["/user/c/", "/user/b/"] }]);
});

test("changes asked for while a push is under way wait for it and go together in the next", async () => {
  seen.length = 0;
  bodies.length = 0;
  patchStatus = 200;
  const client = new ProxyClient([base], "secret", createLogger("silent"));
  const first = client.addRoute("/user/a/", route("a", 1));
  // asked once the first push is on its way (after the turn of the event loop that collects it)
  await new Promise((r) => setImmediate(r));
  const later = [client.addRoute("/user/b/", route("b", 2)), client.addRoute("/user/c/", route("c", 3)), client.deleteRoute("/user/a/")];
  await Promise.all([first, ...later]);
  assert.deepEqual(seen, ["POST /api/routes/user/a/ hub", "PATCH /api/routes hub"]);
  assert.deepEqual(bodies[1], { add: { "/user/b/": route("b", 2), "/user/c/": route("c", 3) }, remove: ["/user/a/"] });
});

test("a proxy that refuses the PATCH gets each change on its own", async () => {
  for (const status of [400, 405]) {
    seen.length = 0;
    patchStatus = status;
    const client = new ProxyClient([base], "secret", createLogger("silent"));
    await Promise.all([client.addRoute("/user/a/", route("a", 1)), client.deleteRoute("/user/b/")]);
    assert.deepEqual(seen.sort(), ["DELETE /api/routes/user/b/ hub", "PATCH /api/routes hub", "POST /api/routes/user/a/ hub"]);
  }
  patchStatus = 200;
});

test("route removals and revocations asked in one turn go to each proxy as one request each", async () => {
  seen.length = 0;
  bodies.length = 0;
  patchStatus = 200;
  const client = new ProxyClient([base], "secret", createLogger("silent"));
  await Promise.all([
    client.deleteRoute("/user/a/"),
    client.deleteRoute("/user/b/"),
    client.revoke({ tokenHashes: ["h1"] }),
    client.deleteRoute("/user/a/"),
    client.revoke({ tokenHashes: ["h2", "h1"], sessions: ["s1"] }),
    client.revoke({}),
  ]);
  assert.deepEqual(seen.sort(), ["PATCH /api/routes hub", "POST /api/revocations hub"]);
  assert.deepEqual(
    bodies.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    [
      { add: {}, remove: ["/user/b/", "/user/a/"] },
      { sessions: ["s1"], token_hashes: ["h1", "h2"] },
    ],
  );
  // a later revocation alone is a request of its own
  seen.length = 0;
  await client.revoke({ tokenHashes: ["h3"] });
  assert.deepEqual(seen, ["POST /api/revocations hub"]);
});

test("revocations asked for while one is being pushed wait for it and go together in the next", async () => {
  seen.length = 0;
  bodies.length = 0;
  const client = new ProxyClient([base], "secret", createLogger("silent"));
  const first = client.revoke({ sessions: ["s1"] });
  await new Promise((r) => setImmediate(r));
  await Promise.all([first, client.revoke({ tokenHashes: ["h1"] }), client.revoke({ tokenHashes: ["h2"] })]);
  assert.deepEqual(seen, ["POST /api/revocations hub", "POST /api/revocations hub"]);
  assert.deepEqual(bodies, [
    { sessions: ["s1"], token_hashes: [] },
    { sessions: [], token_hashes: ["h1", "h2"] },
  ]);
});

test("changes that come one by one while pushes are answered go together until the gap since the last push has passed", async () => {
  seen.length = 0;
  arrivals.length = 0;
  bodies.length = 0;
  patchStatus = 200;
  const gapMs = 50;
  const client = new ProxyClient([base], "secret", createLogger("silent"), { gapMs });
  const paths = Array.from({ length: 30 }, (_, i) => `/user/u${i}/`);
  const asked: Promise<void>[] = [];
  // as stops that end one by one: a change every 2 ms, each push answered long before the next change
  for (const path of paths) {
    asked.push(client.deleteRoute(path), client.revoke({ tokenHashes: [path] }));
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(asked);
  const kinds = (prefix: string) => arrivals.filter((_, i) => seen[i].startsWith(prefix));
  for (const [kind, times] of [
    ["routes", [...kinds("PATCH"), ...kinds("DELETE")].sort((a, b) => a - b)],
    ["revocations", kinds("POST /api/revocations")],
  ] as const) {
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // without the gap: a push every 2-3 ms, one per change (30 of each)
    assert.ok(times.length < paths.length / 2, `${kind}: ${times.length} pushes for ${paths.length} changes`);
    assert.ok(Math.min(...gaps) >= gapMs - 10, `${kind} pushes ${gaps.map((g) => g.toFixed(1)).join(", ")} ms apart`);
  }
  // every change went, in the order asked
  const removed = bodies.flatMap((b) => (b as { remove?: string[] }).remove ?? []);
  const single = seen.filter((l) => l.startsWith("DELETE")).map((l) => l.split(" ")[1].slice("/api/routes".length));
  assert.deepEqual([...single, ...removed].sort(), [...paths].sort());
  const hashes = bodies.flatMap((b) => (b as { token_hashes?: string[] }).token_hashes ?? []);
  assert.deepEqual(hashes, paths);
});

test("a change after a quiet spell is pushed at once; the next one within the gap waits for it", async () => {
  seen.length = 0;
  arrivals.length = 0;
  const gapMs = 300;
  const client = new ProxyClient([base], "secret", createLogger("silent"), { gapMs });
  const t0 = performance.now();
  await client.deleteRoute("/user/quiet/");
  const first = performance.now() - t0;
  await client.deleteRoute("/user/next/");
  assert.deepEqual(seen, ["DELETE /api/routes/user/quiet/ hub", "DELETE /api/routes/user/next/ hub"]);
  assert.ok(first < gapMs / 2, `the first push was answered after ${first.toFixed(1)} ms`);
  assert.ok(arrivals[1] - arrivals[0] >= gapMs - 10, `pushes ${(arrivals[1] - arrivals[0]).toFixed(1)} ms apart`);
});
