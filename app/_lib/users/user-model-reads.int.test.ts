// The REST API's SQL reads of user models (readUserModel, listUserModels) against the models
// Prisma builds from the same rows (getUserModel; findMany with servers and groups), on SQLite and
// a real PostgreSQL: the same JSON for every state filter, sort, page and include_stopped_servers.
// They run on the driver (app/_lib/db/sql-reads.ts), so the process's time zone is set far from
// UTC: PostgreSQL's zone-less timestamps must still read as Prisma wrote them (UTC). A filtered
// list scope's limit (names and groups' members) is checked on both, and the users list's cache
// with the database's version it is keyed by (sql-reads.ts dataVersion).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@/app/_lib/db/open";
import { applyMigrations } from "@/app/_lib/db/migrate";
import type { Db } from "@/app/_lib/db/types";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { checkPostgresVersion, readsOf } from "@/app/_lib/db/sql-reads";
import { createApiToken, findTokenOwner } from "@/app/_lib/auth/api-tokens";
import { getUserModel, listUserModels, listUsersJson, listUsersJsonCached, readUserModel } from "./queries";
import { UserListCache } from "./list-cache";
import { toUserModel, withUserRoles } from "./models";
import type { RoleConfig } from "@/config/roles-section";
import type { UserSort } from "@/app/_lib/http/list-query";

process.env.TZ = "Pacific/Auckland";

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "gyre-user-sql-"));
before(async () => {
  pg = await startTestPostgres(7697);
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(db: Db) {
  const t = (m: number) => new Date(Date.UTC(2026, 11, 3, 10, m, 0, 123));
  for (let i = 0; i < 12; i++) {
    const u = await db.user.create({
      data: { name: `u${String(i).padStart(2, "0")}`, admin: i === 0, lastActivity: i % 3 === 0 ? null : t(i), createdAt: t(30 - i) },
    });
    if (i % 4 === 1)
      await db.server.create({
        data: { userId: u.id, name: "", state: "running", url: "http://127.0.0.1:1", startedAt: t(i), lastActivity: t(i + 1), options: '{"cpus":2}' },
      });
    if (i % 4 === 2) await db.server.create({ data: { userId: u.id, name: "", state: "pending", message: "queued" } });
    if (i % 2 === 0) await db.server.create({ data: { userId: u.id, name: "gpu", state: "stopped", message: "stopped by admin" } });
    if (i === 5) await db.server.create({ data: { userId: u.id, name: "9", state: "stopping" } });
  }
  const a = await db.group.create({ data: { name: "zeta" } });
  const b = await db.group.create({ data: { name: "alpha" } });
  const ids = (await db.user.findMany({ orderBy: { id: "asc" } })).map((u) => u.id);
  await db.groupMember.createMany({
    data: [
      { userId: ids[1], groupId: a.id },
      { userId: ids[1], groupId: b.id },
      { userId: ids[4], groupId: b.id },
    ],
  });
}

/** The list as Prisma built it before the SQL (the reference). */
async function prismaList(db: Db, opts: { state?: "ready" | "active" | "inactive"; sort: UserSort; offset: number; limit: number; allServers: boolean }) {
  const active = { state: { in: ["pending", "starting", "running", "stopping"] } };
  const where =
    opts.state === "ready"
      ? { servers: { some: { state: "running" } } }
      : opts.state === "active"
        ? { servers: { some: active } }
        : opts.state === "inactive"
          ? { servers: { none: active } }
          : {};
  const dir = opts.sort.descending ? ("desc" as const) : ("asc" as const);
  const orderBy =
    opts.sort.field === "last_activity"
      ? [{ lastActivity: { sort: dir, nulls: "last" as const } }, { id: "asc" as const }]
      : opts.sort.field === "name"
        ? [{ name: dir }]
        : [{ id: dir }];
  const [total, rows] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({
      where,
      orderBy,
      skip: opts.offset,
      take: opts.limit,
      include: { servers: { orderBy: { name: "asc" } }, groups: { include: { group: true }, orderBy: { groupId: "asc" } } },
    }),
  ]);
  return { total, items: rows.map((u) => toUserModel(u, { allServers: opts.allServers, publicUrl: "https://hub.example.org" })) };
}

