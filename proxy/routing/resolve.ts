// Where a request goes, decided once for HTTP and WebSocket: forward it (upstream, header edits,
// route class), redirect it, refuse it (status, message), or hand it to the user-origin handshake.
// Pure: the route table, the origin plan and who is asking come in as arguments. Two steps,
// because finding out who is asking may need the hub (an API token): resolveRequest() needs only
// the request line, a few headers and the table, and answers "guarded" for a user's server;
// decideGuarded() finishes with the caller's identity.
//
// With per-user origins (proxy/origins/origin-plan.ts) the Host header decides first: on a user's
// origin only that user's /user/<name>/ is served (with the user-origin cookie or an API token),
// the handshake's callback is the proxy's own, and everything else goes back to the hub's origin;
// on the hub's origin /user/ is served only to API tokens, and browsers are sent to the user's
// origin, so no user content ever runs on the hub's origin.
import { decideAccess, grantOf, isBrowserRequest, isOriginAllowed, type GrantView, type Identity, type ShareEntry } from "@/proxy/auth/access";
import type { RouteClass } from "@/proxy/metrics";
import type { HeaderEdit } from "@/proxy/forward/upstream-headers";
import { CALLBACK_PATH, RESERVED_PREFIX } from "@/proxy/origins/handshake";
import { classifyHost, hostnameOf, hubUrl, isLocalhostName, isLoopbackAddress, userOrigin, userUrl, type OriginPlan } from "@/proxy/origins/origin-plan";
import { userLabel } from "@/proxy/origins/user-label";
import type { RouteEntry } from "./route-table";
import { isLogoutPath, parseDashboardPath, parseUserPath, type DashboardPath, type UserPath } from "./route-path";

/** What the resolver reads of a request: its method and the raw values of four headers. */
export interface RequestLike {
  method?: string;
  host?: string;
  origin?: string;
  /** read only to tell browsers from API clients */
  accept?: string;
  /**
   * whether the request carries an API token (an Authorization header, or a WebSocket's ?token=):
   * /user/ on the hub's origin in per-user mode, and pages of tokenCorsOrigins
   */
  authorization?: boolean;
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
  /** which origin serves what (hub.publicUrl, hub.userDomain) */
  plan: OriginPlan;
  /** servers shared with other users (the hub's share map), and what users' roles open (its role access map); absent: none */
  shares?: { shareOf(owner: string, server: string): ShareEntry | undefined } & GrantView;
}

/** Who is asking, as far as the proxy could tell (proxy/auth/identity.ts). */
export interface Caller {
  identity: Identity | null;
  /** the Cookie header for upstream: Gyre's own cookies removed (null: none left) */
  cookieEdit: HeaderEdit;
}

/**
 * Which credentials identify the caller of a guarded request: the hub's session cookie or an API
 * token (single-origin mode); the user-origin cookie of this host or an API token (a user's
 * origin); an API token only (/user/ on the hub's origin in per-user mode).
 */
export type Credentials = "hub-cookie" | "origin-cookie" | "token";

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
  /** drop Access-Control-Allow-* from the response: user content never opens itself to other origins */
  stripCors: boolean;
  /** a token request from one of tokenCorsOrigins: the response allows that origin (and no other) */
  corsOrigin?: string;
  /**
   * Remove Gyre's own cookies from the request (the hub's session must not reach a service: the
   * service decides who may use it, with its own login through the hub, as JupyterHub's).
   */
  dropGyreCookies?: true;
}

export interface Redirect {
  kind: "redirect";
  status: 301 | 302;
  location: string;
  /** also delete the proxy's cookies on this user origin (logout) */
  clearOriginCookies?: boolean;
  /** to the spawn page because this proxy has no route for the server (noRoute below) */
  noRoute?: true;
}

export interface Refuse {
  kind: "refuse";
  status: number;
  message: string;
  /**
   * Refused because this proxy has no route for a server the caller may use: the hub may have
   * pushed it to another replica only, or this proxy missed the push; worth one look at the hub's table.
   */
  noRoute?: true;
}

