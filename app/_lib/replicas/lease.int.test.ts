// Leases on both databases the hub runs on: SQLite (a file) and a real PostgreSQL. Racing
// holders, expiry, renewal and a paused holder, with the clock passed in (no sleeping).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { startTestPostgres, type TestPostgres } from "../testing/postgres";
import { releaseLease, takeLeases, type LeaseClaim } from "./lease";
import { writesOf } from "../db/sql-writes";
import { buildHeartbeat } from "./replica-sql";
import { HubReplica, SINGLETONS } from "./replica";

/** One lease taken or renewed: does `holder` hold it afterwards? */
async function takeLease(db: Db, c: LeaseClaim): Promise<boolean> {
  return (await takeLeases(db, { ...c, names: [c.name] })).has(c.name);
}

const TTL = 15_000;
const T0 = new Date("2026-12-03T12:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

for (const provider of ["sqlite", "postgres"] as const) {
  describe(`leases on ${provider}`, () => {
    let db: Db;
    let pg: TestPostgres | undefined;
    let dir: string | undefined;
    let n = 0;
    const fresh = () => `lease-${++n}`;

    before(async () => {
      let url: string;
      if (provider === "postgres") {
        pg = await startTestPostgres(7698);
        url = pg.url;
      } else {
        dir = mkdtempSync(join(tmpdir(), "gyre-lease-"));
        url = `file:${join(dir, "gyre.db")}`;
      }
      const opened = await openDatabase(url);
      db = opened.db;
      await applyMigrations(db, opened.provider, process.cwd());
    });
    after(async () => {
      await db?.$disconnect();
      await pg?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("of holders racing for a free lease exactly one wins, and again for an expired one", async () => {
      const name = fresh();
      const holders = Array.from({ length: 8 }, (_, i) => `h${i}`);
      const first = await Promise.all(holders.map((holder) => takeLease(db, { name, holder, ttlMs: TTL, now: T0 })));
      assert.equal(first.filter(Boolean).length, 1, `winners: ${JSON.stringify(first)}`);
      // before expiry nobody else gets it
      const losers = holders.filter((_, i) => !first[i]);
      const during = await Promise.all(losers.map((holder) => takeLease(db, { name, holder, ttlMs: TTL, now: at(TTL - 1) })));
      assert.equal(during.filter(Boolean).length, 0);
      // expired: the others race again, one wins
      const winner = holders[first.indexOf(true)];
      const others = holders.filter((h) => h !== winner);
      const second = await Promise.all(others.map((holder) => takeLease(db, { name, holder, ttlMs: TTL, now: at(TTL + 1) })));
      assert.equal(second.filter(Boolean).length, 1, `winners after expiry: ${JSON.stringify(second)}`);
      const row = await db.lease.findUniqueOrThrow({ where: { name } });
      assert.equal(row.holder, others[second.indexOf(true)]);
    });

    test("a holder that renews in time keeps it; a paused one loses it to the next asker and cannot renew", async () => {
      const name = fresh();
      assert.equal(await takeLease(db, { name, holder: "a", ttlMs: TTL, now: T0 }), true);
      for (let t = 5_000; t <= 60_000; t += 5_000) {
        assert.equal(await takeLease(db, { name, holder: "a", ttlMs: TTL, now: at(t) }), true, `renew at ${t}`);
        assert.equal(await takeLease(db, { name, holder: "b", ttlMs: TTL, now: at(t + 1) }), false, `b at ${t + 1}`);
      }
      // a pauses 20 s after its renewal at 60 s: b takes it at 75 s
      assert.equal(await takeLease(db, { name, holder: "b", ttlMs: TTL, now: at(75_000) }), true);
      assert.equal(await takeLease(db, { name, holder: "a", ttlMs: TTL, now: at(80_000) }), false, "a woke up: the lease is b's");
      assert.equal((await db.lease.findUniqueOrThrow({ where: { name } })).holder, "b");
    });

    test("a released lease is free at once; releasing someone else's does nothing", async () => {
      const name = fresh();
      assert.equal(await takeLease(db, { name, holder: "a", ttlMs: TTL, now: T0 }), true);
      await releaseLease(db, name, "b");
      assert.equal(await takeLease(db, { name, holder: "b", ttlMs: TTL, now: at(1) }), false);
      await releaseLease(db, name, "a");
      assert.equal(await takeLease(db, { name, holder: "b", ttlMs: TTL, now: at(2) }), true);
    });

    test("a beat's leases in one call: its own renewed, an expired one taken, a new one created, another's live one left", async () => {
      const [mine, expired, created, theirs] = [fresh(), fresh(), fresh(), fresh()];
      assert.equal(await takeLease(db, { name: mine, holder: "a", ttlMs: TTL, now: T0 }), true);
      assert.equal(await takeLease(db, { name: expired, holder: "b", ttlMs: TTL, now: T0 }), true);
      assert.equal(await takeLease(db, { name: theirs, holder: "b", ttlMs: TTL, now: at(TTL) }), true);
      const held = await takeLeases(db, { names: [mine, expired, created, theirs], holder: "a", ttlMs: TTL, now: at(TTL) });
      assert.deepEqual([...held].sort(), [mine, expired, created].sort());
      const rows = await db.lease.findMany({ where: { name: { in: [mine, expired, created, theirs] } } });
      const by = new Map(rows.map((r) => [r.name, r]));
      for (const name of [mine, expired, created]) {
        assert.equal(by.get(name)!.holder, "a", name);
        assert.equal(by.get(name)!.expiresAt.getTime(), at(2 * TTL).getTime(), `${name} until now + ttl`);
      }
      assert.equal(by.get(theirs)!.holder, "b");
      assert.equal(by.get(theirs)!.expiresAt.getTime(), at(2 * TTL).getTime(), "b's own lease is untouched");
      assert.deepEqual(await takeLeases(db, { names: [], holder: "a", ttlMs: TTL, now: T0 }), new Set());
    });

    test("a heartbeat creates the replica's row once and then moves only its time", async () => {
      const writes = writesOf(db);
      await writes.run(buildHeartbeat(writes.dialect, { id: "beating", now: T0 }));
      await writes.run(buildHeartbeat(writes.dialect, { id: "beating", now: at(5_000) }));
      const row = await db.hubReplica.findUniqueOrThrow({ where: { id: "beating" } });
      assert.deepEqual([row.startedAt.getTime(), row.heartbeatAt.getTime()], [T0.getTime(), at(5_000).getTime()]);
      await db.hubReplica.delete({ where: { id: "beating" } });
    });

    test("two hub replicas: each singleton has one holder; the survivor of a silent death takes them within the lease time", async () => {
      await db.lease.deleteMany({});
      const log = pino({ level: "silent" });
      const a = new HubReplica({ db, log, leaseSeconds: 0.6, heartbeatSeconds: 0.1, id: "replica-a" });
      const b = new HubReplica({ db, log, leaseSeconds: 0.6, heartbeatSeconds: 0.1, id: "replica-b" });
      await Promise.all([a.start(), b.start()]);
      try {
        await new Promise((r) => setTimeout(r, 300));
        for (const name of SINGLETONS) {
          assert.equal(Number(a.holds(name)) + Number(b.holds(name)), 1, `${name}: a=${a.holds(name)} b=${b.holds(name)}`);
        }
        assert.deepEqual([...(await b.aliveIds())].sort(), ["replica-a", "replica-b"]);
        const died = Date.now();
        a.abandon();
        const end = died + 3_000;
        while (!SINGLETONS.every((n) => b.holds(n))) {
          assert.ok(Date.now() < end, "b did not take every lease within 3 s");
          await new Promise((r) => setTimeout(r, 20));
        }
        const tookMs = Date.now() - died;
        console.log(`# ${provider}: leases taken over ${tookMs} ms after the holder went silent (lease 600 ms, beat 100 ms)`);
        assert.ok(tookMs <= 600 + 2 * 100 + 1000, `took ${tookMs} ms`);
        // a counts as alive until the lease time has passed since its last heartbeat. (On a loaded
        // machine a, late with its renewals, may have lost every lease to b before it went silent:
        // then b holds them all at once, and a's heartbeat row is still fresh.)
        while ((await b.aliveIds()).has("replica-a")) {
          assert.ok(Date.now() < died + 600 + 2 * 100 + 1000, "a still counted alive more than the lease time after its death");
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.deepEqual([...(await b.aliveIds())], ["replica-b"]);
      } finally {
        await b.close();
      }
      assert.equal(await db.hubReplica.count({ where: { id: "replica-b" } }), 0, "a clean shutdown removes the heartbeat row");
      assert.equal(await db.lease.count({ where: { holder: "replica-b" } }), 0, "and gives the leases up");
    });
  });
}
