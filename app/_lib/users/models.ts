// Builds JupyterHub-shaped user JSON from database rows, and cuts it down to what a token's scopes
// may read (pure).
import type { ServerModel, UserModel } from "@/app/_lib/models";
import { isoText, toServerModel, type Instant, type ServerModelOptions, type ServerRow } from "@/app/_lib/servers/models";
import { hasScope, scopesFor } from "@/app/_lib/auth/scopes";
import { roleScopesOfUser, rolesOfUser, selfScopes } from "@/app/_lib/auth/roles";
import { oauthSessionId } from "@/app/_lib/auth/oauth-session-id";
import type { RoleConfig } from "@/config/roles-section";

export interface UserRow {
  name: string;
  admin: boolean;
  createdAt: Instant;
  lastActivity: Instant | null;
  servers: ServerRow[];
  groups?: { group: { name: string } }[];
}

/** How a user model is built: `allServers` includes stopped/failed servers too (include_stopped_servers; the hub's own pages), `describe` gives servers their details. */
export interface UserModelOptions extends ServerModelOptions {
  allServers?: boolean;
}

export function toUserModel(u: UserRow, opts: UserModelOptions = {}): UserModel {
  const servers: Record<string, ServerModel> = {};
  for (const s of u.servers) {
    if (opts.allServers || s.state !== "stopped") servers[s.name] = toServerModel(u.name, s, opts);
  }
  const def = servers[""];
  return {
    kind: "user",
    name: u.name,
    admin: u.admin,
    groups: (u.groups ?? []).map((g) => g.group.name),
    created: isoText(u.createdAt),
    last_activity: u.lastActivity ? isoText(u.lastActivity) : null,
    server: def?.ready ? def.url : null,
    pending: def?.pending ?? null,
    servers,
  };
}

const NO_NAMES: string[] = [];
/** rolesOfUser's answer as JSON for a user and an admin when no roles are configured */
const USER_ROLES = `["user"]`;
const ADMIN_ROLES = `["user","admin"]`;

/**
 * The text JSON.stringify gives for withUserRoles(toUserModel(u, opts), roles) — the whole model, as
 * a caller with "inherit" sees it — written directly: no model object per user, no second walk
 * over them to serialise (the users list's hot path, bench/README.md phase 3i). Strings go through
 * JSON.stringify, so the escaping is its own; the servers object is toServerModel's.
 */
export function userJsonText(u: UserRow, roles: readonly RoleConfig[], opts: UserModelOptions = {}): string {
  const groups = u.groups?.length ? u.groups.map((g) => g.group.name) : NO_NAMES;
  let servers = "{}";
  let server = "null";
  let pending = "null";
  if (u.servers.length) {
    const models: Record<string, ServerModel> = {};
    for (const s of u.servers) if (opts.allServers || s.state !== "stopped") models[s.name] = toServerModel(u.name, s, opts);
    servers = JSON.stringify(models);
    const def = models[""];
    if (def?.ready) server = JSON.stringify(def.url);
    if (def?.pending) pending = JSON.stringify(def.pending);
  }
  const name = JSON.stringify(u.name);
  // without configured roles a user's are "user" and, for an admin, "admin" (rolesOfUser)
  const userRoles = roles.length ? JSON.stringify(rolesOfUser(roles, { name: u.name, admin: u.admin, groups })) : u.admin ? ADMIN_ROLES : USER_ROLES;
  const last = u.lastActivity ? JSON.stringify(isoText(u.lastActivity)) : "null";
  return (
    `{"kind":"user","name":${name},"admin":${u.admin},"roles":${userRoles},"groups":${groups.length ? JSON.stringify(groups) : "[]"},` +
    `"created":${JSON.stringify(isoText(u.createdAt))},"last_activity":${last},"server":${server},"pending":${pending},"servers":${servers}}`
  );
}

/** The fields each read scope reveals (JupyterHub's access map in its user_model). */
const FIELDS_BY_SCOPE: Record<string, readonly (keyof UserModel)[]> = {
  "read:users": ["kind", "name", "admin", "groups", "server", "pending", "created", "last_activity"],
  "read:users:name": ["kind", "name", "admin"],
  "read:users:groups": ["kind", "name", "groups"],
  "read:users:activity": ["kind", "name", "last_activity"],
  "read:servers": ["kind", "name", "servers"],
  "read:roles:users": ["kind", "name", "roles"],
};

