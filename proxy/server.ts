// The proxy process's wiring: the public port (every request resolved by routing/resolve.ts, the
// caller identified by auth/identity.ts when a user's server is asked for, then forwarded by
// forward/http-forwarder.ts or forward/websocket-forwarder.ts, or answered by forward/answers.ts),
// the internal port (api/route-api.ts) and the loops towards the hub (hub/sync.ts).
// proxy/main.ts wraps it in a CLI; tests start it in-process.
import http from "node:http";
import type net from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { handleApiRequest, type Revocations } from "./api/route-api";
import { IdentityResolver, NOBODY } from "./auth/identity";
import { deriveKey, serverTokenDeriver, sessionCookieName } from "./auth/session-cookie";
import { Answers, type Sink } from "./forward/answers";
import { HttpForwarder } from "./forward/http-forwarder";
import { ServerStatusLookup } from "./forward/server-status";
import { buildUpstreamHeaders } from "./forward/upstream-headers";
import { WebSocketForwarder } from "./forward/websocket-forwarder";
import { SERVER_CHECK_HUB_WAIT_MS, type HubConnection } from "./hub/connection";
import { HubHttpClient } from "./hub/http-client";
import { HubSync } from "./hub/sync";
import { ProxyMetrics } from "./metrics";
import { GYRE_COOKIES, originCookieNames } from "./origins/handshake";
import { stripCookies } from "./auth/session-cookie";
import { OriginGate } from "./origins/origin-gate";
import { hubUrl, resolveOriginPlan, singleOriginWarning, type OriginOptions, type OriginPlan } from "./origins/origin-plan";
import { buildPortPredicate } from "./routing/route-path";
import { RouteTable } from "./routing/route-table";
import { grantOf, isSharedWith, roleAllows, takeQueryToken, type Identity } from "./auth/access";
import { readRawHeader, type HeaderEdit } from "./forward/upstream-headers";
import {
  corsPreflightHeaders,
  decideGuarded,
  foundNoRoute,
  parseHubTarget,
  resolveRequest,
  type Caller,
  type Forward,
  type Guarded,
  type RequestLike,
  type ResolveContext,
  type Resolution,
  withQueryToken,
} from "./routing/resolve";

/** Everything the proxy needs; main.ts builds it from config + CLI flags. */
export interface ProxyOptions {
  bindHost: string;
  port: number;
  apiHost: string;
  apiPort: number;
  /** where /hub/* (and anything without a route) is forwarded */
  hubUrl: string;
  /** token for the route API, and the proxy's credential towards the hub */
  authToken: string;
  /** hub.secretKey: verifies session cookies, derives server tokens */
  secretKey: string;
  /** hub.publicUrl (default applied) and hub.userDomain: which origin serves what */
  origins: OriginOptions;
  fullSyncSeconds: number;
  authSyncSeconds: number;
  activityFlushSeconds: number;
  upstreamTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  dashboardPorts: Array<number | string>;
  /** proxy.tokenCorsOrigins: pages that may use servers with an API token from another origin */
  tokenCorsOrigins?: string[];
  logger: Logger;
  /** the hub's proxy API (default: over HTTP at hubUrl with authToken); tests may pass an in-memory hub */
  hub?: HubConnection;
  /** a full sync keeps routes pushed this long before it began (default PUSH_GRACE_MS, proxy/hub/sync.ts) */
  routePushGraceMs?: number;
  /** how long a known API token is trusted before asking the hub again (default 10 s) */
  tokenCachePositiveSeconds?: number;
  /** how long an unknown API token is remembered as unknown (default 2 s) */
  tokenCacheNegativeSeconds?: number;
  /** proxy.tokenGraceSeconds: a confirmed token owner honoured this long while the hub cannot be asked (default 300) */
  tokenGraceSeconds?: number;
  /**
   * Our own upstream client and WebSocket relay for http:// upstreams (default); false sends
   * everything through http.request / http-proxy-3 (A/B runs, tests of that path). Default from
   * PROXY_NO_LEAN_UPSTREAM=1 (not GYRE_*: those are config).
   */
  leanUpstream?: boolean;
}

/**
 * At most one on-demand full sync per this many ms, when a request for a server the caller may use
 * finds no route here (HubSync.catchUp).
 */
const CATCH_UP_MIN_GAP_MS = 1000;

