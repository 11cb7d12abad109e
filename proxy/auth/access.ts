// Who may reach a user server, and which requests must pass the Origin check. Pure.

/** Who a request comes from, once its cookie or API token has been checked. */
export interface Identity {
  /** the user's name; "" for a service's token (no account owns a server of that name) */
  user: string;
  /**
   * Set for a service's API token (config `services:`): the service's name. It owns no server and
   * is no admin; what it reaches is its service grant (the snapshot's service_access), narrowed
   * by its scopes.
   */
  service?: string;
  /**
   * the account's id (User.id) from the session cookie or the hub's token-owner answer; compared
   * with the route's user_id, so a cookie of a deleted account never opens a new account of the
   * same name
   */
  userId?: number;
  admin: boolean;
  /** "cookie" or "token": a token must never be forwarded upstream as-is */
  via: "cookie" | "token";
  /** false for an API token without access:servers: it identifies someone but opens no server */
  serverAccess?: boolean;
  /**
   * An API token limited to some servers (access:servers!server=<user>/<server>): "<user>/<server>"
   * of each ("<user>/" for a default server). Absent (and `users` absent): every server the user
   * may reach.
   */
  servers?: readonly string[];
  /**
   * An API token limited to some users' servers (access:servers!user=<user>, and !group=<group>,
   * which the hub's token-owner answer turns into the group's members): their names.
   */
  users?: readonly string[];
}

/** The hub's auth snapshot (GET /hub/api/proxy/auth). */
export interface AuthSnapshot {
  /** admin names (informational; the proxy decides by admin_ids) */
  admins: string[];
  /** admin user ids: admin rights follow the account, not a name that may be re-created */
  admin_ids: number[];
  revoked_sessions: string[];
  /** servers shared with other users: "<owner>/<server>" → the owner's id and the ids of the users it is shared with */
  shares?: ShareMapJson;
  /** what users' configured roles let them reach: the holder's id → RoleAccessJson (app/_lib/auth/role-access.ts) */
  role_access?: RoleAccessMapJson;
  /** what services' tokens reach: the service's name → RoleAccessJson */
  service_access?: RoleAccessMapJson;
}

/** What one user's configured roles open: every server, the servers of some accounts (by id), or single servers ("<owner id>/<server>"). */
export interface RoleAccessJson {
  all?: boolean;
  user_ids: number[];
  servers: string[];
}

/** The hub's role access map, as in the snapshot and in PUT /api/role-access. */
export type RoleAccessMapJson = Record<string, RoleAccessJson>;

/** One user's role access as the proxy keeps it. */
export interface RoleGrant {
  all: boolean;
  ownerIds: ReadonlySet<number>;
  /** "<owner id>/<server>" */
  servers: ReadonlySet<string>;
}

/** Parses a role access map from the hub; null when its shape is wrong (the last good map stays). */
export function parseRoleAccessMap(raw: unknown): Map<number, RoleGrant> | null {
  const parsed = parseGrants(raw, /^[0-9]{1,15}$/);
  return parsed && new Map([...parsed].map(([k, g]) => [Number(k), g]));
}

/** Parses a service access map (service name → grant); null when its shape is wrong. */
export function parseServiceAccessMap(raw: unknown): Map<string, RoleGrant> | null {
  return parseGrants(raw, /^[a-z0-9_-]{1,64}$/);
}

function parseGrants(raw: unknown, keyShape: RegExp): Map<string, RoleGrant> | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const out = new Map<string, RoleGrant>();
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const e = v as { all?: unknown; user_ids?: unknown; servers?: unknown } | null;
    if (
      !keyShape.test(key) ||
      !e ||
      (e.all !== undefined && typeof e.all !== "boolean") ||
      !Array.isArray(e.user_ids) ||
      !e.user_ids.every((u) => Number.isInteger(u)) ||
      !Array.isArray(e.servers) ||
      !e.servers.every((s) => typeof s === "string" && /^[0-9]+\/[^/]*$/.test(s))
    )
      return null;
    out.set(key, { all: e.all === true, ownerIds: new Set(e.user_ids as number[]), servers: new Set(e.servers as string[]) });
  }
  return out;
}