/** The model with its roles (JupyterHub's user model lists them; read:roles:users shows them). */
export function withUserRoles(model: UserModel, roles: readonly RoleConfig[]): UserModel {
  const { kind, name, admin, ...rest } = model;
  return { kind, name, admin, roles: rolesOfUser(roles, { name, admin, groups: model.groups }), ...rest };
}

/**
 * The part of a user model a token with these (expanded) scopes may read; null when it may read
 * none of it. "inherit" (sessions, tokens without a scope list) reads everything.
 */
export function filterUserModel(model: UserModel, scopes: ReadonlySet<string>): Partial<UserModel> | null {
  if (scopes.has("inherit")) return model;
  const keys = new Set<keyof UserModel>();
  for (const [scope, fields] of Object.entries(FIELDS_BY_SCOPE)) if (scopes.has(scope)) for (const f of fields) keys.add(f);
  if (!keys.size) return null;
  return Object.fromEntries(Object.entries(model).filter(([k]) => keys.has(k as keyof UserModel)));
}

/**
 * The part of `model` a token with these (expanded, possibly filtered) scopes may read, as
 * JupyterHub's user_model: the fields its user-level scopes cover, and in `servers` each server its
 * read:servers covers — all of them with read:servers on the user (or its group), only the named
 * one with read:servers!server=<user>/<server> (then `servers` is there only when it holds one).
 * Null when it may read none of the model.
 */
export function visibleUserModel(model: UserModel, scopes: ReadonlySet<string>): Partial<UserModel> | null {
  const here = scopesFor(scopes, { user: model.name, userGroups: model.groups });
  const visible = filterUserModel(model, here);
  if (!visible || hasScope(here, "read:servers")) return visible;
  const servers = Object.entries(model.servers).filter(([n]) =>
    hasScope(scopesFor(scopes, { user: model.name, server: { user: model.name, name: n }, userGroups: model.groups }), "read:servers"),
  );
  return servers.length ? { ...visible, servers: Object.fromEntries(servers) } : visible;
}

/** JupyterHub's "identify" scopes: every token may read its own owner's name and groups. */
const IDENTIFY_SCOPES = ["read:users:name", "read:users:groups"];

/**
 * GET /hub/api/user's answer (JupyterHub's RequestIdentity): the owner's model as the request's
 * scopes plus the identify scopes show it, the token's id ("a<n>", null for a session) and the
 * request's own scopes, sorted (without the identify scopes added; "inherit" with the owner's own
 * and their configured `roles`' scopes, inheritedScopes). session_id: the login session an OAuth token was issued through (the derived
 * id, sessions.ts oauthSessionId), null for API tokens; for a browser session its derived id
 * (never the session's own id, the cookie's secret).
 */
export function identityModel(
  model: UserModel,
  who: { via: "session" | "token"; scopes: ReadonlySet<string>; tokenId?: number; oauthSessionId?: string | null; sessionId?: string },
  roles: readonly RoleConfig[] = [],
): Partial<UserModel> & { token_id: string | null; session_id: string | null; scopes: string[] } {
  const here = scopesFor(who.scopes, { user: model.name, userGroups: model.groups });
  const visible = filterUserModel(model, new Set([...here, ...IDENTIFY_SCOPES]))!;
  return {
    ...visible,
    token_id: who.via === "token" && who.tokenId !== undefined ? `a${who.tokenId}` : null,
    session_id: who.via === "token" ? (who.oauthSessionId ?? null) : who.sessionId ? oauthSessionId(who.sessionId) : null,
    scopes: (who.scopes.has("inherit") ? inheritedScopes(model, roles) : [...who.scopes]).sort(),
  };
}

/**
 * What "inherit" lists in GET /hub/api/user: "inherit" itself and, as JupyterHub lists the owner's
 * expanded scopes from all their roles, the user's own ("self": access:servers!user=<name>, …), an
 * admin's unfiltered access:servers — what jupyterhub-singleuser checks a caller's token for
 * (JUPYTERHUB_OAUTH_ACCESS_SCOPES), so an owner's or admin's plain API token opens its server — and
 * the expanded scopes of the configured roles they hold, directly or through a group (the ones
 * authorization grants them: roleScopesOfUser; a TA's access:servers!group=class).
 */
function inheritedScopes(model: UserModel, roles: readonly RoleConfig[]): string[] {
  const own = [...selfScopes(model.name), ...(model.admin ? ["access:servers"] : [])];
  return [...new Set(["inherit", ...own, ...roleScopesOfUser(roles, { name: model.name, admin: model.admin, groups: model.groups })])];
}