/** configured roles by name and by group (the users list's JSON text lists them as the models do) */
const ROLES = [
  { name: "teacher", description: "", scopes: ["admin:users"], users: ["u02"], groups: [], services: [] },
  { name: "swimmer", description: "", scopes: ["read:users"], users: [], groups: ["alpha"], services: [] },
] as RoleConfig[];

for (const provider of ["sqlite", "postgres"] as const) {
  describe(`user models in SQL on ${provider}`, () => {
    let db: Db;
    let dialect: "sqlite" | "postgres";
    before(async () => {
      const opened = await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url);
      db = opened.db;
      dialect = opened.provider;
      await applyMigrations(db, dialect, process.cwd());
      await seed(db);
    });
    after(async () => db?.$disconnect());

    test("one user: the same model as Prisma's, with and without stopped servers; 404 for an unknown name", async () => {
      for (const name of ["u00", "u01", "u02", "u05"]) {
        for (const allServers of [false, true]) {
          const opts = { allServers, publicUrl: "https://hub.example.org" };
          assert.deepEqual(await readUserModel(db, dialect, name, opts), await getUserModel(db, name, opts), `${name} ${allServers}`);
        }
      }
      assert.deepEqual((await readUserModel(db, dialect, "u01")).groups, ["zeta", "alpha"]);
      assert.deepEqual(Object.keys((await readUserModel(db, dialect, "u05")).servers), ["9", ""]);
      await assert.rejects(readUserModel(db, dialect, "nobody"), { status: 404 });
      await assert.rejects(readUserModel(db, dialect, "u01' OR '1'='1"), { status: 404 });
    });

    test("times as Prisma gives them whatever their milliseconds (none, one digit, three), the year's first instant and a leap day", async () => {
      const times = ["2026-12-03T10:05:00.000Z", "2026-12-03T10:05:00.500Z", "2027-01-01T00:00:00.001Z", "2028-02-29T23:59:59.999Z"];
      const u = await db.user.create({ data: { name: "u-times", createdAt: new Date(times[0]), lastActivity: new Date(times[1]) } });
      await db.server.create({
        data: { userId: u.id, name: "", state: "running", url: "http://127.0.0.1:1", startedAt: new Date(times[2]), lastActivity: new Date(times[3]) },
      });
      try {
        const opts = { allServers: true, publicUrl: "https://hub.example.org" };
        const model = await readUserModel(db, dialect, "u-times", opts);
        assert.deepEqual(model, await getUserModel(db, "u-times", opts));
        assert.deepEqual([model.created, model.last_activity, model.servers[""].started, model.servers[""].last_activity], times);
      } finally {
        await db.user.delete({ where: { id: u.id } });
      }
    });

    test("pages of users: every filter, sort and page as Prisma's, totals included, past the end too", async () => {
      const sorts: UserSort[] = [
        { field: "id", descending: false },
        { field: "name", descending: true },
        { field: "last_activity", descending: false },
        { field: "last_activity", descending: true },
      ];
      let checked = 0;
      for (const state of [undefined, "ready", "active", "inactive"] as const)
        for (const sort of sorts)
          for (const [offset, limit] of [
            [0, 200],
            [2, 3],
            [50, 5],
          ])
            for (const allServers of [false, true]) {
              const opts = { state, sort, offset, limit, allServers };
              const got = await listUserModels(db, dialect, { ...opts, publicUrl: "https://hub.example.org" });
              assert.deepEqual(got, await prismaList(db, opts), JSON.stringify(opts));
              // the same page written as JSON text: the bytes JSON.stringify gives for the models with their roles
              const text = await listUsersJson(db, dialect, ROLES, { ...opts, publicUrl: "https://hub.example.org" });
              assert.equal(text.items, JSON.stringify(got.items.map((u) => withUserRoles(u, ROLES))), JSON.stringify(opts));
              assert.equal(text.total, got.total);
              checked++;
            }
      assert.equal(checked, 96);
      const ready = await listUserModels(db, dialect, { state: "ready", sort: sorts[0], offset: 0, limit: 200 });
      assert.deepEqual(
        ready.items.map((u) => u.name),
        ["u01", "u05", "u09"],
      );
      assert.equal((await listUserModels(db, dialect, { offset: 50, limit: 5 })).total, 12);
    });

    test("a filtered list scope's limit (list:users!user=…, !group=…): those users and the groups' members, with the state filter and pages", async () => {
      const names = async (only: { names: string[]; groups: string[] }, extra: { state?: "ready"; offset?: number; limit?: number } = {}) => {
        const r = await listUserModels(db, dialect, { only, offset: extra.offset ?? 0, limit: extra.limit ?? 200, state: extra.state });
        return { total: r.total, names: r.items.map((u) => u.name) };
      };
      assert.deepEqual(await names({ names: [], groups: ["alpha"] }), { total: 2, names: ["u01", "u04"] });
      assert.deepEqual(await names({ names: ["u07", "nobody"], groups: ["zeta"] }), { total: 2, names: ["u01", "u07"] });
      assert.deepEqual(await names({ names: [], groups: [] }), { total: 0, names: [] }, "no filter value: nobody");
      assert.deepEqual(await names({ names: ["u01' OR '1'='1"], groups: ["alpha') OR ('1'='1"] }), { total: 0, names: [] }, "values are parameters");
      assert.deepEqual(await names({ names: ["u05", "u06"], groups: ["alpha"] }, { state: "ready" }), { total: 2, names: ["u01", "u05"] });
      assert.deepEqual(await names({ names: ["u05"], groups: ["alpha"] }, { offset: 1, limit: 1 }), { total: 3, names: ["u04"] });
      assert.deepEqual(await names({ names: ["u05"], groups: ["alpha"] }, { offset: 10, limit: 1 }), { total: 3, names: [] }, "past the end");
    });

    test("the users list's cache: hits while nothing commits; a second replica's commit is seen at once, and so is the commit of a transaction already open when the page was kept", async () => {
      const reads = readsOf(db);
      let pages = 0;
      const arrays = reads.arrays.bind(reads);
      reads.arrays = (q) => {
        pages++;
        return arrays(q);
      };
      // another client of the same database: a second replica (PostgreSQL), another connection (SQLite)
      const other = (await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url)).db;
      try {
        const cache = new UserListCache();
        const opts = { sort: { field: "id", descending: false } as UserSort, offset: 0, limit: 200, publicUrl: "https://hub.example.org" };
        const plain = async () => listUsersJson(db, dialect, ROLES, opts);
        const cached = async () => {
          pages = 0;
          const answer = await listUsersJsonCached(db, dialect, ROLES, opts, cache);
          return { answer, computed: pages > 0 };
        };
        const first = await cached();
        assert.equal(first.computed, true);
        assert.deepEqual(first.answer, await plain());
        assert.deepEqual(await cached(), { answer: first.answer, computed: false }, "a hit");
        assert.deepEqual(await cached(), { answer: first.answer, computed: false }, "a hit again: reading changes no version");

        const u = await other.user.findUniqueOrThrow({ where: { name: "u03" } });
        await other.user.update({ where: { id: u.id }, data: { admin: !u.admin } });
        const after = await cached();
        assert.equal(after.computed, true, "a commit by the other client: computed again");
        assert.notDeepEqual(after.answer, first.answer);
        assert.deepEqual(after.answer, await plain());
        assert.deepEqual(await cached(), { answer: after.answer, computed: false });

        // a transaction that wrote but has not committed while the page is kept (a PostgreSQL
        // sequence would have moved already: the old rows would be kept under the new number)
        let wrote!: () => void;
        let commit!: () => void;
        const written = new Promise<void>((r) => (wrote = r));
        const committed = new Promise<void>((r) => (commit = r));
        const open = other.$transaction(
          async (tx) => {
            await tx.user.update({ where: { id: u.id }, data: { admin: u.admin } });
            wrote();
            await committed;
          },
          { timeout: 30_000 },
        );
        await written;
        // not a change yet on either: SQLite's data_version moves at the commit, PostgreSQL's snapshot
        // (xmax: one past the last transaction that ended) when the writer ends
        assert.deepEqual(await cached(), { answer: after.answer, computed: false }, "the open transaction's write: not seen, a hit");
        commit();
        await open;
        const seen = await cached();
        assert.equal(seen.computed, true, "its commit: computed again");
        assert.deepEqual(seen.answer, first.answer, "the write undone by the committed transaction");
        assert.deepEqual(seen.answer, await plain());
      } finally {
        reads.arrays = arrays;
        await other.$disconnect();
      }
    });

    test("the database's version: the same across reads, different after any commit, never one read before it again", async () => {
      const reads = readsOf(db);
      const seen = new Set<unknown>();
      const v0 = await reads.dataVersion();
      await reads.all({ sql: `SELECT COUNT(*) AS "n" FROM "User"`, params: [] });
      assert.equal(await reads.dataVersion(), v0, "a read changes nothing");
      seen.add(v0);
      const other = (await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url)).db;
      try {
        for (let i = 0; i < 5; i++) {
          await other.group.create({ data: { name: `version-${i}` } });
          const v = await reads.dataVersion();
          assert.equal(seen.has(v), false, `commit ${i}: a new version`);
          seen.add(v);
        }
        // the hub's own client (Prisma's connection, not the reader's) writes too
        await db.group.deleteMany({ where: { name: { startsWith: "version-" } } });
        assert.equal(seen.has(await reads.dataVersion()), false, "the hub's own commit");
      } finally {
        await other.$disconnect();
      }
    });

    if (provider === "postgres")
      test("this PostgreSQL server passes the hub's version check (the snapshot the list cache is keyed by needs 13 or later)", async () => {
        assert.equal(await checkPostgresVersion(db), null);
        const [{ num }] = await readsOf(db).all<{ num: string }>({ sql: `SELECT current_setting('server_version_num') AS "num"`, params: [] });
        assert.ok(Number(num) >= 130000, num);
      });

    test("the reads are prepared once per statement text, whatever the page's size", async () => {
      assert.equal(readsOf(db).dialect, dialect);
      await listUserModels(db, dialect, { offset: 0, limit: 200 });
      const prepared = readsOf(db).prepared();
      for (const [offset, limit] of [
        [0, 3],
        [1, 7],
        [4, 2],
      ])
        await listUserModels(db, dialect, { offset, limit });
      assert.equal(readsOf(db).prepared(), prepared, "pages of other sizes reuse the same statements");
    });

    test("the API token lookup on the driver: the owner of a valid token; nothing for a wrong, revoked or expired one", async () => {
      const owner = await db.user.findUniqueOrThrow({ where: { name: "u03" } });
      const now = new Date();
      const { token, row } = await createApiToken(db, owner.id, { scopes: ["read:users"], expiresAt: new Date(now.getTime() + 3_600_000) });
      const found = await findTokenOwner(db, token, now);
      assert.deepEqual(found && { user: found.user, scopes: found.scopes, tokenId: found.tokenId, expiresAt: found.expiresAt?.getTime() }, {
        user: { id: owner.id, name: "u03", admin: owner.admin },
        scopes: ["read:users"],
        tokenId: row.id,
        expiresAt: row.expiresAt!.getTime(),
      });
      assert.equal(await findTokenOwner(db, `${token.slice(0, 8)}${"x".repeat(token.length - 8)}`, now), null, "same prefix, wrong secret");
      assert.equal(await findTokenOwner(db, token, new Date(now.getTime() + 2 * 3_600_000)), null, "expired");
      await db.apiToken.update({ where: { id: row.id }, data: { revokedAt: now } });
      assert.equal(await findTokenOwner(db, token, now), null, "revoked");
    });
  });
}
