// Who may reach a user server, and which requests must pass the Origin check. Pure.

/** Who a request comes from, once its cookie or API token has been checked. */
export interface Identity {
  user: string;
  admin: boolean;
  /** "cookie" or "token": a token must never be forwarded upstream as-is */
  via: "cookie" | "token";
  /** false for an API token without access:servers: it identifies someone but opens no server */
  serverAccess?: boolean;
}

/** The hub's auth snapshot (GET /hub/api/proxy/auth). */
export interface AuthSnapshot {
  admins: string[];
  revoked_sessions: string[];
  /** reserved for sharing: owner → users it is shared with (shape decided by the hub later) */
  shares: Record<string, unknown>;
}

/** "allow", or why not: nobody is logged in, the wrong person is, or their token may not reach servers. */
export type AccessDecision = "allow" | "anonymous" | "forbidden" | "missing-scope";

/** Owner and admins may use a server (sharing comes later, through the snapshot's `shares`). */
export function decideAccess(identity: Identity | null, owner: string): AccessDecision {
  if (!identity) return "anonymous";
  if (identity.serverAccess === false) return "missing-scope";
  if (identity.user === owner || identity.admin) return "allow";
  return "forbidden";
}

/**
 * May an API token with these scopes (as the hub's token-owner answer lists them, already
 * expanded) reach user servers? Only "inherit" and "access:servers" allow it. No list (a hub too
 * old to send scopes) or an empty one means "inherit", as an empty stored scope list does at the hub.
 */
export function tokenAllowsServerAccess(scopes: readonly string[] | undefined): boolean {
  return scopes === undefined || scopes.length === 0 || scopes.includes("inherit") || scopes.includes("access:servers");
}

/**
 * Token injection turns off Jupyter's own XSRF and Origin checks (jupyter_server's
 * base/handlers.py skips check_xsrf_cookie and check_origin for token-authenticated requests, and
 * echoes the Origin in CORS headers), so the proxy does them: a WebSocket upgrade or a non-GET/HEAD request whose Origin is present must come from the
 * proxy's own origin, http(s)://<Host>. Requests without Origin (scripts) pass.
 */
export function isOriginAllowed(method: string | undefined, isUpgrade: boolean, origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!isUpgrade && (method === "GET" || method === "HEAD")) return true;
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
