// The hub's side of the proxy contract in memory (HubConnection), for proxy tests that need a
// hub to answer routes, the auth snapshot and token owners but not a hub to forward /hub/* to.
// FakeHub (fake-hub.ts) serves the same state over HTTP.
import { tokenAllowsServerAccess, tokenServerLimits, type AuthSnapshot } from "@/proxy/auth/access";
import { deriveKey, signSessionCookie } from "@/proxy/auth/session-cookie";
import type { HubConnection, TokenOwner } from "@/proxy/hub/connection";

export interface HubState {
  /** GET /hub/api/proxy/routes body */
  routes: Record<string, Record<string, unknown>>;
  admins: string[];
  revokedSessions: string[];
  /** API token → owner */
  tokens: Record<string, { user: string; admin: boolean; scopes?: string[] }>;
  /** every activity report, in order */
  activityReports: Array<Record<string, string>>;
  /** how many token-owner lookups reached the hub */
  tokenLookups: number;
  /** how many times the route table was fetched */
  routeFetches: number;
}

export class InMemoryHub implements HubConnection {
  readonly state: HubState = { routes: {}, admins: [], revokedSessions: [], tokens: {}, activityReports: [], tokenLookups: 0, routeFetches: 0 };
  /** while set, every call rejects with it (the hub is down) */
  down: Error | null = null;

  constructor(readonly secretKey: string) {}

  /** A gyre-session cookie header value for a user, as the hub would issue it. */
  cookieFor(user: string, sid = "sid-" + user, ttlSeconds = 3600): string {
    return "gyre-session=" + signSessionCookie({ sid, user, exp: Math.floor(Date.now() / 1000) + ttlSeconds }, deriveKey(this.secretKey, "session-cookie"));
  }

  async fetchRoutes(): Promise<Record<string, unknown>> {
    this.check();
    this.state.routeFetches++;
    return structuredClone(this.state.routes);
  }

  async fetchAuth(): Promise<AuthSnapshot> {
    this.check();
    return { admins: [...this.state.admins], revoked_sessions: [...this.state.revokedSessions], shares: {} };
  }

  /** As the hub answers GET /hub/api/proxy/token-owner: unknown → null; no scopes listed = "inherit". */
  async fetchTokenOwner(token: string): Promise<TokenOwner | null> {
    this.check();
    this.state.tokenLookups++;
    const owner = this.state.tokens[token];
    if (!owner) return null;
    const scopes = owner.scopes ?? [];
    const servers = tokenServerLimits(scopes);
    return { user: owner.user, admin: owner.admin, scopes, serverAccess: tokenAllowsServerAccess(scopes), ...(servers ? { servers } : {}) };
  }

  async postActivity(activity: Record<string, string>): Promise<void> {
    this.check();
    this.state.activityReports.push({ ...activity });
  }

  close(): void {}

  private check(): void {
    if (this.down) throw this.down;
  }
}
