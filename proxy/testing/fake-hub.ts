// A small, faithful stand-in for the hub's side of the proxy contract (docs/decisions.md
// "Proxy ↔ hub"), for the proxy's tests and the benchmark. It also answers every other /hub/*
// request with a JSON echo of what it received, so tests can see what the proxy forwarded.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { deriveKey, signSessionCookie } from "../auth/session-cookie";

export interface FakeHubState {
  /** GET /hub/api/proxy/routes body */
  routes: Record<string, Record<string, unknown>>;
  admins: string[];
  revokedSessions: string[];
  /** API token → owner */
  tokens: Record<string, { user: string; admin: boolean; scopes?: string[] }>;
  /** every POST /hub/api/proxy/activity body, in order */
  activityReports: Array<Record<string, string>>;
  /** how many token-owner lookups reached the hub */
  tokenLookups: number;
  /** count of GET /hub/api/proxy/routes */
  routeFetches: number;
}

/** The fake hub: start(), then mutate `state`; `url` is where it listens. */
export class FakeHub {
  readonly state: FakeHubState = { routes: {}, admins: [], revokedSessions: [], tokens: {}, activityReports: [], tokenLookups: 0, routeFetches: 0 };
  private server: http.Server;
  url = "";

  constructor(
    readonly proxyToken: string,
    readonly secretKey: string,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** A gyre-session cookie header value for a user, as the hub would issue it. */
  cookieFor(user: string, sid = "sid-" + user, ttlSeconds = 3600): string {
    return "gyre-session=" + signSessionCookie({ sid, user, exp: Math.floor(Date.now() / 1000) + ttlSeconds }, deriveKey(this.secretKey, "session-cookie"));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, body?: unknown) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
      res.end(text);
    };
    if (url.pathname.startsWith("/hub/api/proxy/")) {
      if (req.headers.authorization !== "token " + this.proxyToken) return json(403, { message: "bad proxy token" });
      const what = url.pathname.slice("/hub/api/proxy/".length);
      if (what === "routes" && req.method === "GET") {
        this.state.routeFetches++;
        return json(200, this.state.routes);
      }
      if (what === "auth" && req.method === "GET") return json(200, { admins: this.state.admins, revoked_sessions: this.state.revokedSessions, shares: {} });
      if (what === "token-owner" && req.method === "GET") {
        this.state.tokenLookups++;
        const owner = this.state.tokens[String(req.headers["x-gyre-token"] ?? "")];
        return owner ? json(200, { scopes: [], ...owner }) : json(404, { message: "unknown token" });
      }
      if (what === "activity" && req.method === "POST") {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          this.state.activityReports.push(JSON.parse(body));
          json(204);
        });
        return;
      }
      return json(404, { message: "not found" });
    }
    // Anything else: echo what arrived, so tests can inspect forwarded headers.
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => json(200, { hub: true, method: req.method, url: req.url, headers: req.headers, body }));
  }
}
