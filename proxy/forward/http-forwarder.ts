// Forwarding an HTTP request whose destination is settled (proxy/routing/resolve.ts). Bodyless
// requests to http:// upstreams go through our lean keep-alive client (upstream-client.ts); the
// rest through http.request piping over a keep-alive agent. Either way: per-route activity for
// answers below 400, metrics, Jupyter's username-* login cookie dropped for user servers, and an
// upstream failure answered 502/503/504 (bench/README.md has the measurements behind this path).
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type { Logger } from "pino";
import type { ProxyMetrics } from "@/proxy/metrics";
import type { Forward } from "@/proxy/routing/resolve";
import type { Answers } from "./answers";
import { Transform } from "node:stream";
import { UpstreamClient } from "./upstream-client";
import { SecretScrubber, isHtmlResponse, withoutContentLength } from "./secret-scrub";
import type { UpstreamHeaders } from "./upstream-headers";
import { describeServerDown } from "./server-down";
import type { ServerStatusLookup } from "./server-status";

/** Activity counts responses below this status (redirects are real navigation; CHP uses < 300). */
export const ACTIVE_STATUS_BELOW = 400;

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

export interface HttpForwarderOptions {
  connectTimeoutMs: number;
  /** an upstream silent this long is cut (504) */
  idleTimeoutMs: number;
  /** false: everything through http.request (A/B runs, tests of that path) */
  leanUpstream: boolean;
  metrics: ProxyMetrics;
  answers: Answers;
  log: Logger;
  /** a coarse clock (ms) for activity stamps */
  clock: { readonly now: number };
  /**
   * What the hub knows of a user's server that refused the connection, for the error page, and
   * how the page links to the hub; absent: the page says only that the server did not answer.
   */
  serverDown?: { lookup: ServerStatusLookup; hubUrl: (path: string) => string };
}

/** One request to forward. */
export interface HttpForwardOptions {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** where to, which route class, what to strip */
  to: Forward;
  /** the upstream header list (buildUpstreamHeaders) and whether the request has a body */
  upstream: UpstreamHeaders;
  /** performance.now() when the request arrived, for the latency histogram */
  t0: number;
}

export class HttpForwarder {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly lean: UpstreamClient;

  constructor(private readonly opts: HttpForwarderOptions) {
    const { connectTimeoutMs, idleTimeoutMs } = opts;
    this.httpAgent = withConnectTimeout(
      new http.Agent({ keepAlive: true, maxFreeSockets: 512, scheduling: "lifo", timeout: idleTimeoutMs }),
      connectTimeoutMs,
      idleTimeoutMs,
    );
    this.httpsAgent = withConnectTimeout(
      new https.Agent({ keepAlive: true, maxFreeSockets: 512, scheduling: "lifo", timeout: idleTimeoutMs }),
      connectTimeoutMs,
      idleTimeoutMs,
    );
    this.lean = new UpstreamClient({ connectTimeoutMs, idleTimeoutMs, maxFreeSockets: 512 });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.lean.close();
  }

  /**
   * The request head goes out with `upstream.headers` as a flat [name, value, ...] list: Node
   * writes it as given, without the per-header setHeader() validation an object goes through.
   */
  forward(o: HttpForwardOptions): void {
    const { req, res, to } = o;
    const isHttps = to.protocol === "https:";
    if (!isHttps && !o.upstream.hasBody && !req.readableLength && this.opts.leanUpstream) {
      this.forwardLean(o);
      return;
    }
    const upstream = (isHttps ? https : http).request({
      ...(to.socketPath !== null ? { socketPath: to.socketPath } : { host: to.host, port: to.port }),
      method: req.method,
      path: to.path,
      headers: o.upstream.headers,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
    });
    upstream.on("response", (ures) => {
      const status = ures.statusCode ?? 502;
      let headers = responseFilter(to)(ures.rawHeaders);
      if (to.scrub !== null && isHtmlResponse(ures.rawHeaders)) {
        // The body shrinks when the token is cut out: Node frames it (chunked) instead.
        headers = withoutContentLength(headers);
        res.writeHead(status, ures.statusMessage, headers);
        ures.pipe(scrubStream(Buffer.from(to.scrub))).pipe(res);
      } else {
        res.writeHead(status, ures.statusMessage, headers);
        ures.pipe(res);
      }
      this.responded(o, status);
    });
    let clientGone = false;
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      // Our own abort after the client left (below) is not an upstream failure.
      if (clientGone) return;
      this.upstreamFailed(o, err);
    });
    // If the client goes away first, release the upstream request (long polls, event streams).
    res.on("close", () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstream.destroy();
      }
    });
    if (!o.upstream.hasBody && !req.readableLength) {
      upstream.end();
      req.resume();
    } else req.pipe(upstream);
  }

  /**
   * The lean path for bodyless requests to http:// upstreams: the request head is written as one
   * string on a pooled connection and the response bytes go to `res` unchanged
   * (upstream-client.ts); no ClientRequest, Agent or IncomingMessage per request.
   */
  private forwardLean(o: HttpForwardOptions): void {
    const { req, res, to } = o;
    const method = req.method!;
    const headers = o.upstream.headers;
    let head = method + " " + to.path + " HTTP/1.1\r\n";
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ": " + headers[i + 1] + "\r\n";
    head += "\r\n";
    const ex = this.lean.request(
      to,
      method,
      head,
      res,
      responseFilter(to),
      {
        onResponse: (status) => this.responded(o, status),
        onError: (err) => this.upstreamFailed(o, err),
        onBrokenBody: (err) => this.upstreamFailed(o, err),
      },
      to.scrub === null ? null : Buffer.from(to.scrub),
    );
    // If the client goes away first, release the upstream connection (long polls, event streams).
    res.on("close", () => {
      if (!res.writableFinished) ex.abort();
    });
    req.resume();
  }

  /** Metrics and activity once the upstream's status is known. */
  private responded(o: HttpForwardOptions, status: number): void {
    const kind = o.to.routeClass;
    this.opts.metrics.countRequest(kind, status);
    this.opts.metrics.observeLatency(kind, (performance.now() - o.t0) / 1000);
    if (o.to.entry && status < ACTIVE_STATUS_BELOW) o.to.entry.lastActivity = this.opts.clock.now;
  }

  /** An upstream failure: a styled 502/503/504 if nothing was sent yet, else the response is cut. */
  private upstreamFailed(o: HttpForwardOptions, err: NodeJS.ErrnoException): void {
    const { req, res, to } = o;
    this.opts.metrics.countUpstreamError(to.routeClass);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = err instanceof UpstreamTimeout || err.code === "ETIMEDOUT" ? 504 : err.code === "ECONNREFUSED" || err.code === "EHOSTUNREACH" ? 503 : 502;
    this.opts.log.debug({ err: err.message, host: to.host, port: to.port }, "upstream error");
    const who = describeUpstream(to);
    const code = err.code ?? err.message;
    const entry = to.entry;
    const down = this.opts.serverDown;
    // A refused or unreachable user server (not a timeout: a busy server is not asked about):
    // the hub may already know, or find out now, that it ended.
    if (down && status !== 504 && to.routeClass === "user" && entry?.owner && entry.userPrefix) {
      void down.lookup.check(entry.owner, entry.serverName).then((check) => {
        if (res.headersSent || res.destroyed) return;
        // a server the hub knows has ended is unavailable, however its connection ended (a job
        // killed mid-request resets it: 502)
        const ended = check?.state === "stopped" || check?.state === "failed";
        this.opts.answers.page(
          req,
          res,
          ended ? 503 : status,
          describeServerDown({ who, code, user: entry.owner!, server: entry.serverName, check, hubUrl: down.hubUrl }),
        );
      });
      return;
    }
    this.opts.answers.refuse(req, res, status, `${who} is not responding (${code}). It may be starting or stopped.`);
  }
}

