// Framing cases of the lean upstream client, through the whole proxy, against a scripted raw TCP
// backend (ports 7370-7373): what the backend writes byte for byte, what the client gets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import http from "node:http";
import pino from "pino";
import { GyreProxy } from "../server";
import { InMemoryHub } from "../testing/in-memory-hub";

const SECRET = "u".repeat(40);
const TOKEN = "lean-test-token-0123456789";
const hub = new InMemoryHub(SECRET);
let proxy: GyreProxy;
let backend: net.Server;
const PORT = 7370;
const BACKEND_PORT = 7373;
/** Backend connections accepted so far (keep-alive reuse shows as no new ones). */
let accepted = 0;
let upstreamClosed = 0;
const bigBody = Buffer.alloc(5 * 1024 * 1024, "b");

/** Answers by path: each handler writes raw bytes (and may close). */
type Handler = (socket: net.Socket, head: string, body: Buffer) => void;
const routes: Record<string, Handler> = {
  "/user/alice/cl": (s) => s.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"),
  "/user/alice/cl-split": (s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-Le");
    setTimeout(() => s.write("ngth: 10\r\n\r\n01234"), 20);
    setTimeout(() => s.write("56789"), 40);
  },
  "/user/alice/chunked": (s) => {
    s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    setTimeout(() => s.write("lo\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n"), 20);
  },
  "/user/alice/empty": (s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
  "/user/alice/head": (s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"),
  "/user/alice/204": (s) => s.write("HTTP/1.1 204 No Content\r\n\r\n"),
  "/user/alice/304": (s) => s.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'),
  "/user/alice/big": (s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${bigBody.length}\r\n\r\n`);
    s.write(bigBody);
  },
  "/user/alice/until-close": (s) => s.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"),
  "/user/alice/early-hints": (s) => s.write("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
  "/user/alice/malformed": (s) => s.write("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"),
  "/user/alice/slow": () => undefined,
  "/user/alice/cut": (s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    setTimeout(() => s.destroy(), 20);
  },
  "/user/alice/stream": (s) => {
    s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const t = setInterval(() => s.write("4\r\ntick\r\n"), 10);
    s.once("close", () => clearInterval(t));
  },
  "/user/alice/close-after": (s) => {
    // Keep-alive by its headers, but the upstream drops the idle connection right after.
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    setTimeout(() => s.destroy(), 10);
  },
  "/user/alice/ka-hint": (s) => s.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok"),
  "/user/alice/cookies": (s) =>
    s.write("HTTP/1.1 200 OK\r\nSet-Cookie: username-x=secret\r\nSet-Cookie: _xsrf=keep\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n"),
  "/user/alice/echo": (s, head, body) => {
    const out = JSON.stringify({ head, body: body.toString() });
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(out)}\r\n\r\n${out}`);
  },
};

/** A minimal request reader: heads, Content-Length bodies, several requests per connection. */
function serve(socket: net.Socket): void {
  accepted++;
  socket.on("close", () => upstreamClosed++);
  socket.on("error", () => undefined);
  let buf = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.toString("latin1", 0, end);
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      const path = head.split(" ")[1].split("?")[0];
      (routes[path] ?? ((s: net.Socket) => s.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")))(socket, head, body);
    }
  });
}

before(async () => {
  backend = net.createServer(serve);
  await new Promise<void>((r) => backend.listen(BACKEND_PORT, "127.0.0.1", r));
  hub.state.routes = { "/user/alice/": { target: `http://127.0.0.1:${BACKEND_PORT}`, user: "alice", server_name: "", spawn_id: "spawn-a" } };
  proxy = new GyreProxy({
    bindHost: "127.0.0.1",
    port: PORT,
    apiHost: "127.0.0.1",
    apiPort: 7371,
    hubUrl: "http://127.0.0.1:9",
    hub,
    authToken: TOKEN,
    secretKey: SECRET,
    // Single-origin: these tests are about forwarding, with the hub cookie on 127.0.0.1.
    origins: { publicUrl: "http://127.0.0.1", userDomain: "" },
    fullSyncSeconds: 60,
    authSyncSeconds: 60,
    activityFlushSeconds: 60,
    upstreamTimeoutSeconds: 1,
    connectTimeoutSeconds: 1,
    dashboardPorts: [8787],
    logger: pino({ level: "silent" }),
  });
  await proxy.start();
});
after(async () => {
  await proxy.close();
  await new Promise<void>((r) => backend.close(() => r()));
});

const cookie = () => hub.cookieFor("alice");

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** One request on a fresh client connection (so the client side never reuses one). */
function request(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: PORT, path, method: init.method ?? "GET", agent: false, headers: { cookie: cookie(), ...init.headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(parts) }));
        res.on("error", reject);
        res.on("aborted", () => reject(new Error("aborted")));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

test("content-length body, and the upstream connection is reused across requests", async () => {
  const before = accepted;
  for (let i = 0; i < 5; i++) {
    const r = await request("/user/alice/cl");
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), "hello");
    assert.equal(r.headers["content-length"], "5");
  }
  assert.ok(accepted - before <= 1, `upstream connections opened for 5 requests: ${accepted - before}`);
});

test("head and body split across TCP reads", async () => {
  const r = await request("/user/alice/cl-split");
  assert.equal(r.body.toString(), "0123456789");
});

test("chunked body is de-framed and re-framed; trailers dropped", async () => {
  const r = await request("/user/alice/chunked");
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), "hello world");
  assert.equal(r.headers["transfer-encoding"], "chunked");
  const again = await request("/user/alice/cl");
  assert.equal(again.body.toString(), "hello", "the connection is still in step after a chunked body");
});

