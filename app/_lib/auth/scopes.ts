// API token scopes: JupyterHub 5's names and filters, and which one each REST request needs.
// Pure. A token's scopes are intersected with its owner's rights: a scope never grants more than
// the owner may do (an admin's "servers" token may stop others' servers; a user's may not).
import { NAME_SOURCE, SERVERNAME_PATTERN, USERNAME_PATTERN } from "@/app/_lib/users/names";

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
  "admin:servers": "Start, stop and read servers, with their state (admins only).",
  "admin:server_state": "Read servers' state (admins only; Gyre's state is the state word every server model shows).",
  "access:services": "Use services through the proxy (HubAuth/HubOAuth accept the token).",
  "read:roles": "Read role assignments of users, groups and services.",
  "read:roles:users": "Read users' roles (the roles field of user models).",
  "read:roles:groups": "Read groups' roles (the roles field of group models).",
  "read:roles:services": "Read services' roles (the roles field of service models).",
  "read:groups:name": "Read group names (admins only).",
  "read:services:name": "Read service names (admins and services).",
} as const;

export type TokenScope = keyof typeof TOKEN_SCOPES;

/**
 * Scopes that include others: JupyterHub 5's scope hierarchy (jupyterhub/scopes.py), reduced to
 * the scopes Gyre has. Scopes are not transitive here: each entry lists everything it includes.
 */
const IMPLIES: Partial<Record<TokenScope, TokenScope[]>> = {
  "read:users": ["read:users:name", "read:users:groups", "read:users:activity"],
  users: ["read:users", "list:users", "users:activity", "read:users:name", "read:users:groups", "read:users:activity"],
  "admin:users": [
    "users",
    "delete:users",
    "read:users",
    "list:users",
    "users:activity",
    "read:users:name",
    "read:users:groups",
    "read:users:activity",
    "read:roles:users",
  ],
  "read:servers": ["read:users:name"],
  servers: ["read:servers", "delete:servers", "read:users:name"],
  "admin:servers": ["servers", "admin:server_state", "read:servers", "delete:servers", "read:users:name"],
  tokens: ["read:tokens"],
  shares: ["read:shares"],
  "users:shares": ["read:users:shares"],
  "groups:shares": ["read:groups:shares"],
  "list:groups": ["read:groups:name"],
  "read:groups": ["read:groups:name"],
  groups: ["read:groups", "list:groups", "read:groups:name"],
  "admin:groups": ["groups", "delete:groups", "read:groups", "list:groups", "read:groups:name", "read:roles:groups"],
  "list:services": ["read:services:name"],
  "read:services": ["read:services:name"],
  "read:roles": ["read:roles:users", "read:roles:groups", "read:roles:services"],
};

/** Is `s` a scope Gyre knows (without a filter)? */
export function isTokenScope(s: string): s is TokenScope {
  return Object.hasOwn(TOKEN_SCOPES, s);
}

/**
 * JupyterHub's horizontal filters, "<scope>!<kind>=<value>": a scope limited to one user (for the
 * scopes about servers: all that user's servers), one server ("<user>/<server>", nothing after the
 * slash: the default server), one group (the group itself for group scopes; its members for user
 * and server scopes) or one service.
 */
export type FilterKind = "user" | "group" | "server" | "service";

export interface ScopeFilter {
  kind: FilterKind;
  /** "alice", "ocean", "alice/gpu" ("alice/": the default server), "grafana" */
  value: string;
}

export interface ParsedScope {
  scope: TokenScope;
  filter?: ScopeFilter;
}

/** What a scope is about: which filters it takes, and what each of them matches. */
type Resource = "user" | "server" | "group" | "service" | "roles" | "hub";

const RESOURCE_OF: Record<TokenScope, Resource> = {
  inherit: "hub",
  "read:users:name": "user",
  "read:users:activity": "user",
  "read:users:groups": "user",
  "read:users": "user",
  "list:users": "user",
  "users:activity": "user",
  users: "user",
  "delete:users": "user",
  "admin:users": "user",
  "read:tokens": "user",
  tokens: "user",
  "users:shares": "user",
  "read:users:shares": "user",
  "read:roles:users": "user",
  "read:servers": "server",
  "delete:servers": "server",
  servers: "server",
  "admin:servers": "server",
  "admin:server_state": "server",
  "access:servers": "server",
  shares: "server",
  "read:shares": "server",
  "list:groups": "group",
  "read:groups": "group",
  "read:groups:name": "group",
  groups: "group",
  "delete:groups": "group",
  "admin:groups": "group",
  "groups:shares": "group",
  "read:groups:shares": "group",
  "read:roles:groups": "group",
  "list:services": "service",
  "read:services": "service",
  "read:services:name": "service",
  "access:services": "service",
  "read:roles:services": "service",
  "read:roles": "roles",
  "read:hub": "hub",
  "read:metrics": "hub",
  proxy: "hub",
};

const FILTERS_OF: Record<Resource, readonly FilterKind[]> = {
  user: ["user", "group"],
  server: ["user", "group", "server"],
  group: ["group"],
  service: ["service"],
  // read:roles passes its filter on to the read:roles:* scope that takes it
  roles: ["user", "group", "service"],
  hub: [],
};

