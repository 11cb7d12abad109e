// Where a request goes, decided once for HTTP and WebSocket: forward it (upstream, header edits,
// route class), redirect it, or refuse it (status, message). Pure: the route table, the hub's
// address and who is asking come in as arguments. Two steps, because finding out who is asking
// may need the hub (an API token): resolveRequest() needs only the URL and the table, and answers
// "guarded" for a user's server; decideGuarded() finishes with the caller's identity.
import { decideAccess, isBrowserRequest, isOriginAllowed, type Identity } from "@/proxy/auth/access";
import type { RouteClass } from "@/proxy/metrics";
import type { HeaderEdit } from "@/proxy/forward/upstream-headers";
import type { RouteEntry } from "./route-table";
import { isLogoutPath, parseDashboardPath, parseUserPath, type DashboardPath, type UserPath } from "./route-path";

/** What the resolver reads of a request; IncomingMessage fits. `headers` is read only when needed. */
export interface RequestLike {
  method?: string;
  headers: { origin?: string; host?: string; accept?: string; authorization?: string };
}

/** The route table as the resolver uses it (RouteTable fits). */
export interface RouteLookup {
  /** the most specific route for a URL */
  match(url: string): RouteEntry | undefined;
  /** the route of exactly this prefix */
  get(path: string): RouteEntry | undefined;
}

/** The hub, where everything without a route of its own goes. */
export interface HubTarget {
  protocol: string;
  host: string;
  port: number;
  /** the hub URL's path without a trailing "/", prepended to the request path */
  basePath: string;
}

export interface ResolveContext {
  table: RouteLookup;
  hub: HubTarget;
  isDashboardPort(port: number): boolean;
  /**
   * Origins whose pages may use servers with an API token (proxy.tokenCorsOrigins): their requests
   * pass the Origin check only when they carry a token, and are then identified by it alone.
   */
  tokenCorsOrigins?: ReadonlySet<string>;
}

/** Who is asking, as far as the proxy could tell (proxy/auth/identity.ts). */
export interface Caller {
  identity: Identity | null;
  /** the Cookie header for upstream: the hub's session cookie removed (null: none left) */
  cookieEdit: HeaderEdit;
}

/** Send it on. `path` is the upstream path with the query. */
export interface Forward {
  kind: "forward";
  routeClass: Exclude<RouteClass, "none">;
  /** the route, for activity; null for the hub */
  entry: RouteEntry | null;
  protocol: string;
  host: string;
  port: number;
  /** a unix socket instead of host:port (local servers), else null */
  socketPath: string | null;
  path: string;
  cookie: HeaderEdit;
  authorization: HeaderEdit;
  /** drop Jupyter's username-* login cookies from the response */
  stripLoginCookies: boolean;
  /** cut out of HTML responses: the server's token, which Jupyter writes into its pages; null: none */
  scrub: string | null;
  /** a token request from one of tokenCorsOrigins: the response allows that origin (and no other) */
  corsOrigin?: string;
}

export interface Redirect {
  kind: "redirect";
  status: 301 | 302;
  location: string;
}

export interface Refuse {
  kind: "refuse";
  status: number;
  message: string;
}

/** A user's server (or dashboard): who is asking decides. */
export interface Guarded {
  kind: "guarded";
  /** the route of the server, if it has one */
  entry: RouteEntry | undefined;
  owner: string;
  /** the parsed /user/<name>/... path; undefined when not parsed yet (HTTP fast path), null when the URL is not under /user/ */
  up: UserPath | null | undefined;
  dash: DashboardPath | null;
  url: string;
  upgrade: boolean;
  /**
   * The request comes from a page of tokenCorsOrigins with a token: only the token may identify
   * the caller (a cookie sent along must not), and the response allows that origin.
   */
  corsOrigin?: string;
}

export type Resolution = Forward | Redirect | Refuse;

export const MISSING_SCOPE = "This API token cannot reach servers: it lacks the access:servers scope. Create one that has it at /hub/token.";
export const OTHER_SERVER = "This API token reaches only another server (its scope names the servers it may use).";

/**
 * Step one. Routes without an owner (the hub, or ones added by a plain configurable-http-proxy
 * client) are forwarded without authentication; logout URLs go to the hub's logout; a state
 * change from another site is refused; anything else under /user/<name>/, or on a route that names
 * a user, is "guarded".
 */
