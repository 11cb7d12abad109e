// The start and stop requests' statements on the driver (request-sql.ts) against the Prisma calls
// they replaced, on SQLite and a real PostgreSQL: two identical servers, one changed through
// Prisma and one through the SQL, must end identical (ids and updatedAt aside), and every
// condition (the state a stop or removal expects) must match or miss alike. The process's time
// zone is far from UTC: timestamps written on the driver must read back as Prisma's do.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@/app/_lib/db/open";
import { applyMigrations } from "@/app/_lib/db/migrate";
import type { Db } from "@/app/_lib/db/types";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { writesOf, type SqlWrites } from "@/app/_lib/db/sql-writes";
import { readRows } from "@/app/_lib/db/sql-reads";
import { serverFromRow } from "./worker-sql";
import {
  buildRemoveInState,
  buildRemoveWhenStopped,
  buildRequestedEvent,
  buildRequestStartInsert,
  buildRequestStartUpdate,
  buildRequestStop,
  buildServerByNameQuery,
  buildServerStateQuery,
  buildUserIdQuery,
} from "./request-sql";

process.env.TZ = "Pacific/Auckland";

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "gyre-request-sql-"));
before(async () => {
  pg = await startTestPostgres(7684);
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const T = (m: number) => new Date(Date.UTC(2026, 11, 4, 9, m, 0, 321));

/** A row without the columns that differ between two identical rows (ids, Prisma's clock). */
function comparable<R extends object>(row: R | null, omit: string[] = ["id", "updatedAt", "userId", "serverId"]): Record<string, unknown> | null {
  if (!row) return null;
  return Object.fromEntries(Object.entries(row).filter(([k]) => !omit.includes(k)));
}

for (const provider of ["sqlite", "postgres"] as const) {
  describe(`the start and stop requests' SQL on ${provider}`, () => {
    let db: Db;
    let w: SqlWrites;
    let users = 0;
    let launchId: number;
    before(async () => {
      const opened = await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url);
      db = opened.db;
      await applyMigrations(db, opened.provider, process.cwd());
      w = writesOf(db);
      assert.equal(w.dialect, provider);
      const owner = await db.user.create({ data: { name: "launch-owner" } });
      const launch = {
        provider: "gh",
        repoUrl: "https://github.com/o/r",
        rawSpec: "o/r/HEAD",
        ref: "HEAD",
        commit: "c0ffee",
        serverName: "gpu",
        folder: "~/r",
      };
      launchId = (await db.launch.create({ data: { userId: owner.id, ...launch } })).id;
    });
    after(async () => db?.$disconnect());

    const newUser = () => db.user.create({ data: { name: `r${++users}` } });
    /** Two users with one identical server each (named `name`): [through Prisma, through SQL]. */
    async function twin(data: Record<string, unknown>, name = "") {
      const pair = [];
      for (let i = 0; i < 2; i++) {
        const u = await newUser();
        pair.push(await db.server.create({ data: { userId: u.id, name, ...data } }));
      }
      return pair as [(typeof pair)[0], (typeof pair)[0]];
    }
    const row = (id: number) => db.server.findUnique({ where: { id } });
    async function assertSame(a: number, b: number, what: string) {
      const [x, y] = [await row(a), await row(b)];
      assert.deepEqual(comparable(y), comparable(x), what);
      if (x && y) assert.ok(y.updatedAt.getTime() >= x.updatedAt.getTime() - 60_000, `${what}: updatedAt is set`);
    }
    const events = async (serverId: number) => (await db.spawnEvent.findMany({ where: { serverId }, orderBy: { id: "asc" } })).map((e) => comparable(e));

    test("reads: a user's id by name, a server by user and name, a server's state — as Prisma's findUnique", async () => {
      const [a] = await twin({ state: "running", spawnId: "s", requestedAt: T(1), startedAt: T(2), options: '{"x":1}', launchId, ownerReplica: "r" }, "gpu");
      const user = (await db.user.findUnique({ where: { id: a.userId } }))!;
      assert.deepEqual(await readRows(db, buildUserIdQuery(w.dialect, user.name)).then((r) => r.map((x) => Number((x as { id: number }).id))), [user.id]);
      assert.deepEqual(await readRows(db, buildUserIdQuery(w.dialect, "nobody' OR '1'='1")), []);
      const got = (await readRows<Record<string, unknown>>(db, buildServerByNameQuery(w.dialect, { userId: a.userId, name: "gpu" }))).map(serverFromRow);
      assert.deepEqual(got, [await db.server.findUnique({ where: { userId_name: { userId: a.userId, name: "gpu" } } })]);
      assert.deepEqual(await readRows(db, buildServerByNameQuery(w.dialect, { userId: a.userId, name: "" })), [], "the default server has no record");
      assert.deepEqual(await readRows(db, buildServerStateQuery(w.dialect, a.id)), [{ state: "running" }]);
      assert.deepEqual(await readRows(db, buildServerStateQuery(w.dialect, 999_999)), []);
    });

    test("a start request on an existing server: the update and its first event, with and without a launch", async () => {
      for (const launch of [undefined, launchId]) {
        const [a, b] = await twin({
          state: "stopped",
          spawnId: "old",
          spawnerState: '{"pid":3}',
          url: "http://127.0.0.1:9/",
          message: "Stopped: idle",
          logTail: "tail",
          requestedAt: T(1),
          startedAt: T(2),
          stoppedAt: T(3),
          lastActivity: T(2),
          removeWhenStopped: true,
          launchId,
        });
        const now = T(10);
        const data = {
          spawnId: "new",
          spawnerKind: "batch",
          options: '{"profile":"big"}',
          profile: "big",
          now,
          writtenAt: new Date(),
          ...(launch ? { launchId: launch } : {}),
        };
        // what requestStart wrote through Prisma
        await db.server.update({
          where: { id: a.id },
          data: {
            state: "pending",
            spawnId: "new",
            spawnerKind: "batch",
            spawnerState: "{}",
            options: data.options,
            profile: "big",
            message: null,
            logTail: null,
            url: null,
            requestedAt: now,
            startedAt: null,
            stoppedAt: null,
            removeWhenStopped: false,
            ...(launch ? { launchId: launch } : {}),
          },
        });
        await db.spawnEvent.create({ data: { serverId: a.id, spawnId: "new", progress: 0, message: "Server requested", at: now } });
        const done = await w.transaction([
          { q: buildRequestStartUpdate(w.dialect, { id: b.id, ...data }), orFail: "gone" },
          { q: buildRequestedEvent(w.dialect, { userId: b.userId, name: "", spawnId: "new", at: now }) },
        ]);
        assert.deepEqual(
          done.map((r) => r!.changes),
          [1, 1],
        );
        await assertSame(a.id, b.id, `start request, launch ${launch}`);
        assert.deepEqual(await events(b.id), await events(a.id));
      }
      await assert.rejects(
        w.transaction([
          {
            q: buildRequestStartUpdate(w.dialect, {
              id: 999_999,
              spawnId: "x",
              spawnerKind: "local",
              options: "{}",
              profile: null,
              now: T(1),
              writtenAt: T(1),
            }),
            orFail: "gone",
          },
        ]),
        /gone/,
      );
    });

    test("a start request on a server without a record: the insert returns its id; a second insert is refused", async () => {
      for (const [name, launch] of [
        ["", undefined],
        ["gpu", launchId],
      ] as const) {
        const [ua, ub] = [await newUser(), await newUser()];
        const now = T(20);
        const data = { spawnId: "sp", spawnerKind: "local", options: "{}", profile: null, now, writtenAt: new Date(), ...(launch ? { launchId: launch } : {}) };
        const a = await db.server.create({
          data: {
            userId: ua.id,
            name,
            state: "pending",
            spawnId: "sp",
            spawnerKind: "local",
            spawnerState: "{}",
            options: "{}",
            profile: null,
            message: null,
            logTail: null,
            url: null,
            requestedAt: now,
            startedAt: null,
            stoppedAt: null,
            removeWhenStopped: false,
            ...(launch ? { launchId: launch } : {}),
          },
        });
        await db.spawnEvent.create({ data: { serverId: a.id, spawnId: "sp", progress: 0, message: "Server requested", at: now } });
        const [inserted] = await w.transaction([
          { q: buildRequestStartInsert(w.dialect, { userId: ub.id, name, ...data }) },
          { q: buildRequestedEvent(w.dialect, { userId: ub.id, name, spawnId: "sp", at: now }) },
        ]);
        const id = Number(inserted!.rows[0].id);
        assert.equal((await db.server.findUnique({ where: { userId_name: { userId: ub.id, name } } }))!.id, id);
        await assertSame(a.id, id, `insert "${name}"`);
        assert.deepEqual(await events(id), await events(a.id));
        // a concurrent request's insert: refused by the unique (userId, name), nothing written
        await assert.rejects(
          w.transaction([
            { q: buildRequestStartInsert(w.dialect, { userId: ub.id, name, ...data, spawnId: "sp2" }) },
            { q: buildRequestedEvent(w.dialect, { userId: ub.id, name, spawnId: "sp2", at: now }) },
          ]),
        );
        assert.equal((await events(id)).length, 1, "rolled back");
      }
    });

    test("a stop request: only from the state read, with its reason and removal; a removal when stopping or not running", async () => {
      for (const [state, from, reason, remove] of [
        ["running", "running", null, false],
        ["starting", "starting", "Stopped: the account was blocked by an admin.", true],
        ["pending", "running", null, false],
        ["running", "pending", "r", true],
      ] as const) {
        const [a, b] = await twin({ state, spawnId: "sp", message: "old", url: "http://127.0.0.1:9/" }, "nb");
        const viaPrisma = await db.server.updateMany({
          where: { id: a.id, state: from },
          data: { state: "stopping", message: reason, ...(remove ? { removeWhenStopped: true } : {}) },
        });
        const viaSql = await w.run(buildRequestStop(w.dialect, { id: b.id, from, reason, remove, now: new Date() }));
        assert.equal(viaSql.changes, viaPrisma.count, `stop ${state} from ${from}`);
        await assertSame(a.id, b.id, `stop ${state} from ${from}`);
      }
      for (const state of ["stopping", "running"]) {
        const [a, b] = await twin({ state, spawnId: "sp" }, "nb");
        const viaPrisma = await db.server.updateMany({ where: { id: a.id, state: "stopping" }, data: { removeWhenStopped: true } });
        const viaSql = await w.run(buildRemoveWhenStopped(w.dialect, { id: b.id, now: new Date() }));
        assert.equal(viaSql.changes, viaPrisma.count, `remove when stopped, ${state}`);
        await assertSame(a.id, b.id, `remove when stopped, ${state}`);
      }
      for (const [state, seen] of [
        ["stopped", "stopped"],
        ["failed", "stopped"],
      ] as const) {
        const [a, b] = await twin({ state, spawnId: "sp" }, "nb");
        await db.spawnEvent.create({ data: { serverId: b.id, spawnId: "sp", progress: 0, message: "m" } });
        const viaPrisma = await db.server.deleteMany({ where: { id: a.id, state: seen } });
        const viaSql = await w.run(buildRemoveInState(w.dialect, { id: b.id, state: seen }));
        assert.equal(viaSql.changes, viaPrisma.count, `remove ${state} seen ${seen}`);
        assert.equal((await row(b.id)) === null, (await row(a.id)) === null);
        if (viaSql.changes) assert.equal(await db.spawnEvent.count({ where: { serverId: b.id } }), 0, "its events go with it");
      }
    });
  });
}
