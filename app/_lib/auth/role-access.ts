// What configured roles let users reach through the proxy: each role's access:servers scopes
// (unfiltered, !user=, !group=, !server=) resolved to account ids for every user holding the role
// (directly or through a group), the map the proxy's auth snapshot carries and the hub pushes when
// group membership changes. resolveRoleAccess is pure; the loader and the push do the I/O.
import type { RoleConfig } from "@/config/roles-section";
import type { Db } from "@/app/_lib/db/types";
import type { RoutePusher } from "@/app/_lib/servers/proxy-client";
import { pushShares } from "@/app/_lib/shares/shares";
import { expandScopes, parseScope, type ScopeFilter } from "./scopes";
import { roleScopesFor } from "./roles";

/**
 * Holder's account id → what their roles open at the proxy: `all` servers, every server of the
 * accounts in `user_ids`, or single servers ("<owner id>/<server>", "" the default). Ids, not
 * names: a deleted and re-created account of the same name is neither holder nor owner.
 */
export type RoleAccessMap = Record<string, { all?: true; user_ids: number[]; servers: string[] }>;

/** The accounts and groups a role map is resolved against. */
export interface RoleAccessFacts {
  /** accounts by name (only those the roles name or hold them through a group need be there) */
  users: ReadonlyMap<string, { id: number; admin: boolean }>;
  /** group name → ids of its members */
  members: ReadonlyMap<string, readonly number[]>;
}

/** The access:servers filters of a role's scopes (null: the unfiltered scope, every server). */
function accessFilters(role: RoleConfig, holder: string): ScopeFilter[] | null {
  const out: ScopeFilter[] = [];
  for (const s of expandScopes(roleScopesFor(role, holder))) {
    const p = parseScope(s);
    if (p?.scope !== "access:servers") continue;
    if (!p.filter) return null;
    out.push(p.filter);
  }
  return out;
}

/** Whether any role grants a form of access:servers (when none does, nothing need be loaded). */
export function rolesGrantServerAccess(roles: readonly RoleConfig[]): boolean {
  return roles.some((r) => r.scopes.some((s) => s === "access:servers" || s.startsWith("access:servers!")));
}

/**
 * The role access map. Admins are left out (they reach every server already), so are holders
 * whose roles grant no access:servers. Names the facts do not know resolve to nobody. Pure.
 */
export function resolveRoleAccess(roles: readonly RoleConfig[], facts: RoleAccessFacts): RoleAccessMap {
  const acc = new Map<number, { all: boolean; users: Set<number>; servers: Set<string> }>();
  const nameOf = new Map([...facts.users].map(([n, u]) => [u.id, n]));
  for (const role of roles) {
    const holders = new Set<number>();
    for (const n of role.users) {
      const u = facts.users.get(n);
      if (u && !u.admin) holders.add(u.id);
    }
    for (const g of role.groups) for (const id of facts.members.get(g) ?? []) holders.add(id);
    for (const id of holders) {
      const name = nameOf.get(id);
      if (name === undefined || facts.users.get(name)?.admin) continue;
      const filters = accessFilters(role, name);
      if (filters !== null && !filters.length) continue;
      let e = acc.get(id);
      if (!e) acc.set(id, (e = { all: false, users: new Set(), servers: new Set() }));
      if (filters === null) {
        e.all = true;
        continue;
      }
      for (const f of filters) {
        if (f.kind === "user") {
          const u = facts.users.get(f.value);
          if (u) e.users.add(u.id);
        } else if (f.kind === "group") for (const m of facts.members.get(f.value) ?? []) e.users.add(m);
        else if (f.kind === "server") {
          const slash = f.value.indexOf("/");
          const u = facts.users.get(f.value.slice(0, slash));
          if (u) e.servers.add(`${u.id}/${f.value.slice(slash + 1)}`);
        }
      }
    }
  }
  const out: RoleAccessMap = {};
  for (const [id, e] of [...acc].sort((a, b) => a[0] - b[0])) {
    if (!e.all && !e.users.size && !e.servers.size) continue;
    out[String(id)] = {
      ...(e.all ? { all: true as const } : {}),
      user_ids: [...e.users].sort((a, b) => a - b),
      servers: [...e.servers].sort(),
    };
  }
  return out;
}

/**
 * Loads what resolveRoleAccess needs, and only that: the accounts the roles name (as holders or in
 * !user= / !server= filters) and the members, with their accounts, of the groups they name (as
 * holders or in !group= filters). Two queries; none when no role grants access:servers.
 */
export async function loadRoleAccessMap(db: Db, roles: readonly RoleConfig[]): Promise<RoleAccessMap> {
  if (!rolesGrantServerAccess(roles)) return {};
  const names = new Set<string>();
  const groups = new Set<string>();
  for (const r of roles) {
    r.users.forEach((n) => names.add(n));
    r.groups.forEach((g) => groups.add(g));
    for (const s of r.scopes) {
      const f = parseScope(s)?.filter;
      if (f?.kind === "user") names.add(f.value);
      else if (f?.kind === "server") names.add(f.value.slice(0, f.value.indexOf("/")));
      else if (f?.kind === "group") groups.add(f.value);
    }
  }
  const [named, members] = await Promise.all([
    db.user.findMany({ where: { name: { in: [...names] } }, select: { id: true, name: true, admin: true } }),
    db.groupMember.findMany({
      where: { group: { name: { in: [...groups] } } },
      select: { user: { select: { id: true, name: true, admin: true } }, group: { select: { name: true } } },
    }),
  ]);
  const users = new Map(named.map((u) => [u.name, { id: u.id, admin: u.admin }]));
  const byGroup = new Map<string, number[]>();
  for (const m of members) {
    users.set(m.user.name, { id: m.user.id, admin: m.user.admin });
    const ids = byGroup.get(m.group.name);
    if (ids) ids.push(m.user.id);
    else byGroup.set(m.group.name, [m.user.id]);
  }
  return resolveRoleAccess(roles, { users, members: byGroup });
}

/**
 * After a change of group membership (or of a group): pushes the share map (group shares follow
 * their members) and the role access map (roles assigned to groups, !group= filters) to every
 * proxy, so a member who left loses access at once rather than at the proxies' next snapshot.
 */
export async function pushGroupAccess(ctx: { db: Db; proxy: RoutePusher; config: { roles: readonly RoleConfig[] } }): Promise<void> {
  await pushShares(ctx);
  if (ctx.proxy.roleAccess && rolesGrantServerAccess(ctx.config.roles)) await ctx.proxy.roleAccess(await loadRoleAccessMap(ctx.db, ctx.config.roles));
}
