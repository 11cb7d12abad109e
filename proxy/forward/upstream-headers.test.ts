import { test } from "node:test";
import assert from "node:assert/strict";
import { buildUpstreamHeaders, readRawHeader } from "./upstream-headers";

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
