import { test } from "node:test";
import assert from "node:assert/strict";
import { parseResponseHead, hasNoBody, ChunkedDecoder } from "./response-framing";

const b = (s: string) => Buffer.from(s, "latin1");

test("parses status, headers in order and case, content-length and keep-alive", () => {
  const h = parseResponseHead(b("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length:  12 \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello"))!;
  assert.equal(h.status, 200);
  assert.equal(h.statusMessage, "OK");
  assert.deepEqual(h.rawHeaders, ["Content-Type", "text/plain", "Content-Length", "12", "Set-Cookie", "a=1", "Set-Cookie", "b=2"]);
  assert.equal(h.contentLength, 12);
  assert.equal(h.chunked, false);
  assert.equal(h.close, false);
  assert.equal(h.headLength, b("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length:  12 \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n").length);
});

test("incomplete head → null; empty reason phrase; no headers", () => {
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\nContent-Le")), null);
  const h = parseResponseHead(b("HTTP/1.1 204\r\n\r\n"))!;
  assert.equal(h.status, 204);
  assert.equal(h.statusMessage, "");
  assert.deepEqual(h.rawHeaders, []);
});

test("chunked, Connection: close, HTTP/1.0 keep-alive rules, TE+CL conflict", () => {
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))!.chunked, true);
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"))!.close, true);
  assert.equal(parseResponseHead(b("HTTP/1.0 200 OK\r\n\r\n"))!.close, true);
  assert.equal(parseResponseHead(b("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n"))!.close, false);
  const both = parseResponseHead(b("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"))!;
  assert.equal(both.chunked, true);
  assert.equal(both.contentLength, -1);
  assert.equal(both.close, true, "a response with both is never reused");
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"))!.close, true, "non-chunked coding: read to close");
});

test("malformed heads throw (the proxy answers 502)", () => {
  for (const bad of [
    "HTTP/2.0 200 OK\r\n\r\n",
    "HTTP/1.1 2000 OK\r\n\r\n",
    "HTTP/1.1 abc OK\r\n\r\n",
    "FOO 200 OK\r\n\r\n",
    "HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
  ]) {
    assert.throws(() => parseResponseHead(b(bad)), Error, JSON.stringify(bad));
  }
  assert.throws(() => parseResponseHead(Buffer.alloc(70 * 1024, "a")), /too large/);
});

test("hasNoBody: HEAD, 1xx, 204, 304", () => {
  assert.equal(hasNoBody("HEAD", 200), true);
  assert.equal(hasNoBody("GET", 204), true);
  assert.equal(hasNoBody("GET", 304), true);
  assert.equal(hasNoBody("GET", 103), true);
  assert.equal(hasNoBody("GET", 200), false);
});

test("chunked decoder: slices, split at every byte, extensions, trailers, rest", () => {
  const wire = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  for (let split = 0; split <= wire.length; split++) {
    const d = new ChunkedDecoder();
    const parts = [...d.push(b(wire.slice(0, split)))];
    if (!d.done) parts.push(...d.push(b(wire.slice(split))));
    assert.equal(Buffer.concat(parts).toString(), "hello0123456789", `split at ${split}`);
    assert.equal(d.done, true);
    if (split < wire.length - 4) assert.equal(d.rest, 4, `rest at split ${split}`);
  }
  const plain = new ChunkedDecoder();
  plain.push(b("0\r\n\r\n"));
  assert.equal(plain.done, true);
  assert.equal(plain.rest, 0);
});

test("chunked decoder: malformed framing throws", () => {
  for (const bad of ["z\r\n", "5\r\nhelloXX", "5\nhello", "\r\n", "1234567890abc\r\n"]) {
    assert.throws(() => new ChunkedDecoder().push(b(bad)), Error, JSON.stringify(bad));
  }
});

test("Keep-Alive timeout hint", () => {
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\n\r\n"))!.keepAliveMs, 5000);
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\nKeep-Alive: max=100, timeout=30\r\n\r\n"))!.keepAliveMs, 30_000);
  assert.equal(parseResponseHead(b("HTTP/1.1 200 OK\r\n\r\n"))!.keepAliveMs, -1);
});
