// What configured roles let users reach through the proxy: each role's access:servers scopes
// (unfiltered, !user=, !group=, !server=) resolved to account ids for every user holding the role
// (directly or through a group), the map the proxy's auth snapshot carries and the hub pushes when
// group membership changes; and the same for services' tokens (their own scopes and their roles').
// resolveRoleAccess and resolveServiceAccess are pure; the loader and the push do the I/O.
import type { RoleConfig } from "@/config/roles-section";
import type { Db } from "@/app/_lib/db/types";
import type { RoutePusher } from "@/app/_lib/servers/proxy-client";
import { pushShares } from "@/app/_lib/shares/shares";
import { expandScopes, parseScope, type ScopeFilter } from "./scopes";
import { roleScopesFor } from "./roles";
import { servicesOf, type ResolvedService, type Service } from "@/app/_lib/services/registry";

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

/** The access:servers filters of a holder's scopes (null: the unfiltered scope, every server). */
function accessFilters(scopes: readonly string[]): ScopeFilter[] | null {
  const out: ScopeFilter[] = [];
  for (const s of expandScopes(scopes)) {
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

/** What one holder's scopes open, while being gathered. */
interface Reach {
  all: boolean;
  users: Set<number>;
  servers: Set<string>;
}

/** Adds what `filters` name (accounts, groups' members, single servers) to `e`; null: every server. */
function addReach(e: Reach, filters: ScopeFilter[] | null, facts: RoleAccessFacts): void {
  if (filters === null) {
    e.all = true;
    return;
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

/** The map's entry for one holder, or null when it opens nothing. */
function toEntry(e: Reach): RoleAccessMap[string] | null {
  if (!e.all && !e.users.size && !e.servers.size) return null;
  return { ...(e.all ? { all: true as const } : {}), user_ids: [...e.users].sort((a, b) => a - b), servers: [...e.servers].sort() };
}

/**
 * The role access map. Admins are left out (they reach every server already), so are holders
 * whose roles grant no access:servers. Names the facts do not know resolve to nobody. Pure.
 */
export function resolveRoleAccess(roles: readonly RoleConfig[], facts: RoleAccessFacts): RoleAccessMap {
  const acc = new Map<number, Reach>();
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
      const filters = accessFilters(roleScopesFor(role, name));
      if (filters !== null && !filters.length) continue;
      let e = acc.get(id);
      if (!e) acc.set(id, (e = { all: false, users: new Set(), servers: new Set() }));
      addReach(e, filters, facts);
    }
  }
  const out: RoleAccessMap = {};
  for (const [id, e] of [...acc].sort((a, b) => a[0] - b[0])) {
    const entry = toEntry(e);
    if (entry) out[String(id)] = entry;
  }
  return out;
}

/**
 * What services' tokens open at the proxy: service name → the servers its scopes' access:servers
 * reach (its own `scopes` and its configured roles', as Service.scopes lists them), resolved as
 * users' roles are. An admin service reaches every server (JupyterHub's admin role carries
 * access:servers). Services whose scopes grant no access:servers are left out. Pure.
 */
export function resolveServiceAccess(services: readonly Service[], facts: RoleAccessFacts): ServiceAccessMap {
  const out: ServiceAccessMap = {};
  for (const s of [...services].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const filters = s.admin ? null : accessFilters(s.scopes);
    if (filters !== null && !filters.length) continue;
    const e: Reach = { all: false, users: new Set(), servers: new Set() };
    addReach(e, filters, facts);
    const entry = toEntry(e);
    if (entry) out[s.name] = entry;
  }
  return out;
}

/** Whether any service's scopes grant a form of access:servers (or it is an admin service). */
export function servicesGrantServerAccess(services: readonly Service[]): boolean {
  return services.some((s) => s.admin || s.scopes.some((x) => x === "access:servers" || x.startsWith("access:servers!")));
}

/** What services' tokens open: the service's name → as RoleAccessMap's entries. */
export type ServiceAccessMap = RoleAccessMap;

/**
 * Loads what the resolvers need, and only that: the accounts the roles and services name (as
 * holders or in !user= / !server= filters) and the members, with their accounts, of the groups
 * they name (as holders or in !group= filters). Two queries; none when nothing grants
 * access:servers.
 */
export async function loadAccessMaps(
  db: Db,
  roles: readonly RoleConfig[],
  services: readonly Service[] = [],
): Promise<{ roleAccess: RoleAccessMap; serviceAccess: ServiceAccessMap }> {
  const byRoles = rolesGrantServerAccess(roles);
  const byServices = servicesGrantServerAccess(services);
  if (!byRoles && !byServices) return { roleAccess: {}, serviceAccess: {} };
  const names = new Set<string>();
  const groups = new Set<string>();
  const named = (scopes: readonly string[]) => {
    for (const s of scopes) {
      const f = parseScope(s)?.filter;
      if (f?.kind === "user") names.add(f.value);
      else if (f?.kind === "server") names.add(f.value.slice(0, f.value.indexOf("/")));
      else if (f?.kind === "group") groups.add(f.value);
    }
  };
  if (byRoles)
    for (const r of roles) {
      r.users.forEach((n) => names.add(n));
      r.groups.forEach((g) => groups.add(g));
      named(r.scopes);
    }
  for (const s of services) named(s.scopes);
  const [accounts, members] = await Promise.all([
    db.user.findMany({ where: { name: { in: [...names] } }, select: { id: true, name: true, admin: true } }),
    db.groupMember.findMany({
      where: { group: { name: { in: [...groups] } } },
      select: { user: { select: { id: true, name: true, admin: true } }, group: { select: { name: true } } },
    }),
  ]);
  const users = new Map(accounts.map((u) => [u.name, { id: u.id, admin: u.admin }]));
  const byGroup = new Map<string, number[]>();
  for (const m of members) {
    users.set(m.user.name, { id: m.user.id, admin: m.user.admin });
    const ids = byGroup.get(m.group.name);
    if (ids) ids.push(m.user.id);
    else byGroup.set(m.group.name, [m.user.id]);
  }
  const facts = { users, members: byGroup };
  return { roleAccess: byRoles ? resolveRoleAccess(roles, facts) : {}, serviceAccess: byServices ? resolveServiceAccess(services, facts) : {} };
}

/** The role access map alone (loadAccessMaps). */
export async function loadRoleAccessMap(db: Db, roles: readonly RoleConfig[]): Promise<RoleAccessMap> {
  return (await loadAccessMaps(db, roles)).roleAccess;
}

/**
 * After a change of group membership (or of a group): pushes the share map (group shares follow
 * their members) and the access maps of roles and services (roles assigned to groups, !group=
 * filters) to every proxy, so a member who left loses access at once rather than at the proxies'
 * next snapshot.
 */
export async function pushGroupAccess(ctx: {
  db: Db;
  proxy: RoutePusher;
  config: { roles: readonly RoleConfig[]; services: readonly ResolvedService[] };
}): Promise<void> {
  await pushShares(ctx);
  const services = servicesOf(ctx.config).list;
  if (!ctx.proxy.roleAccess || (!rolesGrantServerAccess(ctx.config.roles) && !servicesGrantServerAccess(services))) return;
  const maps = await loadAccessMaps(ctx.db, ctx.config.roles, services);
  await ctx.proxy.roleAccess(maps.roleAccess, maps.serviceAccess);
}
