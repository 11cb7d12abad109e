// Authentication and authorisation of REST API requests inside Next route handlers.
// Cookie-authenticated state changes must carry the session's CSRF token (X-Gyre-CSRF); the
// Express entry has already checked Origin for every non-GET request.
import { timingSafeEqual } from "node:crypto";
import { getRuntime } from "../runtime";
import { HttpError } from "../http/errors";
import { readRequestSession } from "./sessions";
import { findTokenOwner, readAuthorizationToken } from "./api-tokens";
import type { Db } from "../db/types";
import type { ApiRequest } from "../http/api-request";
import { expandScopes, hasAnyScope, hasScope, mayGrant, needsUserGroups, requestTarget, requiredScopes, scopesFor, type TokenScope } from "./scopes";
import { roleScopesOfUser } from "./roles";
import { serviceScopes, servicesOf } from "../services/registry";

export interface Principal {
  /**
   * The user; for a service (`service` set) a stand-in that owns nothing: id 0, name "" (so no
   * "the user themselves" check passes) and admin, because a service's rights are exactly its
   * scopes, checked from the request's method and path in authenticate(), as JupyterHub's (a
   * service with list:users lists users; one without is refused there).
   */
  user: { id: number; name: string; admin: boolean };
  via: "session" | "token";
  /** set when the token is a service's (config `services:`): JupyterHub's kind "service" */
  service?: { name: string };
  sessionId?: string;
  /** expanded token scopes (see scopes.ts); a session has "inherit" */
  scopes: ReadonlySet<string>;
  /** the API token's id when via === "token" */
  tokenId?: number;
  /** an OAuth token's login session (api-tokens.ts session_id, the derived id), when via === "token" */
  oauthSessionId?: string | null;
  /**
   * Set when the request is allowed by the scopes of the user's configured roles (config `roles:`)
   * rather than their own rights: `user.admin` is then true for this request, as for a service,
   * and `scopes` are the role's scopes (within the token's), checked from the method and path.
   */
  byRole?: true;
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
const SESSION_SCOPES: ReadonlySet<string> = new Set(["inherit"]);

export async function authenticate(req: ApiRequest): Promise<Principal | null> {
  const { db, keys, origins } = getRuntime();
  const now = new Date();
  const token = readAuthorizationToken(req.headers.get("authorization"));
  if (token) {
    const pathname = new URL(req.url).pathname;
    const needed = requiredScopes(req.method, pathname);
    const service = servicesOf(getRuntime().config).byToken(token);
    if (service) {
      const scopes = serviceScopes(service);
      // A service owns no servers, tokens or account: the caller's-own endpoints are not for it.
      if (needed.includes("inherit") || CALLERS_OWN.test(pathname))
        throw new HttpError(403, `A service's token cannot be used for ${req.method} ${pathname}: it acts on the caller's own account.`);
      await checkScopes(db, scopes, needed, req.method, pathname);
      return { user: { id: 0, name: "", admin: true }, via: "token", service: { name: service.name }, scopes };
    }
    const owner = await findTokenOwner(db, token, now);
    if (!owner) throw new HttpError(403, "Invalid, expired or revoked API token.");
    // Scopes are enforced here, once, from the request's method and path, so every route is
    // covered without each handler having to remember it.
    const scopes = expandScopes(owner.scopes);
    const user = { id: owner.user.id, name: owner.user.name, admin: owner.user.admin };
    const byRole = await actByRole(db, user, scopes, needed, req.method, pathname);
    if (byRole) return { ...byRole, via: "token", tokenId: owner.tokenId, oauthSessionId: owner.sessionId };
    await checkScopes(db, scopes, needed, req.method, pathname);
    return { user, via: "token", scopes, tokenId: owner.tokenId, oauthSessionId: owner.sessionId };
  }
  const session = await readRequestSession(db, req.headers.get("cookie"), keys.sessionCookie, now, origins.scheme === "https:");
  if (!session) return null;
  if (!SAFE.has(req.method)) {
    const sent = req.headers.get("x-gyre-csrf") ?? "";
    const a = Buffer.from(sent);
    const b = Buffer.from(session.csrf);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(403, "Missing or wrong CSRF token (X-Gyre-CSRF): reload the page and try again.");
    }
  }
  if (getRuntime().config.roles.length && !session.user.admin) {
    const pathname = new URL(req.url).pathname;
    const byRole = await actByRole(db, session.user, SESSION_SCOPES, requiredScopes(req.method, pathname), req.method, pathname);
    if (byRole) return { ...byRole, via: "session", sessionId: session.sessionId };
  }
  return { user: session.user, via: "session", sessionId: session.sessionId, scopes: SESSION_SCOPES };
}

