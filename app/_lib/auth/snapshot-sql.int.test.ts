// The proxies' auth snapshot and the share map on the driver (snapshot-sql.ts) against what the
// Prisma calls they replaced read, on SQLite and a real PostgreSQL: admins, revoked sessions on
// either side of their expiry, shares with a user, with a group (its members, the owner among
// them left out), with an empty group, and a share whose grantee is gone. The process's time zone
// is set far from UTC: PostgreSQL's zone-less timestamps must compare as Prisma wrote them (UTC).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@/app/_lib/db/open";
import { applyMigrations } from "@/app/_lib/db/migrate";
import type { Db } from "@/app/_lib/db/types";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { buildAuthSnapshot } from "@/app/_lib/proxy-state";
import { loadShareMap } from "@/app/_lib/shares/shares";
import { buildShareMap } from "@/app/_lib/shares/share-rules";

process.env.TZ = "Pacific/Auckland";

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "gyre-snapshot-sql-"));
before(async () => {
  pg = await startTestPostgres(7686);
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = new Date(Date.UTC(2026, 11, 6, 6, 0, 0, 500));
const at = (ms: number) => new Date(NOW.getTime() + ms);

async function seed(db: Db) {
  const [alice, bob, carol, dave, erin] = await Promise.all(
    ["alice", "bob", "carol", "dave", "erin"].map((name, i) => db.user.create({ data: { name, admin: i === 0 || i === 3 } })),
  );
  const session = (id: string, userId: number, expiresAt: Date, revokedAt: Date | null) =>
    db.session.create({ data: { id, userId, csrf: "c", expiresAt, revokedAt } });
  await session("s-revoked-live", bob.id, at(60_000), at(-1000));
  // expires 1 ms after NOW: still live; exactly at NOW: expired (the comparison is strict)
  await session("s-revoked-edge", carol.id, at(1), at(-1000));
  await session("s-revoked-expired-now", carol.id, NOW, at(-1000));
  await session("s-revoked-expired", bob.id, at(-60_000), at(-120_000));
  await session("s-live", alice.id, at(60_000), null);
  const server = (userId: number, name: string) => db.server.create({ data: { userId, name } });
  const [aliceDefault, aliceGpu, bobDefault, erinGone] = [
    await server(alice.id, ""),
    await server(alice.id, "gpu"),
    await server(bob.id, ""),
    await server(erin.id, "x"),
  ];
  const team = await db.group.create({ data: { name: "team" } });
  const empty = await db.group.create({ data: { name: "empty" } });
  await db.groupMember.createMany({
    data: [
      { userId: carol.id, groupId: team.id },
      { userId: alice.id, groupId: team.id },
      { userId: dave.id, groupId: team.id },
    ],
  });
  const share = (serverId: number, grantee: { userId?: number; groupId?: number }) =>
    db.share.create({ data: { serverId, ...grantee, scopes: "access:servers" } });
  await share(aliceDefault.id, { userId: bob.id });
  await share(aliceDefault.id, { groupId: team.id });
  await share(aliceGpu.id, { groupId: empty.id });
  await share(bobDefault.id, { userId: carol.id });
  await share(bobDefault.id, { groupId: team.id });
  await share(erinGone.id, { userId: dave.id });
  await db.user.delete({ where: { id: dave.id } });
}

/** What buildAuthSnapshot read through Prisma before (its reference). */
async function prismaSnapshotParts(db: Db, now: Date) {
  const admins = await db.user.findMany({ where: { admin: true }, select: { id: true, name: true }, orderBy: { id: "asc" } });
  const revoked = await db.session.findMany({ where: { revokedAt: { not: null }, expiresAt: { gt: now } }, select: { id: true }, orderBy: { id: "asc" } });
  const rows = await db.share.findMany({
    select: {
      userId: true,
      server: { select: { userId: true, name: true, user: { select: { name: true } } } },
      group: { select: { members: { select: { userId: true } } } },
    },
  });
  const shares = buildShareMap(
    rows.map((r) => ({
      ownerId: r.server.userId,
      ownerName: r.server.user.name,
      serverName: r.server.name,
      userId: r.userId,
      groupMemberIds: r.group?.members.map((m) => m.userId) ?? [],
    })),
  );
  return { admins: admins.map((a) => a.name), admin_ids: admins.map((a) => a.id), revoked_sessions: revoked.map((r) => r.id), shares };
}

for (const provider of ["sqlite", "postgres"] as const) {
  describe(`the proxies' auth snapshot in SQL on ${provider}`, () => {
    let db: Db;
    before(async () => {
      const opened = await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url);
      db = opened.db;
      await applyMigrations(db, opened.provider, process.cwd());
      await seed(db);
    });
    after(async () => db?.$disconnect());

    test("admins, revoked sessions and shares: what Prisma read", async () => {
      const snapshot = await buildAuthSnapshot(db, NOW);
      const reference = await prismaSnapshotParts(db, NOW);
      assert.deepEqual(
        { admins: snapshot.admins, admin_ids: snapshot.admin_ids, revoked_sessions: snapshot.revoked_sessions, shares: snapshot.shares },
        reference,
      );
      // the seed's facts, so that an empty reference cannot pass
      assert.deepEqual(snapshot.admins, ["alice"], "dave, the other admin, is deleted");
      assert.deepEqual(snapshot.revoked_sessions, ["s-revoked-edge", "s-revoked-live"]);
      const ids = Object.fromEntries((await db.user.findMany()).map((u) => [u.name, u.id]));
      assert.deepEqual(snapshot.shares, {
        "alice/": { owner_id: ids.alice, user_ids: [ids.bob, ids.carol].sort((a, b) => a - b) },
        "bob/": { owner_id: ids.bob, user_ids: [ids.alice, ids.carol].sort((a, b) => a - b) },
      });
      assert.deepEqual(snapshot.role_access, {});
      assert.deepEqual(snapshot.service_access, {});
    });

    test("a revoked session is listed until its expiry, and the share map follows a group's members", async () => {
      assert.deepEqual((await buildAuthSnapshot(db, at(1))).revoked_sessions, ["s-revoked-live"]);
      assert.deepEqual((await buildAuthSnapshot(db, at(60_000))).revoked_sessions, []);
      const team = await db.group.findUniqueOrThrow({ where: { name: "team" } });
      const frank = await db.user.create({ data: { name: "frank" } });
      await db.groupMember.create({ data: { userId: frank.id, groupId: team.id } });
      const map = await loadShareMap(db);
      assert.deepEqual(map, (await prismaSnapshotParts(db, NOW)).shares);
      assert.ok(map["alice/"].user_ids.includes(frank.id) && map["bob/"].user_ids.includes(frank.id));
    });
  });
}
