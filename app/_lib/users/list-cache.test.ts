// The users list's answer cache (list-cache.ts, queries.ts listUsersJsonCached) through GET
// /hub/api/users' own function (rest-reads.ts listUsersAnswer) on a real SQLite database: a hit
// is byte for byte the answer computed without the cache; every kind of change that alters an
// answer — through Prisma (the hub's writes), the worker's connection, another connection, another
// process — is seen by the next request; a token that is not "inherit" never gets a cached answer;
// refusals come first, hit or not; other parameters never share a page. Work is counted as the
// page statements the reader runs (SqlReads.arrays).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { adaptersSqlite } from "@/app/_lib/db/open";
import { readsOf } from "@/app/_lib/db/sql-reads";
import { writesOf } from "@/app/_lib/db/sql-writes";
import { JsonText, answerText, listAnswer, parseUserListQuery, wantsPagination } from "@/app/_lib/http/list-query";
import { serverDescriber } from "@/app/_lib/servers/details";
import { listUsersAnswer } from "./rest-reads";
import { listUsersJson } from "./queries";
import { UserListCache, listingKey } from "./list-cache";

let hub: TestHub;
let file: string;
const tokens: Record<string, string> = {};
/** page statements the reader ran (each computed page runs one) */
let pageStatements = 0;

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { hub: { publicUrl: "https://hub.example.org" } } });
  file = join(hub.dir, "gyre.db");
  const admin = await hub.addUser("root1", true);
  for (let i = 0; i < 30; i++) await hub.addUser(`user${String(i).padStart(2, "0")}`);
  const bob = await hub.addUser("bob");
  await hub.db.server.create({ data: { userId: bob.id, name: "", state: "running", spawnerKind: "local", url: "http://127.0.0.1:1/" } });
  await hub.db.server.create({ data: { userId: bob.id, name: "gpu", state: "stopped", spawnerKind: "local" } });
  await hub.db.group.create({ data: { name: "climate", members: { create: [{ userId: bob.id }] } } });
  tokens.admin = (await createApiToken(hub.db, admin.id, {})).token;
  tokens.allFields = (await createApiToken(hub.db, admin.id, { scopes: ["list:users", "read:users", "read:servers", "read:roles:users"] })).token;
  tokens.names = (await createApiToken(hub.db, admin.id, { scopes: ["list:users", "read:users:name"] })).token;
  const reads = readsOf(hub.db);
  const arrays = reads.arrays.bind(reads);
  reads.arrays = (q) => {
    pageStatements++;
    return arrays(q);
  };
});
after(() => hub.close());

function request(query: string, token = tokens.admin, headers: Record<string, string> = {}): Request {
  return new Request(`http://localhost/api/users${query}`, { headers: { authorization: `token ${token}`, ...headers } });
}

/** The answer's bytes and content type, through listUsersAnswer (the cache). */
async function cached(query: string, token = tokens.admin, headers: Record<string, string> = {}) {
  const a = await listUsersAnswer(request(query, token, headers));
  return { text: answerText(a), type: a.contentType ?? "application/json" };
}

/** The same answer computed without any cache: listUsersJson and listAnswer, as before the cache. */
async function uncached(query: string, headers: Record<string, string> = {}) {
  const req = request(query, tokens.admin, headers);
  const { db, dbProvider, config, catalog, origins } = hub.rt;
  const q = parseUserListQuery(new URL(req.url).searchParams, wantsPagination(req.headers));
  const opts = { state: q.state, offset: q.offset, limit: q.limit, sort: q.sort, allServers: q.includeStoppedServers };
  const { total, items } = await listUsersJson(db, dbProvider, config.roles, {
    ...opts,
    publicUrl: config.hub.publicUrl,
    origins,
    describe: serverDescriber(catalog),
  });
  const a = listAnswer(req, { items: new JsonText(items), offset: q.offset, limit: q.limit, total });
  return { text: answerText(a), type: a.contentType ?? "application/json" };
}

/** The cached answer equals the uncached one; how many page statements it ran. */
async function same(query: string, headers: Record<string, string> = {}): Promise<{ text: string; statements: number }> {
  const before = pageStatements;
  const got = await cached(query, tokens.admin, headers);
  const statements = pageStatements - before;
  assert.deepEqual(got, await uncached(query, headers), `GET /hub/api/users${query}`);
  return { text: got.text, statements };
}