test("no-body responses: Content-Length 0, HEAD, 204, 304; connection stays usable", async () => {
  assert.equal((await request("/user/alice/empty")).body.length, 0);
  const h = await request("/user/alice/head", { method: "HEAD" });
  assert.equal(h.status, 200);
  assert.equal(h.headers["content-length"], "1234");
  assert.equal(h.body.length, 0);
  assert.equal((await request("/user/alice/204")).status, 204);
  const nm = await request("/user/alice/304");
  assert.equal(nm.status, 304);
  assert.equal(nm.headers.etag, '"x"');
  const before = accepted;
  assert.equal((await request("/user/alice/cl")).body.toString(), "hello");
  assert.equal(accepted, before, "reused after the bodyless answers");
});

test("a 5 MiB body arrives intact", async () => {
  const r = await request("/user/alice/big");
  assert.equal(r.body.length, bigBody.length);
  assert.ok(r.body.equals(bigBody));
});

test("body delimited by the upstream closing", async () => {
  const r = await request("/user/alice/until-close");
  assert.equal(r.body.toString(), "all of it");
});

test("1xx informational responses are dropped, the final one forwarded", async () => {
  const r = await request("/user/alice/early-hints");
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), "ok");
});

test("malformed upstream response → 502; silent upstream → 504; refused → 503", async () => {
  assert.equal((await request("/user/alice/malformed")).status, 502);
  const t0 = Date.now();
  const slow = await request("/user/alice/slow", { headers: { accept: "text/html" } });
  assert.equal(slow.status, 504);
  assert.match(slow.body.toString(), /not responding/);
  assert.ok(Date.now() - t0 < 3000);
  proxy.table.add("/user/carol", { target: "http://127.0.0.1:7399", user: "carol", server_name: "", spawn_id: "s-c" }, Date.now());
  const refused = await new Promise<number>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: PORT, path: "/user/carol/x", agent: false, headers: { cookie: hub.cookieFor("carol") } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on("error", reject);
  });
  assert.equal(refused, 503);
});

test("upstream closing mid-body cuts the client's response (never a silent short body)", async () => {
  await assert.rejects(request("/user/alice/cut"));
});

test("client aborting mid-body closes the upstream connection", async () => {
  const closedBefore = upstreamClosed;
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: PORT, path: "/user/alice/stream", agent: false, headers: { cookie: cookie() } }, (res) => {
      res.once("data", () => {
        req.destroy();
        resolve();
      });
    });
    req.on("error", () => undefined);
    setTimeout(() => reject(new Error("no data")), 2000);
  });
  for (let i = 0; i < 50 && upstreamClosed === closedBefore; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(upstreamClosed > closedBefore, "the streaming upstream connection was closed");
});

test("a reused connection the upstream had closed is retried once on a fresh one", async () => {
  assert.equal((await request("/user/alice/close-after")).body.toString(), "ok");
  await new Promise((r) => setTimeout(r, 10));
  // The pooled socket may be dead by now (or die while this request is in flight).
  for (let i = 0; i < 5; i++) assert.equal((await request("/user/alice/close-after")).status, 200);
});

test("a connection past the upstream's Keep-Alive timeout hint (minus 1 s) is not reused", async () => {
  await request("/user/alice/ka-hint");
  const before = accepted;
  assert.equal((await request("/user/alice/ka-hint")).body.toString(), "ok");
  assert.equal(accepted, before + 1, "timeout=1 leaves no reuse window: a fresh connection");
});

test("Set-Cookie for Jupyter's login cookie and hop-by-hop headers are not forwarded", async () => {
  const r = await request("/user/alice/cookies");
  assert.deepEqual(r.headers["set-cookie"], ["_xsrf=keep"]);
  assert.ok(!r.rawHeaders.some((h) => h === "Keep-Alive" && r.rawHeaders[r.rawHeaders.indexOf(h) + 1] === "timeout=5"));
});

test("request head: server token injected, hub cookie stripped, X-Forwarded-*; POST bodies still forwarded", async () => {
  const g = JSON.parse((await request("/user/alice/echo?q=1", { headers: { "x-custom": "v" } })).body.toString()) as { head: string };
  assert.match(g.head, /^GET \/user\/alice\/echo\?q=1 HTTP\/1\.1\r\n/);
  assert.match(g.head, /\r\nauthorization: token [0-9a-f]+/i);
  assert.doesNotMatch(g.head, /gyre-session/);
  assert.match(g.head, /\r\nx-custom: v/i);
  assert.match(g.head, /\r\nx-forwarded-for: 127\.0\.0\.1/i);
  const p = JSON.parse(
    (
      await request("/user/alice/echo", { method: "POST", body: "payload", headers: { "content-type": "text/plain", origin: `http://127.0.0.1:${PORT}` } })
    ).body.toString(),
  ) as { body: string };
  assert.equal(p.body, "payload");
});

test("pipelined requests on one client connection get their answers in order", async () => {
  const c = net.connect(PORT, "127.0.0.1");
  const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nCookie: ${cookie()}\r\n\r\n`;
  c.write(req("/user/alice/cl") + req("/user/alice/chunked") + req("/user/alice/204") + req("/user/alice/cl-split"));
  let text = "";
  c.on("data", (d: Buffer) => (text += d.toString("latin1")));
  for (let i = 0; i < 100 && !text.includes("0123456789"); i++) await new Promise((r) => setTimeout(r, 20));
  c.destroy();
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ["200", "200", "204", "200"]);
  // The content-length answer ("hello") precedes the chunked one's head; the split one comes last.
  assert.ok(text.indexOf("hello") < text.indexOf("chunked"));
  assert.ok(text.indexOf("0123456789") > text.indexOf("204 No Content"));
});
