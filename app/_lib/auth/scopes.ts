// API token scopes: a small set named after JupyterHub's, and which one each REST request needs.
// Pure. A token's scopes are intersected with its owner's rights: a scope never grants more than
// the owner may do (an admin's "servers" token may stop others' servers; a user's may not).
import { NAME_SOURCE } from "@/app/_lib/users/names";

/** Every scope a token may carry, with what it allows (shown on /hub/token). JupyterHub's names. */
export const TOKEN_SCOPES = {
  inherit: "Everything you may do (the default).",
  "read:users:name": "Read user names and admin flags (who am I).",
  "read:users:activity": "Read users' last activity.",
  "read:users:groups": "Read users' group names.",
  "read:users": "Read user models: name, admin flag, groups, activity, creation date.",
  "list:users": "List users (GET /hub/api/users; admins only).",
  "read:servers": "Read server models (state, activity) and a start's progress and log.",
  "delete:servers": "Stop servers.",
  servers: "Start and stop servers and read their models, progress and log.",
  "access:servers": "Reach your servers through the proxy (scripts calling Jupyter's API).",
  "users:activity": "Report users' and their servers' last activity (POST /hub/api/users/{name}/activity).",
  users: "Read and list users (admins only).",
  "read:tokens": "List and read API tokens.",
  tokens: "List, create and revoke API tokens.",
  "delete:users": "Delete users (admins only).",
  "admin:users": "Create, change and delete users and revoke their sessions (admins only).",
  "read:hub": "Read the hub's detailed information, /hub/api/info (admins only).",
  "list:groups": "List group names (GET /hub/api/groups; with read:groups also their members and properties; admins only).",
  "read:groups": "Read a group's members and properties (GET /hub/api/groups/{name}; admins only).",
  "list:services": "List service names (GET /hub/api/services; with read:services their models; admins and services).",
  "read:services": "Read service models (GET /hub/api/services/{name}; admins and services).",
  shares: "Share your servers with other users and groups, and issue share codes.",
  "read:shares": "List who your servers are shared with, and your share codes.",
  "users:shares": "Read and leave the servers shared with you.",
  "read:users:shares": "Read the servers shared with you.",
  "groups:shares": "End a group's shares (admins only).",
  "read:groups:shares": "Read the servers shared with your groups.",
  "read:metrics": "Read the hub's Prometheus metrics (GET /hub/metrics; admins only).",
  groups: "Add and remove group members and set group properties; read and list groups (admins only).",
  "delete:groups": "Delete groups (admins only).",
  "admin:groups": "Create and delete groups, and everything the groups scope allows (admins only).",
  proxy: "Read the proxy's routing table (GET /hub/api/proxy; admins only).",
} as const;

export type TokenScope = keyof typeof TOKEN_SCOPES;

/**
 * Scopes that include others: JupyterHub's scope hierarchy (jupyterhub/scopes.py), reduced to the
 * scopes Gyre has. Scopes are not transitive here: each entry lists everything it includes.
 */
const IMPLIES: Partial<Record<TokenScope, TokenScope[]>> = {
  "read:users": ["read:users:name", "read:users:groups", "read:users:activity"],
  users: ["read:users", "list:users", "users:activity", "read:users:name", "read:users:groups", "read:users:activity"],
  "admin:users": ["users", "delete:users", "read:users", "list:users", "users:activity", "read:users:name", "read:users:groups", "read:users:activity"],
  "read:servers": ["read:users:name"],
  servers: ["read:servers", "delete:servers", "read:users:name"],
  tokens: ["read:tokens"],
  shares: ["read:shares"],
  "users:shares": ["read:users:shares"],
  "groups:shares": ["read:groups:shares"],
  groups: ["read:groups", "list:groups"],
  "admin:groups": ["groups", "delete:groups", "read:groups", "list:groups"],
};

/** Is `s` a scope Gyre knows? */
export function isTokenScope(s: string): s is TokenScope {
  return Object.hasOwn(TOKEN_SCOPES, s);
}

/**
 * "access:servers" limited to one server, in JupyterHub's filter syntax:
 * "access:servers!server=<user>/<server>" (the token a /build ready message hands out).
 */
const SERVER_ACCESS_FILTER = new RegExp(`^access:servers!server=(${NAME_SOURCE})/(${NAME_SOURCE})?$`);

