// The proxy process's core: the public port (HTTP + WebSocket forwarding with authentication
// of every request to a user server) and the internal port (CHP-compatible route API, health,
// metrics), plus the background loops that keep it in sync with the hub. proxy/main.ts wraps
// it in a CLI; tests start it in-process.
//
// Plain HTTP forwarding: bodyless requests to http:// upstreams go through our lean keep-alive
// client (proxy/forward/upstream-client.ts); the rest through http.request piping over a
// keep-alive agent; WebSockets to http:// upstreams through our relay
// (proxy/forward/websocket-relay.ts), to https:// ones through http-proxy-3's ws(). See
// docs/decisions.md "Proxy fast path".
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { createProxyServer, type ProxyServer } from "http-proxy-3";
import { RouteTable, type RouteEntry } from "./routing/route-table";
import { parseUserPath, isLogoutPath, parseDashboardPath, buildPortPredicate, toRouteSpec, type UserPath, type DashboardPath } from "./routing/route-path";
import { decideAccess, isOriginAllowed, isBrowserRequest, readApiToken, type Identity } from "./auth/access";
import { TtlCache } from "./auth/ttl-cache";
import { SESSION_COOKIE, deriveKey, serverTokenDeriver, readCookie, stripCookie, verifySessionCookie, type SessionClaims } from "./auth/session-cookie";
import { HubClient, type TokenOwner } from "./hub-client";
import { ProxyMetrics, type RouteClass } from "./metrics";
import { handleApiRequest } from "./api/route-api";
import { renderErrorPage } from "./forward/error-page";
import { buildUpstreamHeaders, readRawHeader, type HeaderEdit } from "./forward/upstream-headers";
import { UpstreamClient } from "./forward/upstream-client";
import { relayWebSocket, type WebSocketRelayOptions } from "./forward/websocket-relay";

/** Everything the proxy needs; main.ts builds it from config + CLI flags. */
export interface ProxyOptions {
  bindHost: string;
  port: number;
  apiHost: string;
  apiPort: number;
  hubUrl: string;
  /** token for the route API, and the proxy's credential towards the hub */
  authToken: string;
  /** hub.secretKey: verifies session cookies, derives server tokens */
  secretKey: string;
  fullSyncSeconds: number;
  authSyncSeconds: number;
  activityFlushSeconds: number;
  upstreamTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  dashboardPorts: Array<number | string>;
  logger: Logger;
  /** how long a known API token is trusted before asking the hub again (default 10 s) */
  tokenCachePositiveSeconds?: number;
  /** how long an unknown API token is remembered as unknown (default 2 s) */
  tokenCacheNegativeSeconds?: number;
  /**
   * Our own upstream client and WebSocket relay for http:// upstreams (default); false sends
   * everything through http.request / http-proxy-3 (A/B runs, tests of that path). Default from
   * PROXY_NO_LEAN_UPSTREAM=1 (not GYRE_*: those are config).
   */
  leanUpstream?: boolean;
}

const WS_HOOKS = Symbol("gyre.wsHooks");
/** An upgrade handed to http-proxy-3 carries what its proxyReqWs listener needs. */
type TaggedRequest = http.IncomingMessage & { [WS_HOOKS]?: { onTraffic: () => void; kind: RouteClass; upgraded: boolean } };

const noop = (): void => undefined;

const MISSING_SCOPE = "This API token cannot reach servers: it lacks the access:servers scope. Create one that has it at /hub/token.";

/** A response target: an HTTP response, or the raw socket of a refused WebSocket upgrade. */
type Sink = http.ServerResponse | Duplex;

/** Activity counts responses below this status (redirects are real navigation; CHP uses < 300). */
const ACTIVE_STATUS_BELOW = 400;

/** What the cookie cache holds per raw Cookie header. */
interface CookieAuth {
  claims: SessionClaims | null;
  /** the Cookie header to send upstream (session cookie removed); undefined: none left */
  forward: string | undefined;
}

/** Granularity of the coarse clock; activity is reported every activityFlushSeconds anyway. */
const CLOCK_TICK_MS = 100;

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