/** Where the proxy keeps the grants of roles and services (proxy/hub/sync.ts). */
export interface GrantView {
  roleGrantOf?(userId: number): RoleGrant | undefined;
  serviceGrantOf?(service: string): RoleGrant | undefined;
}

/** The grant that may open servers to `identity` beyond its own: its service's, or its account's roles'. */
export function grantOf(identity: Identity | null, view: GrantView | undefined): RoleGrant | undefined {
  if (!identity || !view) return undefined;
  if (identity.service !== undefined) return view.serviceGrantOf?.(identity.service);
  return identity.userId === undefined ? undefined : view.roleGrantOf?.(identity.userId);
}

/**
 * Whether a user's role grant opens the server `server` ("" default) of the account `ownerId`:
 * every server, all of that account's, or that one. Without the owner's id (a route the hub did
 * not make) only a grant of every server does.
 */
export function roleAllows(grant: RoleGrant | undefined, ownerId: number | null | undefined, server: string): boolean {
  if (!grant) return false;
  if (grant.all) return true;
  if (ownerId === undefined || ownerId === null) return false;
  return grant.ownerIds.has(ownerId) || grant.servers.has(`${ownerId}/${server}`);
}

/** The hub's share map, as in the snapshot and in PUT /api/shares. */
export type ShareMapJson = Record<string, { owner_id: number; user_ids: number[] }>;

/** A server's share as the proxy keeps it. */
export interface ShareEntry {
  ownerId: number;
  userIds: ReadonlySet<number>;
}

/** Parses a share map from the hub; null when its shape is wrong (the last good map stays). */
export function parseShareMap(raw: unknown): Map<string, ShareEntry> | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const out = new Map<string, ShareEntry>();
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const e = v as { owner_id?: unknown; user_ids?: unknown } | null;
    if (!/^[^/]+\/[^/]*$/.test(key) || !e || !Number.isInteger(e.owner_id) || !Array.isArray(e.user_ids) || !e.user_ids.every((u) => Number.isInteger(u)))
      return null;
    out.set(key, { ownerId: e.owner_id as number, userIds: new Set(e.user_ids as number[]) });
  }
  return out;
}

/**
 * Whether `identity` has a share of `owner`'s server `server` ("" default): the share must name
 * their account id, and, when the route names its owner's id, have been made on that account.
 */
export function isSharedWith(share: ShareEntry | undefined, identity: Identity, ownerId?: number | null): boolean {
  if (!share || identity.userId === undefined || !share.userIds.has(identity.userId)) return false;
  return ownerId === undefined || ownerId === null || share.ownerId === ownerId;
}

/**
 * "allow", or why not: nobody is logged in, the wrong person is, their token may not reach
 * servers, or it reaches only other servers.
 */
export type AccessDecision = "allow" | "anonymous" | "forbidden" | "missing-scope" | "other-server";

/**
 * Owner and admins may use a server, the users it is shared with (`share`, from the hub's share
 * map) and those a configured role lets reach it (`role`: the caller's grant, from the hub's role
 * access map); a token limited to some servers reaches only those, so a token narrows a role as it
 * narrows the owner's rights. A service's token has only its grant (`role`: the service's, from
 * the hub's service access map), narrowed by its scopes. `server` is the server's name ("" default).
 * When the route names its owner's id (`ownerId`, the hub always does), the owner is the account
 * with that id: the same name is not enough.
 */
export function decideAccess(
  identity: Identity | null,
  owner: string,
  server = "",
  ownerId?: number | null,
  share?: ShareEntry,
  role?: RoleGrant,
): AccessDecision {
  if (!identity) return "anonymous";
  if (identity.servers || identity.users) {
    if (!identity.servers?.includes(`${owner}/${server}`) && !identity.users?.includes(owner)) return "other-server";
  } else if (identity.serverAccess === false) return "missing-scope";
  if (identity.service !== undefined) return roleAllows(role, ownerId, server) ? "allow" : "forbidden";
  if (identity.admin) return "allow";
  if (identity.user === owner && (ownerId === undefined || ownerId === null || identity.userId === ownerId)) return "allow";
  if (isSharedWith(share, identity, ownerId)) return "allow";
  if (roleAllows(role, ownerId, server)) return "allow";
  return "forbidden";
}