/** Granularity of the coarse clock; activity is reported every activityFlushSeconds anyway. */
const CLOCK_TICK_MS = 100;
/**
 * A server that refuses connections: the hub's answer about it is reused this long (every asset of
 * a page fails at once), and waited for at most this long (the hub polls a running server first,
 * up to SERVER_CHECK_HUB_WAIT_MS, so the answer can say the job ended).
 */
const SERVER_CHECK_TTL_MS = 5000;
const SERVER_CHECK_WAIT_MS = SERVER_CHECK_HUB_WAIT_MS + 1000;

/** The running proxy. */
export class GyreProxy {
  readonly table: RouteTable;
  readonly metrics: ProxyMetrics;
  readonly hub: HubConnection;
  readonly plan: OriginPlan;
  private readonly log: Logger;
  /** Coarse clock (ms), refreshed by a timer: activity and cache expiry need no per-request Date.now(). */
  private readonly clock = { now: Date.now() };
  private readonly clockTimer: NodeJS.Timeout;
  private readonly sync: HubSync;
  private readonly identity: IdentityResolver;
  private readonly routing: ResolveContext;
  private readonly answers: Answers;
  private readonly gate: OriginGate;
  private readonly http: HttpForwarder;
  private readonly ws: WebSocketForwarder;
  private readonly publicServer: http.Server;
  private readonly apiServer: http.Server;
  private readonly openSockets = new Set<net.Socket>();
  /**
   * WebSockets open through a share (not the owner's, not an admin's): checked again whenever the
   * share map changes, and closed when their share is gone, so a revoked share also ends the
   * kernels' and terminals' connections already open.
   */
  private readonly sharedSockets = new Map<Duplex, { owner: string; server: string; ownerId: number | null; identity: Identity }>();
  /** the hop secret sent to the hub with every request for it (PROXY_HOP_HEADER) */
  private readonly proxyHop: string;
  private closed = false;

