// The WebSocket relay on its own: an http.Server front whose 'upgrade' handler calls
// relayWebSocket (as proxy/server.ts does) in front of a real `ws` echo server or a scripted raw
// TCP upstream (ports 7380-7383). Checks bytes, backpressure, closing, refusals and failures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import http from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";
import { relayWebSocket, type WebSocketRelayEvents } from "./websocket-relay";

const FRONT = 7380;
const ECHO = 7381;
const RAW = 7382;
const CLOSED = 7383; // nothing listens here

/** What the relay reported for the current connection(s). */
let log: string[] = [];
let traffic = 0;
/** The raw upstream's behaviour, by request path. */
type Script = (s: net.Socket, head: string, after: Buffer) => void;
const scripts: Record<string, Script> = {
  "/cookie": (s) =>
    s.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: username-127-0-0-1=secret\r\nSet-Cookie: keep=1\r\n\r\nFIRST",
    ),
  "/early": (s, _h, after) => s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\ngot:" + after.toString()),
  "/continue": (s) => s.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"),
  "/refuse-cl": (s) => s.write("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nno way"),
  "/refuse-chunked": (s) => s.write("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n0\r\n\r\n"),
  "/refuse-close": (s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\nuntil close"),
  "/refuse-304": (s) => s.write("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"),
  "/refuse-stall": (s) => s.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npart"),
  "/malformed": (s) => s.write("HTTP/1.1 101 Switching\r\nBad Header\r\n\r\n"),
  "/hang-up": (s) => s.destroy(),
  "/silent": () => undefined,
  "/flood": (s) => {
    // Writes as fast as the relay takes it; `flooded` is how much it got rid of.
    s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n");
    flood(s, (n) => (flooded += n));
  },
  "/deaf": (s) => {
    s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n");
    s.pause(); // reads nothing more
  },
  "/then-end": (s) => s.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n" + "z".repeat(200_000)),
};
const rawConnections: net.Socket[] = [];

/** Writes 64 KiB chunks as fast as `s` takes them (waiting for 'drain'), up to 64 MiB in all. */
function flood(s: net.Socket, wrote: (bytes: number) => number): void {
  const chunk = Buffer.alloc(64 * 1024, "f");
  let total = 0;
  const pump = () => {
    while (total < 64 * 1024 * 1024) {
      total = wrote(chunk.length);
      if (!s.write(chunk)) return void s.once("drain", pump);
    }
  };
  pump();
}
let flooded = 0;

let front: http.Server;
let echo: http.Server;
let raw: net.Server;
let stripLoginCookies = true;

function upstreamFor(path: string): number {
  if (path.startsWith("/closed")) return CLOSED;
  return scripts[path] ? RAW : ECHO;
}

before(async () => {
  echo = http.createServer();
  new WebSocketServer({ server: echo }).on("connection", (ws) => ws.on("message", (d, bin) => ws.send(d, { binary: bin })));
  raw = net.createServer((s) => {
    rawConnections.push(s);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      s.off("data", onData);
      const head = buf.subarray(0, end).toString("latin1");
      const path = head.split(" ")[1];
      scripts[path](s, head, buf.subarray(end + 4));
    };
    s.on("data", onData);
    s.on("error", () => undefined);
  });
  front = http.createServer((_q, r) => r.end());
  front.on("upgrade", (req: http.IncomingMessage, socket: Duplex, early: Buffer) => {
    socket.on("error", () => socket.destroy());
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      if (req.rawHeaders[i].toLowerCase() !== "connection") head += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    head += "connection: Upgrade\r\n\r\n";
    const ev: WebSocketRelayEvents = {
      onHandshake: (status) => log.push(`handshake ${status}`),
      onError: (err) => {
        log.push(`error ${err.code}`);
        socket.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      },
      onTraffic: () => traffic++,
      onClose: () => log.push("close"),
    };
    relayWebSocket(
      socket,
      early,
      { host: "127.0.0.1", port: upstreamFor(req.url!), head },
      { connectTimeoutMs: 1000, handshakeTimeoutMs: 300, stripLoginCookies },
      ev,
    );
  });
  await Promise.all([listen(echo, ECHO), listen(raw, RAW), listen(front, FRONT)]);
});

