// API token scopes: a small set named after JupyterHub's, and which one each REST request needs.
// Pure. A token's scopes are intersected with its owner's rights: a scope never grants more than
// the owner may do (an admin's "servers" token may stop others' servers; a user's may not).

/** Every scope a token may carry, with what it allows (shown on /hub/token). */
export const TOKEN_SCOPES = {
  inherit: "Everything you may do (the default).",
  "read:users:name": "Read your user name (who am I).",
  "read:users": "Read user models: name, admin flag, servers and their state.",
  servers: "Start and stop your servers and read their progress and log.",
  "access:servers": "Reach your servers through the proxy (scripts calling Jupyter's API).",
  tokens: "List, create and revoke API tokens.",
  "admin:users": "Create, change and delete users and revoke their sessions (admins only).",
} as const;

export type TokenScope = keyof typeof TOKEN_SCOPES;

/** Scopes that include others (JupyterHub's scope hierarchy, reduced to what Gyre uses). */
const IMPLIES: Partial<Record<TokenScope, TokenScope[]>> = {
  "read:users": ["read:users:name"],
  "admin:users": ["read:users", "read:users:name"],
};

/** Is `s` a scope Gyre knows? */
export function isTokenScope(s: string): s is TokenScope {
  return Object.hasOwn(TOKEN_SCOPES, s);
}

/**
 * The scopes a stored token really has: the stored list expanded by IMPLIES; an empty list (tokens
 * made before scopes existed, or without any) means "inherit". Unknown names are dropped.
 */
export function expandScopes(stored: readonly string[]): Set<TokenScope> {
  const out = new Set<TokenScope>();
  const known = stored.filter(isTokenScope);
  for (const s of stored.length ? known : (["inherit"] as TokenScope[])) {
    out.add(s);
    for (const i of IMPLIES[s] ?? []) out.add(i);
  }
  return out;
}

/** Does a token with these (expanded) scopes carry `needed`? "inherit" carries everything. */
export function hasScope(scopes: ReadonlySet<string>, needed: TokenScope): boolean {
  return scopes.has("inherit") || scopes.has(needed);
}

/** May a token with these stored scopes be used to reach servers through the proxy? */
export function allowsServerAccess(stored: readonly string[]): boolean {
  return hasScope(expandScopes(stored), "access:servers");
}

/**
 * The scope a REST request made with an API token needs, from its method and path (with or
 * without the /hub prefix). Endpoints not listed need "inherit", so a new endpoint is closed to
 * narrow tokens until someone decides which scope it belongs to.
 */
export function requiredScope(method: string, pathname: string): TokenScope {
  const p = pathname.replace(/^\/hub(?=\/)/, "").replace(/\/+$/, "");
  const read = method === "GET" || method === "HEAD";
  if (p === "/api" && read) return "read:users:name";
  if (p === "/api/user" && read) return "read:users:name";
  if (/^\/api\/users\/[^/]+\/tokens(\/[^/]+)?$/.test(p)) return "tokens";
  if (/^\/api\/users\/[^/]+\/(server|servers\/[^/]+)(\/(progress|log))?$/.test(p)) return "servers";
  if (/^\/api\/users\/[^/]+\/sessions$/.test(p)) return "admin:users";
  if (/^\/api\/users(\/[^/]+)?$/.test(p)) return read ? "read:users" : "admin:users";
  return "inherit";
}

/** Parses a requested scope list; returns the unknown names (empty when all are valid). */
export function unknownScopes(requested: readonly string[]): string[] {
  return requested.filter((s) => !isTokenScope(s));
}

/**
 * Whether a token with `parent` scopes may create a token with `child` scopes: never more than it
 * has itself (JupyterHub's rule), so a narrow token cannot mint a broad one.
 */
export function mayGrant(parent: ReadonlySet<string>, child: readonly string[]): boolean {
  if (parent.has("inherit")) return true;
  return [...expandScopes(child)].every((s) => parent.has(s));
}
