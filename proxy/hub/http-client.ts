// The proxy's calls to the hub over HTTP (the hub's /hub/api/proxy/* endpoints), all with the
// proxy token. Plain http.request rather than fetch(): fetch loads Node's bundled undici, which
// measured ~10 MB more RSS for a process that otherwise needs only node:http (bench/README.md).
import http from "node:http";
import https from "node:https";
import { tokenAllowsServerAccess, tokenServerLimits, type AuthSnapshot } from "@/proxy/auth/access";
import { HubRefusal, SERVER_CHECK_HUB_WAIT_MS, type HubConnection, type ServerCheck, type TokenOwner } from "./connection";

/** A buffered hub answer. */
interface HubResponse {
  status: number;
  body: string;
}

/** Thin client for the hub's /hub/api/proxy/* endpoints. Every call has a timeout. */
export class HubHttpClient implements HubConnection {
  private readonly base: URL;
  private readonly basePath: string;
  private readonly agent: http.Agent;
  constructor(
    hubUrl: string,
    private readonly authToken: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = new URL(hubUrl);
    this.basePath = this.base.pathname.replace(/\/+$/, "") + "/hub/api/proxy";
    this.agent = this.base.protocol === "https:" ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** Closes pooled connections to the hub. */
  close(): void {
    this.agent.destroy();
  }

  /** The full route table, CHP's GET /api/routes shape. */
  async fetchRoutes(): Promise<Record<string, unknown>> {
    const body = await this.getJson("/routes");
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error("hub returned a malformed route table");
    return body as Record<string, unknown>;
  }

  /** Admins, revoked sessions, shares and role access (the maps are checked where they are applied: proxy/hub/sync.ts). */
  async fetchAuth(): Promise<AuthSnapshot> {
    const b = (await this.getJson("/auth")) as Partial<AuthSnapshot>;
    return {
      admins: Array.isArray(b.admins) ? b.admins.map(String) : [],
      admin_ids: Array.isArray(b.admin_ids) ? b.admin_ids.filter((n): n is number => Number.isSafeInteger(n)) : [],
      revoked_sessions: Array.isArray(b.revoked_sessions) ? b.revoked_sessions.map(String) : [],
      shares: b.shares && typeof b.shares === "object" ? b.shares : {},
      role_access: b.role_access && typeof b.role_access === "object" ? b.role_access : {},
      service_access: b.service_access && typeof b.service_access === "object" ? b.service_access : {},
    };
  }

  /** The owner of an API token, or null when the hub does not know it (404). */
  async fetchTokenOwner(token: string): Promise<TokenOwner | null> {
    const res = await this.call("GET", "/token-owner", { authorization: "token " + this.authToken, "x-gyre-token": token });
    if (res.status === 404) return null;
    if (res.status < 200 || res.status > 299) throw new Error(`hub answered ${res.status} to token-owner`);
    return parseTokenOwner(JSON.parse(res.body));
  }

  /** Reports last activity per routespec ("/user/alice/": ISO time). */
  async postActivity(activity: Record<string, string>): Promise<void> {
    const res = await this.call(
      "POST",
      "/activity",
      { authorization: "token " + this.authToken, "content-type": "application/json" },
      JSON.stringify(activity),
    );
    if (res.status < 200 || res.status > 299) throw new Error(`hub answered ${res.status} to activity`);
  }

  /**
   * POST /server-check: the hub polls the server now and says its state and reason. The hub may
   * take up to SERVER_CHECK_HUB_WAIT_MS for the poll, so this call waits longer than the others.
   */
  async checkServer(target: { user: string; server: string }): Promise<ServerCheck | null> {
    const res = await this.call(
      "POST",
      "/server-check",
      { authorization: "token " + this.authToken, "content-type": "application/json" },
      JSON.stringify({ user: target.user, server: target.server }),
      Math.max(this.timeoutMs, SERVER_CHECK_HUB_WAIT_MS + 2000),
    );
    if (res.status === 404) return null;
    if (res.status < 200 || res.status > 299) throw new Error(`hub answered ${res.status} to server-check`);
    const b = JSON.parse(res.body) as Partial<Record<keyof ServerCheck, unknown>>;
    if (typeof b.state !== "string") throw new Error("hub returned a malformed server check");
    return {
      state: b.state,
      message: typeof b.message === "string" ? b.message : null,
      stoppedAt: typeof b.stoppedAt === "string" ? b.stoppedAt : null,
    };
  }

  /** POST /extra-routes {path, data}: the hub stores the route and pushes it to every proxy. */
  async saveExtraRoute(path: string, data: Record<string, unknown>): Promise<void> {
    const res = await this.call("POST", "/extra-routes", this.jsonHeaders(), JSON.stringify({ path, data }));
    if (res.status < 200 || res.status > 299) throw refusalOf(res, "extra-routes");
  }

  /** DELETE /extra-routes {path}; false on the hub's 404. */
  async deleteExtraRoute(path: string): Promise<boolean> {
    const res = await this.call("DELETE", "/extra-routes", this.jsonHeaders(), JSON.stringify({ path }));
    if (res.status === 404) return false;
    if (res.status < 200 || res.status > 299) throw refusalOf(res, "extra-routes");
    return true;
  }

  private jsonHeaders(): Record<string, string> {
    return { authorization: "token " + this.authToken, "content-type": "application/json" };
  }

  private async getJson(path: string): Promise<unknown> {
    const res = await this.call("GET", path, { authorization: "token " + this.authToken });
    if (res.status < 200 || res.status > 299) throw new Error(`hub answered ${res.status} to GET ${path}`);
    return JSON.parse(res.body);
  }

  /**
   * One request to the hub, body buffered; rejects after timeoutMs in all (connect included). A GET
   * whose connection is reset or closed before any answer (a pooled keep-alive connection to a hub
   * that was restarted, or that the balancer in front closed; a hub that shut down mid-request) is
   * sent once more on a new connection: these reads change nothing. Without that, a token lookup
   * during a hub's rolling restart failed, and the request it was for got the anonymous 403
   * ("Authentication required": replicas.storm.int.test.ts's rolling restart saw it at times).
   */
  private async call(method: string, path: string, headers: Record<string, string>, body?: string, timeoutMs = this.timeoutMs): Promise<HubResponse> {
    const end = Date.now() + timeoutMs;
    try {
      return await this.callOnce(method, path, headers, body, timeoutMs);
    } catch (err) {
      if (method !== "GET" || !(err instanceof StaleConnectionError) || Date.now() >= end) throw err instanceof StaleConnectionError ? err.original : err;
      return this.callOnce(method, path, headers, body, end - Date.now(), true).catch((e: unknown) => {
        throw e instanceof StaleConnectionError ? e.original : e;
      });
    }
  }

  private callOnce(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    fresh = false,
  ): Promise<HubResponse> {
    return new Promise((resolve, reject) => {
      const isHttps = this.base.protocol === "https:";
      const req = (isHttps ? https : http).request(
        {
          host: this.base.hostname.replace(/^\[|\]$/g, ""),
          port: this.base.port || (isHttps ? 443 : 80),
          method,
          path: this.basePath + path,
          // a DELETE's body is sent only with a length (Node frames no DELETE body by default)
          headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
          // the retry after a dead pooled connection: a connection of its own, closed after it
          agent: fresh ? false : this.agent,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString("utf8") });
          });
          res.on("error", fail);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`hub did not answer ${method} ${path} within ${timeoutMs} ms`)), timeoutMs);
      let answered = false;
      function fail(err: Error): void {
        clearTimeout(timer);
        // the connection died before any answer (most often a reused one the other end had closed)
        const stale = !answered && ["ECONNRESET", "EPIPE"].includes((err as NodeJS.ErrnoException).code ?? "");
        reject(stale ? new StaleConnectionError(err) : err);
      }
      req.on("response", () => (answered = true));
      req.on("error", fail);
      req.end(body);
    });
  }
}