/** The handshake's last step on a user origin: turn the hub's code into the user-origin cookie. */
export interface OriginCallback {
  kind: "origin-callback";
}

/** The handshake's first step: no user-origin session here yet; ask the hub who this browser is. */
export interface OriginLogin {
  kind: "origin-login";
  /** the owner of the servers this origin serves */
  user: string;
  /** the path (and query) to come back to */
  next: string;
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
  credentials: Credentials;
  /** the host name the request was sent to (a user-origin cookie must be for it) */
  hostname: string;
  /**
   * The request comes from a page of tokenCorsOrigins with a token: only the token may identify
   * the caller (a cookie sent along must not), and the response allows that origin.
   */
  corsOrigin?: string;
}

export type Resolution = Forward | Redirect | Refuse | OriginCallback | OriginLogin;

export const MISSING_SCOPE = "This API token cannot reach servers: it lacks the access:servers scope. Create one that has it at /hub/token.";
export const OTHER_SERVER = "This API token reaches only another server (its scope names the servers it may use).";

const CROSS_ORIGIN = "Cross-origin request refused: the Origin header does not match this site.";
const CROSS_ORIGIN_WS = "Cross-origin WebSocket refused.";

/**
 * Step one. Routes without an owner (the hub, or ones added by a plain configurable-http-proxy
 * client) are forwarded without authentication; logout URLs go to the hub's logout; a request
 * from another origin is refused; anything else under /user/<name>/, or on a route that names a
 * user, is "guarded". In per-user mode the Host header is classified first. A request target that
 * is not a path ("*", "http://host/…") and a WebSocket for the hub (which serves none) are refused
 * here, never forwarded.
 */
export function resolveRequest(req: RequestLike, url: string, upgrade: boolean, ctx: ResolveContext): Resolution | Guarded {
  if (url[0] !== "/") return refuse(400, "The request target must be a path starting with /.");
  if (ctx.plan.mode === "per-user") {
    const host = classifyHost(ctx.plan, req.host);
    if (host.kind === "user") return resolveOnUserOrigin(req, url, upgrade, host.label, ctx);
    if (host.kind === "unknown") return refuse(404, "No user's servers are served on this host name.");
    // A browser that typed 127.0.0.1 for a hub on localhost would sign in on an origin the user
    // origins' handshake never returns to: send its page loads to the hub's own name. API clients
    // (no text/html, or a token) are served on any host.
    if (
      isLocalhostName(ctx.plan.hubHostname) &&
      req.host &&
      isLoopbackAddress(hostnameOf(req.host)) &&
      !req.authorization &&
      !upgrade &&
      (req.method === "GET" || req.method === "HEAD") &&
      req.accept?.includes("text/html")
    )
      return { kind: "redirect", status: 302, location: ctx.plan.hubOrigin + url };
  }
  let entry = ctx.table.match(url);
  if (url.startsWith("/services/")) return resolveService(url, upgrade, entry, ctx.hub);
  let up: UserPath | null | undefined;
  if (url.startsWith("/user/")) {
    // HTTP fast path: the route of this user's server, and not a logout or dashboard URL (both
    // contain these substrings), so the path needs no parsing.
    if (
      !upgrade &&
      (ctx.plan.mode === "single" || req.authorization) &&
      entry &&
      entry.userPrefix !== null &&
      entry.owner !== null &&
      !url.includes("/proxy/") &&
      !url.includes("logout")
    ) {
      return guard(req, url, upgrade, entry, undefined, ctx.plan.mode === "single" ? "hub-cookie" : "token", ctx);
    }
    up = parseUserPath(url);
    // A shorter route ("/" of a plain client) does not cover /user/<name>: that user has no route.
    if (up && entry && !coversUser(entry, up)) entry = entry.owner === null && entry.path !== "/" ? entry : undefined;
  } else up = null;
  if (entry ? entry.owner === null : !up) {
    if (upgrade && !entry) return refuse(404, "The hub serves no WebSockets.");
    return forwardUnguarded(entry, url, ctx.hub);
  }
  if (ctx.plan.mode === "single" || req.authorization) return guard(req, url, upgrade, entry, up, ctx.plan.mode === "single" ? "hub-cookie" : "token", ctx);
  // Per-user mode, a user's server on the hub's origin without an API token: a browser is sent to
  // the user's origin; nothing else is served here, so no user content runs on the hub's origin.
  if (!upgrade && up && isLogoutPath(up)) return { kind: "redirect", status: 302, location: "/hub/logout" };
  const owner = up?.user ?? entry!.owner!;
  if (!upgrade && (req.method === "GET" || req.method === "HEAD") && up) return { kind: "redirect", status: 302, location: userUrl(ctx.plan, up.user, url) };
  return refuse(403, `${owner}'s servers are served on their own origin, ${userOrigin(ctx.plan, owner)}; here only with an API token.`);
}

