// Forwarding a WebSocket upgrade whose destination is settled (proxy/routing/resolve.ts):
// plain-HTTP upstreams through our relay (websocket-relay.ts), HTTPS ones (and all of them with
// PROXY_NO_LEAN_UPSTREAM=1) through http-proxy-3's ws(). Either way open WebSockets are counted
// and traffic in both directions is activity (configurable-http-proxy misses server→client).
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { createProxyServer, type ProxyServer } from "http-proxy-3";
import type { ProxyMetrics, RouteClass } from "@/proxy/metrics";
import type { Forward } from "@/proxy/routing/resolve";
import type { Answers } from "./answers";
import { ACTIVE_STATUS_BELOW, describeUpstream } from "./http-forwarder";
import { relayWebSocket, type WebSocketRelayOptions } from "./websocket-relay";

export interface WebSocketForwarderOptions {
  connectTimeoutMs: number;
  /** how long the upstream may take to answer the upgrade */
  handshakeTimeoutMs: number;
  /** http-proxy-3's proxyTimeout */
  upstreamTimeoutMs: number;
  leanUpstream: boolean;
  metrics: ProxyMetrics;
  answers: Answers;
  log: Logger;
  /** records activity on the route with this (normalised) path */
  touchRoute(path: string): void;
}

/** One upgrade to forward. */
export interface WebSocketForwardOptions {
  req: http.IncomingMessage;
  socket: Duplex;
  /** bytes the client sent after the upgrade request */
  head: Buffer;
  to: Forward;
  /** the upstream header list (buildUpstreamHeaders) */
  headers: string[];
}

const WS_HOOKS = Symbol("gyre.wsHooks");
/** An upgrade handed to http-proxy-3 carries what its proxyReqWs listener needs. */
type TaggedRequest = http.IncomingMessage & { [WS_HOOKS]?: { onTraffic: () => void; kind: RouteClass; upgraded: boolean } };

const noop = (): void => undefined;

export class WebSocketForwarder {
  private readonly library: ProxyServer;
  private readonly relayUser: WebSocketRelayOptions;
  private readonly relayOther: WebSocketRelayOptions;

  constructor(private readonly opts: WebSocketForwarderOptions) {
    this.relayUser = { connectTimeoutMs: opts.connectTimeoutMs, handshakeTimeoutMs: opts.handshakeTimeoutMs, stripLoginCookies: true };
    this.relayOther = { ...this.relayUser, stripLoginCookies: false };
    this.library = createProxyServer({ xfwd: false, proxyTimeout: opts.upstreamTimeoutMs });
    this.library.on("error", (err: Error, _req: unknown, res: unknown) => {
      opts.log.debug({ err: err.message }, "websocket proxy error");
      if (res instanceof net.Socket) res.destroy();
    });
    this.library.on("proxyReqWs", (proxyReq: http.ClientRequest, req: TaggedRequest, socket: Duplex) => this.trackWebSocket(proxyReq, req, socket));
  }

  close(): void {
    this.library.close();
  }

  /** Forwards the upgrade; refusals and failures are answered on the socket. */
  forward(o: WebSocketForwardOptions): void {
    const { req, socket, to } = o;
    const kind = to.routeClass;
    const routePath = to.entry?.path;
    const onTraffic = routePath ? () => this.opts.touchRoute(routePath) : noop;
    const failed = (err: NodeJS.ErrnoException) => {
      this.opts.metrics.countUpstreamError(kind);
      this.opts.log.debug({ err: err.message, host: to.host, port: to.port }, "websocket upstream error");
      const status = err.code === "ETIMEDOUT" ? 504 : err.code === "ECONNREFUSED" || err.code === "EHOSTUNREACH" ? 503 : 502;
      if (!socket.destroyed)
        this.opts.answers.refuse(req, socket, status, `${describeUpstream(to)} is not responding (${err.code ?? err.message}). It may be starting or stopped.`);
    };
    if (to.protocol !== "http:" || !this.opts.leanUpstream) return this.forwardWithLibrary(o, onTraffic, failed);
    const headers = o.headers;
    let head = (req.method ?? "GET") + " " + to.path + " HTTP/1.1\r\n";
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ": " + headers[i + 1] + "\r\n";
    head += "connection: Upgrade\r\n\r\n";
    const t0 = performance.now();
    const metrics = this.opts.metrics;
    relayWebSocket(socket, o.head, { host: to.host, port: to.port, socketPath: to.socketPath, head }, kind === "user" ? this.relayUser : this.relayOther, {
      onHandshake: (status) => {
        metrics.countRequest(kind, status);
        metrics.observeLatency(kind, (performance.now() - t0) / 1000);
        if (status === 101) metrics.openWebSockets.inc();
        if (status < ACTIVE_STATUS_BELOW) onTraffic();
      },
      onError: failed,
      onTraffic,
      onClose: () => metrics.openWebSockets.dec(),
    });
  }

  /** The same through http-proxy-3 (HTTPS upstreams; PROXY_NO_LEAN_UPSTREAM=1 for A/B runs). */
  private forwardWithLibrary(o: WebSocketForwardOptions, onTraffic: () => void, failed: (err: NodeJS.ErrnoException) => void): void {
    const { req, socket, to, headers } = o;
    // X-Forwarded-* are already in `headers`; http-proxy-3 reads the request's header object.
    const h: Record<string, string> = {};
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      const prev = h[name];
      h[name] = prev === undefined ? headers[i + 1] : name === "cookie" ? prev + "; " + headers[i + 1] : prev;
    }
    h.connection = "Upgrade"; // buildUpstreamHeaders drops the client's; http-proxy-3 needs it to upgrade
    req.headers = h;
    req.url = to.path;
    const target =
      to.socketPath !== null
        ? { socketPath: to.socketPath, protocol: "http:", host: "localhost", port: 80 }
        : new URL(`${to.protocol}//${to.host.includes(":") ? `[${to.host}]` : to.host}:${to.port}`);
    const tagged = req as TaggedRequest;
    const hooks = { onTraffic, kind: to.routeClass, upgraded: false };
    tagged[WS_HOOKS] = hooks;
    // http-proxy-3 reports errors after the upgrade through the same callback: no HTTP answer then.
    this.library.ws(req, socket, o.head, { target, xfwd: false }, (err: Error) => (hooks.upgraded ? socket.destroy() : failed(err)));
  }

  /** Counts an upgrade http-proxy-3 completed and records its traffic as activity. */
  private trackWebSocket(proxyReq: http.ClientRequest, req: TaggedRequest, socket: Duplex): void {
    const hooks = req[WS_HOOKS];
    if (!hooks) return;
    const metrics = this.opts.metrics;
    proxyReq.on("response", (res: http.IncomingMessage) => metrics.countRequest(hooks.kind, res.statusCode ?? 502));
    proxyReq.on("upgrade", (_res: http.IncomingMessage, proxySocket: net.Socket) => {
      hooks.upgraded = true;
      metrics.countRequest(hooks.kind, 101);
      metrics.openWebSockets.inc();
      hooks.onTraffic();
      let open = true;
      const done = () => {
        if (open) {
          open = false;
          metrics.openWebSockets.dec();
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
}