/** The running proxy. */
export class GyreProxy {
  readonly table: RouteTable;
  readonly metrics: ProxyMetrics;
  readonly hub: HubClient;
  private readonly log: Logger;
  private readonly cookieKey: Buffer;
  private readonly hubTarget: URL;
  private readonly isDashboardPort: (port: number) => boolean;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly upstream: UpstreamClient;
  private readonly wsProxy: ProxyServer;
  private readonly wsRelayUser: WebSocketRelayOptions;
  private readonly wsRelayOther: WebSocketRelayOptions;
  private readonly publicServer: http.Server;
  private readonly apiServer: http.Server;
  private readonly tokenCache = new TtlCache<TokenOwner | null>();
  private readonly tokenLookups = new Map<string, Promise<TokenOwner | null>>();
  /**
   * Raw Cookie header → its verified session (or null) and the header without the session
   * cookie. Bounded; an entry lives until the cookie expires (a minute for invalid ones), so the
   * HMAC runs once per session and header rather than per request. Revocation and admin rights
   * are looked up per request in the auth snapshot, so they still apply within authSyncSeconds.
   */
  private readonly cookieCache = new TtlCache<CookieAuth>(10_000);
  /** Coarse clock (ms), refreshed by a timer: activity and cache expiry need no per-request Date.now(). */
  private now = Date.now();
  private readonly clockTimer: NodeJS.Timeout;
  private admins = new Set<string>();
  private revoked = new Set<string>();
  private authLoaded = false;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly leanEnabled: boolean;
  private openSockets = new Set<net.Socket>();