async function userId(name: string): Promise<number> {
  return (await hub.db.user.findUniqueOrThrow({ where: { name } })).id;
}

describe("the users list's cache", () => {
  beforeEach(async () => {
    // no change pending from the test before: the next request computes, the one after hits
    await cached("?limit=10");
  });

  test("a hit runs no page statement and answers byte for byte as without the cache; pages at other offsets are slices of the pages seen", async () => {
    const first = await same("?offset=0&limit=20");
    const again = await same("?offset=0&limit=20");
    assert.equal(again.statements, 0, "served from the cache");
    assert.equal(again.text, first.text);
    assert.equal((await same("?offset=5&limit=10")).statements, 0, "inside the page already seen");
    assert.equal((await same("?offset=15&limit=10")).statements, 1, "past it: computed");
    assert.equal((await same("?offset=12&limit=13")).statements, 0, "now filled");
    assert.equal((await same("?offset=25&limit=200")).statements, 1);
    assert.equal((await same("?offset=0&limit=200")).statements, 0, "every position filled");
    assert.equal((await same("?offset=500&limit=10")).statements, 0, "past the end: [] with the total");
    assert.equal((await same("?offset=500&limit=10")).text, "[]");
  });

  test("every kind of change that alters an answer is seen by the next request", async () => {
    const bob = await userId("bob");
    const u3 = await userId("user03");
    // each write a new value (SQLite writes nothing, and data_version stays, when a row is set to what it holds)
    let writes = 0;
    const changes: [string, () => Promise<unknown>][] = [
      ["a user created", () => hub.db.user.create({ data: { name: "newcomer" } })],
      ["a user renamed", () => hub.db.user.update({ where: { name: "newcomer" }, data: { name: "renamed" } })],
      ["a user made admin", () => hub.db.user.update({ where: { name: "renamed" }, data: { admin: true } })],
      ["a user's last activity", () => hub.db.user.update({ where: { id: u3 }, data: { lastActivity: new Date(Date.UTC(2026, 11, 5, 6, 0, 0, 1)) } })],
      ["a user deleted", () => hub.db.user.delete({ where: { name: "renamed" } })],
      ["a server started", () => hub.db.server.create({ data: { userId: u3, name: "", state: "pending", spawnerKind: "local", message: "starting" } })],
      [
        "a server ready",
        () => hub.db.server.updateMany({ where: { userId: u3, name: "" }, data: { state: "running", url: "http://127.0.0.1:2/", startedAt: new Date() } }),
      ],
      [
        "a server's last activity",
        () => hub.db.server.updateMany({ where: { userId: u3, name: "" }, data: { lastActivity: new Date(Date.UTC(2026, 11, 5, 6, 1)) } }),
      ],
      ["a server stopping", () => hub.db.server.updateMany({ where: { userId: u3, name: "" }, data: { state: "stopping" } })],
      ["a server stopped", () => hub.db.server.updateMany({ where: { userId: u3, name: "" }, data: { state: "stopped", url: null } })],
      ["a named server started", () => hub.db.server.create({ data: { userId: u3, name: "x", state: "pending", spawnerKind: "local" } })],
      ["a server removed", () => hub.db.server.deleteMany({ where: { userId: u3, name: "x" } })],
      ["a group joined", async () => hub.db.group.create({ data: { name: "ocean", members: { create: [{ userId: u3 }] } } })],
      ["a group renamed", () => hub.db.group.update({ where: { name: "ocean" }, data: { name: "sea" } })],
      ["a group left", () => hub.db.groupMember.deleteMany({ where: { userId: u3 } })],
      ["a group membership of a user with servers", async () => hub.db.groupMember.deleteMany({ where: { userId: bob } })],
      [
        "a write on the worker's connection (sql-writes)",
        async () => {
          const r = await writesOf(hub.db).run({
            sql: `UPDATE "Server" SET "message" = ? WHERE "userId" = ? AND "name" = ''`,
            params: [`from the worker ${++writes}`, bob],
          });
          assert.equal(r.changes, 1);
        },
      ],
      [
        "a write by another connection of this process",
        async () => {
          const c = new (adaptersSqlite())(file);
          c.pragma("busy_timeout = 5000");
          c.prepare(`UPDATE "User" SET "name" = ? WHERE "name" LIKE 'user04%'`).run(`user04-elsewhere${++writes}`);
          c.close();
        },
      ],
      [
        "a write by another process",
        async () => {
          const here = createRequire(import.meta.url);
          const driver = createRequire(here.resolve("@prisma/adapter-better-sqlite3")).resolve("better-sqlite3");
          const script = `const D = require(${JSON.stringify(driver)}); const c = new D(${JSON.stringify(file)}); c.pragma("busy_timeout = 5000"); c.prepare('UPDATE "User" SET "admin" = 1 - "admin" WHERE "name" = ?').run("user05"); c.close();`;
          execFileSync(process.execPath, ["-e", script]);
        },
      ],
    ];
    for (const query of ["?limit=200", "?include_stopped_servers&sort=-last_activity&limit=200"]) {
      let previous = (await same(query)).text;
      assert.equal((await same(query)).statements, 0);
      // the include_stopped_servers ordering sees the changes by other connections and processes
      for (const [what, change] of changes.filter((_, i) => query === "?limit=200" || i >= changes.length - 3)) {
        await change();
        const now = await same(query);
        assert.equal(now.statements, 1, `${what}: computed again`);
        assert.notEqual(now.text, previous, `${what}: the answer changed`);
        assert.equal((await same(query)).statements, 0, `${what}: then cached again`);
        previous = now.text;
      }
    }
  });

  test("a token without inherit is never served a cached answer; refusals come before the cache", async () => {
    await same("?limit=200");
    assert.equal((await same("?limit=200")).statements, 0);
    for (const token of [tokens.allFields, tokens.names]) {
      const before = pageStatements;
      const text = (await cached("?limit=200", token)).text;
      assert.equal(pageStatements - before, 1, "computed for the narrower token");
      if (token === tokens.names) assert.ok(!text.includes('"servers"'), "names only, not the cached inherit answer");
    }
    // a revoked token and a demoted admin are refused at once, with the answer still cached
    const admin2 = await hub.db.user.create({ data: { name: "admin2", admin: true } });
    const t2 = await createApiToken(hub.db, admin2.id, {});
    await cached("?limit=200", t2.token);
    assert.equal((await same("?limit=200")).statements, 0);
    await hub.db.user.update({ where: { id: admin2.id }, data: { admin: false } });
    await assert.rejects(listUsersAnswer(request("?limit=200", t2.token)), (e: { status?: number }) => e.status === 403);
    await hub.db.user.update({ where: { id: admin2.id }, data: { admin: true } });
    await cached("?limit=200", t2.token);
    await hub.db.apiToken.update({ where: { id: t2.row.id }, data: { revokedAt: new Date() } });
    await assert.rejects(listUsersAnswer(request("?limit=200", t2.token)), (e: { status?: number }) => e.status === 403 || e.status === 401);
    await assert.rejects(
      listUsersAnswer(new Request("http://localhost/api/users?limit=200")),
      (e: { status?: number }) => e.status === 401 || e.status === 403,
    );
  });

  test("other parameters never share a page: state, sort, include_stopped_servers, offset, limit, the pagination form and its next URL", async () => {
    const queries = [
      "?limit=200",
      "?limit=7",
      "?offset=1&limit=7",
      "?state=ready&limit=200",
      "?state=active&limit=200",
      "?state=inactive&limit=200",
      "?sort=name&limit=200",
      "?sort=-name&limit=200",
      "?sort=-id&limit=200",
      "?sort=last_activity&limit=200",
      "?include_stopped_servers&limit=200",
      "?include_stopped_servers=0&limit=200",
    ];
    const texts = new Map<string, string>();
    // each ordering right after it was computed (more orderings than the cache holds: LIST_CACHE_LIMITS)
    for (const q of queries) {
      texts.set(`0${q}`, (await same(q)).text);
      const again = await same(q);
      assert.equal(again.statements, 0, `${q}: cached`);
      texts.set(`1${q}`, again.text);
    }
    for (const q of queries) assert.equal(texts.get(`0${q}`), texts.get(`1${q}`));
    assert.notEqual(texts.get("0?limit=200"), texts.get("0?include_stopped_servers&limit=200"));
    assert.notEqual(texts.get("0?limit=200"), texts.get("0?sort=-id&limit=200"));
    assert.notEqual(texts.get("0?state=ready&limit=200"), texts.get("0?state=inactive&limit=200"));
    // the paginated form: its own default limit, and the next URL on each request's own origin
    const paged = { accept: "application/jupyterhub-pagination+json" };
    const a = await same("?offset=2&limit=5", { ...paged, host: "a.example.org" });
    const b = await same("?offset=2&limit=5", { ...paged, host: "b.example.org", "x-forwarded-proto": "https" });
    assert.equal(b.statements, 0);
    assert.match(a.text, /"next":\{"offset":7,"limit":5,"url":"http:\/\/a\.example\.org\/hub\/api\/users\?offset=7&limit=5"\}/);
    assert.match(b.text, /"url":"https:\/\/b\.example\.org\/hub\/api\/users\?offset=7&limit=5"/);
    const plainDefault = JSON.parse((await same("")).text) as unknown[];
    const pagedDefault = JSON.parse((await same("", paged)).text) as { items: unknown[] };
    assert.equal(pagedDefault.items.length, Math.min(50, plainDefault.length), "50 by default when paginated, 200 otherwise");
    assert.ok(plainDefault.length > 30);
  });

  test("a page whose statements straddle a commit is this request's answer; the next request computes again", async () => {
    await hub.db.user.update({ where: { name: "user07" }, data: { admin: true } });
    const reads = readsOf(hub.db);
    const arrays = reads.arrays.bind(reads);
    const counted = reads.arrays.bind(reads);
    let wrote = false;
    // a commit by another connection lands between the version's read and the page's statement
    reads.arrays = (q) => {
      if (!wrote) {
        wrote = true;
        const c = new (adaptersSqlite())(file);
        c.pragma("busy_timeout = 5000");
        c.prepare(`UPDATE "User" SET "admin" = 1 WHERE "name" = 'user06'`).run();
        c.close();
      }
      return arrays(q);
    };
    try {
      const text = (await cached("?limit=200")).text;
      assert.ok(text.includes('"name":"user06","admin":true'), "the answer shows the commit");
    } finally {
      reads.arrays = counted;
    }
    assert.equal((await same("?limit=200")).statements, 1, "not kept under the version read before the commit");
    assert.equal((await same("?limit=200")).statements, 0);
  });
});