/** A request whose connection was reset or closed before any answer (`original`: that error). */
class StaleConnectionError extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }
}

/** A 4xx of the hub as a HubRefusal with its message; anything else as a plain error (the hub could not answer). */
function refusalOf(res: HubResponse, what: string): Error {
  if (res.status < 400 || res.status > 499) return new Error(`hub answered ${res.status} to ${what}`);
  let message = `hub answered ${res.status}`;
  try {
    const b = JSON.parse(res.body) as { message?: unknown };
    if (typeof b.message === "string") message = b.message;
  } catch {
    // not JSON: the status says enough
  }
  return new HubRefusal(res.status, message);
}

/**
 * The hub's token-owner answer as the proxy keeps it: a user's ({user, user_id, admin, scopes,
 * expires_at}) or a service's ({kind: "service", service, scopes}). Throws on another shape.
 */
export function parseTokenOwner(raw: unknown): TokenOwner {
  const b = (raw ?? {}) as { kind?: unknown; service?: unknown; user?: unknown; user_id?: unknown; admin?: unknown; scopes?: unknown; expires_at?: unknown };
  const service = b.kind === "service" && typeof b.service === "string" && /^[a-z0-9_-]{1,64}$/.test(b.service) ? b.service : undefined;
  if (typeof b.user !== "string" && service === undefined) throw new Error("hub returned a malformed token owner");
  const scopes = Array.isArray(b.scopes) ? b.scopes.map(String) : undefined;
  const expiresAt = typeof b.expires_at === "string" ? Date.parse(b.expires_at) : null;
  const limits = tokenServerLimits(scopes);
  return {
    // a service owns no account: "" matches no server's owner
    user: service === undefined ? (b.user as string) : "",
    ...(service === undefined ? {} : { service }),
    userId: service === undefined && Number.isSafeInteger(b.user_id) ? (b.user_id as number) : undefined,
    admin: service === undefined && b.admin === true,
    // an expiry that does not parse is treated as already past: never trusted longer than meant
    expiresAt: expiresAt === null ? null : Number.isFinite(expiresAt) ? expiresAt : 0,
    scopes,
    // A token without "access:servers" (or "inherit") opens no server; the proxy says so. A
    // service's answer always lists its scopes (none: an empty list, which reaches nothing).
    serverAccess: tokenAllowsServerAccess(service === undefined ? scopes : (scopes ?? [])),
    ...(limits ? { servers: limits.servers, users: limits.users } : {}),
  };
}