export function resolveRequest(req: RequestLike, url: string, upgrade: boolean, ctx: ResolveContext, hasToken = false): Resolution | Guarded {
  let entry = ctx.table.match(url);
  let up: UserPath | null | undefined;
  if (url.startsWith("/user/")) {
    // HTTP fast path: the route of this user's server, and not a logout or dashboard URL (both
    // contain these substrings), so the path needs no parsing.
    if (!upgrade && entry && entry.userPrefix !== null && entry.owner !== null && !url.includes("/proxy/") && !url.includes("logout")) {
      return guard(req, url, upgrade, entry, undefined, ctx, hasToken);
    }
    up = parseUserPath(url);
    // A shorter route ("/" of a plain client) does not cover /user/<name>: that user has no route.
    if (up && entry && !coversUser(entry, up)) entry = entry.owner === null && entry.path !== "/" ? entry : undefined;
  } else up = null;
  if (entry ? entry.owner === null : !up) return forwardUnguarded(entry, url, ctx.hub);
  return guard(req, url, upgrade, entry, up, ctx, hasToken);
}

function guard(
  req: RequestLike,
  url: string,
  upgrade: boolean,
  routed: RouteEntry | undefined,
  up: UserPath | null | undefined,
  ctx: ResolveContext,
  hasToken: boolean,
): Refuse | Redirect | Guarded {
  if (!upgrade && up && isLogoutPath(up)) return { kind: "redirect", status: 302, location: "/hub/logout" };
  const dash = up ? parseDashboardPath(up) : null;
  const entry = dash && up ? ctx.table.get(up.userPrefix + (dash.serverName ? "/" + dash.serverName : "")) : routed;
  const owner = entry?.owner ?? up!.user;
  const method = req.method;
  const origin = req.headers.origin;
  // a page of a configured origin (a Jupyter Book) with an API token: the token decides, not the Origin
  const corsOrigin =
    origin !== undefined && hasToken && ctx.tokenCorsOrigins?.has(origin) && !isOriginAllowed("POST", false, origin, req.headers.host) ? origin : undefined;
  if (!corsOrigin && (upgrade || (method !== "GET" && method !== "HEAD")) && !isOriginAllowed(method, upgrade, origin, req.headers.host)) {
    return refuse(403, upgrade ? "Cross-origin WebSocket refused." : "Cross-origin request refused: the Origin header does not match this site.");
  }
  return { kind: "guarded", entry, owner, up, dash, url, upgrade, ...(corsOrigin ? { corsOrigin } : {}) };
}

/**
 * Step two: the caller's identity decides. Browsers get redirects (to log in, to start the
 * server); API clients and WebSockets get the refusal with its reason.
 */
export function decideGuarded(g: Guarded, req: RequestLike, caller: Caller, ctx: ResolveContext): Resolution {
  const { entry, owner, dash, upgrade } = g;
  // another origin's page: only its token counts (identify() was told to ignore cookies)
  if (g.corsOrigin && caller.identity && caller.identity.via !== "token")
    return refuse(403, "Cross-origin request refused: another site's page must send an API token.");
  const server = dash ? (dash.serverName ?? "") : (entry?.serverName ?? "");
  const decision = decideAccess(caller.identity, owner, server);
  if (decision !== "allow" || !entry) {
    if (upgrade) {
      if (decision === "anonymous") return refuse(403, "Authentication required.");
      if (decision === "missing-scope") return refuse(403, MISSING_SCOPE);
      if (decision === "other-server") return refuse(403, OTHER_SERVER);
      if (decision === "forbidden") return refuse(403, `You do not have access to ${owner}'s server.`);
      return refuse(503, `${owner}'s server is not running.`);
    }
    const up = g.up === undefined ? parseUserPath(g.url) : g.up;
    const browser = isBrowserRequest(req.method, req.headers.accept, up ? up.segments.join("/") : "");
    if (decision === "anonymous") {
      return browser
        ? { kind: "redirect", status: 302, location: "/hub/login?next=" + encodeURIComponent(g.url) }
        : refuse(403, "Authentication required: log in to the hub or send an API token.");
    }
    if (decision === "forbidden") return refuse(403, `You do not have access to ${owner}'s server.`);
    if (decision === "missing-scope") return refuse(403, MISSING_SCOPE);
    if (decision === "other-server") return refuse(403, OTHER_SERVER);
    if (up && browser) {
      const server = dash?.serverName ? "/" + encodeURIComponent(dash.serverName) : "";
      return { kind: "redirect", status: 302, location: `/hub/spawn/${encodeURIComponent(owner)}${server}?next=${encodeURIComponent(g.url)}` };
    }
    return refuse(503, `${owner}'s server is not running.`);
  }
  // The hub's session cookie never reaches a user server or a dashboard.
  const cookie = caller.cookieEdit;
  if (dash) {
    if (!ctx.isDashboardPort(dash.port)) return refuse(404, upgrade ? "Not an allowed dashboard port." : `Port ${dash.port} is not an allowed dashboard port.`);
    if (dash.redirectTo)
      return upgrade ? refuse(404, "Dashboard WebSocket paths need a slash after the port.") : { kind: "redirect", status: 301, location: dash.redirectTo };
    if (entry.dashboards === "server") {
      // Through the user's own server: its Gyre extension checks that the socket behind the port
      // belongs to the server's account (on a shared host anyone may listen on an allowed port).
      return { ...toServer(entry, g.url, cookie, entry.authHeader), routeClass: "dashboard" };
    }
    // A pod's own network: the dashboard has no auth of its own and must never see a hub credential.
    return {
      kind: "forward",
      routeClass: "dashboard",
      entry,
      protocol: "http:",
      host: entry.targetHost,
      port: dash.port,
      socketPath: null,
      path: dash.upstreamPath,
      cookie,
      authorization: null,
      stripLoginCookies: false,
      scrub: null,
    };
  }
  // Inject the server's token; an API token the client sent is not passed on.
  const forward = toServer(entry, g.url, cookie, entry.authHeader ?? (caller.identity!.via === "token" ? null : undefined));
  return g.corsOrigin ? { ...forward, corsOrigin: g.corsOrigin } : forward;
}

