// The Express entry's guards, on an in-process Express app built the way app/server.ts builds the
// hub's: malformed %-escapes are a 400, bodies over the limit a 413 (declared or chunked), client
// errors keep their status instead of becoming a 500, and X-Forwarded-For counts only from the proxy.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import express from "express";
import type { AddressInfo } from "node:net";
import { expressErrorHandler, limitBodies, refuseMalformedPaths } from "./express-guards";
import { clientAddress, trustProxyHop } from "./client-address";
import { jsonBody, urlencodedForm } from "./form-body";
import { HttpError } from "./errors";
import { PROXY_HOP_HEADER } from "@/proxy/forward/upstream-headers";
import type { Logger } from "../log";

const HOP = "a".repeat(64);
const errors: unknown[] = [];
const log = { error: (o: { err: unknown }) => errors.push(o.err) } as unknown as Logger;
let server: http.Server;
let base = "";

before(async () => {
  const app = express();
  app.set("trust proxy", false);
  app.use(trustProxyHop(HOP));
  app.use(refuseMalformedPaths);
  app.use(limitBodies(1024 * 1024));
  app.post("/form", urlencodedForm({ limitBytes: 16 * 1024 }), (req, res) => void res.json(req.body));
  app.post("/json", jsonBody({ limitBytes: 16 * 1024 }), (req, res) => void res.json({ got: req.body as unknown }));
  app.get("/ip", (req, res) => void res.json({ ip: clientAddress(req), hop: req.headers[PROXY_HOP_HEADER] ?? null }));
  app.get("/conflict", () => {
    throw new HttpError(409, "Already there.");
  });
  app.get("/boom", () => {
    throw new Error("secret internals");
  });
  app.get("/users/:name", (req, res) => void res.send(req.params.name));
  app.use(expressErrorHandler(log));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** Sends raw bytes, returns the status line and body of the answer (the connection is closed after). */
function raw(request: string | Buffer, bodyChunks: () => Iterable<Buffer> = () => []): Promise<{ status: number; text: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect((server.address() as AddressInfo).port, "127.0.0.1");
    let got = "";
    let sent = 0;
    let answered = false;
    sock.on("data", (d) => {
      got += d.toString("latin1");
      answered = true;
    });
    sock.on("error", () => undefined);
    sock.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1] ?? 0), text: got, sent }));
    const sendBody = async () => {
      const chunks = [...bodyChunks()];
      if (!chunks.length) return; // headers only: wait for the answer
      for (const c of chunks) {
        if (answered || sock.destroyed) break;
        sent += c.length;
        if (!sock.write(c)) await new Promise((r) => sock.once("drain", r));
        // client and server share this process: let the server run between chunks, as it would
        await new Promise((r) => setTimeout(r, 1));
      }
      if (!sock.destroyed) sock.end();
    };
    sock.write(request, () => void sendBody());
    setTimeout(() => reject(new Error("no answer")), 10_000).unref();
  });
}

test("a path with a malformed %-escape is a 400: JSON for API clients, the styled page for browsers", async () => {
  const api = await fetch(base + "/users/%ff");
  assert.equal(api.status, 400);
  assert.match(((await api.json()) as { message: string }).message, /malformed %-escape/);
  const page = await fetch(base + "/users/%E0%A4%A", { headers: { accept: "text/html" } });
  assert.equal(page.status, 400);
  assert.match(await page.text(), /<html[\s\S]*malformed %-escape/);
  assert.equal(await (await fetch(base + "/users/%C3%A9")).text(), "é", "valid escapes pass");
});

