import { test } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import type { AddressInfo } from "node:net";
import { allowedMethods, canonicalApiPath, canonicalApiPaths, jsonMethodNotAllowed } from "./api-paths";

test("REST paths with trailing slashes are served at the route's own path; the empty server name is the default server", () => {
  const cases: Array<[string, string]> = [
    ["/hub/api/", "/hub/api"],
    ["/hub/api//", "/hub/api"],
    ["/hub/api/users/", "/hub/api/users"],
    ["/hub/api/users/alice/", "/hub/api/users/alice"],
    ["/hub/api/users/alice/servers/", "/hub/api/users/alice/server"],
    ["/hub/api/users/alice/servers/gpu/", "/hub/api/users/alice/servers/gpu"],
    ["/hub/api/users/alice/server/", "/hub/api/users/alice/server"],
    // sharing: an empty last segment is the default server, not the owner's list
    ["/hub/api/shares/alice/", "/hub/api/shares/alice/_default_"],
    ["/hub/api/share-codes/alice/", "/hub/api/share-codes/alice/_default_"],
    ["/hub/api/users/bob/shared/alice/", "/hub/api/users/bob/shared/alice/_default_"],
    ["/hub/api/groups/team/shared/alice/", "/hub/api/groups/team/shared/alice/_default_"],
    ["/hub/api/shares/alice/gpu/", "/hub/api/shares/alice/gpu"],
    ["/hub/api/users/bob/shared/", "/hub/api/users/bob/shared"],
    ["/hub/api/shares/alice", "/hub/api/shares/alice"],
    // untouched: no trailing slash, or not the REST API
    ["/hub/api", "/hub/api"],
    ["/hub/api/users/alice/servers", "/hub/api/users/alice/servers"],
    ["/hub/home/", "/hub/home/"],
    ["/user/alice/servers/", "/user/alice/servers/"],
    ["/hub/apiary/", "/hub/apiary/"],
  ];
  for (const [path, want] of cases) assert.equal(canonicalApiPath(path), want, path);
});

test("a 405's Allow names the methods the route file exports, with Next's OPTIONS and HEAD (for GET), sorted", () => {
  assert.equal(allowedMethods("/hub/api/proxy"), "GET, HEAD, OPTIONS, POST");
  assert.equal(allowedMethods("/hub/api/user"), "GET, HEAD, OPTIONS");
  assert.equal(allowedMethods("/hub/api/info"), "GET, HEAD, OPTIONS");
  assert.equal(allowedMethods("/hub/api"), "GET, HEAD, OPTIONS");
  // the Express fast path's routes: their route files' methods (the fast path hands others to Next)
  assert.equal(allowedMethods("/hub/api/users"), "GET, HEAD, OPTIONS, POST");
  assert.equal(allowedMethods("/hub/api/users/alice"), "DELETE, GET, HEAD, OPTIONS, PATCH, POST");
  assert.equal(allowedMethods("/hub/api/users/alice/server"), "DELETE, GET, HEAD, OPTIONS, POST");
  assert.equal(allowedMethods("/hub/api/users/alice/servers/gpu"), "DELETE, GET, HEAD, OPTIONS, POST");
  // no GET: no HEAD
  assert.equal(allowedMethods("/hub/api/users/alice/activity"), "OPTIONS, POST");
  assert.equal(allowedMethods("/hub/api/oauth2/token"), "OPTIONS, POST");
  // the catch-all answers every method (a JSON 404); paths outside the REST API have none
  assert.equal(allowedMethods("/hub/api/no/such/thing"), "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
  assert.equal(allowedMethods("/hub/home"), null);
});

test("the JSON 405 carries Allow, whichever way Next writes its empty 405; other answers are left alone", async () => {
  const app = express();
  app.use(canonicalApiPaths);
  app.use(jsonMethodNotAllowed);
  // as Next: an empty 405 written through statusCode + end, or through writeHead with headers
  app.use((req, res) => {
    if (req.query.via === "writeHead") res.writeHead(405, { "content-length": "0", allow: "WRONG" }).end();
    else if (req.method === "PUT" || req.method === "PATCH") {
      res.statusCode = 405;
      res.end();
    } else res.status(200).json({ ok: true });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const [method, path, allow] of [
      ["PUT", "/hub/api/proxy", "GET, HEAD, OPTIONS, POST"],
      ["PATCH", "/hub/api/proxy", "GET, HEAD, OPTIONS, POST"],
      ["PUT", "/hub/api/users/", "GET, HEAD, OPTIONS, POST"],
      ["PUT", "/hub/api/users/alice/servers/", "DELETE, GET, HEAD, OPTIONS, POST"],
      ["PUT", "/hub/api/user?via=writeHead", "GET, HEAD, OPTIONS"],
    ] as const) {
      const r = await fetch(base + path, { method, body: "{}" });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get("allow"), allow, `${method} ${path}`);
      assert.match(r.headers.get("content-type") ?? "", /application\/json/);
      const body = (await r.json()) as { status: number; message: string };
      assert.equal(body.status, 405);
      assert.match(body.message, new RegExp(`^${method} is not allowed on /hub/api/`));
    }
    const ok = await fetch(`${base}/hub/api/proxy`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("allow"), null);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