/** The scope that reaches only `user`'s server `server` ("" = the default server). */
export function serverAccessScope(user: string, server: string): string {
  return `access:servers!server=${user}/${server}`;
}

/** The server a filtered access scope names, or null for any other scope. */
export function parseServerAccessScope(scope: string): { user: string; server: string } | null {
  const m = SERVER_ACCESS_FILTER.exec(scope);
  return m ? { user: m[1], server: m[2] ?? "" } : null;
}

/**
 * JupyterHub's "access:services!service=<name>": who may use one service (what the hub's OAuth
 * provider gives a service's access tokens, and what HubOAuth checks in /hub/api/user's scopes).
 */
const SERVICE_ACCESS_FILTER = /^access:services!service=([a-z0-9][a-z0-9_-]{0,63})$/;

/** The scope that lets a token's owner use the service `name`. */
export function serviceAccessScope(name: string): string {
  return `access:services!service=${name}`;
}

/** The service a filtered access:services scope names, or null for any other scope. */
export function parseServiceAccessScope(scope: string): string | null {
  return SERVICE_ACCESS_FILTER.exec(scope)?.[1] ?? null;
}

/** Scopes that may be limited to one user with JupyterHub's "!user=<name>" filter. */
const USER_FILTERABLE: readonly TokenScope[] = ["users:activity"];
const USER_FILTER = new RegExp(`^([a-z:]+)!user=(${NAME_SOURCE})$`);

/** `scope` limited to `user`, e.g. "users:activity!user=alice" (a server's own token). */
export function userScope(scope: TokenScope, user: string): string {
  return `${scope}!user=${user}`;
}

/** The scope and user a "!user=" filtered scope names, or null for any other scope. */
export function parseUserScope(scope: string): { scope: TokenScope; user: string } | null {
  const m = USER_FILTER.exec(scope);
  return m && (USER_FILTERABLE as readonly string[]).includes(m[1]) ? { scope: m[1] as TokenScope, user: m[2] } : null;
}

/**
 * Whether a filtered scope covers a request that needs one of `anyOf`: "X!user=alice" covers X on
 * /api/users/alice/… only (JupyterHub's filters; the handler still checks the owner's rights).
 */
export function userScopeCovers(scopes: ReadonlySet<string>, anyOf: readonly TokenScope[], pathname: string): boolean {
  const m = /^(?:\/hub)?\/api\/users\/([^/]+)(?:\/|$)/.exec(pathname);
  if (!m) return false;
  return [...scopes].some((s) => {
    const f = parseUserScope(s);
    return f !== null && f.user === m[1] && anyOf.includes(f.scope);
  });
}

/** Scopes that may be limited to one group with JupyterHub's "!group=<name>" filter. */
const GROUP_FILTERABLE: readonly TokenScope[] = ["groups", "read:groups"];
const GROUP_FILTER = /^([a-z:]+)!group=([A-Za-z0-9][A-Za-z0-9_.:-]{0,127})$/;

/** The scope and group a "!group=" filtered scope names, or null for any other scope. */
export function parseGroupScope(scope: string): { scope: TokenScope; group: string } | null {
  const m = GROUP_FILTER.exec(scope);
  return m && (GROUP_FILTERABLE as readonly string[]).includes(m[1]) ? { scope: m[1] as TokenScope, group: m[2] } : null;
}

/**
 * Whether a group-filtered scope covers a request that needs one of `anyOf`: "groups!group=staff"
 * covers "groups" on /api/groups/staff/… only; it includes "read:groups" there, as in JupyterHub.
 */
export function groupScopeCovers(scopes: ReadonlySet<string>, anyOf: readonly TokenScope[], pathname: string): boolean {
  const m = /^(?:\/hub)?\/api\/groups\/([^/]+)(?:\/|$)/.exec(pathname);
  if (!m) return false;
  let group: string;
  try {
    group = decodeURIComponent(m[1]);
  } catch {
    return false;
  }
  return [...scopes].some((s) => {
    const f = parseGroupScope(s);
    if (f === null || f.group !== group) return false;
    return anyOf.includes(f.scope) || (f.scope === "groups" && anyOf.includes("read:groups"));
  });
}

/** The scope a filtered scope limits ("groups!group=staff" → "groups"); the scope itself otherwise. */
export function baseScope(scope: string): string {
  return parseUserScope(scope)?.scope ?? parseGroupScope(scope)?.scope ?? (parseServerAccessScope(scope) ? "access:servers" : scope);
}

