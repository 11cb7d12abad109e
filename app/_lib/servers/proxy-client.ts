// Pushes route changes and revocations to the proxies' configurable-http-proxy-compatible API.
// Failures are logged, not fatal: each proxy also pulls the full table and the revoked sessions
// from the hub at start and periodically (a revoked API token it missed stays usable there until
// its cache entry expires, proxy.tokenCache…: at most 10 s).
import { lookup } from "node:dns/promises";
import type { Logger } from "../log";

export interface RouteData {
  target: string;
  user: string;
  /** the owner's User.id: the proxy lets in only sessions and tokens of this account */
  user_id: number;
  server_name: string;
  spawn_id: string;
  /** "direct" when the proxy may connect to dashboard ports itself (a pod); absent: through the server */
  dashboards?: "direct";
  /**
   * "hub" when the server logs its users in itself through the hub's OAuth provider
   * (jupyterhub-singleuser): the proxy injects no server token; absent: it does
   */
  server_auth?: "hub";
}

/** The route of a configured service (/services/<name>): `service` names it; no owner, no token injected. */
export interface ServiceRouteData {
  target: string;
  service: string;
}

/** The route of one running server, the same wherever it is pushed or listed from. */
export function buildRouteData(o: {
  target: string;
  user: string;
  userId: number;
  serverName: string;
  spawnId: string;
  dashboards: "server" | "direct" | undefined;
  serverAuth?: "proxy" | "hub";
}): RouteData {
  const data: RouteData = { target: o.target, user: o.user, user_id: o.userId, server_name: o.serverName, spawn_id: o.spawnId };
  if (o.dashboards === "direct") data.dashboards = "direct";
  if (o.serverAuth === "hub") data.server_auth = "hub";
  return data;
}

/** A route another client added through a proxy's route API (app/_lib/extra-routes.ts): any data with a target. */
export type ExtraRouteData = { target: string } & Record<string, unknown>;

/**
 * Node's own fetch. Next.js replaces the global fetch with one that wraps every call in a trace
 * span and its data cache (next/dist/server/lib/patch-fetch.js): 4–8% of the hub's CPU in the
 * start and stop storms went there for the pushes to the proxies, which want neither.
 */
function platformFetch(): typeof fetch {
  const global = globalThis.fetch as typeof fetch & { _nextOriginalFetch?: typeof fetch };
  return global._nextOriginalFetch ?? global;
}

/** What was revoked: session ids, and API tokens by their stored sha256 (hex). */
export interface Revocations {
  sessions?: string[];
  tokenHashes?: string[];
}

/** What a role holder or a service reaches at the proxy (app/_lib/auth/role-access.ts). */
type AccessEntry = { all?: true; user_ids: number[]; servers: string[] };

/** Where the hub pushes route changes: every proxy replica (ProxyClient), or a test's recorder. */
export interface RoutePusher {
  addRoute(path: string, data: RouteData | ExtraRouteData): Promise<void>;
  deleteRoute(path: string): Promise<void>;
  /** Tells every proxy at once; resolves when each has answered or failed (never rejects). */
  revoke(r: Revocations): Promise<void>;
  /**
   * Replaces every proxy's share map ("<owner>/<server>" → owner id and the ids of the users who may use it):
   * a revoked share stops working at once. Optional: a pusher without it leaves it to the snapshot.
   */
  shares?(map: Record<string, { owner_id: number; user_ids: number[] }>): Promise<void>;
  /**
   * Replaces every proxy's role access map (app/_lib/auth/role-access.ts: what each user's configured
   * roles let them reach) and service access map (what each service's token reaches) after a group
   * membership change, so a member who left is refused at once. Optional: a pusher without it
   * leaves it to the snapshot.
   */
  roleAccess?(map: Record<string, AccessEntry>, services?: Record<string, AccessEntry>): Promise<void>;
  /**
   * Replaces every proxy's whole route table with `routes` (POST /hub/api/proxy, JupyterHub's
   * re-sync): routes a proxy lost or was given out of band are put right at once rather than at its
   * next full sync. Optional: a pusher without it leaves it to the proxies' own syncs.
   */
  replaceRoutes?(routes: Record<string, RouteData | ServiceRouteData | ExtraRouteData>): Promise<void>;
}

/** Every address a name resolves to (a Kubernetes headless Service: one per ready pod). */
export type AddressLookup = (host: string) => Promise<string[]>;

const lookupEvery: AddressLookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * The route API URL of every address `apiUrl`'s host has at the time of each call
 * (proxy.pushToEveryAddress): proxy pods come and go, so it is resolved per route change.
 */
export function everyAddressOf(apiUrl: string, lookupAll: AddressLookup = lookupEvery): () => Promise<string[]> {
  const u = new URL(apiUrl);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return async () => (await lookupAll(host)).map((a) => `${u.protocol}//${a.includes(":") ? `[${a}]` : a}:${u.port || 80}`);
}

export class ProxyClient implements RoutePusher {
  constructor(
    /** the replicas' route API URLs, or how to find them at each change (everyAddressOf) */
    private readonly apiUrls: string[] | (() => Promise<string[]>),
    private readonly token: string,
    private readonly log: Logger,
  ) {}

  async addRoute(path: string, data: RouteData | ExtraRouteData): Promise<void> {
    await this.each("POST", "/api/routes" + path, data);
  }

  async deleteRoute(path: string): Promise<void> {
    await this.each("DELETE", "/api/routes" + path);
  }

  async revoke(r: Revocations): Promise<void> {
    if (!r.sessions?.length && !r.tokenHashes?.length) return;
    await this.each("POST", "/api/revocations", { sessions: r.sessions ?? [], token_hashes: r.tokenHashes ?? [] });
  }

  async shares(map: Record<string, { owner_id: number; user_ids: number[] }>): Promise<void> {
    await this.each("PUT", "/api/shares", { shares: map });
  }

  async roleAccess(map: Record<string, AccessEntry>, services?: Record<string, AccessEntry>): Promise<void> {
    await this.each("PUT", "/api/role-access", { role_access: map, ...(services ? { service_access: services } : {}) });
  }

  async replaceRoutes(routes: Record<string, RouteData | ServiceRouteData | ExtraRouteData>): Promise<void> {
    await this.each("PUT", "/api/routes", routes);
  }

  private async each(method: string, path: string, body?: unknown): Promise<void> {
    const urls =
      typeof this.apiUrls === "function"
        ? await this.apiUrls().catch((err: Error) => {
            this.log.warn({ path, err: err.message }, "cannot resolve the proxies' addresses; they will catch up at their next full sync");
            return [];
          })
        : this.apiUrls;
    await Promise.all(
      urls.map(async (base) => {
        try {
          const res = await platformFetch()(`${base}${path}`, {
            method,
            // marks the route as the hub's: the proxy's full sync manages it (proxy/api/route-api.ts)
            headers: { authorization: `token ${this.token}`, "content-type": "application/json", "x-gyre-route-owner": "hub" },
            body: body ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(5000),
          });
          // read to the end, so the connection goes back to the pool at once (not when GC finds the body)
          await res.arrayBuffer();
          if (!res.ok && !(method === "DELETE" && res.status === 404)) {
            this.log.warn({ proxy: base, path, status: res.status }, "proxy refused a route change; it will catch up at its next full sync");
          }
        } catch (err) {
          this.log.warn({ proxy: base, path, err: (err as Error).message }, "proxy unreachable; it will load routes from the hub when it starts");
        }
      }),
    );
  }
}