after(async () => {
  for (const s of rawConnections) s.destroy();
  front.closeAllConnections();
  echo.closeAllConnections();
  await Promise.all([front, echo, raw].map((s) => new Promise((r) => s.close(r))));
});

function listen(s: net.Server, port: number): Promise<void> {
  return new Promise((r) => s.listen(port, "127.0.0.1", () => r()));
}

function reset(): void {
  log = [];
  traffic = 0;
  stripLoginCookies = true;
}

/**
 * Sends a raw upgrade request (plus `extra` in the same write) and collects everything until the
 * connection closes, or until what arrived matches `until` (then it hangs up itself).
 */
function rawUpgrade(path: string, extra = "", until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(FRONT, "127.0.0.1", () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${FRONT}\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n${extra}`),
    );
    let got = "";
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (until?.test(got)) s.destroy();
    });
    s.on("close", () => resolve(got));
    s.on("error", reject);
    setTimeout(() => s.destroy(), 1500);
  });
}

const waitFor = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
};

test("a real WebSocket echo goes through: text, binary, a 4 MiB message (backpressure), close reported once", async () => {
  reset();
  const ws = new WebSocket(`ws://127.0.0.1:${FRONT}/echo`);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  const next = () => new Promise<{ d: Buffer; bin: boolean }>((r) => ws.once("message", (d: Buffer, bin: boolean) => r({ d, bin })));
  let m = next();
  ws.send("hello");
  assert.deepEqual(await m.then((x) => [x.d.toString(), x.bin]), ["hello", false]);
  const big = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  m = next();
  ws.send(big);
  const back = await m;
  assert.equal(back.bin, true);
  assert.ok(back.d.equals(big), "the 4 MiB message came back intact");
  assert.ok(traffic >= 4, `traffic was counted in both directions (${traffic} chunks)`);
  ws.close();
  await waitFor(() => log.includes("close"), "onClose after the WebSocket closed");
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(log, ["handshake 101", "close"]);
});

test("the 101 goes to the client without Jupyter's username-* cookie (other cookies and early bytes kept)", async () => {
  reset();
  const got = await rawUpgrade("/cookie", "", /FIRST$/);
  assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.doesNotMatch(got, /username-/);
  assert.match(got, /Set-Cookie: keep=1\r\n/);
  assert.match(got, /\r\n\r\nFIRST$/);
  stripLoginCookies = false;
  assert.match(await rawUpgrade("/cookie", "", /FIRST$/), /Set-Cookie: username-127-0-0-1=secret/);
  await waitFor(() => log.filter((x) => x === "close").length === 2, "both relays closed after the client hung up");
});

test("bytes the client sent right after its request head reach the upstream", async () => {
  reset();
  assert.match(await rawUpgrade("/early", "EARLY-BYTES", /BYTES$/), /\r\n\r\ngot:EARLY-BYTES$/);
  await waitFor(() => log.includes("close"), "closed after the client hung up");
});

test("a 100 Continue before the 101 is skipped", async () => {
  reset();
  const got = await rawUpgrade("/continue", "", /\r\n\r\n$/);
  assert.match(got, /^HTTP\/1\.1 101 /);
  assert.doesNotMatch(got, /100 Continue/);
  await waitFor(() => log.includes("close"), "closed after the client hung up");
});