test("a 10 MB form is a 413: declared up front (nothing read), or chunked (cut off at the form's limit)", async () => {
  // Only the headers are sent: the answer comes without the hub waiting for (or reading) the body.
  const declared = await raw(
    `POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`,
  );
  assert.equal(declared.status, 413);
  assert.match(declared.text, /larger than 1048576 bytes/);
  const chunked = await raw(
    "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
    function* () {
      for (let i = 0; i < 160; i++) yield Buffer.from(`10000\r\n${"a".repeat(0x10000)}\r\n`);
    },
  );
  assert.equal(chunked.status, 413, chunked.text.slice(0, 200));
  assert.match(chunked.text, /form is larger than 16384 bytes/);
  assert.ok(chunked.sent < 4 * 1024 * 1024, `the connection was not read to its end (${chunked.sent} bytes sent)`);
  assert.equal(errors.length, 0, "client errors are not logged as failures");
});

test("a small form is parsed; a field sent twice counts as absent; other content types are not read", async () => {
  const post = (body: string, type = "application/x-www-form-urlencoded") => fetch(base + "/form", { method: "POST", headers: { "content-type": type }, body });
  assert.deepEqual(await (await post("username=alice&password=p%20w&next=%2Fhub&x=1&x=2")).json(), { username: "alice", password: "p w", next: "/hub" });
  assert.deepEqual(await (await post('{"username":"alice"}', "application/json")).json(), {});
});

test("client errors keep their status; anything else is a logged 500 without details", async () => {
  const c = await fetch(base + "/conflict");
  assert.equal(c.status, 409);
  assert.deepEqual(await c.json(), { status: 409, message: "Already there." });
  const b = await fetch(base + "/boom");
  assert.equal(b.status, 500);
  assert.doesNotMatch(await b.text(), /secret internals/);
  assert.equal(errors.length, 1);
  errors.length = 0;
});

test("X-Forwarded-For counts only with the proxy's hop secret; a notebook on loopback cannot choose its address", async () => {
  const ip = async (headers: Record<string, string>) => (await (await fetch(base + "/ip", { headers })).json()) as { ip: string; hop: string | null };
  assert.equal((await ip({ "x-forwarded-for": "198.51.100.7" })).ip, "127.0.0.1", "spoofed from loopback: the socket's address counts");
  assert.equal((await ip({ "x-forwarded-for": "198.51.100.7", [PROXY_HOP_HEADER]: "b".repeat(64) })).ip, "127.0.0.1", "a wrong hop secret");
  assert.equal((await ip({ "x-forwarded-for": "198.51.100.7", [PROXY_HOP_HEADER]: "ä".repeat(32) })).ip, "127.0.0.1", "non-ASCII: no crash");
  const viaProxy = await ip({ "x-forwarded-for": "10.0.0.1, 198.51.100.7", [PROXY_HOP_HEADER]: HOP });
  assert.equal(viaProxy.ip, "198.51.100.7", "the right-most entry: the one the proxy appended");
  assert.equal(viaProxy.hop, null, "handlers never see the secret");
});

test("a JSON body (the git-pull API): chunked past its limit a 413 at once, deep nesting or malformed JSON a 400, a small one parsed", async () => {
  const chunked = await raw("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", function* () {
    yield Buffer.from('5\r\n{"a":\r\n');
    for (let i = 0; i < 160; i++) yield Buffer.from(`10000\r\n${" ".repeat(0x10000)}\r\n`);
  });
  assert.equal(chunked.status, 413, chunked.text.slice(0, 200));
  assert.match(chunked.text, /request body is larger than 16384 bytes/);
  assert.ok(chunked.sent < 4 * 1024 * 1024, `the connection was not read to its end (${chunked.sent} bytes sent)`);
  const post = (body: string) => fetch(base + "/json", { method: "POST", headers: { "content-type": "application/json" }, body });
  const deep = await post("[".repeat(5000) + "]".repeat(5000));
  assert.equal(deep.status, 400);
  assert.match(((await deep.json()) as { message: string }).message, /deeper than 32 levels/);
  assert.equal((await post("{nope")).status, 400);
  assert.deepEqual(await (await post('{"query":"repo=x"}')).json(), { got: { query: "repo=x" } });
  assert.equal(errors.length, 0, "client errors are not logged as failures");
});
