// A small, faithful stand-in for the hub's side of the proxy contract over HTTP (the hub's
// /hub/api/proxy/* endpoints, served from an InMemoryHub's state), for tests of the proxy as a
// process and for the benchmark. It also answers every other /hub/* request with a JSON echo of
// what it received, so tests can see what the proxy forwarded to the hub.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { InMemoryHub, type HubState } from "./in-memory-hub";
import { HubRefusal } from "@/proxy/hub/connection";

/** The fake hub: start(), then mutate `state`; `url` is where it listens. */
export class FakeHub {
  readonly memory: InMemoryHub;
  private server: http.Server;
  url = "";

  constructor(
    readonly proxyToken: string,
    readonly secretKey: string,
  ) {
    this.memory = new InMemoryHub(secretKey);
    // memory.down set: the hub answers 503, as a hub whose database is gone does
    this.server = http.createServer((req, res) => {
      void this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: err.message }));
      });
    });
  }

  get state(): HubState {
    return this.memory.state;
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
  cookieFor(user: string, sid = "sid-" + user, ttlSeconds = 3600, uid?: number): string {
    return this.memory.cookieFor(user, sid, ttlSeconds, uid);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, body?: unknown) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
      res.end(text);
    };
    let body = "";
    for await (const chunk of req) body += chunk;
    if (url.pathname.startsWith("/hub/api/proxy/")) {
      if (req.headers.authorization !== "token " + this.proxyToken) return json(403, { message: "bad proxy token" });
      const what = url.pathname.slice("/hub/api/proxy/".length);
      if (what === "routes" && req.method === "GET") return json(200, await this.memory.fetchRoutes());
      if (what === "auth" && req.method === "GET") return json(200, await this.memory.fetchAuth());
      if (what === "token-owner" && req.method === "GET") {
        const owner = await this.memory.fetchTokenOwner(String(req.headers["x-gyre-token"] ?? ""));
        const expires = owner?.expiresAt == null ? null : new Date(owner.expiresAt).toISOString();
        if (!owner) return json(404, { message: "unknown token" });
        // a service's token as the hub answers it (app/_lib/proxy-state.ts lookupTokenOwner)
        if (owner.service !== undefined)
          return json(200, { kind: "service", service: owner.service, admin: false, scopes: owner.scopes ?? [], expires_at: null });
        return json(200, { user: owner.user, user_id: owner.userId, admin: owner.admin, scopes: owner.scopes, expires_at: expires });
      }
      if (what === "server-check" && req.method === "POST") {
        const check = await this.memory.checkServer(JSON.parse(body) as { user: string; server: string });
        return check ? json(200, check) : json(404, { message: "no such server" });
      }
      if (what === "extra-routes" && (req.method === "POST" || req.method === "DELETE")) {
        const b = JSON.parse(body || "{}") as { path: string; data: Record<string, unknown> };
        try {
          if (req.method === "POST") return (await this.memory.saveExtraRoute(b.path, b.data), json(201, { path: b.path }));
          return (await this.memory.deleteExtraRoute(b.path)) ? json(204) : json(404, { message: "no such route" });
        } catch (err) {
          if (err instanceof HubRefusal) return json(err.status, { message: err.message });
          throw err;
        }
      }
      if (what === "activity" && req.method === "POST") {
        await this.memory.postActivity(JSON.parse(body) as Record<string, string>);
        return json(204);
      }
      return json(404, { message: "not found" });
    }
    // Anything else: echo what arrived, so tests can inspect forwarded headers.
    json(200, { hub: true, method: req.method, url: req.url, headers: req.headers, body });
  }
}
