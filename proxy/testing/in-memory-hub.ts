// The hub's side of the proxy contract in memory (HubConnection), for proxy tests that need a
// hub to answer routes, the auth snapshot and token owners but not a hub to forward /hub/* to.
// FakeHub (fake-hub.ts) serves the same state over HTTP.
import { tokenAllowsServerAccess, tokenServerLimits, type AuthSnapshot, type ShareMapJson } from "@/proxy/auth/access";
import { deriveKey, signSessionCookie } from "@/proxy/auth/session-cookie";
import { HubRefusal, type HubConnection, type ServerCheck, type TokenOwner } from "@/proxy/hub/connection";
import { extraRouteRefusal } from "@/proxy/routing/extra-route-policy";
import { normalizeRoutePath, toRouteSpec } from "@/proxy/routing/route-path";

export interface HubState {
  /** GET /hub/api/proxy/routes body */
  routes: Record<string, Record<string, unknown>>;
  admins: string[];
  revokedSessions: string[];
  /** user name → account id; assigned on first use (idOf), set one to model a re-created account */
  userIds: Record<string, number>;
  /** API token → owner (userId: default idOf(user); expiresAt: ms, default never) */
  tokens: Record<string, { user: string; admin: boolean; scopes?: string[]; userId?: number; expiresAt?: number | null }>;
  /** every activity report, in order */
  activityReports: Array<Record<string, string>>;
  /** how many token-owner lookups reached the hub */
  tokenLookups: number;
  /** how many times the route table was fetched */
  routeFetches: number;
  /** "<user>/<server>" → what the hub's server-check answers (absent: no such server) */
  serverChecks: Record<string, ServerCheck>;
  /** how many server checks reached the hub */
  serverCheckCalls: number;
  /** the auth snapshot's share map ("<owner>/<server>" → owner id, user ids) */
  shares: ShareMapJson;
  /** routes other clients added through a proxy's API, by routespec; fetchRoutes lists them too */
  extraRoutes: Record<string, Record<string, unknown>>;
}

export class InMemoryHub implements HubConnection {
  readonly state: HubState = {
    routes: {},
    admins: [],
    revokedSessions: [],
    userIds: {},
    tokens: {},
    activityReports: [],
    tokenLookups: 0,
    routeFetches: 0,
    serverChecks: {},
    serverCheckCalls: 0,
    shares: {},
    extraRoutes: {},
  };
  /** called after an extra route is stored or removed, as the hub pushes it to every proxy (FakeHub sets it) */
  onExtraRouteChange: (path: string, data: Record<string, unknown> | null) => Promise<void> = async () => {};
  /** while set, every call rejects with it (the hub is down) */
  down: Error | null = null;

  constructor(readonly secretKey: string) {}

  /** The account id of `user` (assigned on first use, from 1001 up). */
  idOf(user: string): number {
    return (this.state.userIds[user] ??= 1001 + Object.keys(this.state.userIds).length);
  }

  /** A gyre-session cookie header value for a user, as the hub would issue it. */
  cookieFor(user: string, sid = "sid-" + user, ttlSeconds = 3600, uid = this.idOf(user)): string {
    const claims = { sid, user, uid, exp: Math.floor(Date.now() / 1000) + ttlSeconds };
    return "gyre-session=" + signSessionCookie(claims, deriveKey(this.secretKey, "session-cookie"));
  }

  async fetchRoutes(): Promise<Record<string, unknown>> {
    this.check();
    this.state.routeFetches++;
    return structuredClone({ ...this.state.extraRoutes, ...this.state.routes });
  }

  async fetchAuth(): Promise<AuthSnapshot> {
    this.check();
    return {
      admins: [...this.state.admins],
      admin_ids: this.state.admins.map((a) => this.idOf(a)),
      revoked_sessions: [...this.state.revokedSessions],
      shares: structuredClone(this.state.shares),
    };
  }

  /**
   * As the hub answers GET /hub/api/proxy/token-owner: unknown → null; scopes expanded, so a token
   * listed without scopes (stored with none) answers ["inherit"], as the hub's expandScopes does.
   */
  async fetchTokenOwner(token: string): Promise<TokenOwner | null> {
    this.check();
    this.state.tokenLookups++;
    const owner = this.state.tokens[token];
    if (!owner) return null;
    const scopes = owner.scopes ?? ["inherit"];
    const limits = tokenServerLimits(scopes);
    return {
      user: owner.user,
      userId: owner.userId ?? this.idOf(owner.user),
      admin: owner.admin,
      expiresAt: owner.expiresAt ?? null,
      scopes,
      serverAccess: tokenAllowsServerAccess(scopes),
      ...(limits ? { servers: limits.servers, users: limits.users } : {}),
    };
  }

  async postActivity(activity: Record<string, string>): Promise<void> {
    this.check();
    this.state.activityReports.push({ ...activity });
  }

  async checkServer(target: { user: string; server: string }): Promise<ServerCheck | null> {
    this.check();
    this.state.serverCheckCalls++;
    return this.state.serverChecks[`${target.user}/${target.server}`] ?? null;
  }

  /** As the hub's app/_lib/extra-routes.ts: the same refusals (403), stored by routespec, then pushed. */
  async saveExtraRoute(path: string, data: Record<string, unknown>): Promise<void> {
    this.check();
    const refusal = extraRouteRefusal(path, data);
    if (refusal) throw new HubRefusal(403, refusal);
    const spec = toRouteSpec(normalizeRoutePath(path));
    this.state.extraRoutes[spec] = structuredClone(data);
    await this.onExtraRouteChange(spec, data);
  }

  async deleteExtraRoute(path: string): Promise<boolean> {
    this.check();
    const refusal = extraRouteRefusal(path, undefined);
    if (refusal) throw new HubRefusal(403, refusal);
    const spec = toRouteSpec(normalizeRoutePath(path));
    if (!(spec in this.state.extraRoutes)) return false;
    delete this.state.extraRoutes[spec];
    await this.onExtraRouteChange(spec, null);
    return true;
  }

  close(): void {}

  private check(): void {
    if (this.down) throw this.down;
  }
}
