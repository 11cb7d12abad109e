// The proxy's calls to the hub (docs/decisions.md "Proxy ↔ hub"), all with the proxy token.
import { tokenAllowsServerAccess, type AuthSnapshot } from "./auth/access";

/** What GET /hub/api/proxy/token-owner says about an API token. */
export interface TokenOwner {
  user: string;
  admin: boolean;
  scopes?: string[];
}

/** Thin client for the hub's /hub/api/proxy/* endpoints. Every call has a timeout. */
export class HubClient {
  private readonly base: string;
  constructor(
    hubUrl: string,
    private readonly authToken: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = hubUrl.replace(/\/+$/, "") + "/hub/api/proxy";
  }

  /** The full route table, CHP's GET /api/routes shape. */
  async fetchRoutes(): Promise<Record<string, unknown>> {
    const body = await this.getJson("/routes");
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error("hub returned a malformed route table");
    return body as Record<string, unknown>;
  }

  /** Admins and revoked sessions. */
  async fetchAuth(): Promise<AuthSnapshot> {
    const b = (await this.getJson("/auth")) as Partial<AuthSnapshot>;
    return {
      admins: Array.isArray(b.admins) ? b.admins.map(String) : [],
      revoked_sessions: Array.isArray(b.revoked_sessions) ? b.revoked_sessions.map(String) : [],
      shares: b.shares && typeof b.shares === "object" ? b.shares : {},
    };
  }

  /** The owner of an API token, or null when the hub does not know it (404). */
  async fetchTokenOwner(token: string): Promise<TokenOwner | null> {
    const res = await fetch(this.base + "/token-owner", {
      headers: { authorization: "token " + this.authToken, "x-gyre-token": token },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`hub answered ${res.status} to token-owner`);
    }
    const b = (await res.json()) as Partial<TokenOwner>;
    if (typeof b.user !== "string") throw new Error("hub returned a malformed token owner");
    const scopes = Array.isArray(b.scopes) ? b.scopes.map(String) : undefined;
    // A token without "access:servers" (or "inherit") is, for the proxy, no credential at all.
    if (!tokenAllowsServerAccess(scopes)) return null;
    return { user: b.user, admin: b.admin === true, scopes };
  }

  /** Reports last activity per routespec ("/user/alice/": ISO time). */
  async postActivity(activity: Record<string, string>): Promise<void> {
    const res = await fetch(this.base + "/activity", {
      method: "POST",
      headers: { authorization: "token " + this.authToken, "content-type": "application/json" },
      body: JSON.stringify(activity),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`hub answered ${res.status} to activity`);
  }

  private async getJson(path: string): Promise<unknown> {
    const res = await fetch(this.base + path, {
      headers: { authorization: "token " + this.authToken },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`hub answered ${res.status} to GET ${path}`);
    }
    return res.json();
  }
}
