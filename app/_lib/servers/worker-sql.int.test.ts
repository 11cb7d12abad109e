// The spawn worker's statements on the driver (worker-sql.ts, app/_lib/db/sql-writes.ts) against
// the Prisma calls they replaced, on SQLite and a real PostgreSQL: two identical servers, one
// changed through Prisma and one through the SQL, must end identical (ids and updatedAt aside),
// and every condition (claims, conditional state changes) must match or miss alike. The process's
// time zone is far from UTC: timestamps written on the driver must read back as Prisma's do.
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
import { findUserWithGroups } from "@/app/_lib/users/queries";
import { openUsageRecord, recordUsageSample } from "@/app/_lib/usage/recorder";
import { hashToken } from "@/app/_lib/auth/api-tokens";
import { issueServerApiToken, revokeServerApiToken } from "./server-api-token";
import {
  buildClaimStart,
  buildClaimStop,
  buildInsertEvent,
  buildMarkEnded,
  buildMarkReady,
  buildMarkStopped,
  buildOpenUsageRecord,
  buildOthersServerQuery,
  buildRemoveIfStopped,
  buildRunningOwnedQuery,
  buildSaveSpawnState,
  buildServersToWorkOnQuery,
  buildServerWithWorkQuery,
  buildUpdateUsageRecord,
  buildWorkWaitingQuery,
  buildUsageRecordQuery,
  serverFromRow,
  usageFromRow,
} from "./worker-sql";
import { mergeUsage } from "@/app/_lib/usage/merge";
import { OWNED_STATES, serversToTakeOver } from "@/app/_lib/replicas/ownership";

