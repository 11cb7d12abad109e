// The config's `groups:` (JupyterHub's load_groups), applied at each hub start: missing users,
// groups and memberships are created and given properties set; nothing is removed. Every hub
// replica runs it at its start, at the same time as the others may: each write either finds its
// row or creates it, and a create that loses the race to another replica (a unique-key conflict)
// counts as found, so the outcome is the same however many replicas start at once.
import type { GroupConfig } from "@/config/groups-section";
import type { Db } from "@/app/_lib/db/types";
import { validateUsername } from "@/app/_lib/users/names";

/** What loading changed (all zero when the database already matched the config). */
export interface LoadGroupsResult {
  groupsCreated: string[];
  usersCreated: string[];
  membersAdded: number;
  propertiesSet: string[];
}

/** true when `err` is a unique-key conflict: another replica made the row first. */
function isConflict(err: unknown): boolean {
  return (err as { code?: string }).code === "P2002";
}

/** Runs `create`; a unique-key conflict means the row exists already (returns false). */
async function createUnlessExists(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

/**
 * Brings the database up to the configured groups. Users named as members that do not exist are
 * created as POST /hub/api/users makes them (no password, not admin); the groups made here are
 * local groups, which admins may edit afterwards (the next start adds back what the config says).
 */
export async function loadConfiguredGroups(db: Db, groups: readonly GroupConfig[]): Promise<LoadGroupsResult> {
  const result: LoadGroupsResult = { groupsCreated: [], usersCreated: [], membersAdded: 0, propertiesSet: [] };
  if (!groups.length) return result;
  const userNames = [...new Set(groups.flatMap((g) => g.users.map((u) => validateUsername(u))))];
  const existing = new Set((await db.user.findMany({ where: { name: { in: userNames } }, select: { name: true } })).map((u) => u.name));
  for (const name of userNames.filter((n) => !existing.has(n))) {
    if (await createUnlessExists(() => db.user.create({ data: { name } }))) result.usersCreated.push(name);
  }
  const userIds = new Map((await db.user.findMany({ where: { name: { in: userNames } }, select: { id: true, name: true } })).map((u) => [u.name, u.id]));

  for (const g of groups) {
    const properties = g.properties === undefined ? undefined : JSON.stringify(g.properties);
    let row = await db.group.findUnique({ where: { name: g.name } });
    if (!row) {
      if (await createUnlessExists(() => db.group.create({ data: { name: g.name, source: "local", properties: properties ?? "{}" } })))
        result.groupsCreated.push(g.name);
      row = await db.group.findUniqueOrThrow({ where: { name: g.name } });
    }
    if (properties !== undefined && row.properties !== properties) {
      await db.group.update({ where: { id: row.id }, data: { properties } });
      result.propertiesSet.push(g.name);
    }
    const members = new Set((await db.groupMember.findMany({ where: { groupId: row.id }, select: { userId: true } })).map((m) => m.userId));
    for (const user of g.users) {
      const userId = userIds.get(validateUsername(user))!;
      if (members.has(userId)) continue;
      const groupId = row.id;
      if (await createUnlessExists(() => db.groupMember.create({ data: { userId, groupId } }))) result.membersAdded++;
      members.add(userId);
    }
  }
  return result;
}