test("refusals are passed on with their body and Connection: close (content-length, chunked, until close)", async () => {
  reset();
  const t0 = performance.now();
  const cl = await rawUpgrade("/refuse-cl");
  assert.match(cl, /^HTTP\/1\.1 403 Forbidden\r\n/);
  assert.match(cl, /\r\nconnection: close\r\n\r\nno way$/);
  assert.doesNotMatch(cl, /keep-alive/);
  const ch = await rawUpgrade("/refuse-chunked");
  assert.match(ch, /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.match(ch, /\r\n\r\n4\r\nnope\r\n0\r\n\r\n$/);
  assert.match(await rawUpgrade("/refuse-close"), /^HTTP\/1\.1 400 Bad Request[\s\S]*\r\n\r\nuntil close$/);
  const t304 = performance.now();
  assert.match(await rawUpgrade("/refuse-304"), /^HTTP\/1\.1 304 Not Modified[\s\S]*\r\n\r\n$/);
  assert.ok(performance.now() - t304 < 250, "a 304 has no body: ended at once, not by the 300 ms idle timeout");
  assert.deepEqual(log, ["handshake 403", "handshake 404", "handshake 400", "handshake 304"]);
  assert.ok(performance.now() - t0 < 1000, "each refusal ended the connection itself (the client hangs up only after 1.5 s)");
});

test("an upstream that stalls in the middle of a refusal is cut after the handshake timeout", async () => {
  reset();
  const t0 = performance.now();
  const got = await rawUpgrade("/refuse-stall");
  assert.match(got, /^HTTP\/1\.1 403 Forbidden[\s\S]*\r\n\r\npart$/);
  const ms = performance.now() - t0;
  assert.ok(ms >= 250 && ms < 1200, `cut after ${ms.toFixed(0)} ms (timeout 300 ms; the client gives up at 1500)`);
});

test("failures before an answer reach onError once, with a code the caller maps to 502/503/504", async () => {
  for (const [path, code] of [
    ["/closed", "ECONNREFUSED"],
    ["/malformed", "EPROTO"],
    ["/hang-up", "ECONNRESET"],
    ["/silent", "ETIMEDOUT"],
  ]) {
    reset();
    const got = await rawUpgrade(path);
    assert.match(got, /^HTTP\/1\.1 503 /, path);
    assert.deepEqual(log, [`error ${code}`], path);
  }
});

test("backpressure: a client that does not read holds the upstream back (no unbounded buffering)", async () => {
  reset();
  const s = net.connect(FRONT, "127.0.0.1", () => s.write(`GET /flood HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n`));
  s.pause(); // reads nothing
  await new Promise((r) => setTimeout(r, 800));
  const held = flooded;
  s.destroy();
  // Socket buffers on both hops take a few MiB; without backpressure the relay would swallow all 64.
  assert.ok(held < 24 * 1024 * 1024, `the upstream could write only ${(held / 1048576).toFixed(1)} MiB`);
  await waitFor(() => log.includes("close"), "closed after the client hung up");
});

test("backpressure the other way: an upstream that does not read holds the client back", async () => {
  reset();
  let sent = 0;
  const s = net.connect(FRONT, "127.0.0.1", () => s.write(`GET /deaf HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n`));
  s.once("data", () => flood(s, (n) => (sent += n)));
  await new Promise((r) => setTimeout(r, 800));
  s.destroy();
  assert.ok(sent > 0 && sent < 24 * 1024 * 1024, `the client could write only ${(sent / 1048576).toFixed(1)} MiB`);
  // What the client sent is still queued for the deaf upstream (flushed for up to 10 s); it goes now.
  rawConnections[rawConnections.length - 1].destroy();
  await waitFor(() => log.includes("close"), "closed after both hung up");
});

test("an upstream that sends data and ends: the client gets every byte, then the end", async () => {
  reset();
  const got = await rawUpgrade("/then-end");
  assert.ok(got.endsWith("z".repeat(200_000)), `all 200,000 bytes arrived (${got.length} bytes in all)`);
  await waitFor(() => log.includes("close"), "onClose");
});

test("a client that leaves while the upstream is silent: upstream socket closed, no callbacks", async () => {
  reset();
  const before = rawConnections.filter((s) => !s.destroyed).length;
  const s = net.connect(FRONT, "127.0.0.1", () => s.write(`GET /silent HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n`));
  await waitFor(() => rawConnections.filter((c) => !c.destroyed).length === before + 1, "the upstream got the connection");
  const upstreamSide = rawConnections[rawConnections.length - 1];
  const closed = new Promise((r) => upstreamSide.once("close", r));
  s.destroy();
  await closed;
  await new Promise((r) => setTimeout(r, 400)); // past the handshake timeout: nothing fires
  assert.deepEqual(log, []);
});