  constructor(private readonly opts: ProxyOptions) {
    this.log = opts.logger;
    this.leanEnabled = opts.leanUpstream ?? process.env.PROXY_NO_LEAN_UPSTREAM !== "1";
    this.clockTimer = setInterval(() => (this.now = Date.now()), CLOCK_TICK_MS);
    this.clockTimer.unref();
    this.cookieKey = deriveKey(opts.secretKey, "session-cookie");
    this.table = new RouteTable(serverTokenDeriver(opts.secretKey));
    this.metrics = new ProxyMetrics(() => this.table.size);
    this.hub = new HubClient(opts.hubUrl, opts.authToken);
    this.hubTarget = new URL(opts.hubUrl);
    this.isDashboardPort = buildPortPredicate(opts.dashboardPorts);
    const connectMs = opts.connectTimeoutSeconds * 1000;
    const idleMs = opts.upstreamTimeoutSeconds * 1000;
    this.httpAgent = withConnectTimeout(new http.Agent({ keepAlive: true, maxFreeSockets: 512, scheduling: "lifo", timeout: idleMs }), connectMs, idleMs);
    this.httpsAgent = withConnectTimeout(new https.Agent({ keepAlive: true, maxFreeSockets: 512, scheduling: "lifo", timeout: idleMs }), connectMs, idleMs) as https.Agent;
    this.upstream = new UpstreamClient({ connectTimeoutMs: connectMs, idleTimeoutMs: idleMs, maxFreeSockets: 512 });
    this.wsRelayUser = { connectTimeoutMs: connectMs, handshakeTimeoutMs: idleMs, stripLoginCookies: true };
    this.wsRelayOther = { ...this.wsRelayUser, stripLoginCookies: false };
    this.wsProxy = createProxyServer({ xfwd: false, proxyTimeout: opts.upstreamTimeoutSeconds * 1000 });
    this.wsProxy.on("error", (err: Error, _req: unknown, res: unknown) => {
      this.log.debug({ err: err.message }, "websocket proxy error");
      if (res instanceof net.Socket) res.destroy();
    });
    this.wsProxy.on("proxyReqWs", (proxyReq: http.ClientRequest, req: TaggedRequest, socket: Duplex) => this.trackWebSocket(proxyReq, req, socket));

    this.publicServer = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => this.handleWeb(req, res));
    this.publicServer.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.publicServer.on("connection", (s: net.Socket) => {
      this.openSockets.add(s);
      s.once("close", () => this.openSockets.delete(s));
    });
    this.publicServer.on("clientError", (_err, socket) => socket.destroy());
    this.apiServer = http.createServer((req, res) =>
      handleApiRequest(req, res, { table: this.table, authToken: opts.authToken, metrics: this.metrics, log: this.log }),
    );
  }

  /** Public port actually bound (useful with port 0 in tests). */
  get port(): number {
    return (this.publicServer.address() as net.AddressInfo).port;
  }
  get apiPort(): number {
    return (this.apiServer.address() as net.AddressInfo).port;
  }

  /**
   * Loads the route table from the hub (a few quick retries, so a proxy restarted next to a
   * running hub is complete before it accepts traffic), then listens and starts the sync loops.
   * If the hub stays unreachable the proxy starts anyway and keeps trying every second.
   */
  async start(): Promise<void> {
    let synced = false;
    for (let attempt = 0; attempt < 3 && !synced; attempt++) {
      synced = await this.syncRoutes();
      if (!synced) await sleep(300);
    }
    await this.syncAuth();
    await Promise.all([listen(this.apiServer, this.opts.apiPort, this.opts.apiHost), listen(this.publicServer, this.opts.port, this.opts.bindHost)]);
    this.log.info({ port: this.port, apiPort: this.apiPort, routes: this.table.size, hub: this.opts.hubUrl }, "proxy listening");
    this.scheduleRouteSync(synced ? this.opts.fullSyncSeconds * 1000 : 1000);
    this.every(this.opts.authSyncSeconds * 1000, () => this.syncAuth());
    this.every(this.opts.activityFlushSeconds * 1000, () => this.flushActivity());
  }

  /** Stops listening, ends open connections and timers. Reports pending activity first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    clearInterval(this.clockTimer);
    await this.flushActivity().catch(() => undefined);
    for (const s of this.openSockets) s.destroy();
    await Promise.all([closeServer(this.publicServer), closeServer(this.apiServer)]);
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.upstream.close();
    this.hub.close();
    this.wsProxy.close();
  }

  // ---- background loops -------------------------------------------------------------------

  /** One full sync; true on success. Routes pushed while it ran are kept. */
  async syncRoutes(): Promise<boolean> {
    const startedAt = Date.now();
    try {
      const routes = await this.hub.fetchRoutes();
      const r = this.table.replaceAll(routes, Date.now(), startedAt);
      if (r.added || r.removed) this.log.info({ ...r, total: this.table.size }, "route table synced from hub");
      return true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "cannot fetch the route table from the hub");
      return false;
    }
  }

  /** Fetches admins and revoked sessions; on failure the last snapshot stays in force. */
  async syncAuth(): Promise<boolean> {
    try {
      const snap = await this.hub.fetchAuth();
      this.admins = new Set(snap.admins);
      this.revoked = new Set(snap.revoked_sessions);
      this.authLoaded = true;
      return true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, loaded: this.authLoaded }, "cannot fetch the auth snapshot from the hub");
      return false;
    }
  }

  /** Sends routes active since the last report to the hub, keyed by routespec ("/user/alice/"). */
  async flushActivity(): Promise<void> {
    const batch: Record<string, string> = {};
    const sent: Array<[RouteEntry, number]> = [];
    for (const e of this.table.entries()) {
      if (e.lastActivity > e.reportedActivity) {
        batch[toRouteSpec(e.path)] = new Date(e.lastActivity).toISOString();
        sent.push([e, e.lastActivity]);
      }
    }
    if (!sent.length) return;
    try {
      await this.hub.postActivity(batch);
      for (const [e, at] of sent) e.reportedActivity = at;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, routes: sent.length }, "cannot report activity to the hub");
    }
  }

  private scheduleRouteSync(ms: number): void {
    const t = setTimeout(async () => {
      const ok = await this.syncRoutes();
      if (!this.closed) this.scheduleRouteSync(ok ? this.opts.fullSyncSeconds * 1000 : 1000);
    }, ms);
    t.unref();
    this.timers.push(t);
    if (this.timers.length > 8) this.timers = this.timers.slice(-4);
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    const loop = () => {
      const t = setTimeout(async () => {
        await fn().catch(() => undefined);
        if (!this.closed) loop();
      }, ms);
      t.unref();
      this.timers.push(t);
      if (this.timers.length > 8) this.timers = this.timers.slice(-4);
    };
    loop();
  }

  // ---- identity ---------------------------------------------------------------------------

  /** The cached verdict on a raw Cookie header (computed once per header value). */
  private cookieAuth(header: string): CookieAuth {
    const now = this.now;
    let a = this.cookieCache.get(header, now);
    if (a === undefined) {
      let value: string | undefined;
      try {
        value = readCookie(header, SESSION_COOKIE);
      } catch {
        value = undefined; // malformed %-encoding: no session
      }
      const claims = value ? verifySessionCookie(value, this.cookieKey, now / 1000) : null;
      a = { claims, forward: value === undefined ? header : stripCookie(header, SESSION_COOKIE) };
      this.cookieCache.set(header, a, claims ? claims.exp * 1000 - now : 60_000, now);
    }
    return a;
  }

  /** Who sent the request: a valid, unrevoked session cookie, else an API token (maybe async). */
  private identify(cookie: CookieAuth | undefined, authorization: string | undefined): Identity | null | Promise<Identity | null> {
    const claims = cookie?.claims;
    // The cache drops an entry when the cookie expires; the clock is coarse, so check exp too.
    if (claims && claims.exp * 1000 > this.now && !this.revoked.has(claims.sid)) {
      return { user: claims.user, admin: this.admins.has(claims.user), via: "cookie" };
    }
    const token = readApiToken(authorization);
    if (!token) return null;
    const now = Date.now();
    const cached = this.tokenCache.get(token, now);
    if (cached !== undefined) return cached ? this.tokenIdentity(cached) : null;
    return this.lookupToken(token).then((owner) => (owner ? this.tokenIdentity(owner) : null));
  }

  private tokenIdentity(owner: TokenOwner): Identity {
    return { user: owner.user, admin: owner.admin || this.admins.has(owner.user), via: "token", serverAccess: owner.serverAccess };
  }

  /** Asks the hub who owns a token; concurrent lookups of one token share a request. */
  private lookupToken(token: string): Promise<TokenOwner | null> {
    let p = this.tokenLookups.get(token);
    if (!p) {
      p = this.hub
        .fetchTokenOwner(token)
        .then((owner) => {
          const ttl = owner ? (this.opts.tokenCachePositiveSeconds ?? 10) : (this.opts.tokenCacheNegativeSeconds ?? 2);
          this.tokenCache.set(token, owner, ttl * 1000, Date.now());
          return owner;
        })
        .catch((err) => {
          // Not cached: a hub hiccup must not lock a user out for the cache period.
          this.log.warn({ err: (err as Error).message }, "token lookup at the hub failed");
          return null;
        })
        .finally(() => this.tokenLookups.delete(token));
      this.tokenLookups.set(token, p);
    }
    return p;
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private handleWeb(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "/";
    if (url === "/_chp_healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"OK"}');
      return;
    }
    const t0 = performance.now();
    let entry = this.table.match(url);
    if (url.startsWith("/user/")) {
      // Fast path: the route of this user's server, and not a logout or dashboard URL (both
      // contain these substrings), so the path needs no parsing.
      if (entry && entry.userPrefix !== null && entry.owner !== null && !url.includes("/proxy/") && !url.includes("logout")) {
        this.handleUserRequest(req, res, url, undefined, entry, t0);
        return;
      }
      const up = parseUserPath(url);
      if (up) {
        if (entry && !coversUser(entry, up)) entry = entry.owner === null && entry.path !== "/" ? entry : undefined;
        if (!entry || entry.owner !== null) {
          this.handleUserRequest(req, res, url, up, entry, t0);
          return;
        }
      } else if (entry && entry.owner !== null) {
        this.handleUserRequest(req, res, url, null, entry, t0);
        return;
      }
    } else if (entry && entry.owner !== null) {
      // A route outside /user/ that names a user: still that user's server, still authenticated.
      this.handleUserRequest(req, res, url, null, entry, t0);
      return;
    }
    // The hub, or a route added by a plain CHP client: no auth, no token injection.
    const h = buildUpstreamHeaders(req.rawHeaders, { remoteAddress: req.socket.remoteAddress ?? "" });
    if (entry) this.forward(req, res, entry.targetProtocol, entry.targetHost, entry.targetPort, entry.targetBasePath + url, h.headers, h.hasBody, "hub", entry, false, t0);
    else this.forward(req, res, this.hubTarget.protocol, this.hubTarget.hostname, Number(this.hubTarget.port) || 80, hubPath(this.hubTarget, url), h.headers, h.hasBody, "hub", null, false, t0);
  }

  /**
   * Auth, access and forwarding for /user/<name>/... (and user-owned routes elsewhere). `up` is
   * undefined on the fast path (the caller saw it is neither a logout nor a dashboard URL; it is
   * parsed here only if an answer needs it), null when the URL is not under /user/<name>.
   */
  private handleUserRequest(req: http.IncomingMessage, res: http.ServerResponse, url: string, up: UserPath | null | undefined, entry: RouteEntry | undefined, t0: number): void {
    if (up && isLogoutPath(up)) return this.answer(res, "none", 302, { location: "/hub/logout" });
    const dash = up ? parseDashboardPath(up) : null;
    if (dash && up) entry = this.table.get(up.userPrefix + (dash.serverName ? "/" + dash.serverName : ""));
    const owner = entry?.owner ?? up!.user;
    const method = req.method;
    if (method !== "GET" && method !== "HEAD" && !isOriginAllowed(method, false, req.headers.origin, req.headers.host)) {
      return this.answerError(req, res, 403, "Cross-origin request refused: the Origin header does not match this site.");
    }
    const raw = req.rawHeaders;
    const cookieHeader = readRawHeader(raw, "cookie");
    const cookie = cookieHeader === undefined ? undefined : this.cookieAuth(cookieHeader);
    const who = this.identify(cookie, readRawHeader(raw, "authorization"));
    const go = (identity: Identity | null) => {
      if (res.destroyed) return;
      const decision = decideAccess(identity, owner);
      if (decision !== "allow" || !entry) {
        if (up === undefined) up = parseUserPath(url);
        const pathAfterUser = up ? up.segments.join("/") : "";
        if (decision === "anonymous") {
          if (isBrowserRequest(method, req.headers.accept, pathAfterUser)) {
            return this.answer(res, "none", 302, { location: "/hub/login?next=" + encodeURIComponent(url) });
          }
          return this.answerError(req, res, 403, "Authentication required: log in to the hub or send an API token.", true);
        }
        if (decision === "forbidden") return this.answerError(req, res, 403, `You do not have access to ${owner}'s server.`);
        if (decision === "missing-scope") return this.answerError(req, res, 403, MISSING_SCOPE, true);
        if (up && isBrowserRequest(method, req.headers.accept, pathAfterUser)) {
          const server = dash?.serverName ? "/" + encodeURIComponent(dash.serverName) : "";
          return this.answer(res, "none", 302, { location: `/hub/spawn/${encodeURIComponent(owner)}${server}?next=${encodeURIComponent(url)}` });
        }
        return this.answerError(req, res, 503, `${owner}'s server is not running.`, true);
      }
      // The hub's session cookie never reaches a user server or a dashboard.
      const cookieEdit: HeaderEdit = cookie === undefined ? undefined : (cookie.forward ?? null);
      if (dash) {
        if (!this.checkDashboard(req, res, dash)) return;
        // The dashboard has no auth of its own and must never see a hub credential.
        const h = buildUpstreamHeaders(raw, { remoteAddress: req.socket.remoteAddress ?? "", cookie: cookieEdit, authorization: null });
        this.forward(req, res, "http:", entry.targetHost, dash.port, dash.upstreamPath, h.headers, h.hasBody, "dashboard", entry, false, t0);
        return;
      }
      // Inject the server's token; an API token the client sent is not passed on.
      const authorization: HeaderEdit = entry.authHeader ?? (identity!.via === "token" ? null : undefined);
      const h = buildUpstreamHeaders(raw, { remoteAddress: req.socket.remoteAddress ?? "", cookie: cookieEdit, authorization });
      this.forward(req, res, entry.targetProtocol, entry.targetHost, entry.targetPort, entry.targetBasePath + url, h.headers, h.hasBody, "user", entry, true, t0);
    };
    if (who instanceof Promise) who.then(go, () => go(null));
    else go(who);
  }

  /** Port allow-list and the trailing-slash redirect; false when already answered. */
  private checkDashboard(req: http.IncomingMessage, res: http.ServerResponse, dash: DashboardPath): boolean {
    if (!this.isDashboardPort(dash.port)) {
      this.answerError(req, res, 404, `Port ${dash.port} is not an allowed dashboard port.`, true);
      return false;
    }
    if (dash.redirectTo) {
      this.answer(res, "none", 301, { location: dash.redirectTo });
      return false;
    }
    return true;
  }

  /**
   * The lean forwarding path: one http.request over a keep-alive agent, piped both ways.
   * `headers` is a flat [name, value, ...] list: Node writes it as given, without the
   * per-header setHeader() validation an object goes through.
   */
  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    protocol: string,
    host: string,
    port: number,
    path: string,
    headers: string[],
    hasBody: boolean,
    kind: RouteClass,
    entry: RouteEntry | null,
    stripLoginCookies: boolean,
    t0: number,
  ): void {
    const isHttps = protocol === "https:";
    if (!isHttps && !hasBody && !req.readableLength && this.leanEnabled) {
      this.forwardLean(req, res, host, port, path, headers, kind, entry, stripLoginCookies, t0);
      return;
    }
    const upstream = (isHttps ? https : http).request({
      host,
      port,
      method: req.method,
      path,
      headers,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
    });
    upstream.on("response", (ures) => {
      const status = ures.statusCode ?? 502;
      res.writeHead(status, ures.statusMessage, filterResponseHeaders(ures.rawHeaders, stripLoginCookies));
      ures.pipe(res);
      this.metrics.countRequest(kind, status);
      this.metrics.observeLatency(kind, (performance.now() - t0) / 1000);
      if (entry && status < ACTIVE_STATUS_BELOW) entry.lastActivity = this.now;
    });
    let clientGone = false;
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      // Our own abort after the client left (below) is not an upstream failure.
      if (clientGone) return;
      this.upstreamFailed(req, res, kind, entry, host, port, err);
    });
    // If the client goes away first, release the upstream request (long polls, event streams).
    res.on("close", () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstream.destroy();
      }
    });
    if (!hasBody && !req.readableLength) {
      upstream.end();
      req.resume();
    } else req.pipe(upstream);
  }

  /**
   * The lean path for bodyless requests to http:// upstreams: the request head is written as one
   * string on a pooled connection and the response bytes go to `res` unchanged
   * (proxy/forward/upstream-client.ts); no ClientRequest, Agent or IncomingMessage per request.
   */
  private forwardLean(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    host: string,
    port: number,
    path: string,
    headers: string[],
    kind: RouteClass,
    entry: RouteEntry | null,
    stripLoginCookies: boolean,
    t0: number,
  ): void {
    const method = req.method!;
    let head = method + " " + path + " HTTP/1.1\r\n";
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ": " + headers[i + 1] + "\r\n";
    head += "\r\n";
    const ex = this.upstream.request(host, port, method, head, res, stripLoginCookies ? filterStripLogin : filterKeep, {
      onResponse: (status) => {
        this.metrics.countRequest(kind, status);
        this.metrics.observeLatency(kind, (performance.now() - t0) / 1000);
        if (entry && status < ACTIVE_STATUS_BELOW) entry.lastActivity = this.now;
      },
      onError: (err) => this.upstreamFailed(req, res, kind, entry, host, port, err),
      onBrokenBody: (err) => this.upstreamFailed(req, res, kind, entry, host, port, err),
    });
    // If the client goes away first, release the upstream connection (long polls, event streams).
    res.on("close", () => {
      if (!res.writableFinished) ex.abort();
    });
    req.resume();
  }

  /** An upstream failure: styled 502/503/504 if nothing was sent yet, else the response is cut. */
  private upstreamFailed(req: http.IncomingMessage, res: http.ServerResponse, kind: RouteClass, entry: RouteEntry | null, host: string, port: number, err: NodeJS.ErrnoException): void {
    this.metrics.countUpstreamError(kind);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = err instanceof UpstreamTimeout || err.code === "ETIMEDOUT" ? 504 : err.code === "ECONNREFUSED" || err.code === "EHOSTUNREACH" ? 503 : 502;
    const what = kind === "hub" ? "The hub" : kind === "dashboard" ? "The dashboard" : entry?.owner ? `${entry.owner}'s server` : "The server";
    this.log.debug({ err: err.message, host, port }, "upstream error");
    this.answerError(req, res, status, `${what} is not responding (${err.code ?? err.message}). It may be starting or stopped.`);
  }

  /** A bodyless answer from the proxy itself (redirects). */
  private answer(sink: Sink, kind: RouteClass, status: number, headers: Record<string, string>): void {
    this.metrics.countRequest(kind, status);
    writeRaw(sink, status, { ...headers, "content-length": "0" }, "");
  }

  /** An error answer: the styled page for browsers (Accept: text/html), JSON otherwise. */
  private answerError(req: http.IncomingMessage, sink: Sink, status: number, message: string, _api = false): void {
    this.metrics.countRequest("none", status);
    if (sink instanceof http.ServerResponse && (req.headers.accept ?? "").includes("text/html")) {
      writeRaw(sink, status, { "content-type": "text/html; charset=utf-8" }, renderErrorPage(status, message));
    } else {
      writeRaw(sink, status, { "content-type": "application/json" }, JSON.stringify({ status, message }));
    }
  }

  // ---- WebSocket --------------------------------------------------------------------------

  private handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const url = req.url ?? "/";
    const up = url.startsWith("/user/") ? parseUserPath(url) : null;
    let entry = this.table.match(url);
    if (up && entry && !coversUser(entry, up)) entry = entry.owner === null && entry.path !== "/" ? entry : undefined;
    if (entry && entry.owner === null) {
      // A route without an owner (the hub's, or one added by a plain CHP client): no auth.
      const h = buildUpstreamHeaders(req.rawHeaders, { remoteAddress: req.socket.remoteAddress ?? "" });
      return this.proxyWs(req, socket, head, entry.targetProtocol, entry.targetHost, entry.targetPort, entry.targetBasePath + url, h.headers, entry, "hub");
    }
    if (!up && !entry) {
      const h = buildUpstreamHeaders(req.rawHeaders, { remoteAddress: req.socket.remoteAddress ?? "" });
      const hub = this.hubTarget;
      return this.proxyWs(req, socket, head, hub.protocol, hub.hostname, Number(hub.port) || (hub.protocol === "https:" ? 443 : 80), hubPath(hub, url), h.headers, null, "hub");
    }
    const dash = up ? parseDashboardPath(up) : null;
    if (dash && up) entry = this.table.get(up.userPrefix + (dash.serverName ? "/" + dash.serverName : ""));
    const owner = entry?.owner ?? up!.user;
    if (!isOriginAllowed(req.method, true, req.headers.origin, req.headers.host)) {
      return this.answerError(req, socket, 403, "Cross-origin WebSocket refused.", true);
    }
    const raw = req.rawHeaders;
    const cookieHeader = readRawHeader(raw, "cookie");
    const cookie = cookieHeader === undefined ? undefined : this.cookieAuth(cookieHeader);
    const who = this.identify(cookie, readRawHeader(raw, "authorization"));
    const go = (identity: Identity | null) => {
      if (socket.destroyed) return;
      const decision = decideAccess(identity, owner);
      if (decision === "anonymous") return this.answerError(req, socket, 403, "Authentication required.", true);
      if (decision === "missing-scope") return this.answerError(req, socket, 403, MISSING_SCOPE, true);
      if (decision === "forbidden") return this.answerError(req, socket, 403, `You do not have access to ${owner}'s server.`, true);
      if (!entry) return this.answerError(req, socket, 503, `${owner}'s server is not running.`, true);
      // The hub's session cookie never reaches a user server or a dashboard.
      const cookieEdit: HeaderEdit = cookie === undefined ? undefined : (cookie.forward ?? null);
      const remoteAddress = req.socket.remoteAddress ?? "";
      if (dash) {
        if (!this.isDashboardPort(dash.port)) return this.answerError(req, socket, 404, "Not an allowed dashboard port.", true);
        if (dash.redirectTo) return this.answerError(req, socket, 404, "Dashboard WebSocket paths need a slash after the port.", true);
        const h = buildUpstreamHeaders(raw, { remoteAddress, cookie: cookieEdit, authorization: null });
        return this.proxyWs(req, socket, head, "http:", entry.targetHost, dash.port, dash.upstreamPath, h.headers, entry, "dashboard");
      }
      // Inject the server's token; an API token the client sent is not passed on.
      const authorization: HeaderEdit = entry.authHeader ?? (identity!.via === "token" ? null : undefined);
      const h = buildUpstreamHeaders(raw, { remoteAddress, cookie: cookieEdit, authorization });
      this.proxyWs(req, socket, head, entry.targetProtocol, entry.targetHost, entry.targetPort, entry.targetBasePath + url, h.headers, entry, "user");
    };
    if (who instanceof Promise) who.then(go, () => go(null));
    else go(who);
  }

  /**
   * Forwards an upgrade whose access is settled: `headers` is the flat upstream header list
   * (buildUpstreamHeaders). Plain-HTTP upstreams go through our relay
   * (proxy/forward/websocket-relay.ts), HTTPS ones through http-proxy-3's ws(). Either way open
   * WebSockets are counted and traffic in both directions is activity (CHP misses server→client).
   */
  private proxyWs(req: http.IncomingMessage, socket: Duplex, early: Buffer, protocol: string, host: string, port: number, path: string, headers: string[], entry: RouteEntry | null, kind: RouteClass): void {
    const routePath = entry?.path;
    const onTraffic = routePath ? () => this.touchRoute(routePath) : noop;
    const failed = (err: NodeJS.ErrnoException) => {
      this.metrics.countUpstreamError(kind);
      this.log.debug({ err: err.message, host, port }, "websocket upstream error");
      const status = err.code === "ETIMEDOUT" ? 504 : err.code === "ECONNREFUSED" || err.code === "EHOSTUNREACH" ? 503 : 502;
      const what = kind === "hub" ? "The hub" : kind === "dashboard" ? "The dashboard" : entry?.owner ? `${entry.owner}'s server` : "The server";
      if (!socket.destroyed) this.answerError(req, socket, status, `${what} is not responding (${err.code ?? err.message}). It may be starting or stopped.`, true);
    };
    if (protocol !== "http:" || !this.leanEnabled) return this.proxyWsLibrary(req, socket, early, protocol, host, port, path, headers, kind, onTraffic, failed);
    let head = (req.method ?? "GET") + " " + path + " HTTP/1.1\r\n";
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ": " + headers[i + 1] + "\r\n";
    head += "connection: Upgrade\r\n\r\n";
    const t0 = performance.now();
    relayWebSocket(socket, early, { host, port, head }, kind === "user" ? this.wsRelayUser : this.wsRelayOther, {
      onHandshake: (status) => {
        this.metrics.countRequest(kind, status);
        this.metrics.observeLatency(kind, (performance.now() - t0) / 1000);
        if (status === 101) this.metrics.openWebSockets.inc();
        if (status < ACTIVE_STATUS_BELOW) onTraffic();
      },
      onError: failed,
      onTraffic,
      onClose: () => this.metrics.openWebSockets.dec(),
    });
  }

  /** The same through http-proxy-3 (HTTPS upstreams; PROXY_NO_LEAN_UPSTREAM=1 for A/B runs). */
  private proxyWsLibrary(req: http.IncomingMessage, socket: Duplex, early: Buffer, protocol: string, host: string, port: number, path: string, headers: string[], kind: RouteClass, onTraffic: () => void, failed: (err: NodeJS.ErrnoException) => void): void {
    // X-Forwarded-* are already in `headers`; http-proxy-3 reads the request's header object.
    const h: http.IncomingHttpHeaders = {};
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      const prev = h[name];
      h[name] = prev === undefined ? headers[i + 1] : name === "cookie" ? prev + "; " + headers[i + 1] : prev;
    }
    h.connection = "Upgrade"; // buildUpstreamHeaders drops the client's; http-proxy-3 needs it to upgrade
    req.headers = h;
    req.url = path;
    const target = new URL(`${protocol}//${host.includes(":") ? `[${host}]` : host}:${port}`);
    const tagged = req as TaggedRequest;
    const hooks = { onTraffic, kind, upgraded: false };
    tagged[WS_HOOKS] = hooks;
    // http-proxy-3 reports errors after the upgrade through the same callback: no HTTP answer then.
    this.wsProxy.ws(req, socket, early, { target, xfwd: false }, (err: Error) => (hooks.upgraded ? socket.destroy() : failed(err as NodeJS.ErrnoException)));
  }

  /** Counts an upgrade http-proxy-3 completed and records its traffic as activity. */
  private trackWebSocket(proxyReq: http.ClientRequest, req: TaggedRequest, socket: Duplex): void {
    const hooks = req[WS_HOOKS];
    if (!hooks) return;
    proxyReq.on("response", (res: http.IncomingMessage) => this.metrics.countRequest(hooks.kind, res.statusCode ?? 502));
    proxyReq.on("upgrade", (_res: http.IncomingMessage, proxySocket: net.Socket) => {
      hooks.upgraded = true;
      this.metrics.countRequest(hooks.kind, 101);
      this.metrics.openWebSockets.inc();
      hooks.onTraffic();
      let open = true;
      const done = () => {
        if (open) {
          open = false;
          this.metrics.openWebSockets.dec();
        }
      };
      socket.once("close", done);
      proxySocket.once("close", () => {
        done();
        socket.destroy();
      });
      socket.on("data", hooks.onTraffic);
      proxySocket.on("data", hooks.onTraffic);
    });
  }

  private touchRoute(path: string): void {
    const e = this.table.getNormalized(path);
    if (e) e.lastActivity = this.now;
  }
}

