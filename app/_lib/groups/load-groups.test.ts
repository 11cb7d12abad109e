// The config's groups (load_groups) against a real SQLite database: created at the first start,
// nothing to do at the next, admins' removals put back and their additions kept, and two loads
// racing (two hub replicas starting at once) both succeed with one of everything.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { groupsSectionSchema } from "@/config/groups-section";
import { loadConfiguredGroups } from "./load-groups";

let db: Db;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gyre-load-groups-"));
  const opened = await openDatabase(`file:${join(dir, "gyre.db")}`);
  db = opened.db;
  await applyMigrations(db, opened.provider, process.cwd());
});
after(async () => {
  await db?.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await db.groupMember.deleteMany();
  await db.group.deleteMany();
  await db.user.deleteMany();
});

const config = groupsSectionSchema.parse([
  { name: "ocean", users: ["alice", "Bob"], properties: { quota: 4, profiles: ["gpu"] } },
  { name: "class", users: ["bob", "carol"] },
]);

/** Every group with its members and properties, as the database has them. */
async function snapshot() {
  const groups = await db.group.findMany({ orderBy: { name: "asc" }, include: { members: { include: { user: true } } } });
  return groups.map((g) => ({
    name: g.name,
    source: g.source,
    properties: JSON.parse(g.properties) as unknown,
    users: g.members.map((m) => m.user.name).sort(),
  }));
}

test("the first start creates the groups, their missing users (no password, not admin) and the memberships; the next changes nothing", async () => {
  await db.user.create({ data: { name: "alice", passwordHash: "scrypt$kept", admin: true } });
  const first = await loadConfiguredGroups(db, config);
  assert.deepEqual(first, { groupsCreated: ["ocean", "class"], usersCreated: ["bob", "carol"], membersAdded: 4, propertiesSet: [] });
  assert.deepEqual(await snapshot(), [
    { name: "class", source: "local", properties: {}, users: ["bob", "carol"] },
    { name: "ocean", source: "local", properties: { quota: 4, profiles: ["gpu"] }, users: ["alice", "bob"] },
  ]);
  const bob = await db.user.findUniqueOrThrow({ where: { name: "bob" } });
  assert.equal(bob.passwordHash, null);
  assert.equal(bob.admin, false);
  const alice = await db.user.findUniqueOrThrow({ where: { name: "alice" } });
  assert.equal(alice.passwordHash, "scrypt$kept", "an existing user is left as it is");
  assert.equal(alice.admin, true);

  const second = await loadConfiguredGroups(db, config);
  assert.deepEqual(second, { groupsCreated: [], usersCreated: [], membersAdded: 0, propertiesSet: [] });
});

test("a later start puts back what the config says and removes nothing: configured members and properties return, others' additions stay", async () => {
  await loadConfiguredGroups(db, config);
  const ocean = await db.group.findUniqueOrThrow({ where: { name: "ocean" } });
  const bob = await db.user.findUniqueOrThrow({ where: { name: "bob" } });
  const dave = await db.user.create({ data: { name: "dave" } });
  await db.groupMember.delete({ where: { userId_groupId: { userId: bob.id, groupId: ocean.id } } });
  await db.groupMember.create({ data: { userId: dave.id, groupId: ocean.id } });
  await db.group.update({ where: { id: ocean.id }, data: { properties: JSON.stringify({ quota: 1 }) } });
  await db.group.create({ data: { name: "extra" } });
  const cls = await db.group.findUniqueOrThrow({ where: { name: "class" } });
  await db.group.update({ where: { id: cls.id }, data: { properties: JSON.stringify({ set: "by an admin" }) } });

  const again = await loadConfiguredGroups(db, config);
  assert.deepEqual(again, { groupsCreated: [], usersCreated: [], membersAdded: 1, propertiesSet: ["ocean"] });
  assert.deepEqual(await snapshot(), [
    { name: "class", source: "local", properties: { set: "by an admin" }, users: ["bob", "carol"] },
    { name: "extra", source: "local", properties: {}, users: [] },
    { name: "ocean", source: "local", properties: { quota: 4, profiles: ["gpu"] }, users: ["alice", "bob", "dave"] },
  ]);
});

test("two loads at once (replicas starting together) both succeed and make each group, user and membership once", async () => {
  const [a, b] = await Promise.all([loadConfiguredGroups(db, config), loadConfiguredGroups(db, config)]);
  assert.deepEqual([...a.groupsCreated, ...b.groupsCreated].sort(), ["class", "ocean"]);
  assert.deepEqual([...a.usersCreated, ...b.usersCreated].sort(), ["alice", "bob", "carol"]);
  assert.equal(a.membersAdded + b.membersAdded, 4);
  assert.deepEqual(await snapshot(), [
    { name: "class", source: "local", properties: {}, users: ["bob", "carol"] },
    { name: "ocean", source: "local", properties: { quota: 4, profiles: ["gpu"] }, users: ["alice", "bob"] },
  ]);
});

test("no configured groups: nothing is read or written", async () => {
  assert.deepEqual(await loadConfiguredGroups(db, []), { groupsCreated: [], usersCreated: [], membersAdded: 0, propertiesSet: [] });
  assert.deepEqual(await snapshot(), []);
});