/**
 * A request a user's configured roles allow beyond their own rights (JupyterHub's roles: a
 * "teacher" role with servers!group=class lets its holders start and stop the class's servers):
 * the user acts as an admin would for this one request, with the role's scopes — narrowed to the
 * token's, when a token is used — checked here from the method and path, as a service's are.
 * Null when the user has no configured role, is an admin (who needs none), or the request is their
 * own (their own rights apply), acts on the caller's own account, needs "inherit", or is not
 * covered by the roles. The filtered scopes of a token are kept only where the roles grant them.
 */
async function actByRole(
  db: Db,
  user: { id: number; name: string; admin: boolean },
  scopes: ReadonlySet<string>,
  needed: TokenScope[],
  method: string,
  pathname: string,
): Promise<Pick<Principal, "user" | "scopes" | "byRole"> | null> {
  const { roles } = getRuntime().config;
  if (!roles.length || user.admin || !needed.length || needed.includes("inherit") || CALLERS_OWN.test(pathname)) return null;
  const target = requestTarget(pathname);
  if (target.user === user.name) return null;
  const direct = roles.some((r) => r.users.includes(user.name));
  const viaGroups = roles.some((r) => r.groups.length);
  if (!direct && !viaGroups) return null;
  const granted = roleScopesOfUser(roles, { ...user, groups: viaGroups ? await userGroupNames(db, user.name) : [] });
  if (!granted.size) return null;
  const effective = scopes.has("inherit") ? granted : new Set([...scopes].filter((s) => mayGrant(granted, [s])));
  try {
    await checkScopes(db, effective, needed, method, pathname);
  } catch {
    return null;
  }
  return { user: { ...user, admin: true }, scopes: effective, byRole: true };
}

/** Endpoints that act on the caller's own account (a launch starts the caller's server). */
const CALLERS_OWN = /^(?:\/hub)?(?:\/api\/(?:launches|git-pull|account)(?:\/|$)|\/build\/)/;

/** List endpoints: a filtered form of their scope lets the request in; the handler cuts the list to it. */
const LIST_SCOPES: ReadonlySet<TokenScope> = new Set(["list:users", "list:groups", "list:services"]);

/**
 * Refuses a request its token's scopes do not cover. Filtered scopes ("read:servers!user=alice",
 * "servers!group=ocean") count when their filter matches what the request is about
 * (requestTarget); a "!group=" filter on a user's resource asks the database for the user's groups.
 */
async function checkScopes(db: Db, scopes: ReadonlySet<string>, needed: TokenScope[], method: string, pathname: string): Promise<void> {
  if (hasAnyScope(scopes, needed)) return;
  if (needed.some((n) => LIST_SCOPES.has(n) && [...scopes].some((s) => s.startsWith(`${n}!`)))) return;
  const target = requestTarget(pathname);
  if (target.user !== undefined && needsUserGroups(scopes)) target.userGroups = await userGroupNames(db, target.user);
  const here = scopesFor(scopes, target);
  if (needed.some((n) => hasScope(here, n))) return;
  const what = needed.length === 1 ? `the scope "${needed[0]}"` : `one of the scopes ${needed.map((s) => `"${s}"`).join(", ")}`;
  throw new HttpError(403, `This API token lacks ${what} needed for ${method} ${pathname} (it has: ${[...scopes].join(", ") || "no scopes"}).`);
}

/** The names of the groups `user` is a member of (none for an unknown user). */
export async function userGroupNames(db: Db, user: string): Promise<string[]> {
  const rows = await db.groupMember.findMany({ where: { user: { name: user } }, select: { group: { select: { name: true } } } });
  return rows.map((r) => r.group.name);
}

export async function requireUser(req: ApiRequest): Promise<Principal> {
  const p = await authenticate(req);
  if (!p) throw new HttpError(401, "Authentication required: log in or send an API token (Authorization: token …).");
  return p;
}

export async function requireAdmin(req: ApiRequest): Promise<Principal> {
  const p = await requireUser(req);
  if (!p.user.admin) throw new HttpError(403, "This needs an admin account.");
  return p;
}

/** The user themselves or an admin may act on a user's servers. */
export async function requireSelfOrAdmin(req: ApiRequest, name: string): Promise<Principal> {
  const p = await requireUser(req);
  if (p.user.name !== name && !p.user.admin) throw new HttpError(403, `You may not act on ${name}'s servers.`);
  return p;
}

/** Requests from the proxy carry proxy.authToken. */
export function requireProxy(req: Pick<ApiRequest, "headers">): void {
  const { config } = getRuntime();
  const token = readAuthorizationToken(req.headers.get("authorization")) ?? "";
  const a = Buffer.from(token);
  const b = Buffer.from(config.proxy.authToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpError(403, "This endpoint is for the proxy (proxy.authToken).");
}
