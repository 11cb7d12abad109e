// The Express fast path for a server's start and stop (POST / DELETE /hub/api/users/<name>/server
// and …/servers/<server>) against the Next route handlers called as Next calls them, on a real
// SQLite database: each request is sent through both from the same starting state, and both give
// the same status, headers and body bytes and leave the same rows — allowed and refused (401, 403,
// 404, 400, 413). The Express guards in front of both (Origin check, declared body size) are part
// of the app here as in app/server.ts.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { request, type Server } from "node:http";
import express from "express";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import { canonicalApiPaths } from "./api-paths";
import { limitBodies, refuseMalformedPaths } from "./express-guards";
import { originCheck } from "./security";
import { MAX_BODY_BYTES } from "./json-limits";
import { restFastPath } from "./rest-fast-path";
import * as defaultServerRoute from "@/app/api/users/[name]/server/route";
import * as namedServerRoute from "@/app/api/users/[name]/servers/[server]/route";

let hub: TestHub;
let server: Server;
let base: string;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
let aliceCookie: string;
let aliceCsrf: string;
/** a CSRF token of another session (bob's): a valid token, not alice's */
let bobCsrf: string;

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { hub: { publicUrl: "https://hub.example.org", slowStopTimeoutSeconds: 0 } } });
  const admin = await hub.addUser("root1", true);
  for (const name of ["alice", "bob"]) ids[name] = (await hub.addUser(name)).id;
  tokens.admin = (await createApiToken(hub.db, admin.id, {})).token;
  tokens.alice = (await createApiToken(hub.db, ids.alice, {})).token;
  tokens.readServers = (await createApiToken(hub.db, admin.id, { scopes: ["read:servers"] })).token;
  tokens.servers = (await createApiToken(hub.db, admin.id, { scopes: ["servers"] })).token;
  const session = await createSession(hub.db, ids.alice, 3600, "test", new Date());
  aliceCsrf = session.csrf;
  aliceCookie = buildSessionCookie({
    sid: session.id,
    user: "alice",
    userId: ids.alice,
    expiresAt: session.expiresAt,
    key: hub.rt.keys.sessionCookie,
    secure: true,
  }).split(";")[0];
  bobCsrf = (await createSession(hub.db, ids.bob, 3600, "test", new Date())).csrf;

  // the order of app/server.ts
  const app = express();
  app.use(refuseMalformedPaths);
  app.use(limitBodies(MAX_BODY_BYTES));
  app.use(originCheck(hub.rt.origins));
  app.use(canonicalApiPaths);
  app.use(restFastPath);
  // what reaches here would have gone on to Next
  app.use((req, res) => res.status(599).json({ passedOn: `${req.method} ${req.url}` }));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await hub.close();
});

/** Each test starts from: bob's default server running, his "gpu" stopped; alice has no server. */
async function resetServers(): Promise<void> {
  await hub.db.server.deleteMany({});
  await hub.db.server.create({ data: { userId: ids.bob, name: "", state: "running", spawnerKind: "local", url: "http://127.0.0.1:1/" } });
  await hub.db.server.create({ data: { userId: ids.bob, name: "gpu", state: "stopped", spawnerKind: "local" } });
}
beforeEach(resetServers);