/** A request to <label>.<userDomain>: only that user's servers, the handshake's callback, or back to the hub. */
function resolveOnUserOrigin(req: RequestLike, url: string, upgrade: boolean, label: string, ctx: ResolveContext): Resolution | Guarded {
  const plan = ctx.plan;
  // Any request from another origin, whatever its method: user content never answers other origins
  // (but a page of tokenCorsOrigins with an API token, which guard() lets its token decide).
  if (!isOriginAllowed(req.origin, req.host) && !(req.authorization && req.origin !== undefined && ctx.tokenCorsOrigins?.has(req.origin)))
    return refuse(403, upgrade ? CROSS_ORIGIN_WS : CROSS_ORIGIN);
  const read = !upgrade && (req.method === "GET" || req.method === "HEAD");
  if (url.startsWith(RESERVED_PREFIX)) {
    const path = url.split("?", 1)[0];
    return read && path === CALLBACK_PATH ? { kind: "origin-callback" } : refuse(404, "Not found.");
  }
  let entry = ctx.table.match(url);
  // HTTP fast path, as on the hub's origin: this host's owner's route, the path naming its owner as the hub writes it.
  if (
    !upgrade &&
    entry &&
    entry.owner !== null &&
    entry.ownerLabel === label &&
    entry.userPrefix === "/user/" + entry.owner &&
    !url.includes("/proxy/") &&
    !url.includes("logout")
  ) {
    return guard(req, url, upgrade, entry, undefined, "origin-cookie", ctx);
  }
  const up = parseUserPath(url);
  // A route outside /user/ that names this origin's user (a plain configurable-http-proxy client's) is theirs here too.
  if (!up && entry && entry.owner !== null && entry.ownerLabel === label) return guard(req, url, upgrade, entry, null, "origin-cookie", ctx);
  if (!up) {
    // The hub, launch links, services: never served on a user's origin.
    if (read) return { kind: "redirect", status: 302, location: plan.hubOrigin + (url === "/" ? "/hub/home" : url) };
    return refuse(upgrade ? 404 : 403, `This origin serves only one user's servers; the hub is at ${plan.hubOrigin}.`);
  }
  if (userLabel(up.user) !== label) {
    // /user/bob/ on alice's origin is never served here: a browser goes to bob's origin.
    if (read && isBrowserRequest(req.method, req.accept, up.segments.join("/")))
      return { kind: "redirect", status: 302, location: userUrl(plan, up.user, url) };
    return refuse(403, `This origin serves only its own user's servers; ${up.user}'s are at ${userOrigin(plan, up.user)}.`);
  }
  if (!upgrade && isLogoutPath(up)) return { kind: "redirect", status: 302, location: plan.hubOrigin + "/hub/logout", clearOriginCookies: true };
  if (entry && !coversUser(entry, up)) entry = undefined;
  // A route under this user's prefix that names another owner (a plain configurable-http-proxy client's data) is not served here.
  if (entry && entry.owner !== up.user) return refuse(403, `This route belongs to ${entry.owner ?? "nobody"}, not to ${up.user}.`);
  return guard(req, url, upgrade, entry, up, "origin-cookie", ctx);
}