/** "The hub", "The dashboard", "alice's server": what did not answer, for error messages. */
export function describeUpstream(to: Forward): string {
  return to.routeClass === "hub" ? "The hub" : to.routeClass === "dashboard" ? "The dashboard" : to.entry?.owner ? `${to.entry.owner}'s server` : "The server";
}

class UpstreamTimeout extends Error {
  code = "ETIMEDOUT";
  constructor() {
    super("upstream timed out");
  }
}

/**
 * Flat [name, value, ...] list for writeHead without hop-by-hop headers and, for user servers,
 * Jupyter's username-* login cookie (behind the proxy the server token is injected, so that
 * cookie would only be a second credential in the browser) and, for user servers and dashboards,
 * Access-Control-Allow-* (with the token injected Jupyter allows whatever Origin came; user
 * content must never open itself to another origin).
 */
function filterResponseHeaders(raw: string[], stripLoginCookies: boolean, stripCors: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.length <= 17 ? name.toLowerCase() : "";
    if (lower !== "" && HOP_BY_HOP.has(lower)) continue;
    if (stripLoginCookies && lower === "set-cookie" && raw[i + 1].startsWith("username-")) continue;
    if (stripCors && name.length > 21 && (name[0] === "a" || name[0] === "A") && name.slice(0, 21).toLowerCase() === "access-control-allow-") continue;
    out.push(name, raw[i + 1]);
  }
  return out;
}

const FILTERS = {
  user: (raw: string[]): string[] => filterResponseHeaders(raw, true, true),
  dashboard: (raw: string[]): string[] => filterResponseHeaders(raw, false, true),
  keep: (raw: string[]): string[] => filterResponseHeaders(raw, false, false),
};

/**
 * The response headers of a forward: filtered as above (user servers' and dashboards'
 * Access-Control-Allow-* dropped), and for a token request from one of
 * proxy.tokenCorsOrigins, CORS headers that allow exactly that origin (the server's own
 * Access-Control-* headers are dropped: Jupyter echoes any Origin to token-authenticated requests,
 * and behind the proxy every request is token-authenticated).
 */
function responseFilter(to: Forward): (raw: string[]) => string[] {
  // one of three prebuilt functions on the common path: no closure per request
  const base = to.stripLoginCookies ? FILTERS.user : to.stripCors ? FILTERS.dashboard : FILTERS.keep;
  const origin = to.corsOrigin;
  if (!origin) return base;
  return (raw) => {
    const out: string[] = [];
    const kept = base(raw);
    for (let i = 0; i < kept.length; i += 2) if (!kept[i].toLowerCase().startsWith("access-control-")) out.push(kept[i], kept[i + 1]);
    out.push("Access-Control-Allow-Origin", origin, "Access-Control-Expose-Headers", "Content-Type, Location", "Vary", "Origin");
    return out;
  };
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

/** A stream that cuts `secret` out of what passes through it. */
function scrubStream(secret: Buffer): Transform {
  const scrubber = new SecretScrubber(secret);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, scrubber.push(chunk));
    },
    flush(done) {
      done(null, scrubber.end());
    },
  });
}