/**
 * The servers a token with these (expanded) scopes is limited to: "<user>/<server>" of each
 * access:servers!server=<user>/<server>, and the users of each access:servers!user=<user> (all
 * their servers); null when it is not limited (inherit or access:servers, or no scopes) or reaches
 * no server at all. "!group=" filters are not read here: the hub answers them as "!user=" of each
 * member.
 */
export function tokenServerLimits(scopes: readonly string[] | undefined): { servers: string[]; users: string[] } | null {
  if (tokenAllowsServerAccess(scopes)) return null;
  const servers: string[] = [];
  const users: string[] = [];
  for (const s of scopes ?? []) {
    const m = /^access:servers!(server|user)=([^!=]+)$/.exec(s);
    if (!m) continue;
    if (m[1] === "server" && /^[^/]+\/[^/]*$/.test(m[2])) servers.push(m[2]);
    else if (m[1] === "user" && !m[2].includes("/")) users.push(m[2]);
  }
  return servers.length || users.length ? { servers, users } : null;
}

/**
 * A WebSocket URL's ?token= (as Thebe and JupyterLab send it, a WebSocket cannot carry headers from
 * a browser) and the URL without it, so that it never reaches the server. Every "token" parameter
 * is removed; the first one is the token.
 */
export function takeQueryToken(url: string): { url: string; token: string | null } {
  const q = url.indexOf("?");
  if (q < 0 || !/(^|&)token=/.test(url.slice(q + 1))) return { url, token: null };
  let token: string | null = null;
  const kept: string[] = [];
  for (const part of url.slice(q + 1).split("&")) {
    if (part.startsWith("token=")) {
      if (token === null) {
        try {
          token = decodeURIComponent(part.slice(6));
        } catch {
          token = "";
        }
      }
    } else if (part) kept.push(part);
  }
  return { url: url.slice(0, q) + (kept.length ? `?${kept.join("&")}` : ""), token: token || null };
}

/**
 * May an API token with these scopes (as the hub's token-owner answer lists them, already
 * expanded) reach user servers? Only "inherit" and "access:servers" allow it. No list at all (a hub
 * too old to send scopes) means "inherit". An empty list is a token whose stored scopes the hub
 * does not know (the hub expands an empty stored list to ["inherit"] itself): it reaches nothing.
 */
export function tokenAllowsServerAccess(scopes: readonly string[] | undefined): boolean {
  return scopes === undefined || scopes.includes("inherit") || scopes.includes("access:servers");
}

/**
 * Token injection turns off Jupyter's own XSRF and Origin checks (jupyter_server's
 * base/handlers.py skips check_xsrf_cookie and check_origin for token-authenticated requests, and
 * echoes the Origin in CORS headers), so the proxy does them: a request to a user's server or
 * dashboard whose Origin is present — any method, a WebSocket upgrade too (a cross-origin fetch()
 * GET carries Origin; a top-level navigation does not) — must come from the origin it is sent to,
 * http(s)://<Host>. Requests without Origin (navigations, scripts) pass.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  const o = origin.toLowerCase();
  const h = host.toLowerCase();
  return o === "http://" + h || o === "https://" + h;
}

/**
 * Whether to answer with redirects (login, spawn page) rather than JSON errors: GET/HEAD that
 * ask for HTML, or that are not Jupyter API calls.
 */
export function isBrowserRequest(method: string | undefined, accept: string | undefined, pathAfterUser: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  if (accept && accept.includes("text/html")) return true;
  return !/^(?:[^/]+\/)?api(?:\/|$)/.test(pathAfterUser);
}

/** Extracts an API token from "token <t>" or "Bearer <t>"; query-string tokens are not accepted. */
export function readApiToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1] : null;
}