process.env.TZ = "Pacific/Auckland";

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "gyre-worker-sql-"));
before(async () => {
  pg = await startTestPostgres(7683);
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
  describe(`the spawn worker's SQL on ${provider}`, () => {
    let db: Db;
    let w: SqlWrites;
    let users = 0;
    before(async () => {
      const opened = await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url);
      db = opened.db;
      await applyMigrations(db, opened.provider, process.cwd());
      w = writesOf(db);
      assert.equal(w.dialect, provider);
    });
    after(async () => db?.$disconnect());

    /** Two users with one identical server each: [through Prisma, through SQL]. */
    async function twin(data: Record<string, unknown>) {
      const pair = [];
      for (let i = 0; i < 2; i++) {
        const u = await db.user.create({ data: { name: `w${++users}` } });
        pair.push(await db.server.create({ data: { userId: u.id, name: "", ...data } }));
      }
      return pair as [(typeof pair)[0], (typeof pair)[0]];
    }
    const row = (id: number) => db.server.findUnique({ where: { id } });
    async function assertSame(a: number, b: number, what: string) {
      const [x, y] = [await row(a), await row(b)];
      assert.deepEqual(comparable(y), comparable(x), what);
      if (x && y) assert.ok(y.updatedAt.getTime() >= x.updatedAt.getTime() - 60_000, `${what}: updatedAt is set`);
    }

    test("servers with work: the same rows as Prisma's findMany, pending and stopping", async () => {
      const [p] = await twin({ state: "pending", spawnId: "s-pend", requestedAt: T(1), options: '{"a":1}', removeWhenStopped: true });
      await twin({ state: "stopping", spawnId: "s-stop", ownerReplica: "r1", startedAt: T(2), lastActivity: T(3), launchId: null });
      await twin({ state: "running", spawnId: "s-run" });
      const got = (await readRows<Record<string, unknown>>(db, buildServersToWorkOnQuery())).map(serverFromRow);
      const want = await db.server.findMany({ where: { state: { in: ["pending", "stopping"] } }, orderBy: { id: "asc" } });
      assert.deepEqual(got, want);
      assert.equal(got.find((s) => s.id === p.id)?.removeWhenStopped, true);
      assert.ok(got[0].requestedAt instanceof Date && got[0].updatedAt instanceof Date);
      // the tick's first read: ids and states of the same rows; then each whole, while it still has work
      const waiting = (await readRows<{ id: number | bigint; state: string }>(db, buildWorkWaitingQuery())).map((r) => ({ id: Number(r.id), state: r.state }));
      assert.deepEqual(
        waiting,
        want.map((s) => ({ id: s.id, state: s.state })),
      );
      for (const s of want) {
        const [one] = await readRows<Record<string, unknown>>(db, buildServerWithWorkQuery(w.dialect, s.id));
        assert.deepEqual(serverFromRow(one), s);
      }
      const running = await db.server.findFirstOrThrow({ where: { state: "running" } });
      assert.deepEqual(await readRows(db, buildServerWithWorkQuery(w.dialect, running.id)), [], "a server without work: no row");
      // the poll's read: running servers of one owner, as Prisma's findMany read them
      await db.server.update({ where: { id: running.id }, data: { ownerReplica: "poller", startedAt: T(4), url: "http://127.0.0.1:9/" } });
      await twin({ state: "running", spawnId: "s-other", ownerReplica: "someone-else" });
      await twin({ state: "stopping", spawnId: "s-mine-stopping", ownerReplica: "poller" });
      const polled = (await readRows<Record<string, unknown>>(db, buildRunningOwnedQuery(w.dialect, "poller"))).map(serverFromRow);
      assert.deepEqual(polled, await db.server.findMany({ where: { state: "running", ownerReplica: "poller" }, orderBy: { id: "asc" } }));
      assert.deepEqual(
        polled.map((s) => s.id),
        [running.id],
      );
    });

    test("the take-over's look: a server in an owned state that no one or another replica owns, as serversToTakeOver sees it", async () => {
      const others = async (replica: string) => (await readRows(db, buildOthersServerQuery(w.dialect, { replica, states: OWNED_STATES }))).length;
      // earlier tests' servers (owned by "r1", by no one) are there too: from here on all are mine
      await db.server.updateMany({ data: { ownerReplica: "me" } });
      assert.equal(await others("me"), 0);
      const [a] = await twin({ state: "stopped", ownerReplica: "r2" });
      await twin({ state: "pending", ownerReplica: null });
      assert.equal(await others("me"), 0, "stopped and pending servers are no replica's to take over");
      for (const [state, owner] of [
        ["running", null],
        ["starting", "r2"],
        ["stopping", "r2"],
      ] as const) {
        await db.server.update({ where: { id: a.id }, data: { state, ownerReplica: owner } });
        const all = await db.server.findMany();
        assert.equal(await others("me"), Math.min(1, serversToTakeOver(all, new Set(), "me").length), `${state} owned by ${owner}`);
        assert.equal(await others("me"), 1, `${state} owned by ${owner}`);
        if (owner) assert.equal(await others(owner), 1, "for its owner, the others' servers (all mine) count");
      }
      await db.server.update({ where: { id: a.id }, data: { ownerReplica: "me" } });
      assert.equal(await others("me"), 0);
    });

    test("claims: a start request (same spawn id, also none) and a stop of a gone owner (also none), matched and missed alike", async () => {
      for (const [spawnId, asked] of [
        ["s1", "s1"],
        ["s1", "s2"],
        [null, null],
        [null, "s1"],
      ] as const) {
        const [a, b] = await twin({ state: "pending", spawnId });
        const viaPrisma = await db.server.updateMany({
          where: { id: a.id, state: "pending", spawnId: asked },
          data: { state: "starting", ownerReplica: "me" },
        });
        const viaSql = await w.run(buildClaimStart(w.dialect, { id: b.id, spawnId: asked, replica: "me", now: new Date() }));
        assert.equal(viaSql.changes, viaPrisma.count, `start claim ${spawnId} asked ${asked}`);
        await assertSame(a.id, b.id, `start claim ${spawnId} asked ${asked}`);
      }
      for (const [owner, seen] of [
        ["dead", "dead"],
        ["dead", "other"],
        [null, null],
        [null, "dead"],
      ] as const) {
        const [a, b] = await twin({ state: "stopping", spawnId: "x", ownerReplica: owner });
        const viaPrisma = await db.server.updateMany({ where: { id: a.id, state: "stopping", ownerReplica: seen }, data: { ownerReplica: "me" } });
        const viaSql = await w.run(buildClaimStop(w.dialect, { id: b.id, from: seen, replica: "me", now: new Date() }));
        assert.equal(viaSql.changes, viaPrisma.count, `stop claim ${owner} seen ${seen}`);
        await assertSame(a.id, b.id, `stop claim ${owner} seen ${seen}`);
      }
    });

    test("a start: state saves, ready only for the owner of this spawn, its event", async () => {
      const [a, b] = await twin({ state: "starting", spawnId: "sp", ownerReplica: "me", message: "old" });
      await db.server.update({ where: { id: a.id }, data: { spawnerState: '{"pid":1}' } });
      await w.run(buildSaveSpawnState(w.dialect, { id: b.id, spawnerState: '{"pid":1}', now: new Date() }));
      await assertSame(a.id, b.id, "state saved");
      await db.server.update({ where: { id: a.id }, data: { url: "http://127.0.0.1:9/" } });
      await w.run(buildSaveSpawnState(w.dialect, { id: b.id, url: "http://127.0.0.1:9/", now: new Date() }));
      await assertSame(a.id, b.id, "URL saved");
      assert.equal(
        (await w.run(buildSaveSpawnState(w.dialect, { id: 999_999, url: "x", now: new Date() }))).changes,
        0,
        "a server that is gone changes nothing",
      );

      const readyAt = new Date();
      for (const [spawnId, replica] of [
        ["other", "me"],
        ["sp", "them"],
        ["sp", "me"],
      ]) {
        const now = readyAt;
        const viaPrisma = await db.server.updateMany({
          where: { id: a.id, state: "starting", spawnId, ownerReplica: replica },
          data: { state: "running", startedAt: now, lastActivity: now, url: "http://127.0.0.1:9/", message: null, logTail: "log" },
        });
        const viaSql = await w.run(buildMarkReady(w.dialect, { id: b.id, spawnId, replica, url: "http://127.0.0.1:9/", logTail: "log", now }));
        assert.equal(viaSql.changes, viaPrisma.count, `ready ${spawnId} ${replica}`);
        await assertSame(a.id, b.id, `ready ${spawnId} ${replica}`);
      }
      assert.equal((await row(b.id))!.startedAt?.toISOString(), readyAt.toISOString());

      for (const ev of [
        { progress: 40, message: "Server process started (pid 1)", kind: "progress", phase: null, cached: null },
        { progress: 30, message: "Building", kind: "progress", phase: "building", cached: true },
        { progress: 100, message: "Server ready at /user/x/", kind: "ready", phase: null, cached: false },
      ]) {
        const at = T(11);
        await db.spawnEvent.create({ data: { serverId: a.id, spawnId: "sp", ...ev, at } });
        await w.run(buildInsertEvent(w.dialect, { serverId: b.id, spawnId: "sp", ...ev }, at));
      }
      const events = async (serverId: number) => (await db.spawnEvent.findMany({ where: { serverId }, orderBy: { id: "asc" } })).map((e) => comparable(e));
      assert.deepEqual(await events(b.id), await events(a.id));
      await assert.rejects(
        w.run(buildInsertEvent(w.dialect, { serverId: 999_999, spawnId: "sp", progress: 1, message: "m", kind: "progress", phase: null, cached: null }, T(1))),
      );
    });

    test("a stop: stopped with its state, removed only when asked and stopped; a step that must change a row rolls all back", async () => {
      for (const remove of [false, true]) {
        const [a, b] = await twin({ state: "stopping", spawnId: "sp", url: "http://127.0.0.1:9/", message: "Idle for 3600 s", removeWhenStopped: remove });
        const now = new Date();
        await db.$transaction([
          db.server.update({ where: { id: a.id }, data: { state: "stopped", url: null, stoppedAt: now, spawnerState: '{"gone":true}' } }),
          db.server.deleteMany({ where: { id: a.id, state: "stopped", removeWhenStopped: true } }),
        ]);
        const done = await w.transaction([
          { q: buildMarkStopped(w.dialect, { id: b.id, spawnerState: '{"gone":true}', now }), orFail: "gone" },
          { q: buildRemoveIfStopped(w.dialect, b.id) },
        ]);
        assert.equal(done[1]!.changes, remove ? 1 : 0);
        assert.equal((await row(b.id)) === null, remove);
        await assertSame(a.id, b.id, `stopped, remove ${remove}`);
      }
      const [, b] = await twin({ state: "running", spawnId: "sp" });
      await assert.rejects(
        w.transaction([
          { q: buildMarkStopped(w.dialect, { id: b.id, spawnerState: "{}", now: T(1) }) },
          { q: buildMarkStopped(w.dialect, { id: 999_999, spawnerState: "{}", now: T(1) }), orFail: "gone" },
        ]),
        /gone/,
      );
      assert.equal((await row(b.id))!.state, "running", "rolled back");
      const skipped = await w.transaction([
        { q: buildMarkStopped(w.dialect, { id: b.id, spawnerState: "{}", now: T(1) }) },
        { q: buildRemoveIfStopped(w.dialect, b.id), when: () => false },
      ]);
      assert.equal(skipped[1], null);
    });

    test("a server that ended on its own: stopped with why and its log's tail from running or stopping (as Prisma writes it), never from another state", async () => {
      for (const state of ["running", "stopping"]) {
        const [a, b] = await twin({ state, spawnId: "sp", url: "http://127.0.0.1:9/", message: state === "stopping" ? "Stopped by an admin" : null });
        const now = new Date();
        const ended = {
          state: "stopped",
          url: null,
          stoppedAt: now,
          spawnerState: '{"gone":true}',
          message: "The server stopped: killed",
          logTail: "Traceback…",
        };
        await db.server.updateMany({ where: { id: a.id, state: { in: ["running", "stopping"] } }, data: ended });
        const r = await w.run(
          buildMarkEnded(w.dialect, { id: b.id, spawnerState: '{"gone":true}', message: "The server stopped: killed", logTail: "Traceback…", now }),
        );
        assert.equal(r.changes, 1, state);
        await assertSame(a.id, b.id, `ended while ${state}`);
      }
      for (const state of ["stopped", "pending", "starting", "failed"]) {
        const [, b] = await twin({ state, spawnId: "sp", message: "kept" });
        const r = await w.run(buildMarkEnded(w.dialect, { id: b.id, spawnerState: "{}", message: "The server stopped: killed", logTail: "", now: T(1) }));
        assert.equal(r.changes, 0, state);
        assert.equal((await row(b.id))!.message, "kept", `${state}: untouched`);
      }
    });

    test("the server API token: stored once, a collision refused, revoked once (as Prisma stored and revoked it)", async () => {
      const u = await db.user.create({ data: { name: `w${++users}` } });
      const token = "abcdefgh" + "x".repeat(35);
      await issueServerApiToken(db, { userId: u.id, user: u.name, server: "gpu", token }, T(30));
      await issueServerApiToken(db, { userId: u.id, user: u.name, server: "gpu", token }, T(31));
      const stored = await db.apiToken.findMany({ where: { userId: u.id } });
      assert.equal(stored.length, 1);
      const viaPrisma = await db.apiToken.create({
        data: { userId: u.id, prefix: "zzzzzzzz", hash: "h", note: stored[0].note, scopes: stored[0].scopes, createdAt: T(30) },
      });
      assert.deepEqual(comparable(stored[0], ["id", "prefix", "hash"]), comparable(viaPrisma, ["id", "prefix", "hash"]));
      assert.equal(stored[0].hash, hashToken(token));
      await assert.rejects(issueServerApiToken(db, { userId: u.id, user: u.name, server: "gpu", token: "abcdefgh" + "y".repeat(35) }), /collides/);
      const revoked: string[][] = [];
      const proxy = { revoke: async (r: { tokenHashes?: string[] }) => void revoked.push(r.tokenHashes ?? []) };
      await revokeServerApiToken(db, proxy, token, T(40));
      await revokeServerApiToken(db, proxy, token, T(41));
      assert.deepEqual(revoked, [[hashToken(token)]], "the proxies are told once");
      assert.equal((await db.apiToken.findUnique({ where: { prefix: "abcdefgh" } }))!.revokedAt?.toISOString(), T(40).toISOString());
    });

    test("usage records: opened once, closed with the last sample as recordUsageSample closes them (also one never opened)", async () => {
      const u = await db.user.create({ data: { name: `w${++users}` } });
      const run = (spawnId: string) => ({ userId: u.id, serverName: "", spawnId, spawnerKind: "local", profile: "small", requestedAt: T(1), startedAt: T(2) });
      await openUsageRecord(db, run("pa"), { host: "n1" }, T(3));
      await w.run(buildOpenUsageRecord(w.dialect, { ...run("sa"), placement: JSON.stringify({ host: "n1" }), now: T(3) }));
      assert.equal((await w.run(buildOpenUsageRecord(w.dialect, { ...run("sa"), placement: "{}", now: T(4) }))).changes, 0, "opened once");
      const rec = (spawnId: string) => db.usageRecord.findUnique({ where: { spawnId } });
      assert.deepEqual(comparable(await rec("sa"), ["id", "spawnId"]), comparable(await rec("pa"), ["id", "spawnId"]));

      const sample = { source: "proc", cpuSeconds: 12.5, peakMemoryBytes: 1e8, final: true } as const;
      for (const [p, s, opened] of [
        ["pa", "sa", true],
        ["pn", "sn", false],
      ] as const) {
        const end = { at: T(9), spawnerState: '{"pid":2}' };
        await recordUsageSample(db, run(p), { sample, now: T(9), placement: { host: "n2" }, end });
        const found = (await w.run(buildUsageRecordQuery(w.dialect, s))).rows[0];
        assert.equal(!!found, opened);
        const current = found
          ? usageFromRow(found)
          : { cpuSeconds: 0, peakMemoryBytes: null, queueWaitSeconds: null, source: "none", settled: false, endedAt: null };
        const f = mergeUsage(current, sample);
        const update = buildUpdateUsageRecord(w.dialect, {
          spawnId: s,
          figures: f,
          settled: current.settled || sample.final,
          now: T(9),
          placement: JSON.stringify({ host: "n2" }),
          end,
        });
        await w.transaction([
          ...(found ? [] : [{ q: buildOpenUsageRecord(w.dialect, { ...run(s), placement: JSON.stringify({ host: "n2" }), now: T(9) }) }]),
          { q: update },
        ]);
        assert.deepEqual(comparable(await rec(s), ["id", "spawnId"]), comparable(await rec(p), ["id", "spawnId"]), `closed, opened before: ${opened}`);
      }
      assert.equal((await rec("sa"))!.endedAt?.toISOString(), T(9).toISOString());
    });

    test("a user with their groups: as Prisma's include read it, by id and by name", async () => {
      const u = await db.user.create({ data: { name: `w${++users}`, admin: true, osUser: "acct", blockedAt: T(1) } });
      const lonely = await db.user.create({ data: { name: `w${++users}` } });
      const g1 = await db.group.create({ data: { name: `zz${users}` } });
      const g2 = await db.group.create({ data: { name: `aa${users}` } });
      await db.groupMember.createMany({
        data: [
          { userId: u.id, groupId: g1.id },
          { userId: u.id, groupId: g2.id },
        ],
      });
      const viaPrisma = async (id: number) => {
        const x = await db.user.findUnique({ where: { id }, include: { groups: { include: { group: true } } } });
        return x && { id: x.id, name: x.name, admin: x.admin, osUser: x.osUser, blocked: x.blockedAt !== null, groups: x.groups.map((g) => g.group.name) };
      };
      for (const id of [u.id, lonely.id]) {
        assert.deepEqual(await findUserWithGroups(db, { id }), await viaPrisma(id));
        assert.deepEqual(await findUserWithGroups(db, { name: (await viaPrisma(id))!.name }), await viaPrisma(id));
      }
      assert.deepEqual((await findUserWithGroups(db, { id: u.id }))!.groups, [`zz${users}`, `aa${users}`]);
      assert.equal(await findUserWithGroups(db, { id: 999_999 }), null);
      assert.equal(await findUserWithGroups(db, { name: "nobody' OR '1'='1" }), null);
    });
  });
}