describe("UserListCache (pure)", () => {
  const key = listingKey({ sort: { field: "id", descending: false }, allServers: false });
  const users = (from: number, n: number) => Array.from({ length: n }, (_, i) => `{"name":"u${from + i}"}`);

  test("a page is served only at its version and when every position is held", () => {
    const c = new UserListCache();
    c.store(7, key, 0, users(0, 10), 25);
    assert.deepEqual(c.page(7, key, 2, 3), { total: 25, items: `[${users(2, 3).join(",")}]` });
    assert.equal(c.page(8, key, 2, 3), null, "another version");
    assert.equal(c.page(7, key, 8, 5), null, "positions 10–12 not held");
    assert.equal(c.page(7, listingKey({ sort: { field: "id", descending: true }, allServers: false }), 0, 3), null, "another ordering");
    assert.deepEqual(c.page(7, key, 30, 5), { total: 25, items: "[]" });
    c.store(8, key, 0, users(0, 2), 25);
    assert.equal(c.page(7, key, 0, 1), null);
    assert.deepEqual(c.size(), { listings: 1, chars: users(0, 2).join("").length }, "other versions dropped");
  });

  test("bounded: listings, users per listing and characters", () => {
    const c = new UserListCache({ listings: 2, users: 100, chars: 1000 });
    const k = (field: string) => listingKey({ sort: { field, descending: false }, allServers: false });
    c.store(1, k("id"), 0, users(0, 10), 10);
    c.store(1, k("name"), 0, users(0, 10), 10);
    c.store(1, k("last_activity"), 0, users(0, 10), 10);
    assert.equal(c.size().listings, 2);
    assert.equal(c.page(1, k("id"), 0, 1), null, "the least recently used went");
    c.store(1, k("id"), 0, users(0, 101), 101);
    assert.equal(c.page(1, k("id"), 0, 1), null, "more users than a listing holds: not kept");
    const big = new UserListCache({ listings: 4, users: 1000, chars: 1000 });
    big.store(1, k("id"), 0, users(0, 200), 200);
    assert.ok(big.size().chars <= 1000);
  });
});
