import { test } from "node:test";
import assert from "node:assert/strict";
import { buildUpstreamHeaders, PROXY_HOP_HEADER, readRawHeader } from "./upstream-headers";

const raw = ["Host", "p.example:8000", "Connection", "keep-alive", "Cookie", "gyre-session=s; _xsrf=x", "Authorization", "token api", "Accept", "*/*"];

test("drops hop-by-hop headers, keeps the rest, adds X-Forwarded-*", () => {
  const h = buildUpstreamHeaders(raw, { remoteAddress: "10.0.0.1" });
  assert.deepEqual(h.headers, [
    "Host",
    "p.example:8000",
    "Cookie",
    "gyre-session=s; _xsrf=x",
    "Authorization",
    "token api",
    "Accept",
    "*/*",
    "x-forwarded-for",
    "10.0.0.1",
    "x-forwarded-proto",
    "http",
    "x-forwarded-host",
    "p.example:8000",
  ]);
  assert.equal(h.hasBody, false);
});

test("cookie and authorization edits: replace, drop", () => {
  const h = buildUpstreamHeaders(raw, { remoteAddress: "1.2.3.4", cookie: "_xsrf=x", authorization: "token server" });
  assert.equal(readRawHeader(h.headers, "cookie"), "_xsrf=x");
  assert.equal(readRawHeader(h.headers, "authorization"), "token server");
  const d = buildUpstreamHeaders(raw, { remoteAddress: "1.2.3.4", cookie: null, authorization: null });
  assert.equal(readRawHeader(d.headers, "cookie"), undefined);
  assert.equal(readRawHeader(d.headers, "authorization"), undefined);
});

test("X-Forwarded-For is appended to; Proto and Host are kept when present; a body is noticed", () => {
  const h = buildUpstreamHeaders(
    [
      "X-Forwarded-For",
      "9.9.9.9",
      "X-Forwarded-Proto",
      "https",
      "X-Forwarded-Host",
      "outer",
      "Host",
      "inner",
      "Content-Length",
      "3",
      "Proxy-Connection",
      "x",
      "Keep-Alive",
      "5",
    ],
    { remoteAddress: "127.0.0.1" },
  );
  assert.deepEqual(h.headers, [
    "X-Forwarded-Proto",
    "https",
    "X-Forwarded-Host",
    "outer",
    "Host",
    "inner",
    "Content-Length",
    "3",
    "x-forwarded-for",
    "9.9.9.9, 127.0.0.1",
  ]);
  assert.equal(h.hasBody, true);
  assert.equal(buildUpstreamHeaders(["Transfer-Encoding", "chunked"], { remoteAddress: "" }).hasBody, true);
});

test("readRawHeader: case-insensitive, first value, cookies joined", () => {
  const r = ["cookie", "a=1", "Authorization", "token one", "COOKIE", "b=2", "authorization", "token two"];
  assert.equal(readRawHeader(r, "cookie"), "a=1; b=2");
  assert.equal(readRawHeader(r, "authorization"), "token one");
  assert.equal(readRawHeader(r, "origin"), undefined);
});

test("body framing: only one Transfer-Encoding that is exactly chunked, never with Content-Length (table-driven)", () => {
  const cases: Array<[name: string, headers: string[], bad: boolean]> = [
    ["chunked", ["Transfer-Encoding", "chunked"], false],
    ["Chunked, any case", ["transfer-encoding", " CHUNKED"], false],
    ["content-length", ["Content-Length", "5"], false],
    ["identity, chunked", ["Transfer-Encoding", "identity, chunked"], true],
    ["chunked, chunked", ["Transfer-Encoding", "chunked, chunked"], true],
    ["gzip, chunked", ["Transfer-Encoding", "gzip, chunked"], true],
    ["identity", ["Transfer-Encoding", "identity"], true],
    ["two headers", ["Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"], true],
    ["with Content-Length", ["Content-Length", "5", "Transfer-Encoding", "chunked"], true],
    ["two Content-Lengths", ["Content-Length", "5", "Content-Length", "5"], true],
  ];
  for (const [name, headers, bad] of cases) {
    const h = buildUpstreamHeaders(["Host", "h", ...headers], { remoteAddress: "1.2.3.4" });
    assert.equal(h.badFraming !== undefined, bad, name);
    assert.equal(h.hasBody, true, name);
  }
});

test("the proxy's hop secret: a client's copy is dropped everywhere, the proxy's own added only when asked", () => {
  const spoofed = ["Host", "h", "X-Gyre-Proxy-Hop", "guess", "x-gyre-proxy-hop", "guess2"];
  assert.equal(readRawHeader(buildUpstreamHeaders(spoofed, { remoteAddress: "1.2.3.4" }).headers, PROXY_HOP_HEADER), undefined);
  const toHub = buildUpstreamHeaders(spoofed, { remoteAddress: "1.2.3.4", proxyHop: "s3cret" }).headers;
  assert.equal(toHub.filter((name, i) => i % 2 === 0 && name.toLowerCase() === PROXY_HOP_HEADER).length, 1, "exactly one: the proxy's");
  assert.equal(readRawHeader(toHub, PROXY_HOP_HEADER), "s3cret");
});
