// Groups: made by admins ("local") or from GitHub teams ("github", named "org:team-slug" and kept
// in sync at each member's login). What the control panel, the bulk actions and the REST API do
// with them goes through these functions, so the rules hold everywhere: a GitHub group's
// members and name are GitHub's (a hand edit would be undone at the next login), its
// properties are the hub's.
import type { RoleConfig } from "@/config/roles-section";
import { GROUP_NAME_PATTERN, MAX_PROPERTIES_BYTES } from "@/config/groups-section";
import { rolesOfGroup } from "@/app/_lib/auth/roles";
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";

export type GroupSource = "local" | "github";

/** Why a GitHub group refuses a hand edit (shown in the UI and returned by the API). */
export const GITHUB_GROUP_RULE =
  "Its members come from the GitHub team and are set again at each member's login, so they cannot be changed here; change the team on GitHub.";

export interface GroupSummary {
  name: string;
  source: GroupSource;
  members: number;
  properties: Record<string, unknown>;
}

export interface GroupDetail extends GroupSummary {
  /** member names, sorted */
  memberNames: string[];
}

export function validateGroupName(raw: unknown): string {
  if (typeof raw !== "string" || !raw.trim()) throw new HttpError(400, "A group name is required.");
  const name = raw.trim();
  if (name.includes(":")) throw new HttpError(400, `Invalid group name "${name.slice(0, 64)}": ":" is reserved for GitHub teams ("org:team").`);
  if (!GROUP_NAME_PATTERN.test(name))
    throw new HttpError(400, `Invalid group name "${name.slice(0, 64)}": use up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`);
  return name;
}

/** A JSON object of properties (JupyterHub's group properties), or a 400 saying what is wrong. */
export function validateProperties(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new HttpError(400, "Group properties must be a JSON object.");
  if (JSON.stringify(raw).length > MAX_PROPERTIES_BYTES) throw new HttpError(400, `Group properties are too large (at most ${MAX_PROPERTIES_BYTES} bytes).`);
  return raw as Record<string, unknown>;
}

