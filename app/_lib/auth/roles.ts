// JupyterHub's roles: the built-in ones (user, admin, server, token) and those of the `roles:`
// config section, who has them, and the scopes they give. Pure: the roles come in as config.
import type { RoleConfig } from "@/config/roles-section";
import { HttpError } from "@/app/_lib/http/errors";
import { expandScopes, filteredScope, filtersOf, isTokenScope, parseScope, type FilterKind, type TokenScope } from "./scopes";

/**
 * JupyterHub's "self" scopes (jupyterhub/scopes.py _expand_self_scope, with JupyterHub 5's share
 * scopes): what the built-in "user" role gives, each limited to the user with "!user=<name>".
 */
const SELF_SCOPES: readonly TokenScope[] = [
  "read:users",
  "read:users:name",
  "read:users:groups",
  "users:activity",
  "read:users:activity",
  "servers",
  "delete:servers",
  "read:servers",
  "tokens",
  "read:tokens",
  "access:servers",
  "shares",
  "read:shares",
  "users:shares",
  "read:users:shares",
];

/** The built-in "user" role's scopes for `user`: their own resources ("servers!user=alice", …). */
export function selfScopes(user: string): string[] {
  return SELF_SCOPES.map((s) => filteredScope(s, "user", user));
}

/**
 * Whether `s` may stand in a configured role's scopes: a scope Gyre knows (with a filter), JupyterHub's
 * metascope "self" (the holder's own resources), or a scope with a bare filter "!user", "!server" or
 * "!service" that the scope takes — JupyterHub's "the holder's own": a user's name, a service's name.
 */
export function isRoleScope(s: string): boolean {
  if (s === "self" || parseScope(s) !== null) return true;
  const m = /^([^!]+)!(user|server|service)$/.exec(s);
  return !!m && isTokenScope(m[1]) && filtersOf(m[1]).includes(m[2] as FilterKind);
}

/**
 * A role's scopes as its holder has them (JupyterHub's expand_scopes with the owner): "self"
 * becomes the holder's own resources, a bare "!user" filter "!user=<holder>" for a user, a bare
 * "!service" "!service=<holder>" for a service. A bare filter with nothing to name (a user's
 * "!server" or "!service", a service's "!user" or "!server", a service's "self") grants nothing,
 * as in JupyterHub, which drops it.
 */
export function roleScopesFor(role: Pick<RoleConfig, "scopes">, holder: { kind: "user" | "service"; name: string } | string): string[] {
  const h = typeof holder === "string" ? { kind: "user" as const, name: holder } : holder;
  return role.scopes.flatMap((s) => {
    if (s === "self") return h.kind === "user" ? selfScopes(h.name) : [];
    const m = /^([^!]+)!(user|server|service)$/.exec(s);
    if (!m) return [s];
    return m[2] === h.kind ? [filteredScope(m[1] as TokenScope, h.kind, h.name)] : [];
  });
}

/** Who a role's assignment is checked against: a user, with their group names. */
export interface RoleHolder {
  name: string;
  admin: boolean;
  groups: readonly string[];
}

/** The configured roles assigned to `user`, directly or through one of their groups. */
function configuredRolesOf(roles: readonly RoleConfig[], user: RoleHolder): RoleConfig[] {
  return roles.filter((r) => r.users.includes(user.name) || r.groups.some((g) => user.groups.includes(g)));
}

/**
 * A user's roles as JupyterHub's user model lists them: "user" for everyone, "admin" for admins,
 * then the configured roles assigned to them or to one of their groups.
 */
export function rolesOfUser(roles: readonly RoleConfig[], user: RoleHolder): string[] {
  return ["user", ...(user.admin ? ["admin"] : []), ...configuredRolesOf(roles, user).map((r) => r.name)];
}

/**
 * The scopes a user's configured roles give beyond their own resources (expanded; empty when
 * none). An admin needs none: an admin may do everything already.
 */
export function roleScopesOfUser(roles: readonly RoleConfig[], user: RoleHolder): Set<string> {
  const granted = configuredRolesOf(roles, user).flatMap((r) => roleScopesFor(r, user.name));
  return granted.length && !user.admin ? expandScopes(granted) : new Set();
}

/** The configured roles assigned to group `group` (JupyterHub's group model's roles). */
export function rolesOfGroup(roles: readonly RoleConfig[], group: string): string[] {
  return roles.filter((r) => r.groups.includes(group)).map((r) => r.name);
}

/** The configured roles assigned to service `service`. */
export function configuredRolesOfService(roles: readonly RoleConfig[], service: string): RoleConfig[] {
  return roles.filter((r) => r.services.includes(service));
}

/**
 * The scopes a token made with `requested` roles (POST /users/{name}/tokens `roles`, JupyterHub's
 * older way, evaluated to scopes when the token is made) carries: "token" is inherit, "user" the
 * owner's own resources, "admin" everything an admin may (admins only), a configured role its
 * scopes when it is assigned to the owner. "server" is a server's own token's role: refused.
 * Unknown roles are a 400, roles the owner does not have a 403.
 */
export function scopesOfTokenRoles(roles: readonly RoleConfig[], owner: RoleHolder, requested: readonly string[]): string[] {
  const mine = new Set(configuredRolesOf(roles, owner).map((r) => r.name));
  const out: string[] = [];
  for (const name of requested) {
    if (name === "token") out.push("inherit");
    else if (name === "user") out.push(...selfScopes(owner.name));
    else if (name === "admin") {
      if (!owner.admin) throw new HttpError(403, `The role "admin" is not ${owner.name}'s.`);
      out.push("inherit");
    } else if (name === "server") throw new HttpError(400, `The role "server" is for servers' own tokens, which the hub makes when it starts a server.`);
    else {
      const role = roles.find((r) => r.name === name);
      if (!role) throw new HttpError(400, `No such role: ${name.slice(0, 64)}`);
      if (!mine.has(name) && !owner.admin) throw new HttpError(403, `The role "${name}" is not assigned to ${owner.name} (nor to one of their groups).`);
      out.push(...roleScopesFor(role, owner.name));
    }
  }
  // "inherit" with anything else is inherit (a token stores that as no scopes at all)
  return out.includes("inherit") ? [] : [...new Set(out)];
}