class UpstreamTimeout extends Error {
  code = "ETIMEDOUT";
  constructor() {
    super("upstream timed out");
  }
}

/** Whether a matched route lies within /user/<name> (not a shorter prefix such as "/"). */
function coversUser(entry: RouteEntry, up: UserPath): boolean {
  const p = entry.path;
  return p.length >= up.userPrefix.length && p.startsWith(up.userPrefix) && (p.length === up.userPrefix.length || p[up.userPrefix.length] === "/");
}

function hubPath(hub: URL, url: string): string {
  const base = hub.pathname.replace(/\/+$/, "");
  return base + url;
}

/** Flat [name, value, ...] list for writeHead without hop-by-hop headers and, for user servers, Jupyter's login cookie (lab P3). */
function filterResponseHeaders(raw: string[], stripLoginCookies: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.length <= 17 ? name.toLowerCase() : "";
    if (lower !== "" && HOP_BY_HOP.has(lower)) continue;
    if (stripLoginCookies && lower === "set-cookie" && raw[i + 1].startsWith("username-")) continue;
    out.push(name, raw[i + 1]);
  }
  return out;
}

const filterStripLogin = (raw: string[]): string[] => filterResponseHeaders(raw, true);
const filterKeep = (raw: string[]): string[] => filterResponseHeaders(raw, false);