function parseProperties(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function sourceOf(s: string): GroupSource {
  return s === "github" ? "github" : "local";
}

async function getGroupRow(db: Db, name: string) {
  const g = await db.group.findUnique({ where: { name } });
  if (!g) throw new HttpError(404, `No such group: ${name.slice(0, 128)}`);
  return g;
}

/** Every group with its member count, by name. */
export async function listGroups(db: Db): Promise<GroupSummary[]> {
  const rows = await db.group.findMany({ orderBy: { name: "asc" }, include: { _count: { select: { members: true } } } });
  return rows.map((g) => ({ name: g.name, source: sourceOf(g.source), members: g._count.members, properties: parseProperties(g.properties) }));
}

export async function getGroup(db: Db, name: string): Promise<GroupDetail> {
  const g = await db.group.findUnique({ where: { name }, include: { members: { include: { user: { select: { name: true } } } } } });
  if (!g) throw new HttpError(404, `No such group: ${name.slice(0, 128)}`);
  const memberNames = g.members.map((m) => m.user.name).sort();
  return { name: g.name, source: sourceOf(g.source), members: memberNames.length, properties: parseProperties(g.properties), memberNames };
}

/** JupyterHub's group model (GET /hub/api/groups…); Gyre has no roles yet, so `roles` is empty. */
export interface GroupModel {
  kind: "group";
  name: string;
  /** member names, sorted */
  users: string[];
  properties: Record<string, unknown>;
  roles: string[];
}

/** One page of groups in JupyterHub's model, by name, with the total count. */
export async function listGroupModels(
  db: Db,
  page: { offset: number; limit: number; only?: readonly string[]; roles?: readonly RoleConfig[] },
): Promise<{ total: number; items: GroupModel[] }> {
  // only: the groups a filtered list:groups names (list:groups!group=…)
  const where = page.only ? { name: { in: [...page.only] } } : {};
  const [total, rows] = await Promise.all([
    db.group.count({ where }),
    db.group.findMany({
      where,
      orderBy: { name: "asc" },
      skip: page.offset,
      take: page.limit,
      include: { members: { include: { user: { select: { name: true } } } } },
    }),
  ]);
  return {
    total,
    items: rows.map((g) =>
      toGroupModel(
        g.name,
        g.properties,
        g.members.map((m) => m.user.name),
        rolesOfGroup(page.roles ?? [], g.name),
      ),
    ),
  };
}

/** One group in JupyterHub's model, with the configured roles assigned to it; 404 when there is none. */
export async function getGroupModel(db: Db, name: string, roles: readonly RoleConfig[] = []): Promise<GroupModel> {
  const g = await getGroup(db, name);
  return { kind: "group", name: g.name, users: g.memberNames, properties: g.properties, roles: rolesOfGroup(roles, g.name) };
}

function toGroupModel(name: string, properties: string, members: string[], roles: string[]): GroupModel {
  return { kind: "group", name, users: [...members].sort(), properties: parseProperties(properties), roles };
}

/** How a request names users that do not exist: the control panel says 404, JupyterHub's REST API 400. */
export interface MemberOptions {
  unknownUserStatus?: 400 | 404;
}

export async function createGroup(db: Db, rawName: unknown, opts: { properties?: unknown; members?: string[] } & MemberOptions = {}): Promise<GroupDetail> {
  const name = validateGroupName(rawName);
  const properties = opts.properties === undefined ? {} : validateProperties(opts.properties);
  if (await db.group.findUnique({ where: { name } })) throw new HttpError(409, `The group ${name} already exists.`);
  // the members first: an unknown user leaves no empty group behind
  if (opts.members?.length) await findUsersOrThrow(db, opts.members, opts.unknownUserStatus);
  await db.group.create({ data: { name, source: "local", properties: JSON.stringify(properties) } });
  if (opts.members?.length) await addMembers(db, name, opts.members, opts);
  return getGroup(db, name);
}

/**
 * Creates several local groups with the same members (JupyterHub's POST /groups). Every name and
 * user is checked before anything is written: one bad name, an existing group (409) or an
 * unknown user creates none of them.
 */
export async function createGroups(db: Db, rawNames: unknown[], members: string[], opts: MemberOptions = {}): Promise<GroupDetail[]> {
  const names = rawNames.map(validateGroupName);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new HttpError(400, `The group ${twice} is named twice.`);
  const existing = await db.group.findMany({ where: { name: { in: names } }, select: { name: true } });
  if (existing.length) throw new HttpError(409, `The group ${existing[0].name} already exists.`);
  if (members.length) await findUsersOrThrow(db, members, opts.unknownUserStatus);
  const created: GroupDetail[] = [];
  for (const name of names) created.push(await createGroup(db, name, { members, ...opts }));
  return created;
}

/** Renames a local group (a GitHub group's name is the team's). */
export async function renameGroup(db: Db, name: string, rawNewName: unknown): Promise<GroupDetail> {
  const g = await getGroupRow(db, name);
  if (g.source === "github") throw new HttpError(400, `${name} is a GitHub team: its name is the team's and cannot be changed here.`);
  const newName = validateGroupName(rawNewName);
  if (newName !== name && (await db.group.findUnique({ where: { name: newName } }))) throw new HttpError(409, `The group ${newName} already exists.`);
  await db.group.update({ where: { id: g.id }, data: { name: newName } });
  return getGroup(db, newName);
}

/**
 * Deletes a group and its memberships. A GitHub group is deleted only once it has no members:
 * the next login of a team member would bring it back.
 */
export async function deleteGroup(db: Db, name: string): Promise<void> {
  const g = await getGroupRow(db, name);
  if (g.source === "github" && (await db.groupMember.count({ where: { groupId: g.id } })) > 0) {
    throw new HttpError(400, `${name} is a GitHub team with members: the next login of a member would create it again. ${GITHUB_GROUP_RULE}`);
  }
  await db.group.delete({ where: { id: g.id } });
}

export async function setGroupProperties(db: Db, name: string, raw: unknown): Promise<GroupDetail> {
  const g = await getGroupRow(db, name);
  const properties = validateProperties(raw);
  await db.group.update({ where: { id: g.id }, data: { properties: JSON.stringify(properties) } });
  return getGroup(db, name);
}

/** Adds users (by name) to a local group; returns how many were added (members already in it count as done). */
export async function addMembers(db: Db, name: string, userNames: string[], opts: MemberOptions = {}): Promise<number> {
  const g = await getGroupRow(db, name);
  if (g.source === "github") throw new HttpError(400, `${name} is a GitHub team. ${GITHUB_GROUP_RULE}`);
  const users = await findUsersOrThrow(db, userNames, opts.unknownUserStatus);
  const already = new Set((await db.groupMember.findMany({ where: { groupId: g.id, userId: { in: users.map((u) => u.id) } } })).map((m) => m.userId));
  const add = users.filter((u) => !already.has(u.id));
  if (add.length) await db.groupMember.createMany({ data: add.map((u) => ({ userId: u.id, groupId: g.id })) });
  return add.length;
}

/** Removes users (by name) from a local group; returns how many were members. */
export async function removeMembers(db: Db, name: string, userNames: string[], opts: MemberOptions = {}): Promise<number> {
  const g = await getGroupRow(db, name);
  if (g.source === "github") throw new HttpError(400, `${name} is a GitHub team. ${GITHUB_GROUP_RULE}`);
  const users = await findUsersOrThrow(db, userNames, opts.unknownUserStatus);
  const r = await db.groupMember.deleteMany({ where: { groupId: g.id, userId: { in: users.map((u) => u.id) } } });
  return r.count;
}

async function findUsersOrThrow(db: Db, names: string[], status: 400 | 404 = 404): Promise<{ id: number; name: string }[]> {
  const unique = [...new Set(names)];
  const users = await db.user.findMany({ where: { name: { in: unique } }, select: { id: true, name: true } });
  if (users.length !== unique.length) {
    const found = new Set(users.map((u) => u.name));
    const missing = unique.filter((n) => !found.has(n));
    throw new HttpError(status, `No such user${missing.length === 1 ? "" : "s"}: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? " …" : ""}`);
  }
  return users;
}

/**
 * Makes the user's GitHub groups exactly `teams` ("org:team-slug", from their login): joins the
 * teams' groups (creating them as GitHub groups), leaves GitHub groups of teams they left. Groups
 * made on the hub are untouched.
 */
export async function syncTeamGroups(db: Db, userId: number, teams: string[]): Promise<void> {
  const current = await db.groupMember.findMany({ where: { userId }, include: { group: true } });
  const want = new Set(teams);
  for (const m of current) {
    if (m.group.source === "github" && !want.has(m.group.name)) await db.groupMember.delete({ where: { userId_groupId: { userId, groupId: m.groupId } } });
  }
  const have = new Set(current.map((m) => m.group.name));
  for (const t of want) {
    if (have.has(t)) continue;
    const g = await db.group.upsert({ where: { name: t }, create: { name: t, source: "github" }, update: {} });
    await db.groupMember.create({ data: { userId, groupId: g.id } });
  }
}