function guard(
  req: RequestLike,
  url: string,
  upgrade: boolean,
  routed: RouteEntry | undefined,
  up: UserPath | null | undefined,
  credentials: Credentials,
  ctx: ResolveContext,
): Refuse | Redirect | Guarded {
  if (!upgrade && up && isLogoutPath(up)) return { kind: "redirect", status: 302, location: "/hub/logout" };
  const dash = up ? parseDashboardPath(up) : null;
  const entry = dash && up ? ctx.table.get(up.userPrefix + (dash.serverName ? "/" + dash.serverName : "")) : routed;
  const owner = entry?.owner ?? up!.user;
  const origin = req.origin;
  // a page of a configured origin (a Jupyter Book) with an API token: the token decides, not the Origin
  const corsOrigin = origin !== undefined && req.authorization && ctx.tokenCorsOrigins?.has(origin) && !isOriginAllowed(origin, req.host) ? origin : undefined;
  if (!corsOrigin && !isOriginAllowed(origin, req.host)) return refuse(403, upgrade ? CROSS_ORIGIN_WS : CROSS_ORIGIN);
  return {
    kind: "guarded",
    entry,
    owner,
    up,
    dash,
    url,
    upgrade,
    credentials,
    hostname: req.host ? hostnameOf(req.host) : "",
    ...(corsOrigin ? { corsOrigin } : {}),
  };
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
  const role = grantOf(caller.identity, ctx.shares);
  const decision = decideAccess(caller.identity, owner, server, entry?.ownerId, ctx.shares?.shareOf(owner, server), role);
  // Someone it is shared with cannot start it: no spawn page for them, the owner must.
  if (decision === "allow" && !entry && caller.identity && !caller.identity.admin && caller.identity.user !== owner)
    return notRouted(`${owner}'s server is not running; only ${owner} can start it.`);
  if (decision !== "allow" || !entry) {
    if (upgrade) {
      if (decision === "anonymous") return refuse(403, "Authentication required.");
      if (decision === "missing-scope") return refuse(403, MISSING_SCOPE);
      if (decision === "other-server") return refuse(403, OTHER_SERVER);
      if (decision === "forbidden") return refuse(403, `You do not have access to ${owner}'s server.`);
      return notRouted(`${owner}'s server is not running.`);
    }
    const up = g.up === undefined ? parseUserPath(g.url) : g.up;
    const browser = isBrowserRequest(req.method, req.accept, up ? up.segments.join("/") : "");
    if (decision === "anonymous") {
      if (!browser || g.credentials === "token") {
        return refuse(
          403,
          g.credentials === "token" ? "Authentication required: send a valid API token." : "Authentication required: log in to the hub or send an API token.",
        );
      }
      if (g.credentials === "origin-cookie") return { kind: "origin-login", user: owner, next: g.url };
      return { kind: "redirect", status: 302, location: "/hub/login?next=" + encodeURIComponent(g.url) };
    }
    if (decision === "forbidden") return refuse(403, `You do not have access to ${owner}'s server.`);
    if (decision === "missing-scope") return refuse(403, MISSING_SCOPE);
    if (decision === "other-server") return refuse(403, OTHER_SERVER);
    if (up && browser) {
      const server = dash?.serverName ? "/" + encodeURIComponent(dash.serverName) : "";
      return {
        kind: "redirect",
        status: 302,
        location: hubUrl(ctx.plan, `/hub/spawn/${encodeURIComponent(owner)}${server}?next=${encodeURIComponent(g.url)}`),
        noRoute: true,
      };
    }
    return notRouted(`${owner}'s server is not running.`);
  }
  // Gyre's cookies never reach a user server or a dashboard.
  const cookie = caller.cookieEdit;
  if (dash) {
    if (!ctx.isDashboardPort(dash.port)) return refuse(404, upgrade ? "Not an allowed dashboard port." : `Port ${dash.port} is not an allowed dashboard port.`);
    if (dash.redirectTo)
      return upgrade ? refuse(404, "Dashboard WebSocket paths need a slash after the port.") : { kind: "redirect", status: 301, location: dash.redirectTo };
    if (entry.dashboards === "server") {
      // Through the user's own server: its Gyre extension checks that the socket behind the port
      // belongs to the server's account (on a shared host anyone may listen on an allowed port).
      // A server that logs its users in itself (jupyterhub-singleuser) gets the caller's API token
      // as on its other paths; the relay never passes Authorization on to the dashboard.
      const dropToken = caller.identity!.via === "token" && entry.serverAuth !== "hub";
      return { ...toServer(entry, g.url, cookie, entry.authHeader ?? (dropToken ? null : undefined)), routeClass: "dashboard" };
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
      stripCors: true,
    };
  }
  // Inject the server's token; an API token the client sent is not passed on — except to a server
  // that logs its users in itself through the hub (jupyterhub-singleuser), which identifies the
  // caller by that token, as under JupyterHub.
  const dropToken = caller.identity!.via === "token" && entry.serverAuth !== "hub";
  const forward = toServer(entry, g.url, cookie, entry.authHeader ?? (dropToken ? null : undefined));
  return g.corsOrigin ? { ...forward, corsOrigin: g.corsOrigin } : forward;
}