/** The rows a request may change, without what differs by construction (ids, times, spawn ids). */
async function serverRows() {
  const rows = await hub.db.server.findMany({ include: { user: { select: { name: true } }, events: { select: { progress: true, message: true } } } });
  return rows
    .map((r) => ({ user: r.user.name, name: r.name, state: r.state, message: r.message, remove: r.removeWhenStopped, options: r.options, events: r.events }))
    .sort((a, b) => `${a.user}/${a.name}`.localeCompare(`${b.user}/${b.name}`));
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request over HTTP with exactly these headers (fetch would replace Host); `chunked`: no Content-Length. */
function send(method: string, path: string, headers: Record<string, string | string[]>, body?: string | Buffer, chunked = false) {
  return new Promise<Answer>((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && !chunked && h["content-length"] === undefined) h["content-length"] = String(Buffer.byteLength(body));
    // Node's client frames a DELETE's body only when asked to (it sends no chunked body by default for DELETE)
    if (body !== undefined && chunked) h["transfer-encoding"] = "chunked";
    const req = request(`${base}${path}`, { method, headers: h, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body: text }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

interface Who {
  token?: string;
  cookie?: string;
  csrf?: string;
  origin?: string;
}

function headersFor(who: Who): Record<string, string> {
  const h: Record<string, string> = { host: "hub.example.org", "x-forwarded-proto": "https" };
  if (who.token) h.authorization = `token ${who.token}`;
  if (who.cookie) h.cookie = who.cookie;
  if (who.csrf) h["x-gyre-csrf"] = who.csrf;
  if (who.origin) h.origin = who.origin;
  return h;
}

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

/**
 * The same request through the fast path (over HTTP) and through the route handler as Next calls
 * it, each from the starting state: equal status, body, and every header the handler sets; the
 * same rows after. Returns the fast path's answer.
 */
async function assertSame<P>(
  handler: Handler<P>,
  method: string,
  path: string,
  params: P,
  who: Who,
  status: number,
  body?: string | Buffer,
  opts: { chunked?: boolean; headers?: Record<string, string | string[]> } = {},
): Promise<Answer> {
  const headers = { ...headersFor(who), ...opts.headers };
  await resetServers();
  const fast = await send(method, path, headers, body, opts.chunked);
  const fastRows = await serverRows();
  await resetServers();
  // repeated header lines as Node's parser hands them to Next (Headers.append joins them)
  const webHeaders = new Headers();
  for (const [key, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) webHeaders.append(key, v);
  if (body !== undefined && !opts.chunked && !webHeaders.has("content-length")) webHeaders.set("content-length", String(Buffer.byteLength(body)));
  const viaNext = await handler(
    new Request(`http://127.0.0.1:8081${path.replace(/^\/hub/, "")}`, {
      method,
      headers: webHeaders,
      body: typeof body === "string" ? body : body && new Uint8Array(body),
    }),
    {
      params: Promise.resolve(params),
    },
  );
  const nextBody = await viaNext.text();
  assert.equal(fast.status, status, `${method} ${path}: ${fast.body}`);
  assert.equal(viaNext.status, fast.status, `${method} ${path}: ${nextBody}`);
  assert.equal(fast.body, nextBody, `${method} ${path}`);
  viaNext.headers.forEach((value, key) => assert.equal(fast.headers[key], value, `${method} ${path}: header ${key}`));
  assert.deepEqual(fastRows, await serverRows(), `${method} ${path}: rows`);
  return fast;
}

const DEFAULT = defaultServerRoute;
const NAMED = namedServerRoute;

describe("POST …/server(s) on the fast path", () => {
  test("starts as the route does: the default server (body {}, none, …/servers/), a named one, the user's own by token and by cookie with CSRF", async () => {
    const a = await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", { name: "alice" }, { token: tokens.admin }, 202, "{}");
    assert.deepEqual(JSON.parse(a.body), { status: "pending", url: "/user/alice/", progress_url: "/hub/api/users/alice/server/progress" });
    assert.match(a.headers["cache-control"], /no-store/);
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", { name: "alice" }, { token: tokens.admin }, 202);
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/servers/", { name: "alice" }, { token: tokens.admin }, 202, "{}");
    await assertSame(NAMED.POST, "POST", "/hub/api/users/bob/servers/gpu", { name: "bob", server: "gpu" }, { token: tokens.admin }, 202, "{}");
    await assertSame(NAMED.POST, "POST", "/hub/api/users/alice/servers/new1", { name: "alice", server: "new1" }, { token: tokens.alice }, 202, "{}");
    await assertSame(NAMED.POST, "POST", "/hub/api/users/BOB/servers/GPU", { name: "BOB", server: "GPU" }, { token: tokens.servers }, 202, "{}");
    await assertSame(
      DEFAULT.POST,
      "POST",
      "/hub/api/users/alice/server",
      { name: "alice" },
      { cookie: aliceCookie, csrf: aliceCsrf, origin: "https://hub.example.org" },
      202,
      "{}",
    );
  });

  test("refuses as the route does: running 400, no credentials 401, wrong scope / another's server / bad token / no CSRF 403, unknown user 404, bad body or name 400, oversized 413", async () => {
    const bob = { name: "bob" };
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, "{}");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/bob/server", bob, { origin: "https://hub.example.org" }, 401, "{}");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/bob/server", bob, { token: "not-a-token" }, 403, "{}");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/bob/server", bob, { token: tokens.readServers }, 403, "{}");
    await assertSame(NAMED.POST, "POST", "/hub/api/users/bob/servers/gpu", { name: "bob", server: "gpu" }, { token: tokens.alice }, 403, "{}");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/nobody/server", { name: "nobody" }, { token: tokens.alice }, 403, "{}");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/nobody/server", { name: "nobody" }, { token: tokens.admin }, 404, "{}");
    await assertSame(
      DEFAULT.POST,
      "POST",
      "/hub/api/users/alice/server",
      { name: "alice" },
      { cookie: aliceCookie, origin: "https://hub.example.org" },
      403,
      "{}",
    );
    await assertSame(
      DEFAULT.POST,
      "POST",
      "/hub/api/users/alice/server",
      { name: "alice" },
      { cookie: aliceCookie, csrf: "wrong", origin: "https://hub.example.org" },
      403,
      "{}",
    );
    const alice = { name: "alice" };
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", alice, { token: tokens.admin }, 400, "{not json");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", alice, { token: tokens.admin }, 400, "[1]");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", alice, { token: tokens.admin }, 400, "[".repeat(40) + "]".repeat(40));
    await assertSame(NAMED.POST, "POST", "/hub/api/users/alice/servers/a%20b", { name: "alice", server: "a b" }, { token: tokens.admin }, 400, "{}");
    const big = JSON.stringify({ pad: "x".repeat(MAX_BODY_BYTES) });
    const tooLarge = await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", alice, { token: tokens.admin }, 413, big, { chunked: true });
    assert.match(tooLarge.body, /larger than/);
  });
});

describe("DELETE …/server(s) on the fast path", () => {
  test('stops as the route does: a running server 202 (hub.slowStopTimeoutSeconds 0), a stopped one 204, {"remove": true} of a named server, by cookie with CSRF', async () => {
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", { name: "bob" }, { token: tokens.admin }, 202);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/servers/", { name: "bob" }, { token: tokens.servers }, 202, "{}");
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/alice/server", { name: "alice" }, { token: tokens.alice }, 204);
    await assertSame(NAMED.DELETE, "DELETE", "/hub/api/users/bob/servers/gpu", { name: "bob", server: "gpu" }, { token: tokens.admin }, 204);
    await assertSame(
      NAMED.DELETE,
      "DELETE",
      "/hub/api/users/bob/servers/gpu",
      { name: "bob", server: "gpu" },
      { token: tokens.admin },
      204,
      '{"remove": true}',
    );
    await assertSame(
      DEFAULT.DELETE,
      "DELETE",
      "/hub/api/users/alice/server",
      { name: "alice" },
      { cookie: aliceCookie, csrf: aliceCsrf, origin: "https://hub.example.org" },
      204,
    );
  });

  test('a running named server with {"remove": true} is marked to go once stopped, as through the route', async () => {
    const bob = ids.bob;
    const setUp = () => hub.db.server.updateMany({ where: { userId: bob, name: "gpu" }, data: { state: "running" } });
    await resetServers();
    await setUp();
    const fast = await send("DELETE", "/hub/api/users/bob/servers/gpu", headersFor({ token: tokens.admin }), '{"remove": true}');
    const fastRows = await serverRows();
    await resetServers();
    await setUp();
    const viaNext = await NAMED.DELETE(
      new Request("http://127.0.0.1:8081/api/users/bob/servers/gpu", {
        method: "DELETE",
        headers: headersFor({ token: tokens.admin }),
        body: '{"remove": true}',
      }),
      { params: Promise.resolve({ name: "bob", server: "gpu" }) },
    );
    assert.deepEqual([fast.status, fast.body], [viaNext.status, await viaNext.text()]);
    assert.equal(fast.status, 202);
    assert.deepEqual(fastRows, await serverRows());
    assert.deepEqual(
      fastRows.find((r) => r.name === "gpu"),
      { user: "bob", name: "gpu", state: "stopping", message: null, remove: true, options: "{}", events: [] },
    );
  });

  test("refuses as the route does: no credentials 401, wrong scope / another's server / no CSRF 403, unknown named server or user 404, bad body 400, removing the default 400", async () => {
    const bob = { name: "bob" };
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { origin: "https://hub.example.org" }, 401);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.readServers }, 403);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.alice }, 403);
    await assertSame(
      NAMED.DELETE,
      "DELETE",
      "/hub/api/users/bob/servers/gpu",
      { name: "bob", server: "gpu" },
      { token: tokens.alice },
      403,
      '{"remove": true}',
    );
    await assertSame(
      DEFAULT.DELETE,
      "DELETE",
      "/hub/api/users/alice/server",
      { name: "alice" },
      { cookie: aliceCookie, origin: "https://hub.example.org" },
      403,
    );
    await assertSame(NAMED.DELETE, "DELETE", "/hub/api/users/bob/servers/nope", { name: "bob", server: "nope" }, { token: tokens.admin }, 404);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/nobody/server", { name: "nobody" }, { token: tokens.admin }, 404);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, '{"remove": true}');
    await assertSame(
      NAMED.DELETE,
      "DELETE",
      "/hub/api/users/bob/servers/gpu",
      { name: "bob", server: "gpu" },
      { token: tokens.admin },
      400,
      '{"remove": "yes"}',
    );
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, "nope");
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, "null");
  });
});