/** Writes a complete response to an HTTP response or to a raw upgrade socket. */
function writeRaw(sink: Sink, status: number, headers: Record<string, string>, body: string): void {
  if (sink instanceof http.ServerResponse) {
    if (sink.headersSent) {
      sink.destroy();
      return;
    }
    sink.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
    sink.end(body);
    return;
  }
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}`, "connection: close", `content-length: ${Buffer.byteLength(body)}`];
  for (const [k, v] of Object.entries(headers)) if (k !== "content-length") lines.push(`${k}: ${v}`);
  sink.end(lines.join("\r\n") + "\r\n\r\n" + body);
  (sink as Duplex & { destroySoon?: () => void }).destroySoon?.();
}

/**
 * Adds a connect timeout and an inactivity timeout to every new upstream connection the agent
 * opens — once per connection rather than per request (socket.setTimeout per request showed up
 * in profiles). An upstream silent for idleMs is cut and the request answered 504.
 */
function withConnectTimeout<A extends http.Agent>(agent: A, ms: number, idleMs: number): A {
  const original = (agent as unknown as { createConnection: (...a: unknown[]) => net.Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...a: unknown[]) => net.Socket }).createConnection = (...args: unknown[]) => {
    const socket = original(...args);
    if (socket && socket.connecting) {
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" })), ms);
      const clear = () => clearTimeout(timer);
      socket.once("connect", clear);
      socket.once("secureConnect", clear);
      socket.once("close", clear);
    }
    // Headers and small bodies go out at once rather than waiting for an ACK (Nagle).
    socket?.setNoDelay(true);
    // The agent re-arms this timeout (its `timeout` option) whenever a socket returns to the pool.
    socket?.setTimeout(idleMs);
    socket?.on("timeout", () => socket.destroy(new UpstreamTimeout()));
    return socket;
  };
  return agent;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