/** To the user's server itself, with `authorization` as its Authorization header. */
function toServer(entry: RouteEntry, url: string, cookie: HeaderEdit, authorization: HeaderEdit): Forward {
  return {
    kind: "forward",
    routeClass: "user",
    entry,
    protocol: entry.targetProtocol,
    host: entry.targetHost,
    port: entry.targetPort,
    socketPath: entry.targetSocketPath,
    path: entry.targetBasePath + url,
    cookie,
    authorization,
    stripLoginCookies: true,
    // "token <t>": the token is what Jupyter writes into its pages
    scrub: entry.authHeader ? entry.authHeader.slice(6) : null,
  };
}

/**
 * A CORS preflight (OPTIONS with Access-Control-Request-Method) from a page of tokenCorsOrigins to
 * a user's server: the headers to answer it with (it carries no credentials, so the proxy answers
 * it; the request that follows must bring its token). null: not such a preflight.
 */
export function corsPreflightHeaders(
  req: RequestLike & { headers: { "access-control-request-method"?: string } },
  url: string,
  ctx: ResolveContext,
): Record<string, string> | null {
  const origin = req.headers.origin;
  if (req.method !== "OPTIONS" || !origin || !req.headers["access-control-request-method"] || !ctx.tokenCorsOrigins?.has(origin) || !url.startsWith("/user/"))
    return null;
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, x-xsrftoken",
    "access-control-max-age": "600",
    vary: "Origin",
  };
}

/** The hub, or a route without an owner: no authentication, no token, headers as sent. */
function forwardUnguarded(entry: RouteEntry | undefined, url: string, hub: HubTarget): Forward {
  if (entry) {
    return {
      kind: "forward",
      routeClass: "hub",
      entry,
      protocol: entry.targetProtocol,
      host: entry.targetHost,
      port: entry.targetPort,
      socketPath: entry.targetSocketPath,
      path: entry.targetBasePath + url,
      cookie: undefined,
      authorization: undefined,
      stripLoginCookies: false,
      scrub: null,
    };
  }
  return {
    kind: "forward",
    routeClass: "hub",
    entry: null,
    protocol: hub.protocol,
    host: hub.host,
    port: hub.port,
    socketPath: null,
    path: hub.basePath + url,
    cookie: undefined,
    authorization: undefined,
    stripLoginCookies: false,
    scrub: null,
  };
}

/** The hub's address from proxy.hubUrl. */
export function parseHubTarget(hubUrl: string): HubTarget {
  const u = new URL(hubUrl);
  return { protocol: u.protocol, host: u.hostname, port: Number(u.port) || (u.protocol === "https:" ? 443 : 80), basePath: u.pathname.replace(/\/+$/, "") };
}

/** Whether a matched route lies within /user/<name> (not a shorter prefix such as "/"). */
function coversUser(entry: RouteEntry, up: UserPath): boolean {
  const p = entry.path;
  return p.length >= up.userPrefix.length && p.startsWith(up.userPrefix) && (p.length === up.userPrefix.length || p[up.userPrefix.length] === "/");
}

function refuse(status: number, message: string): Refuse {
  return { kind: "refuse", status, message };
}