/** Which filters `scope` takes (none: inherit and the hub's own scopes). */
export function filtersOf(scope: TokenScope): readonly FilterKind[] {
  return FILTERS_OF[RESOURCE_OF[scope]];
}

// The values a filter may name. None of them can hold "!" or "=", and only a server's holds a "/"
// (one, between its user and name), so no crafted name turns a filter into another or a wider one.
const FILTER_VALUE: Record<FilterKind, RegExp> = {
  user: new RegExp(`^(?:${NAME_SOURCE})$`),
  server: new RegExp(`^(?:${NAME_SOURCE})/(?:${NAME_SOURCE})?$`),
  group: /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
  service: /^[a-z0-9][a-z0-9_-]{0,63}$/,
};

/**
 * A scope with its filter, or null when it is not one Gyre knows: an unknown name, a filter the
 * scope does not take ("read:hub!user=a", "groups!user=a"), or a value no user, server, group or
 * service can have ("read:servers!user=a/b", "servers!server=a", "users!user=a!group=b").
 */
export function parseScope(s: string): ParsedScope | null {
  const bang = s.indexOf("!");
  if (bang < 0) return isTokenScope(s) ? { scope: s } : null;
  const base = s.slice(0, bang);
  const m = /^(user|group|server|service)=(.*)$/s.exec(s.slice(bang + 1));
  if (!m || !isTokenScope(base)) return null;
  const kind = m[1] as FilterKind;
  if (!filtersOf(base).includes(kind) || !FILTER_VALUE[kind].test(m[2])) return null;
  return { scope: base, filter: { kind, value: m[2] } };
}

/** `scope` limited by a filter: "read:servers!user=alice". */
export function filteredScope(scope: TokenScope, kind: FilterKind, value: string): string {
  return `${scope}!${kind}=${value}`;
}

/** The scope that reaches only `user`'s server `server` ("" = the default server). */
export function serverAccessScope(user: string, server: string): string {
  return filteredScope("access:servers", "server", `${user}/${server}`);
}

/** The server a filtered access scope names, or null for any other scope. */
export function parseServerAccessScope(scope: string): { user: string; server: string } | null {
  const p = parseScope(scope);
  if (p?.scope !== "access:servers" || p.filter?.kind !== "server") return null;
  const slash = p.filter.value.indexOf("/");
  return { user: p.filter.value.slice(0, slash), server: p.filter.value.slice(slash + 1) };
}

/** The scope that lets a token's owner use the service `name` (what HubOAuth checks). */
export function serviceAccessScope(name: string): string {
  return filteredScope("access:services", "service", name);
}

/** `scope` limited to `user`, e.g. "users:activity!user=alice" (a server's own token). */
export function userScope(scope: TokenScope, user: string): string {
  return filteredScope(scope, "user", user);
}

/** The scope a filtered scope limits ("groups!group=staff" → "groups"); the scope itself otherwise. */
export function baseScope(scope: string): string {
  return parseScope(scope)?.scope ?? scope;
}

/**
 * The scopes a stored token really has: the stored list expanded by IMPLIES; an empty list (tokens
 * made before scopes existed, or without any) means "inherit". Unknown names are dropped. A
 * filtered scope passes its filter on to the scopes it includes that take it ("servers!user=a" →
 * "read:servers!user=a", "delete:servers!user=a", "read:users:name!user=a"; a "!server=" filter
 * is not passed to read:users:name, which is about users); it never becomes the unlimited scope.
 */
export function expandScopes(stored: readonly string[]): Set<string> {
  const out = new Set<string>();
  if (!stored.length) out.add("inherit");
  for (const raw of stored) {
    const p = parseScope(raw);
    if (!p) continue;
    const f = p.filter;
    for (const s of [p.scope, ...(IMPLIES[p.scope] ?? [])]) {
      if (!f) out.add(s);
      else if (filtersOf(s).includes(f.kind)) out.add(filteredScope(s, f.kind, f.value));
    }
  }
  return out;
}

/** What a request (or a listed item) is about, for matching filtered scopes. */
export interface ScopeTarget {
  /** the user it concerns (a user model, their tokens, activity, servers, shares) */
  user?: string;
  /** the server it concerns: its user and name ("" the default server) */
  server?: { user: string; name: string };
  /** the group it concerns */
  group?: string;
  /** the service it concerns */
  service?: string;
  /** the groups `user` is a member of (for "!group=" on user and server scopes) */
  userGroups?: readonly string[];
}

/** Whether a filter on a scope about `resource` matches `t`. */
function filterMatches(resource: Resource, f: ScopeFilter, t: ScopeTarget): boolean {
  if (resource === "user" || resource === "server") {
    if (t.user === undefined) return false;
    if (f.kind === "user") return t.user === f.value;
    if (f.kind === "group") return (t.userGroups ?? []).includes(f.value);
    return f.kind === "server" && t.server !== undefined && t.server.user === t.user && `${t.server.user}/${t.server.name}` === f.value;
  }
  if (resource === "group") return f.kind === "group" && t.group === f.value;
  if (resource === "service") return f.kind === "service" && t.service === f.value;
  return false;
}