/**
 * The scopes a stored token really has: the stored list expanded by IMPLIES; an empty list (tokens
 * made before scopes existed, or without any) means "inherit". Unknown names are dropped; scopes
 * limited to one server are kept as they are (they never satisfy the unlimited scope).
 */
export function expandScopes(stored: readonly string[]): Set<string> {
  const out = new Set<string>();
  const known = stored.filter(isTokenScope);
  for (const s of stored.length ? known : (["inherit"] as TokenScope[])) {
    out.add(s);
    for (const i of IMPLIES[s] ?? []) out.add(i);
  }
  for (const s of stored)
    if (parseServerAccessScope(s) || parseUserScope(s) || parseServiceAccessScope(s) || parseShareScope(s) || parseGroupScope(s)) out.add(s);
  return out;
}

/** Does a token with these (expanded) scopes carry `needed`? "inherit" carries everything. */
export function hasScope(scopes: ReadonlySet<string>, needed: TokenScope): boolean {
  return scopes.has("inherit") || scopes.has(needed);
}

/** Does a token carry one of `anyOf`? An empty list needs no scope (any valid token will do). */
export function hasAnyScope(scopes: ReadonlySet<string>, anyOf: readonly TokenScope[]): boolean {
  return anyOf.length === 0 || anyOf.some((s) => hasScope(scopes, s));
}

/** May a token with these stored scopes be used to reach servers through the proxy? */
export function allowsServerAccess(stored: readonly string[]): boolean {
  return hasScope(expandScopes(stored), "access:servers");
}

/** Scopes any one of which lets a token read a user's model (it then sees the fields they cover). */
const READ_USER: TokenScope[] = ["read:users", "read:users:name", "read:users:activity", "read:users:groups", "read:servers"];

/**
 * The scopes a REST request made with an API token needs — any one of them — from its method and
 * path (with or without the /hub prefix), as JupyterHub's handlers ask for them. An empty list: any
 * valid token (who am I). Endpoints not listed need "inherit", so a new endpoint is closed to
 * narrow tokens until someone decides which scope it belongs to.
 */
export function requiredScopes(method: string, pathname: string): TokenScope[] {
  const p = pathname.replace(/^\/hub(?=\/)/, "").replace(/\/+$/, "");
  const read = method === "GET" || method === "HEAD";
  if (p === "/api" && read) return [];
  if (p === "/api/user" && read) return [];
  if (p === "/api/info" && read) return ["read:hub"];
  if ((p === "/metrics" || p === "/api/metrics") && read) return ["read:metrics"];
  if (p === "/api/proxy") return ["proxy"];
  if (/^\/api\/users\/[^/]+\/tokens(\/[^/]+)?$/.test(p)) return read ? ["read:tokens"] : ["tokens"];
  if (/^\/api\/users\/[^/]+\/(server|servers\/[^/]+)\/(progress|log)$/.test(p)) return read ? ["read:servers"] : ["inherit"];
  if (/^\/api\/users\/[^/]+\/(server|servers\/[^/]+)$/.test(p) && read) return ["read:servers"];
  if (/^\/api\/users\/[^/]+\/(server|servers|servers\/[^/]+)$/.test(p)) return method === "DELETE" ? ["delete:servers"] : ["servers"];
  if (/^\/api\/users\/[^/]+\/sessions$/.test(p)) return ["admin:users"];
  if (/^\/api\/users\/[^/]+\/activity$/.test(p) && method === "POST") return ["users:activity"];
  // BinderHub's event-stream API starts a server of the caller, as POST /api/launches does
  if (p.startsWith("/build/")) return ["servers"];
  // a launch starts a server of the caller
  if (p === "/api/launches" || p === "/api/git-pull") return ["servers"];
  if (p === "/api/groups") return read ? ["list:groups"] : method === "POST" ? ["admin:groups"] : ["inherit"];
  if (/^\/api\/groups\/[^/]+$/.test(p))
    return read ? ["read:groups"] : method === "POST" ? ["admin:groups"] : method === "DELETE" ? ["delete:groups"] : ["inherit"];
  if (/^\/api\/groups\/[^/]+\/users$/.test(p) && (method === "POST" || method === "DELETE")) return ["groups"];
  if (/^\/api\/groups\/[^/]+\/properties$/.test(p) && method === "PUT") return ["groups"];
  if (p === "/api/services" && read) return ["list:services"];
  if (/^\/api\/services\/[^/]+$/.test(p) && read) return ["read:services"];
  if (/^\/api\/(shares|share-codes)\/[^/]+(\/[^/]+)?$/.test(p)) return read ? ["read:shares"] : ["shares"];
  if (/^\/api\/users\/[^/]+\/shared(\/[^/]+\/[^/]+)?$/.test(p)) return read ? ["read:users:shares"] : ["users:shares"];
  if (/^\/api\/groups\/[^/]+\/shared(\/[^/]+\/[^/]+)?$/.test(p)) return read ? ["read:groups:shares"] : ["groups:shares"];
  if (p === "/api/users") return read ? ["list:users"] : ["admin:users"];
  if (/^\/api\/users\/[^/]+$/.test(p)) return read ? READ_USER : method === "DELETE" ? ["delete:users"] : ["admin:users"];
  return ["inherit"];
}