  constructor(private readonly opts: ProxyOptions) {
    this.log = opts.logger;
    this.plan = resolveOriginPlan(opts.origins);
    const leanUpstream = opts.leanUpstream ?? process.env.PROXY_NO_LEAN_UPSTREAM !== "1";
    this.clockTimer = setInterval(() => (this.clock.now = Date.now()), CLOCK_TICK_MS);
    this.clockTimer.unref();
    this.table = new RouteTable(serverTokenDeriver(opts.secretKey));
    this.proxyHop = deriveKey(opts.secretKey, "proxy-hop").toString("hex");
    this.metrics = new ProxyMetrics(() => this.table.size);
    this.hub = opts.hub ?? new HubHttpClient(opts.hubUrl, opts.authToken);
    this.sync = new HubSync({
      hub: this.hub,
      table: this.table,
      log: this.log,
      fullSyncSeconds: opts.fullSyncSeconds,
      authSyncSeconds: opts.authSyncSeconds,
      activityFlushSeconds: opts.activityFlushSeconds,
      onGrantsChanged: () => this.recheckSharedSockets(),
      pushGraceMs: opts.routePushGraceMs,
    });
    this.identity = new IdentityResolver({
      secretKey: opts.secretKey,
      hub: this.hub,
      auth: this.sync,
      clock: this.clock,
      log: this.log,
      cookieNames: { hubSession: sessionCookieName(this.plan.scheme === "https:"), originSession: originCookieNames(this.plan.scheme === "https:").session },
      tokenCachePositiveSeconds: opts.tokenCachePositiveSeconds,
      tokenCacheNegativeSeconds: opts.tokenCacheNegativeSeconds,
      tokenGraceSeconds: opts.tokenGraceSeconds,
    });
    this.routing = {
      table: this.table,
      hub: parseHubTarget(opts.hubUrl),
      isDashboardPort: buildPortPredicate(opts.dashboardPorts),
      tokenCorsOrigins: new Set(opts.tokenCorsOrigins ?? []),
      plan: this.plan,
      shares: this.sync,
    };
    this.answers = new Answers(this.metrics);
    this.gate = new OriginGate({ plan: this.plan, secretKey: opts.secretKey, auth: this.sync, answers: this.answers, log: this.log });
    const connectTimeoutMs = opts.connectTimeoutSeconds * 1000;
    const idleTimeoutMs = opts.upstreamTimeoutSeconds * 1000;
    const forwarding = { connectTimeoutMs, leanUpstream, metrics: this.metrics, answers: this.answers, log: this.log };
    const lookup = new ServerStatusLookup({ hub: this.hub, ttlMs: SERVER_CHECK_TTL_MS, waitMs: SERVER_CHECK_WAIT_MS, maxEntries: 10_000 });
    this.http = new HttpForwarder({ ...forwarding, idleTimeoutMs, clock: this.clock, serverDown: { lookup, hubUrl: (path) => hubUrl(this.plan, path) } });
    this.ws = new WebSocketForwarder({
      ...forwarding,
      handshakeTimeoutMs: idleTimeoutMs,
      upstreamTimeoutMs: idleTimeoutMs,
      touchRoute: (path) => this.touchRoute(path),
    });

    this.publicServer = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => this.handleWeb(req, res));
    this.publicServer.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.publicServer.on("connection", (s: net.Socket) => {
      this.openSockets.add(s);
      s.once("close", () => this.openSockets.delete(s));
    });
    // Requests Node's parser refuses (framing it cannot trust, such as Transfer-Encoding with
    // "chunked" not last, malformed headers) get a plain 4xx before the connection closes, as
    // Node's documentation suggests, rather than a silently dropped connection.
    this.publicServer.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (err.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
      const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    const revoke = (r: Revocations) => {
      this.sync.revokeSessions(r.sessions);
      this.identity.forgetTokens(r.tokenHashes);
    };
    const setShares = (map: unknown) => this.sync.setShares(map);
    const setRoleAccess = (map: unknown, services?: unknown) => this.sync.setRoleAccess(map, services);
    this.apiServer = http.createServer(
      (req, res) =>
        void handleApiRequest(req, res, {
          table: this.table,
          hub: this.hub,
          authToken: opts.authToken,
          metrics: this.metrics,
          log: this.log,
          revoke,
          setShares,
          setRoleAccess,
        }),
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
   * Listens on the API port, loads the route table from the hub, then listens on the public port
   * (so a restarted proxy never serves a partial table) and starts the sync loops. If the hub stays unreachable the
   * proxy starts anyway and keeps trying every second.
   */
  async start(): Promise<void> {
    // The API port first: a hub's push during the load is applied and kept by it (replaceAll keeps
    // routes pushed after the load began); one refused before the port listened was lost until the
    // next full sync (issue 14's storm: routes missing on a restarted proxy for fullSyncSeconds).
    await listen(this.apiServer, this.opts.apiPort, this.opts.apiHost);
    const synced = await this.sync.load();
    await listen(this.publicServer, this.opts.port, this.opts.bindHost);
    const warning = singleOriginWarning(this.plan);
    if (warning) this.log.warn(warning);
    this.log.info(
      {
        port: this.port,
        apiPort: this.apiPort,
        routes: this.table.size,
        hub: this.opts.hubUrl,
        publicUrl: this.plan.hubOrigin,
        userDomain: this.plan.userDomain,
      },
      "proxy listening",
    );
    this.sync.startLoops(synced);
  }

  /** Stops listening, ends open connections and timers. Reports pending activity first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.clockTimer);
    await this.sync.stop();
    for (const s of this.openSockets) s.destroy();
    await Promise.all([closeServer(this.publicServer), closeServer(this.apiServer)]);
    this.http.close();
    this.ws.close();
    this.hub.close();
  }

  /** Fetches the auth snapshot now (tests; the loop does it every authSyncSeconds). */
  syncAuth(): Promise<boolean> {
    return this.sync.syncAuth();
  }

  /** One full route sync now (tests; the loop does it every fullSyncSeconds). */
  syncRoutes(): Promise<boolean> {
    return this.sync.syncRoutes();
  }

  /** Reports activity now (tests; the loop does it every activityFlushSeconds). */
  flushActivity(): Promise<void> {
    return this.sync.flushActivity();
  }

  private handleWeb(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "/";
    if (url === "/_chp_healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"OK"}');
      return;
    }
    if (url === "*" && req.method === "OPTIONS") {
      // The server-wide OPTIONS (RFC 9110 §9.3.7) is the proxy's to answer: there is no path to route.
      res.writeHead(204, { allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" });
      res.end();
      return;
    }
    const t0 = performance.now();
    const facts = requestFacts(req);
    const preflight =
      req.method === "OPTIONS"
        ? corsPreflightHeaders({ ...facts, requestMethod: readRawHeader(req.rawHeaders, "access-control-request-method") }, url, this.routing)
        : null;
    if (preflight) {
      res.writeHead(204, preflight);
      res.end();
      return;
    }
    const r = resolveRequest(facts, url, false, this.routing);
    if (r.kind !== "guarded") return this.finishWeb(req, res, r, t0);
    const caller = this.identify(req, r);
    // No closure on the common path: a session cookie is identified at once.
    if (!(caller instanceof Promise)) return this.decideWeb(req, res, facts, url, r, caller, t0);
    const decide = (c: Caller) => {
      if (!res.destroyed) this.decideWeb(req, res, facts, url, r, c, t0);
    };
    caller.then(decide, () => decide(NOBODY));
  }

  private identify(req: http.IncomingMessage, g: Guarded, queryToken: string | null = null): Caller | Promise<Caller> {
    return this.identity.identify(req.rawHeaders, { credentials: g.credentials, hostname: g.hostname, queryToken, tokenOnly: g.corsOrigin !== undefined });
  }

  /**
   * A request for a server the caller may use that finds no route here (a browser about to be sent
   * to the spawn page, an API client or a WebSocket about to get a 503) first gets one look at the
   * hub's table: the hub may have pushed the route to another replica only, or this proxy missed the
   * push while it restarted. (For a browser the spawn page would otherwise send it straight back
   * here: a redirect loop until this replica's next sync.)
   */
  private decideWeb(req: http.IncomingMessage, res: http.ServerResponse, facts: RequestLike, url: string, g: Guarded, caller: Caller, t0: number): void {
    const d = decideGuarded(g, facts, caller, this.routing);
    if (!foundNoRoute(d)) return this.finishWeb(req, res, d, t0);
    this.afterCatchUp(
      () => res.destroyed,
      (synced) => {
        const again = synced ? resolveRequest(facts, url, false, this.routing) : null;
        this.finishWeb(req, res, again === null ? d : again.kind === "guarded" ? decideGuarded(again, facts, caller, this.routing) : again, t0);
      },
    );
  }

  /** One catch-up with the hub's table (HubSync.catchUp), then `then(synced)` unless the client has gone. */
  private afterCatchUp(gone: () => boolean, then: (synced: boolean) => void): void {
    void this.sync.catchUp(CATCH_UP_MIN_GAP_MS).then((synced) => {
      if (!gone()) then(synced);
    });
  }

  private finishWeb(req: http.IncomingMessage, res: http.ServerResponse, r: Resolution, t0: number): void {
    if (r.kind === "forward") {
      const upstream = buildUpstreamHeaders(req.rawHeaders, {
        remoteAddress: req.socket.remoteAddress ?? "",
        cookie: cookieFor(req, r),
        authorization: r.authorization,
        proxyHop: r.entry === null ? this.proxyHop : undefined,
      });
      if (upstream.badFraming) {
        // The body's end cannot be trusted: answer, and close the connection after it.
        res.shouldKeepAlive = false;
        return this.answer(req, res, { kind: "refuse", status: 400, message: upstream.badFraming });
      }
      this.http.forward({ req, res, to: r, upstream, t0 });
    } else if (r.kind === "origin-login") this.gate.startLogin(req, res, r);
    else if (r.kind === "origin-callback") this.gate.finishLogin(req, res);
    else this.answer(req, res, r);
  }

  private handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    // a browser's WebSocket cannot send Authorization: Thebe and JupyterLab put the token in the
    // query; it identifies the caller and never reaches the server in the URL (a jupyterhub-singleuser
    // server gets it as the upgrade's Authorization header: withQueryToken)
    const { url, token } = takeQueryToken(req.url ?? "/");
    const facts = requestFacts(req);
    if (token !== null) facts.authorization = true;
    const r = resolveRequest(facts, url, true, this.routing);
    if (r.kind !== "guarded") return this.finishUpgrade(req, socket, head, r);
    const caller = this.identify(req, r, token);
    const hasAuthorization = readRawHeader(req.rawHeaders, "authorization") !== undefined;
    // `first`: a request that finds no route here looks again after one catch-up (decideWeb)
    const decideFor = (g: Guarded, c: Caller, first: boolean) => {
      const d = withQueryToken(decideGuarded(g, facts, c, this.routing), c, token, hasAuthorization);
      if (first && foundNoRoute(d))
        return this.afterCatchUp(
          () => socket.destroyed,
          (synced) => {
            const again = synced ? resolveRequest(facts, url, true, this.routing) : g;
            if (again.kind === "guarded") decideFor(again, c, false);
            else this.finishUpgrade(req, socket, head, again);
          },
        );
      if (d.kind === "forward") this.trackIfShared(socket, g, c);
      this.finishUpgrade(req, socket, head, d);
    };
    const decide = (c: Caller) => decideFor(r, c, true);
    if (!(caller instanceof Promise)) return decide(caller);
    caller.then(
      (c) => !socket.destroyed && decide(c),
      () => !socket.destroyed && decide(NOBODY),
    );
  }

  /** Remembers a WebSocket let in through a share or a role (not its owner's, not an admin's) until it closes. */
  private trackIfShared(socket: Duplex, g: Guarded, c: Caller): void {
    const identity = c.identity;
    if (!identity || identity.admin || (identity.user === g.owner && (g.entry?.ownerId == null || identity.userId === g.entry.ownerId))) return;
    const server = g.dash ? (g.dash.serverName ?? "") : (g.entry?.serverName ?? "");
    this.sharedSockets.set(socket, { owner: g.owner, server, ownerId: g.entry?.ownerId ?? null, identity });
    socket.once("close", () => this.sharedSockets.delete(socket));
  }

  /**
   * Closes the WebSockets whose share or role no longer lets them in (the share map or a role or
   * service access map changed: a share revoked, a member who left a group, a service's role gone).
   */
  private recheckSharedSockets(): void {
    for (const [socket, u] of this.sharedSockets) {
      if (isSharedWith(this.sync.shareOf(u.owner, u.server), u.identity, u.ownerId)) continue;
      if (roleAllows(grantOf(u.identity, this.sync), u.ownerId, u.server)) continue;
      this.sharedSockets.delete(socket);
      this.log.info(
        { user: u.identity.service === undefined ? u.identity.user : `service ${u.identity.service}`, server: `${u.owner}/${u.server}` },
        "share or role revoked: closing its open WebSocket",
      );
      socket.destroy();
    }
  }

  private finishUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, r: Resolution): void {
    if (r.kind === "forward") {
      const { headers, badFraming } = buildUpstreamHeaders(req.rawHeaders, {
        remoteAddress: req.socket.remoteAddress ?? "",
        cookie: cookieFor(req, r),
        authorization: r.authorization,
      });
      if (badFraming) return this.answer(req, socket, { kind: "refuse", status: 400, message: badFraming });
      this.ws.forward({ req, socket, head, to: r, headers });
    } else if (r.kind === "origin-login" || r.kind === "origin-callback") this.answers.refuse(req, socket, 403, "Authentication required.");
    else this.answer(req, socket, r);
  }

  private answer(req: http.IncomingMessage, sink: Sink, r: Exclude<Resolution, { kind: "forward" | "origin-login" | "origin-callback" }>): void {
    if (r.kind === "redirect") this.answers.redirect(sink, r.status, r.location, r.clearOriginCookies ? { "set-cookie": this.gate.clearCookies() } : undefined);
    else this.answers.refuse(req, sink, r.status, r.message);
  }

  private touchRoute(path: string): void {
    const e = this.table.getNormalized(path);
    if (e) e.lastActivity = this.clock.now;
  }
}

/** The Cookie header to send upstream: the resolver's edit, or the request's without Gyre's cookies (services). */
function cookieFor(req: http.IncomingMessage, r: Forward): HeaderEdit {
  return r.dropGyreCookies ? (stripCookies(readRawHeader(req.rawHeaders, "cookie"), GYRE_COOKIES) ?? null) : r.cookie;
}

/** The headers the resolver reads, in one pass over the raw list (req.headers is never built on the hot path). */
function requestFacts(req: http.IncomingMessage): RequestLike {
  const raw = req.rawHeaders;
  const facts: RequestLike = { method: req.method };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    switch (name.length) {
      case 4:
        if (facts.host === undefined && name.toLowerCase() === "host") facts.host = raw[i + 1];
        break;
      case 6:
        if (facts.origin === undefined && name.toLowerCase() === "origin") facts.origin = raw[i + 1];
        else if (facts.accept === undefined && name.toLowerCase() === "accept") facts.accept = raw[i + 1];
        break;
      case 13:
        if (name.toLowerCase() === "authorization") facts.authorization = true;
        break;
    }
  }
  return facts;
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
