// nodeApiRequest reads Node's request as the web Request the fast path used to build did.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nodeApiRequest, rawHeader } from "./api-request";

const RAW = [
  "Host",
  "127.0.0.1:8081",
  "Accept",
  "application/json",
  "X-Forwarded-Host",
  "a.example",
  "x-forwarded-host",
  "b.example",
  "Cookie",
  "a=1",
  "cookie",
  "b=2",
  "Authorization",
  "token abc",
];

test("a header is read as web Headers.get reads it: any case, repeated lines joined with ', ' (cookies with '; '), null when absent", () => {
  const web = new Headers();
  for (let i = 0; i < RAW.length; i += 2) web.append(RAW[i], RAW[i + 1]);
  const req = nodeApiRequest({ method: "GET", url: "/hub/api/users?limit=2&offset=1", rawHeaders: RAW });
  for (const name of ["host", "Host", "accept", "x-forwarded-host", "X-Forwarded-Host", "cookie", "authorization", "x-gyre-csrf", "content-type"]) {
    assert.equal(req.headers.get(name), web.get(name), name);
  }
  assert.equal(rawHeader(RAW, "x-forwarded-host"), "a.example, b.example");
  assert.equal(rawHeader(RAW, "cookie"), "a=1; b=2");
  assert.equal(rawHeader([], "host"), null);
});

test("the URL is the route handler's: without the /hub basePath, its query kept; the method as sent", () => {
  const req = nodeApiRequest({ method: "GET", url: "/hub/api/users/al%20ice?include_stopped_servers", rawHeaders: [] });
  assert.equal(req.method, "GET");
  const web = new Request("http://localhost/api/users/al%20ice?include_stopped_servers");
  assert.equal(new URL(req.url).pathname, new URL(web.url).pathname);
  assert.equal(new URL(req.url).search, "?include_stopped_servers");
});