/**
 * The scopes that apply to `target`: the unfiltered ones, and the scope of each filtered one whose
 * filter matches it ("read:servers!user=alice" gives "read:servers" on alice's servers, nothing on
 * bob's). The answer holds no filtered scope: hasScope() on it decides.
 */
export function scopesFor(scopes: ReadonlySet<string>, target: ScopeTarget): Set<string> {
  const out = new Set<string>();
  for (const s of scopes) {
    const p = parseScope(s);
    if (!p) continue;
    if (!p.filter) out.add(s);
    else if (filterMatches(RESOURCE_OF[p.scope], p.filter, target)) out.add(p.scope);
  }
  return out;
}

/** Whether a token's scopes hold a "!group=" filter on a user or server scope (then the target user's groups are needed). */
export function needsUserGroups(scopes: ReadonlySet<string>): boolean {
  for (const s of scopes) {
    const p = parseScope(s);
    if (p?.filter?.kind === "group" && (RESOURCE_OF[p.scope] === "user" || RESOURCE_OF[p.scope] === "server")) return true;
  }
  return false;
}

/**
 * The filters limiting a list scope ("list:users!group=ocean") when the token lacks the unlimited
 * one: what a list answer must be cut to. null: not limited (the unlimited scope, or inherit); an
 * empty array: the token has no form of the scope.
 */
export function listFilters(scopes: ReadonlySet<string>, scope: TokenScope): ScopeFilter[] | null {
  if (hasScope(scopes, scope)) return null;
  const out: ScopeFilter[] = [];
  for (const s of scopes) {
    const p = parseScope(s);
    if (p?.scope === scope && p.filter) out.push(p.filter);
  }
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
  "admin:servers",
  "admin:server_state",
  "read:groups:name",
  "read:services:name",
];

/**
 * What a REST request is about, from its path (with or without the /hub prefix), for the filtered
 * scopes: the user of /api/users/<name>/…, the server of …/server and …/servers/<name>, the owner
 * and server of /api/shares|share-codes/<owner>/<server> ("_default_": the default server), the
 * group of /api/groups/<name>/…, the service of /api/services/<name>. Names are decoded and, for
 * users, lower-cased as the handlers do; a name that is not valid is no target at all, so it
 * matches no filter.
 */
export function requestTarget(pathname: string): ScopeTarget {
  const p = pathname.replace(/^\/hub(?=\/)/, "");
  const seg = (raw: string | undefined): string | undefined => {
    if (raw === undefined) return undefined;
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  };
  const user = (raw: string | undefined): string | undefined => {
    const name = seg(raw)?.replace(/[A-Z]+/g, (c) => c.toLowerCase());
    return name !== undefined && USERNAME_PATTERN.test(name) ? name : undefined;
  };
  const server = (u: string | undefined, raw: string | undefined) => {
    const name = seg(raw);
    return u !== undefined && name !== undefined && (name === "" || SERVERNAME_PATTERN.test(name)) ? { user: u, name } : undefined;
  };
  let m = /^\/api\/users\/([^/]+)(?:\/(server|servers)(?:\/([^/]*))?)?(?:\/|$)/.exec(p);
  if (m) {
    const u = user(m[1]);
    if (u === undefined) return {};
    if (m[2] === "server") return { user: u, server: { user: u, name: "" } };
    if (m[2] === "servers" && m[3] !== undefined) return { user: u, server: server(u, m[3]) };
    return { user: u };
  }
  m = /^\/api\/(?:shares|share-codes)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(p);
  if (m) {
    const u = user(m[1]);
    if (u === undefined) return {};
    return m[2] === undefined ? { user: u } : { user: u, server: server(u, m[2] === "_default_" ? "" : m[2]) };
  }
  m = /^\/api\/groups\/([^/]+)(?:\/|$)/.exec(p);
  if (m) return { group: seg(m[1]) };
  m = /^\/api\/services\/([^/]+)\/?$/.exec(p);
  if (m) return { service: seg(m[1]) };
  return {};
}

/** Parses a requested scope list; returns the names Gyre does not know (empty when all are valid). */
export function unknownScopes(requested: readonly string[]): string[] {
  return requested.filter((s) => parseScope(s) === null);
}

/**
 * Whether a token with `parent` scopes may create a token with `child` scopes: never more than it
 * has itself (JupyterHub's rule), so a narrow token cannot mint a broad one. A filtered scope is
 * granted by the same scope unfiltered or with the same filter; one server by its user's filter.
 */
export function mayGrant(parent: ReadonlySet<string>, child: readonly string[]): boolean {
  if (parent.has("inherit")) return true;
  return [...expandScopes(child)].every((s) => {
    if (parent.has(s)) return true;
    const p = parseScope(s);
    if (!p?.filter) return false;
    if (parent.has(p.scope)) return true;
    if (p.filter.kind === "server") return parent.has(filteredScope(p.scope, "user", p.filter.value.slice(0, p.filter.value.indexOf("/"))));
    return false;
  });
}