/** Scopes only an admin's token may carry (they concern other users or the hub). */
export const ADMIN_ONLY_SCOPES: readonly TokenScope[] = [
  "admin:users",
  "users",
  "list:users",
  "delete:users",
  "read:hub",
  "list:groups",
  "read:groups",
  "list:services",
  "read:services",
  "groups:shares",
  "read:metrics",
  "groups",
  "delete:groups",
  "admin:groups",
  "proxy",
];

/**
 * "shares" and "read:shares" limited to one owner or one server, in JupyterHub's filter syntax:
 * "shares!user=<owner>", "shares!server=<owner>/<server>" ("" after the slash: the default server).
 */
const SHARE_FILTER = new RegExp(`^(shares|read:shares)!(?:user=(${NAME_SOURCE})|server=(${NAME_SOURCE})/(${NAME_SOURCE})?)$`);

/** The scope, owner and server (undefined: any of the owner's) a filtered share scope names, or null. */
export function parseShareScope(scope: string): { scope: "shares" | "read:shares"; user: string; server?: string } | null {
  const m = SHARE_FILTER.exec(scope);
  if (!m) return null;
  return m[2] ? { scope: m[1] as "shares", user: m[2] } : { scope: m[1] as "shares", user: m[3], server: m[4] ?? "" };
}

/**
 * Whether a filtered share scope covers a request that needs one of `anyOf` on
 * /api/shares|share-codes/<owner>[/<server>]: "!user=<owner>" covers all of the owner's servers,
 * "!server=<owner>/<server>" that one server ("_default_" in the path is the default server).
 */
export function shareScopeCovers(scopes: ReadonlySet<string>, anyOf: readonly TokenScope[], pathname: string): boolean {
  const m = /^(?:\/hub)?\/api\/(?:shares|share-codes)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m) return false;
  const server = m[2] === undefined ? undefined : m[2] === "_default_" ? "" : m[2];
  return [...scopes].some((s) => {
    const f = parseShareScope(s);
    if (!f || f.user !== m[1] || !anyOf.some((a) => a === f.scope || (a === "read:shares" && f.scope === "shares"))) return false;
    return f.server === undefined || f.server === server;
  });
}

/** Parses a requested scope list; returns the unknown names (empty when all are valid). */
export function unknownScopes(requested: readonly string[]): string[] {
  return requested.filter(
    (s) => !isTokenScope(s) && !parseServerAccessScope(s) && !parseUserScope(s) && !parseServiceAccessScope(s) && !parseShareScope(s) && !parseGroupScope(s),
  );
}

/**
 * Whether a token with `parent` scopes may create a token with `child` scopes: never more than it
 * has itself (JupyterHub's rule), so a narrow token cannot mint a broad one.
 */
export function mayGrant(parent: ReadonlySet<string>, child: readonly string[]): boolean {
  if (parent.has("inherit")) return true;
  // one server's access is part of access to all servers
  return [...expandScopes(child)].every(
    (s) =>
      parent.has(s) ||
      (parseServerAccessScope(s) !== null && parent.has("access:servers")) ||
      parent.has(parseUserScope(s)?.scope ?? "") ||
      parent.has(parseShareScope(s)?.scope ?? "") ||
      parent.has(parseGroupScope(s)?.scope ?? ""),
  );
}