describe("bodies and credentials read by the fast path as by readJson and authenticate", () => {
  const alice = { name: "alice" };
  const bob = { name: "bob" };
  const site = "https://hub.example.org";

  test("a DELETE's body: oversized (chunked) 413, malformed, too deep, not an object 400, and refusals of who asks come before the body's", async () => {
    const big = JSON.stringify({ remove: false, pad: "x".repeat(MAX_BODY_BYTES) });
    const tooLarge = await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 413, big, { chunked: true });
    assert.match(tooLarge.body, /larger than/);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, "{not json");
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, "[".repeat(40) + "]".repeat(40));
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, "[]");
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, '"remove"');
    // who asks is refused first, whatever the body: no credentials 401, another's server 403
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { origin: site }, 401, big, { chunked: true });
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.alice }, 403, "{not json");
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/bob/server", bob, { token: tokens.alice }, 403, big, { chunked: true });
    await assertSame(NAMED.POST, "POST", "/hub/api/users/alice/servers/a%20b", { name: "alice", server: "a b" }, { token: tokens.admin }, 400, "{not json");
  });

  test("bytes decoded as the route's TextDecoder does: a UTF-8 byte-order mark dropped, bad sequences replaced, whitespace only as no body", async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"remove": false}')]);
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 202, bom);
    await assertSame(
      DEFAULT.POST,
      "POST",
      "/hub/api/users/alice/server",
      alice,
      { token: tokens.admin },
      202,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]),
    );
    // invalid bytes inside a string: U+FFFD each, kept in the stored options alike (the rows are compared)
    const bad = Buffer.concat([Buffer.from('{"note": "a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}')]);
    await assertSame(DEFAULT.POST, "POST", "/hub/api/users/alice/server", alice, { token: tokens.admin }, 202, bad);
    const stored = (await hub.db.server.findFirst({ where: { userId: ids.alice, name: "" } }))?.options;
    assert.equal(stored, JSON.stringify({ note: "a\uFFFD\uFFFDb" }));
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 400, Buffer.from([0xff, 0xfe, 0x7b, 0x7d]));
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin }, 202, " \r\n\t ");
  });

  test("a cookie's state change needs its own session's CSRF token, sent once: wrong, another session's, repeated or on another's server is refused and changes nothing", async () => {
    const cookie = { cookie: aliceCookie, origin: site };
    for (const [handler, method] of [
      [DEFAULT.POST, "POST"],
      [DEFAULT.DELETE, "DELETE"],
    ] as const) {
      const path = "/hub/api/users/alice/server";
      const r = await assertSame(handler, method, path, alice, { ...cookie, csrf: "wrong" }, 403, "{}");
      assert.match(r.body, /CSRF/);
      await assertSame(handler, method, path, alice, { ...cookie, csrf: bobCsrf }, 403, "{}");
      await assertSame(
        handler,
        method,
        path,
        alice,
        { ...cookie, csrf: aliceCsrf.toUpperCase() === aliceCsrf ? aliceCsrf.toLowerCase() : aliceCsrf.toUpperCase() },
        403,
        "{}",
      );
      // two header lines are one value joined with ", " on both paths: not the token
      await assertSame(handler, method, path, alice, cookie, 403, "{}", { headers: { "x-gyre-csrf": [aliceCsrf, aliceCsrf] } });
      // the header's name in any case is the same header
      await assertSame(handler, method, path, alice, cookie, method === "POST" ? 202 : 204, "{}", { headers: { "X-Gyre-CSRF": aliceCsrf } });
    }
    // alice's own session with the right token on bob's server
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { ...cookie, csrf: aliceCsrf }, 403, "{}");
    await assertSame(NAMED.POST, "POST", "/hub/api/users/bob/servers/gpu", { name: "bob", server: "gpu" }, { ...cookie, csrf: aliceCsrf }, 403, "{}");
  });

  test("tokens as authenticate reads them: Bearer or token in any case; a repeated Authorization line is no token (then the cookie counts); a token wins over a cookie", async () => {
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, {}, 202, undefined, { headers: { Authorization: `Bearer ${tokens.admin}` } });
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, {}, 202, undefined, { headers: { AUTHORIZATION: `TOKEN ${tokens.admin}` } });
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { origin: site }, 401, undefined, {
      headers: { authorization: [`token ${tokens.admin}`, `token ${tokens.admin}`] },
    });
    // alice's token with her cookie and CSRF beside it is still only alice: not bob's server
    await assertSame(
      DEFAULT.DELETE,
      "DELETE",
      "/hub/api/users/bob/server",
      bob,
      { token: tokens.alice, cookie: aliceCookie, csrf: aliceCsrf, origin: site },
      403,
    );
    // a token needs no CSRF token even with a cookie beside it
    await assertSame(DEFAULT.DELETE, "DELETE", "/hub/api/users/bob/server", bob, { token: tokens.admin, cookie: aliceCookie, origin: site }, 202);
  });
});