/**
 * A WebSocket's ?token= (taken out of its URL by takeQueryToken) for a server that logs its users in
 * itself through the hub (jupyterhub-singleuser): that server identifies the caller by the token,
 * as the HTTP requests' Authorization header passed on, so it goes on as an Authorization header
 * of the upgrade — never back into the URL, where logs keep it. Only when that token identified
 * the caller and the request carried no Authorization header of its own (which is passed as it is).
 */
export function withQueryToken(d: Resolution, caller: Caller, queryToken: string | null, hasAuthorization: boolean): Resolution {
  if (d.kind !== "forward" || queryToken === null || hasAuthorization || caller.identity?.via !== "token") return d;
  if (d.routeClass !== "user" || d.entry?.serverAuth !== "hub" || d.authorization !== undefined) return d;
  return { ...d, authorization: `token ${queryToken}` };
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
    stripCors: true,
  };
}

/**
 * A CORS preflight (OPTIONS with Access-Control-Request-Method: `requestMethod`) from a page of tokenCorsOrigins to
 * a user's server: the headers to answer it with (it carries no credentials, so the proxy answers
 * it; the request that follows must bring its token). null: not such a preflight.
 */
export function corsPreflightHeaders(req: RequestLike & { requestMethod?: string }, url: string, ctx: ResolveContext): Record<string, string> | null {
  const origin = req.origin;
  if (req.method !== "OPTIONS" || !origin || !req.requestMethod || !ctx.tokenCorsOrigins?.has(origin) || !url.startsWith("/user/")) return null;
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, x-xsrftoken",
    "access-control-max-age": "600",
    vary: "Origin",
  };
}

/**
 * /services/<name>/…: to the service's route (the hub adds one for each configured service with a
 * url, data.service naming it), without Gyre's cookies; who may use it is the service's to decide.
 * A name without a route is a 404 here. A route a plain configurable-http-proxy client added
 * under /services/ (no data.service) is forwarded as such clients expect.
 */
function resolveService(url: string, upgrade: boolean, entry: RouteEntry | undefined, hub: HubTarget): Forward | Refuse {
  const name = /^\/services\/([^/?#]+)/.exec(url)?.[1] ?? "";
  if (entry && typeof entry.data.service === "string") {
    if (entry.path !== `/services/${entry.data.service}` || entry.data.service !== name) return refuse(404, `No such service: ${name}`);
    return { ...forwardUnguarded(entry, url, hub), routeClass: "service", cookie: undefined, dropGyreCookies: true };
  }
  if (entry && entry.path !== "/") return forwardUnguarded(entry, url, hub);
  return refuse(404, upgrade ? "No such service." : `No such service: ${name || "(none named)"}`);
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
      stripCors: false,
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
    stripCors: false,
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

/** Whether `d` answers so because this proxy has no route for the server (Refuse.noRoute, Redirect.noRoute). */
export function foundNoRoute(d: Resolution): boolean {
  return (d.kind === "refuse" || d.kind === "redirect") && d.noRoute === true;
}

/** 503: no route here for a server the caller may use (Refuse.noRoute). */
function notRouted(message: string): Refuse {
  return { kind: "refuse", status: 503, message, noRoute: true };
}