describe("what the Express entry refuses before either path", () => {
  test("a cookie-authenticated start or stop from another Origin (or with neither Origin nor Referer) is refused and changes nothing", async () => {
    const before = await serverRows();
    for (const [method, path] of [
      ["POST", "/hub/api/users/alice/server"],
      ["DELETE", "/hub/api/users/bob/server"],
    ]) {
      for (const origin of ["https://evil.example.org", undefined]) {
        const res = await send(method, path, headersFor({ cookie: aliceCookie, csrf: aliceCsrf, origin }), "{}");
        assert.equal(res.status, 403, `${method} ${path} from ${origin}`);
        assert.match((JSON.parse(res.body) as { message: string }).message, /Cross-site request refused/);
      }
    }
    assert.deepEqual(await serverRows(), before);
  });

  test("a declared body over the limit is a 413 before anything is read", async () => {
    const res = await send(
      "POST",
      "/hub/api/users/alice/server",
      { ...headersFor({ token: tokens.admin }), "content-length": String(MAX_BODY_BYTES + 1) },
      "{}",
    );
    assert.equal(res.status, 413);
    assert.equal((await serverRows()).length, 2);
  });
});

test("other methods and paths go on to Next", async () => {
  for (const [method, path] of [
    ["GET", "/hub/api/users/bob/server"],
    ["PUT", "/hub/api/users/bob/server"],
    ["POST", "/hub/api/users/bob/server/progress"],
    ["POST", "/hub/api/users/bob/servers/gpu/progress"],
    ["POST", "/hub/api/users/bob/servers"],
    ["POST", "/hub/api/users/bob/tokens"],
    ["DELETE", "/hub/api/users/bob"],
    ["POST", "/hub/api/users/bob/serverx"],
  ]) {
    const res = await send(method, path, headersFor({ token: tokens.admin }), method === "GET" ? undefined : "{}");
    assert.equal(res.status, 599, `${method} ${path}: ${res.body}`);
  }
});
